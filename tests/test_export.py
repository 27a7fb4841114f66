"""`jelai export` end to end: files, filters, pseudonymisation, refusals."""

from __future__ import annotations

import csv
import json
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jelai.cli import main
from jelai.insight.datadict import render_markdown
from jelai.insight.export import Filters, csv_columns, iter_events, parse_bound
from jelai.insight.pseudonyms import Pseudonymiser, load_key
from jelai.store import EventStore
from jelai.web.download import pseudonymiser_for
from tests.conftest import Stores
from tests.spreadsheet import FORMULA_NOTEBOOK, assert_no_formulas, formula_events

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


def test_a_students_download_does_not_carry_the_research_pseudonym(tmp_path: Path) -> None:
    """Staff downloads use the research key, as `jelai export` does; a student's
    own gets a key of its own each time, so it cannot tell them their pseudonym
    in the research data (or link two of their downloads)."""
    key = tmp_path / "export.key"
    research = Pseudonymiser(load_key(key)).name("ana")
    assert pseudonymiser_for(key, ["ana"], staff=True).name("ana") == research
    own = {pseudonymiser_for(key, ["ana"], staff=False).name("ana") for _ in range(3)}
    assert research not in own and len(own) == 3
    assert all(name.startswith("p-") for name in own)
    fresh = tmp_path / "never-made.key"
    pseudonymiser_for(fresh, ["ana"], staff=False)
    assert not fresh.exists()


def test_exports_keep_the_recorded_notebook_and_add_the_one_it_is_now(
    tmp_path: Path, make_event: EventFactory
) -> None:
    old, new = "lab1.ipynb", "lab1 final.ipynb"
    events = [
        make_event(time="2024-03-01T10:00:00.000Z", notebook=old),
        make_event(
            "notebook.rename",
            time="2024-03-01T10:05:00.000Z",
            notebook=new,
            cell=None,
            data={"from": old},
        ),
        make_event(time="2024-03-01T10:06:00.000Z", notebook=new),
        make_event(time="2024-03-01T11:00:00.000Z", notebook=old),  # a new lab1.ipynb
        make_event(time="2024-03-01T11:01:00.000Z", notebook=None, cell=None),
    ]
    store = EventStore(tmp_path / "data" / "events.sqlite3")
    store.add("ana", events)
    store.close()
    assert export("--data-dir", tmp_path / "data", "--out", tmp_path / "all") == 0
    pairs = [(old, new), (new, new), (new, new), (old, old), (None, None)]
    exported = lines(tmp_path / "all" / "events.jsonl")
    assert [(e["notebook"], e["notebook_current"]) for e in exported] == pairs
    with (tmp_path / "all" / "events.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [(r["notebook"], r["notebook_current"]) for r in rows] == [
        (a or "", b or "") for a, b in pairs
    ]
    # A notebook filter: what was recorded under the path, and what is that notebook now.
    for path, expected in ((new, [0, 1, 2]), (old, [0, 3])):
        out = tmp_path / path.replace(" ", "_")
        assert export("--data-dir", tmp_path / "data", "--out", out, "--notebook", path) == 0
        got = [e["id"] for e in lines(out / "events.jsonl")]
        assert got == [events[i]["id"] for i in expected]


def test_no_csv_cell_is_read_as_a_formula(tmp_path: Path, make_event: EventFactory) -> None:
    store = EventStore(tmp_path / "data" / "events.sqlite3")
    store.add("ana", formula_events(make_event))
    store.close()
    assert export("--data-dir", tmp_path / "data", "--out", tmp_path / "out") == 0
    with (tmp_path / "out" / "events.csv").open(encoding="utf-8", newline="") as file:
        assert_no_formulas(list(csv.reader(file)))
    # The JSON lines keep the text as recorded.
    assert lines(tmp_path / "out" / "events.jsonl")[0]["notebook"] == FORMULA_NOTEBOOK


def test_pseudonymised_exports_carry_no_users_name(
    tmp_path: Path, make_event: EventFactory
) -> None:
    """Every known user's name, as a whole token in any string: notebook
    paths, sources, outputs, tracebacks, chat text; short names in paths only."""
    execute = {
        "source": "# alice's attempt\nopen('/srv/data/alice.csv')",
        "success": False,
        "outputs": [{"output_type": "stream", "text": "saved to /home/alice/out.txt\n"}],
        "error": {
            "name": "FileNotFoundError",
            "value": "No such file: 'ALICE.csv'",
            "traceback": ['File "/srv/course/alice_utils.py", line 3'],
        },
    }
    chat = {
        "model": "m",
        "messages": [{"role": "user", "content": "Bob and Alice say: ed, al dente."}],
        "reply": "Alice, check the path; malice and alice2 are other words.",
        "status": "finished",
    }
    stores = {
        "alice": [
            make_event(notebook="week1/lab1_alice.ipynb", data=execute),
            make_event("chat.exchange", notebook="week1/lab1_alice.ipynb", cell=None, data=chat),
            make_event(
                "notebook.rename",
                notebook="week1/lab1_alice final.ipynb",
                cell=None,
                data={"from": "week1/lab1_alice.ipynb"},
            ),
        ],
        "bob": [make_event(notebook="bob/lab1.ipynb")],
        "ed": [make_event(notebook="week1/lab1-ed.ipynb")],
    }
    for user, events in stores.items():
        store = EventStore(tmp_path / "class" / user / "events.sqlite3")
        store.add(user, events)
        store.close()
    key = tmp_path / "study.key"
    out = tmp_path / "out"
    args = ("--pseudonymise", "--key-file", key)
    assert export("--class-dir", tmp_path / "class", "--out", out, *args) == 0
    events = lines(out / "events.jsonl")
    alice, bob, ed = (events[0]["user"], events[3]["user"], events[4]["user"])
    assert events[0]["notebook"] == f"week1/lab1_{alice}.ipynb"
    assert events[0]["data"]["source"] == f"# {alice}'s attempt\nopen('/srv/data/{alice}.csv')"
    assert events[0]["data"]["outputs"][0]["text"] == f"saved to /home/{alice}/out.txt\n"
    assert events[0]["data"]["error"]["value"] == f"No such file: '{alice}.csv'"
    assert events[0]["data"]["error"]["traceback"] == [
        f'File "/srv/course/{alice}_utils.py", line 3'
    ]
    assert events[1]["data"]["messages"][0]["content"] == f"{bob} and {alice} say: ed, al dente."
    assert events[1]["data"]["reply"] == (
        f"{alice}, check the path; malice and alice2 are other words."
    )
    assert events[2]["data"]["from"] == f"week1/lab1_{alice}.ipynb"
    assert events[3]["notebook"] == f"{bob}/lab1.ipynb"
    # A name of two letters is replaced in paths, not in free text.
    assert events[4]["notebook"] == f"week1/lab1-{ed}.ipynb"
    for name in ("data-dictionary.md", "manifest.json", "events.csv", "events.jsonl"):
        text = (out / name).read_text("utf-8")
        assert not re.search(r"(?<![^\W_])(alice|bob)(?![^\W_])", text, re.IGNORECASE), name


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
