"""Analytics over small hand-made logs: each metric, idle gaps, the stuck rule."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jelai.insight.analytics import Options, find_stuck, summarise
from jelai.insight.renames import Lineage, Rename
from jelai.insight.rules import iso
from jelai.insight.sources import class_sources, own_source
from jelai.record.events import utc_time
from jelai.store import EventStore, summaries
from tests.conftest import Stores

EventFactory = Callable[..., dict[str, Any]]
START = datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)


def at(seconds: float) -> str:
    """The time `seconds` after 10:00 on the first day of the course."""
    moment = START + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@pytest.fixture
def log(make_event: EventFactory) -> Callable[..., dict[str, Any]]:
    return build_log(make_event)


def build_log(make_event: EventFactory) -> Callable[..., dict[str, Any]]:
    """Builds one event at `t` seconds; `fail` names the error of a failed run."""

    def build(
        t: float,
        type: str = "cell.edit",
        cell: str = "c1",
        notebook: str = "lab1.ipynb",
        fail: str | None = None,
        outcome: str | None = None,
        renamed_from: str | None = None,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if type == "notebook.rename":
            data = {"from": renamed_from}
        if type == "cell.execute":
            data = {"success": fail is None}
            if fail is not None:
                data["error"] = {"name": fail, "value": "boom"}
            if outcome is not None:
                data = {"success": outcome == "ok", "outcome": outcome, "error": data.get("error")}
        elif type == "chat.exchange":
            data = {"model": "m", "messages": [], "reply": "Think.", "status": "finished"}
        return make_event(
            type,
            time=at(t),
            notebook=notebook,
            cell={"id": cell, "index": 0, "type": "code"},
            data=data,
        )

    return build


def store_of(tmp_path: Path, user: str, events: list[dict[str, Any]]) -> Path:
    """A student's store file in a class folder (SQLite only: the class folder mode)."""
    path = tmp_path / "class" / user / "events.sqlite3"
    store = EventStore(path)
    store.add(user, events)
    store.close()
    return path


def student(summary: dict[str, Any], user: str) -> dict[str, Any]:
    return next(s for s in summary["students"] if s["user"] == user)


def notebook(entry: dict[str, Any], name: str) -> dict[str, Any]:
    return next(n for n in entry["notebooks"] if n["notebook"] == name)


def summary_of(stores: Stores, events: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    """ana's summary once she has sent `events` (to a store on the test's backend)."""
    stores.add("ana", events)
    return summarise([stores.own("ana")], options=Options(**options))


def test_active_time_leaves_out_gaps_longer_than_the_idle_threshold(stores: Stores, log) -> None:
    events = [log(t) for t in (0, 20, 50, 110, 400)]  # 20 + 30 + 60, then 290 s
    events += [log(t) for t in (1400, 1430)]  # away 1000 s, then 30 s
    assert summary_of(stores, events)["students"][0]["active_seconds"] == 430
    strict = summarise([stores.own("ana")], options=Options(idle_seconds=120))
    assert strict["students"][0]["active_seconds"] == 140
    relaxed = summarise([stores.own("ana")], options=Options(idle_seconds=1200))
    assert relaxed["students"][0]["active_seconds"] == 1430


def test_a_students_total_is_the_sum_of_their_notebooks(stores: Stores, log) -> None:
    events = [log(0), log(100), log(30, notebook="lab2.ipynb"), log(90, notebook="lab2.ipynb")]
    ana = summary_of(stores, events)["students"][0]
    assert notebook(ana, "lab1.ipynb")["active_seconds"] == 100
    assert notebook(ana, "lab2.ipynb")["active_seconds"] == 60
    assert ana["active_seconds"] == 160
    assert ana["events"] == 4
    assert ana["first_activity"] == at(0)
    assert ana["last_activity"] == at(100)


def test_executions_errors_and_cells_attempted(stores: Stores, log) -> None:
    events = [
        log(0, "cell.execute", cell="a"),
        log(10, "cell.execute", cell="b", fail="KeyError"),
        log(20, "cell.execute", cell="b", fail="KeyError"),
        log(30, "cell.execute", cell="b", fail="NameError"),
        log(40, "cell.execute", cell="c", fail="TypeError"),
        log(50, "cell.execute", cell="c"),
        log(60, "cell.edit", cell="d"),  # edited, never run: not attempted
    ]
    ana = summary_of(stores, events, top_errors=2)["students"][0]
    assert ana["executions"] == 6
    assert ana["failures"] == 4
    assert ana["error_rate"] == round(4 / 6, 4)
    # Ties are broken by name, so the same log always reads the same.
    assert ana["top_errors"] == [
        {"name": "KeyError", "count": 2},
        {"name": "NameError", "count": 1},
    ]
    assert ana["cells_attempted"] == 3


# What a client records for each outcome: with `outcome`, and as clients
# without it did (an aborted cell: success false and no error).
RECORDED = {
    "ok": {"success": True, "outcome": "ok", "error": None},
    "error": {
        "success": False,
        "outcome": "error",
        "error": {"name": "ZeroDivisionError", "value": "division by zero"},
    },
    "aborted": {"success": False, "outcome": "aborted", "error": None},
    "interrupted": {
        "success": False,
        "outcome": "interrupted",
        "error": {"name": "KeyboardInterrupt", "value": ""},
    },
    "no_reply": {"success": False, "outcome": "no_reply", "error": None},
}
OLD_CLIENT = {
    "ok": {"success": True},
    "error": {"success": False, "error": RECORDED["error"]["error"]},
    "aborted": {"success": False, "error": None},
    "interrupted": {"success": False, "error": {"name": "KeyboardInterrupt", "value": ""}},
}


def executions(log, plan: list[tuple[float, str, str]], shapes: dict[str, Any]) -> list[Any]:
    """`cell.execute` events of (seconds, cell, outcome), in the shape `shapes` gives."""
    events = []
    for t, cell, outcome in plan:
        event = log(t, "cell.execute", cell=cell)
        event["data"] = {"source": cell, **shapes[outcome]}
        events.append(event)
    return events


def run_all_three_times() -> list[tuple[float, str, str]]:
    """Cells `x = 1`, `1/0`, `print(x)`, `y = x + 1`, Run All three times:
    the kernel runs the first two and aborts the rest (stop_on_error)."""
    plan = []
    for t in (0, 60, 120):
        plan += [(t, "x1", "ok"), (t + 1, "div0", "error")]
        plan += [(t + 2, "printx", "aborted"), (t + 3, "y", "aborted")]
    return plan


@pytest.mark.parametrize("shapes", [RECORDED, OLD_CLIENT], ids=["recorded", "old client"])
def test_run_all_three_times_counts_three_failures_of_six_runs(
    stores: Stores, log, shapes: dict[str, Any]
) -> None:
    summary = summary_of(stores, executions(log, run_all_three_times(), shapes))
    ana = summary["students"][0]
    assert (ana["executions"], ana["failures"], ana["error_rate"]) == (6, 3, 0.5)
    assert ana["top_errors"] == [{"name": "ZeroDivisionError", "count": 3}]
    # The aborted cells never ran: not attempted, and not where anyone is stuck.
    assert ana["cells_attempted"] == 2
    assert [s["cell_id"] for s in ana["stuck"]] == ["div0"]
    assert summary["series"]["errors_by_cell"] == [
        {"notebook": "lab1.ipynb", "cell_id": c, "executions": 3, "failures": f, "students": n}
        for c, f, n in [("div0", 3, 1), ("x1", 0, 0)]
    ]


@pytest.mark.parametrize("shapes", [RECORDED, OLD_CLIENT], ids=["recorded", "old client"])
def test_an_interrupted_run_is_a_run_and_no_failure(
    stores: Stores, log, shapes: dict[str, Any]
) -> None:
    plan = [(0, "loop", "interrupted"), (10, "loop", "interrupted"), (20, "loop", "interrupted")]
    ana = summary_of(stores, executions(log, plan, shapes))["students"][0]
    assert (ana["executions"], ana["failures"], ana["top_errors"]) == (3, 0, [])
    assert ana["stuck"] == []


def test_a_run_the_kernel_never_answered_is_a_run_and_no_failure(stores: Stores, log) -> None:
    plan = [(0, "a", "no_reply"), (10, "a", "no_reply"), (20, "a", "no_reply")]
    ana = summary_of(stores, executions(log, plan, RECORDED))["students"][0]
    assert (ana["executions"], ana["failures"], ana["stuck"]) == (3, 0, [])


@pytest.mark.parametrize("between", ["aborted", "interrupted", "no_reply"])
def test_only_a_successful_run_ends_a_streak_of_failures(stores: Stores, log, between: str) -> None:
    plan = [(0, "a", "error"), (60, "a", "error"), (90, "a", between), (120, "a", "error")]
    ana = summary_of(stores, executions(log, plan, RECORDED))["students"][0]
    assert ana["stuck"] == [
        {"notebook": "lab1.ipynb", "cell_id": "a", "since": at(0), "failures": 3}
    ]


def test_a_renamed_notebook_is_one_notebook(stores: Stores, log) -> None:
    """`lab1.ipynb` renamed to `lab1 final.ipynb` while open: one notebook,
    its time, runs, failures and questions together; the stuck rule sees the
    failures before and after the rename. A new `lab1.ipynb` made later is
    another notebook."""
    old, new = "lab1.ipynb", "lab1 final.ipynb"
    events = [
        log(0, notebook=old),
        log(100, "cell.execute", cell="c7", notebook=old, fail="KeyError"),
        log(160, "cell.execute", cell="c7", notebook=old, fail="KeyError"),
        log(170, "cell.execute", cell="c1", notebook=old),
        log(200, "notebook.rename", cell=None, notebook=new, renamed_from=old),
        log(230, "cell.execute", cell="c7", notebook=new, fail="KeyError"),
        log(260, notebook=new),
        log(900, notebook=old),  # a new notebook took the old name
    ]
    summary = summary_of(stores, events)
    (ana,) = summary["students"]
    books = {n["notebook"]: n for n in ana["notebooks"]}
    assert sorted(books) == [new, old]
    assert (books[new]["events"], books[old]["events"]) == (7, 1)
    assert books[new]["active_seconds"] == 260
    assert (books[new]["executions"], books[new]["failures"]) == (4, 3)
    assert books[new]["cells_attempted"] == 2
    assert books[new]["stuck"] == {"cell_id": "c7", "since": at(100), "failures": 3}
    assert summary["series"]["errors_by_cell"] == [
        {"notebook": new, "cell_id": c, "executions": n, "failures": f, "students": s}
        for c, n, f, s in [("c1", 1, 0, 0), ("c7", 3, 3, 1)]
    ]
    # The dashboard's notebook filter names the notebook as it is now.
    only = summarise([stores.own("ana")], notebook=new)
    assert only["students"][0]["events"] == 7


@pytest.mark.parametrize(
    "renames, expected",
    [
        pytest.param([("a", "b"), ("b", "c")], ["c"], id="a chain"),
        pytest.param([("a", "b"), ("b", "a")], ["a"], id="renamed back"),
        pytest.param([("a", "b"), ("b", "a"), ("a", "b")], ["b"], id="back and forth"),
    ],
)
def test_renames_are_followed_to_the_notebook_now(
    stores: Stores, log, renames: list[tuple[str, str]], expected: list[str]
) -> None:
    events = [log(0, notebook="a")]
    for i, (old, new) in enumerate(renames, start=1):
        events += [log(i * 10, "notebook.rename", cell=None, notebook=new, renamed_from=old)]
        events += [log(i * 10 + 5, notebook=new)]
    (ana,) = summary_of(stores, events)["students"]
    assert [n["notebook"] for n in ana["notebooks"]] == expected
    assert ana["notebooks"][0]["events"] == len(events)


def test_renames_are_followed_at_most_ten_times(stores: Stores, log) -> None:
    """The tutor follows a notebook back through ten renames; so does analytics:
    the first notebook's event, eleven renames back, stays under its name."""
    names = [f"n{i}.ipynb" for i in range(12)]
    events = [log(0, notebook=names[0])]
    for i in range(1, 12):
        kind = "notebook.rename"
        events.append(log(i * 10, kind, cell=None, notebook=names[i], renamed_from=names[i - 1]))
    (ana,) = summary_of(stores, events)["students"]
    counts = {n["notebook"]: n["events"] for n in ana["notebooks"]}
    assert counts == {names[0]: 1, names[11]: 11}


def test_questions_and_hints_are_counted_per_notebook(stores: Stores, log) -> None:
    events = [
        log(0, "chat.exchange"),
        log(10, "chat.exchange"),
        log(20, "tutor.hint"),
        log(30, "chat.exchange", notebook="lab2.ipynb"),
    ]
    summary = summary_of(stores, events)
    ana = summary["students"][0]
    assert (ana["questions"], ana["hints"]) == (3, 1)
    assert (notebook(ana, "lab1.ipynb")["questions"], notebook(ana, "lab1.ipynb")["hints"]) == (
        2,
        1,
    )
    assert summary["series"]["questions_by_notebook"] == [
        {"notebook": "lab1.ipynb", "questions": 2, "hints": 1, "students": 1},
        {"notebook": "lab2.ipynb", "questions": 1, "hints": 0, "students": 1},
    ]


def failures(log, cell: str, times: list[float]) -> list[dict[str, Any]]:
    return [log(t, "cell.execute", cell=cell, fail="KeyError") for t in times]


def test_three_failures_of_one_cell_without_asking_is_stuck(stores: Stores, log) -> None:
    events = [log(0, "chat.exchange"), *failures(log, "c7", [100, 200, 400]), log(700)]
    ana = summary_of(stores, events)["students"][0]
    stuck = notebook(ana, "lab1.ipynb")["stuck"]
    assert stuck == {"cell_id": "c7", "since": at(100), "failures": 3}
    assert ana["stuck"] == [{"notebook": "lab1.ipynb", **stuck}]


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param([("chat.exchange", 250)], id="asked the tutor since the first failure"),
        pytest.param([("tutor.hint", 100)], id="requested a hint at the first failure"),
        pytest.param([("cell.execute", 450)], id="the cell ran successfully since"),
        pytest.param([("cell.edit", 1400)], id="last failure over 15 minutes before the end"),
    ],
)
def test_not_stuck(stores: Stores, log, extra: list[tuple[str, float]]) -> None:
    events = failures(log, "c7", [100, 200, 400])
    events += [log(t, kind, cell="c7") for kind, t in extra]
    ana = summary_of(stores, events)["students"][0]
    assert ana["failures"] == 3
    assert ana["stuck"] == []


def test_failures_spread_over_more_than_ten_minutes_are_not_stuck(
    new_stores: Callable[[], Stores], log
) -> None:
    spread = summary_of(new_stores(), failures(log, "c7", [0, 300, 601]))
    assert spread["students"][0]["stuck"] == []
    close = summary_of(new_stores(), failures(log, "c7", [0, 300, 600]))
    assert close["students"][0]["stuck"][0]["cell_id"] == "c7"


def test_failures_on_different_cells_are_not_stuck(stores: Stores, log) -> None:
    events = [*failures(log, "a", [0, 60]), *failures(log, "b", [120, 180])]
    assert summary_of(stores, events)["students"][0]["stuck"] == []


def test_stuck_rule_thresholds_are_options() -> None:
    rows = [(0, "cell.execute", "c", "error"), (60_000, "cell.execute", "c", "error")]
    assert find_stuck(rows, Options()) is None
    stuck = find_stuck(rows, Options(stuck_failures=2))
    assert stuck is not None and (stuck.cell_id, stuck.failures) == ("c", 2)


def test_the_plots_series(stores: Stores, log) -> None:
    ana = [log(0), log(3590, "cell.execute", cell="b", fail="KeyError"), log(3700)]
    bob = [log(10, "cell.execute", cell="b"), log(20, "cell.execute", cell="b", fail="KeyError")]
    stores.add("ana", ana)
    stores.add("bob", bob)
    series = summarise(stores.everyone())["series"]
    assert series["activity"] == [
        {"start": "2024-03-01T10:00:00.000Z", "events": 4, "students": 2},
        {"start": "2024-03-01T11:00:00.000Z", "events": 1, "students": 1},
    ]
    assert series["errors_by_cell"] == [
        {"notebook": "lab1.ipynb", "cell_id": "b", "executions": 3, "failures": 2, "students": 2}
    ]


def test_a_class_folder_names_students_by_folder_not_by_row(tmp_path: Path, log) -> None:
    store_of(tmp_path, "ana", [log(0), log(10)])
    # A student controls the server writing their store: rows claiming to be
    # someone else's are still theirs.
    forged = tmp_path / "class" / "bob" / "events.sqlite3"
    store = EventStore(forged)
    store.add("ana", [log(0), log(5)])
    store.close()
    (tmp_path / "class" / "empty").mkdir()
    summary = summarise(class_sources(tmp_path / "class"))
    assert [(s["user"], s["events"]) for s in summary["students"]] == [("ana", 2), ("bob", 2)]


def test_instructors_are_left_out_and_unreadable_stores_named(tmp_path: Path, log) -> None:
    store_of(tmp_path, "ana", [log(0)])
    store_of(tmp_path, "teacher", [log(0)])
    broken = tmp_path / "class" / "bob" / "events.sqlite3"
    broken.parent.mkdir()
    broken.write_bytes(b"not a database" * 100)
    summary = summarise(class_sources(tmp_path / "class", exclude=["teacher"]))
    assert [s["user"] for s in summary["students"]] == ["ana"]
    assert summary["unreadable"] == ["bob"]


def test_own_source_reads_only_the_users_rows(stores: Stores, log) -> None:
    stores.add("ana", [log(0)])
    store = EventStore(stores.location("ana"))
    store.add("bob", [log(5), log(6)])
    store.close()
    summary = summarise([stores.own("ana")])
    assert [(s["user"], s["events"]) for s in summary["students"]] == [("ana", 1)]
    assert summarise([stores.own("carl")])["students"] == []


def test_a_store_file_not_made_yet_reads_as_no_activity(tmp_path: Path) -> None:
    assert summarise([own_source(tmp_path / "none.sqlite3", "ana")])["students"] == []
    assert not (tmp_path / "none.sqlite3").exists()


def test_runs_and_failures_follow_the_execution_outcomes(stores: Stores, log) -> None:
    """A run is any outcome but "aborted"; a failure is "error" only; events
    of older clients (no `outcome`) get theirs from `success` and `error`."""

    def run(t: float, cell: str, **data: Any) -> dict[str, Any]:
        event = log(t, "cell.execute", cell=cell)
        event["data"] = data
        return event

    boom = {"name": "KeyError", "value": "'x'"}
    events = [
        run(0, "a", success=True, outcome="ok"),
        run(10, "a", success=False, outcome="error", error=boom),
        run(20, "b", success=False, outcome="interrupted", error={"name": "KeyboardInterrupt"}),
        run(30, "c", success=False, outcome="aborted"),
        run(40, "d", success=False, outcome="no_reply"),
        # From older clients: success, an error, an interrupt, no error at all.
        run(50, "e", success=True),
        run(60, "e", success=False, error={"name": "NameError", "value": "y"}),
        run(70, "f", success=False, error={"name": "KeyboardInterrupt", "value": ""}),
        run(80, "g", success=False, error=None),
        run(90, "g", success=False),
    ]
    ana = summary_of(stores, events)["students"][0]
    assert ana["executions"] == 7  # all but the three aborted
    assert ana["failures"] == 2
    assert ana["top_errors"] == [
        {"name": "KeyError", "count": 1},
        {"name": "NameError", "count": 1},
    ]
    assert ana["cells_attempted"] == 5  # a, b, d, e, f: c and g never ran


def test_options_refuse_thresholds_below_a_minute() -> None:
    with pytest.raises(ValueError):
        Options(idle_seconds=30)
    with pytest.raises(ValueError):
        Options(bucket_seconds=90)


EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
NUMBERS = itertools.count()


@given(
    times=st.lists(st.integers(-2 * 3_600_000, 6 * 3_600_000), min_size=1, max_size=60),
    idle_minutes=st.integers(1, 60),
)
@example(times=[0, 60_000, 180_001], idle_minutes=1)  # a gap of exactly the threshold counts
# No deadline: a busy machine is slow, and speed lives in bench/.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_active_time_and_buckets_match_the_definition(
    stores: Stores,
    make_event: EventFactory,
    times: list[int],
    idle_minutes: int,
) -> None:
    """Over events at any times (around 1970 too, where rounding down differs
    from cutting off), active time is the sum of the gaps up to the idle
    threshold and each hour bucket counts its events."""
    times.sort()
    events = [
        make_event("cell.edit", time=utc_time(EPOCH + timedelta(milliseconds=t))) for t in times
    ]
    idle_ms = idle_minutes * 60_000
    user = f"student{next(NUMBERS)}"  # one per example: the stores are the test's
    stores.add(user, events)
    summary = summarise([stores.own(user)], options=Options(idle_seconds=idle_ms / 1000))
    (entry,) = summary["students"]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert entry["active_seconds"] == sum(g for g in gaps if g <= idle_ms) / 1000
    hours = Counter(t // 3_600_000 * 3_600_000 for t in times)
    expected = [{"start": iso(h), "events": n, "students": 1} for h, n in sorted(hours.items())]
    assert summary["series"]["activity"] == expected


@given(
    plan=st.lists(
        st.tuples(
            st.integers(0, 7_200),  # seconds into the session
            st.sampled_from(["cell.edit", "cell.execute", "chat.exchange", "notebook.rename"]),
            st.sampled_from(["a", "b"]),
            st.sampled_from([None, "KeyError", "NameError", "KeyboardInterrupt", "aborted"]),
        ),
        min_size=1,
        max_size=30,
    ),
    cuts=st.lists(st.integers(0, 30), max_size=4),
    resend=st.lists(st.integers(0, 29), max_size=5),
)
# make_event only numbers fresh events: sharing it between examples is harmless.
# No deadline: a busy machine is slow, and speed lives in bench/.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_summaries_kept_batch_by_batch_match_the_events(
    stores: Stores,
    make_event: EventFactory,
    plan: list[tuple[int, str, str, str | None]],
    cuts: list[int],
    resend: list[int],
) -> None:
    """However the events arrive (in batches, retried, across restarts), the
    kept tables give what counting them again from the events gives."""
    log = build_log(make_event)
    events = [renaming_log(log, t, kind, cell, fail) for t, kind, cell, fail in plan]
    for event in events:
        if event["data"].get("error", {}).get("name") == "aborted":
            event["data"]["error"] = None  # how clients without `outcome` sent an aborted cell
    user = f"student{next(NUMBERS)}"
    bounds = sorted({0, len(events), *(c for c in cuts if c <= len(events))})
    for start, end in zip(bounds, bounds[1:]):
        store = EventStore(stores.location(user))  # a restart between batches
        store.add(user, events[start:end])
        store.add(user, [events[i] for i in resend if i < end])  # retried events
        store.close()
    kept = summarise([stores.own(user)])
    store = EventStore(stores.location(user))
    with store.engine.begin() as conn:
        summaries.rebuild(conn)
    store.close()
    counted = summarise([stores.own(user)])
    assert kept["students"] == counted["students"]
    assert kept["series"] == counted["series"]
    expected_runs = sum(
        1 for _, kind, _, fail in plan if kind == "cell.execute" and fail != "aborted"
    )
    assert kept["students"][0]["executions"] == expected_runs


def renaming_log(log, t: int, kind: str, cell: str, fail: str | None) -> dict[str, Any]:
    """An event of a plan where notebooks `a` and `b` are renamed into each other."""
    other = "b" if cell == "a" else "a"
    if kind == "notebook.rename":
        return log(t, kind, cell=None, notebook=f"{cell}.ipynb", renamed_from=f"{other}.ipynb")
    return log(t, kind, cell=cell, notebook=f"{cell}.ipynb", fail=fail)


@given(
    plan=st.lists(
        st.tuples(
            st.integers(0, 7_200),
            st.sampled_from(["cell.edit", "cell.execute", "chat.exchange", "notebook.rename"]),
            st.sampled_from(["a", "b"]),
            st.sampled_from([None, "KeyError"]),
        ),
        min_size=1,
        max_size=30,
    )
)
# No deadline: a busy machine is slow, and speed lives in bench/.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_renamed_notebooks_summarise_as_if_recorded_under_their_names_now(
    stores: Stores,
    make_event: EventFactory,
    plan: list[tuple[int, str, str, str | None]],
) -> None:
    """Whatever the renames, a summary is the one of the same events recorded
    under the notebook each belongs to now (found as the tutor finds it)."""
    log = build_log(make_event)
    events = [renaming_log(log, *step) for step in plan]
    user = f"student{next(NUMBERS)}"
    lineage = Lineage(
        Rename(user, utc_time(e["time"]), e["data"]["from"], e["notebook"])
        for e in events
        if e["type"] == "notebook.rename"
    )
    relabelled = []
    for event in events:
        now = lineage.current(user, event["notebook"], utc_time(event["time"]))
        data = {"from": None} if event["type"] == "notebook.rename" else event["data"]
        # The same events again, under new ids, recorded by another student.
        relabelled.append({**event, "id": f"again-{event['id']}", "notebook": now, "data": data})
    stores.add(user, events)
    stores.add(f"{user}-again", relabelled)
    renamed = as_user(summarise([stores.own(user)]), "ana")
    expected = as_user(summarise([stores.own(f"{user}-again")]), "ana")
    assert renamed["students"] == expected["students"]
    assert renamed["series"] == expected["series"]


def as_user(summary: dict[str, Any], name: str) -> dict[str, Any]:
    """The summary of one student with their name replaced by `name`."""
    (student,) = summary["students"]
    text = json.dumps(summary).replace(json.dumps(student["user"]), json.dumps(name))
    return json.loads(text)


def test_the_active_time_follows_events_sent_after_a_summary(stores: Stores, log) -> None:
    # The class summary remembers each notebook's active time while its events
    # stay as many; a new event, or another idle threshold, counts it again.
    assert summary_of(stores, [log(t) for t in (0, 20, 50)])["students"][0]["active_seconds"] == 50
    again = summary_of(stores, [log(t) for t in (100, 500, 530)])
    assert again["students"][0]["active_seconds"] == 130  # 50 + 50, away 400 s, then 30
    relaxed = summarise([stores.own("ana")], options=Options(idle_seconds=1200))
    assert relaxed["students"][0]["active_seconds"] == 530
    assert (
        summary_of(stores, [log(250, notebook="lab2.ipynb")])["students"][0]["active_seconds"]
        == 130
    )
    ana = summary_of(stores, [log(560)])["students"][0]
    assert (ana["active_seconds"], ana["events"]) == (160, 8)


def test_a_store_without_the_hours_table_is_summarised_from_its_minutes(
    tmp_path: Path, log
) -> None:
    # A store file written by jelai before the `hours` table, read as it is
    # (read-only, as `jelai export --class-dir` reads a class folder).
    events = [log(t) for t in (0, 20, 50, 400, 430)]
    events += [log(30, type="chat.exchange"), log(60, type="tutor.hint")]
    path = store_of(tmp_path, "ana", events)
    before = summarise(class_sources(path.parent.parent))
    store = EventStore(path)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE hours")
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    store.close()
    after = summarise(class_sources(path.parent.parent))
    for summary in (before, after):
        summary.pop("generated")
    assert after == before
    assert after["students"][0]["active_seconds"] == 90
    assert (after["students"][0]["questions"], after["students"][0]["hints"]) == (1, 1)
