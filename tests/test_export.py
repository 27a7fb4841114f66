"""`jelai export` end to end: files, filters, pseudonymisation, refusals."""

from __future__ import annotations

import csv
import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jelai.cli import main
from jelai.datadict import render_markdown
from jelai.export import Filters, csv_columns, iter_events, parse_bound
from tests.conftest import Stores

EventFactory = Callable[..., dict[str, Any]]


def fill(stores: Stores, make_event: EventFactory) -> Stores:
    """Two students; ana's chat question and failure, bob's work a day later."""
    ana = [
        make_event(time="2024-03-01T10:00:00.000Z", notebook="home/ana/lab1.ipynb"),
        make_event(
            time="2024-03-01T10:01:00.000Z",
            notebook="home/ana/lab1.ipynb",
            data={
                "success": False,
                "error": {"name": "KeyError", "value": "'x'", "traceback": ["/home/ana/a.py"]},
            },
        ),
        make_event(
            "chat.exchange",
            time="2024-03-01T10:02:00.000Z",
            notebook="home/ana/lab1.ipynb",
            cell=None,
            data={
                "model": "m",
                "messages": [{"role": "user", "content": "why?"}],
                "reply": "Look at the key.",
                "status": "finished",
                "extra": 1,
            },
        ),
    ]
    bob = [
        make_event(time="2024-03-02T09:00:00.000Z", notebook="lab2.ipynb"),
        make_event(time="2024-03-02T09:30:00.000Z", notebook="lab1.ipynb"),
    ]
    stores.add("ana", ana)
    stores.add("bob", bob)
    return stores


@pytest.fixture
def class_stores(stores: Stores, make_event: EventFactory) -> Stores:
    """The class on each backend."""
    return fill(stores, make_event)


@pytest.fixture
def the_class(class_stores: Stores) -> list[str]:
    """The export's arguments naming the class: its folder, or its database."""
    if class_stores.url is None:
        return ["--class-dir", str(class_stores.folder)]
    return ["--store-url", class_stores.url]


@pytest.fixture
def class_dir(tmp_path: Path, make_event: EventFactory) -> Path:
    """The class as a folder of SQLite files (the class folder mode)."""
    return fill(Stores(None, tmp_path / "class"), make_event).folder


def export(*args: str | Path) -> int:
    return main(["export", *map(str, args)])


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_export_writes_jsonl_csv_dictionary_and_manifest(
    tmp_path: Path, the_class: list[str]
) -> None:
    out = tmp_path / "out"
    assert export(*the_class, "--out", out) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "data-dictionary.md",
        "events.csv",
        "events.jsonl",
        "manifest.json",
    ]
    events = lines(out / "events.jsonl")
    assert [(e["user"], e["time"]) for e in events] == [
        ("ana", "2024-03-01T10:00:00.000Z"),
        ("ana", "2024-03-01T10:01:00.000Z"),
        ("ana", "2024-03-01T10:02:00.000Z"),
        ("bob", "2024-03-02T09:00:00.000Z"),
        ("bob", "2024-03-02T09:30:00.000Z"),
    ]
    assert events[2]["type"] == "chat.exchange"
    assert events[2]["data"]["reply"] == "Look at the key."
    with (out / "events.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == csv_columns()
    assert len(rows) == 5
    assert rows[1]["data.success"] == "false"
    assert json.loads(rows[1]["data.error"])["name"] == "KeyError"
    assert rows[1]["cell_id"] == "cell-a" and rows[1]["kernel_name"] == "python3"
    assert rows[2]["data.reply"] == "Look at the key."
    assert json.loads(rows[2]["data.other"]) == {"extra": 1}
    assert rows[0]["data.other"] == ""
    assert (out / "data-dictionary.md").read_text("utf-8") == render_markdown()
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["events"] == 5 and manifest["pseudonymised"] is False


def test_filters_by_notebook_and_dates(tmp_path: Path, the_class: list[str]) -> None:
    assert export(*the_class, "--out", tmp_path / "a", "--notebook", "lab1.ipynb") == 0
    assert [e["user"] for e in lines(tmp_path / "a" / "events.jsonl")] == ["bob"]
    # A bare --until date includes that whole day.
    args = ("--since", "2024-03-01", "--until", "2024-03-01", "--format", "jsonl")
    assert export(*the_class, "--out", tmp_path / "b", *args) == 0
    assert len(lines(tmp_path / "b" / "events.jsonl")) == 3
    assert not (tmp_path / "b" / "events.csv").exists()
    args = ("--since", "2024-03-01T10:01:00Z", "--until", "2024-03-02T09:30:00Z")
    assert export(*the_class, "--out", tmp_path / "c", *args) == 0
    times = [e["time"] for e in lines(tmp_path / "c" / "events.jsonl")]
    assert times == [
        "2024-03-01T10:01:00.000Z",
        "2024-03-01T10:02:00.000Z",
        "2024-03-02T09:00:00.000Z",
    ]


def test_a_data_dir_keeps_each_rows_user(tmp_path: Path, class_dir: Path) -> None:
    assert export("--data-dir", class_dir / "bob", "--out", tmp_path / "out") == 0
    assert {e["user"] for e in lines(tmp_path / "out" / "events.jsonl")} == {"bob"}


def test_pseudonyms_are_keyed_stable_and_replace_home_folders(
    tmp_path: Path, the_class: list[str]
) -> None:
    key = tmp_path / "keys" / "jelai.key"
    key.parent.mkdir()
    for name in ("one", "two"):
        args = ("--pseudonymise", "--key-file", key)
        assert export(*the_class, "--out", tmp_path / name, *args) == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    one = lines(tmp_path / "one" / "events.jsonl")
    assert one == lines(tmp_path / "two" / "events.jsonl")
    ana = one[0]["user"]
    assert ana.startswith("p-") and len(ana) == 18 and ana != one[3]["user"]
    assert one[0]["notebook"] == f"home/{ana}/lab1.ipynb"
    assert one[1]["data"]["error"]["traceback"] == [f"/home/{ana}/a.py"]
    secret = key.read_text().strip()
    for path in (tmp_path / "one").iterdir():
        text = path.read_text("utf-8")
        assert secret not in text
        if path.name != "data-dictionary.md":
            assert "ana" not in text
    other = tmp_path / "other.key"
    args = ("--pseudonymise", "--key-file", other)
    assert export(*the_class, "--out", tmp_path / "three", *args) == 0
    assert lines(tmp_path / "three" / "events.jsonl")[0]["user"] != ana


@pytest.mark.parametrize(
    "args, message",
    [
        (["--since", "yesterday"], "not a date"),
        (["--until", "2024-02-30"], "not a date"),
        (["--since", "2024-03-02", "--until", "2024-03-01"], "before --until"),
        (["--format", "xlsx"], "--format"),
        (["--pseudonymise"], "go together"),
        (["--key-file", "{tmp}/new.key"], "go together"),
        (["--pseudonymise", "--key-file", "{tmp}/out/k.key"], "inside the export"),
        (["--pseudonymise", "--key-file", "{tmp}/no/such/k.key"], "does not exist"),
    ],
)
def test_bad_input_writes_nothing(
    tmp_path: Path,
    the_class: list[str],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    before = sorted(tmp_path.rglob("*"))
    filled = [arg.format(tmp=tmp_path) for arg in args]
    assert export(*the_class, "--out", tmp_path / "out", *filled) == 2
    assert message in capsys.readouterr().err
    assert sorted(tmp_path.rglob("*")) == before


def test_missing_folders_and_a_used_out_folder_are_refused(
    tmp_path: Path, the_class: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert export("--class-dir", tmp_path / "nope", "--out", tmp_path / "out") == 2
    assert export("--data-dir", tmp_path, "--out", tmp_path / "out") == 2
    assert export("--out", tmp_path / "out") == 2
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("mine")
    assert export(*the_class, "--out", used) == 2
    assert [p.name for p in used.iterdir()] == ["notes.txt"]
    assert not (tmp_path / "out").exists()
    err = capsys.readouterr().err
    assert "does not exist" in err and "holds no events.sqlite3" in err and "not an empty" in err


def test_an_empty_out_folder_is_used(tmp_path: Path, the_class: list[str]) -> None:
    (tmp_path / "out").mkdir()
    assert export(*the_class, "--out", tmp_path / "out", "--format", "csv") == 0
    assert (tmp_path / "out" / "events.csv").exists()


def test_iter_events_and_bounds(class_stores: Stores) -> None:
    assert parse_bound("2024-03-01", end=True) == "2024-03-02T00:00:00.000Z"
    assert parse_bound("2024-03-01T12:00:00+02:00", end=False) == "2024-03-01T10:00:00.000Z"
    events = list(iter_events(class_stores.everyone(), Filters(notebook="lab2.ipynb")))
    assert [(e["user"], e["notebook"]) for e in events] == [("bob", "lab2.ipynb")]
