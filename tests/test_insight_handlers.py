"""Who sees what: a student sees their own data only; an instructor sees the class."""

from __future__ import annotations

import csv
import getpass
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.utils import url_path_join
from tornado.httpclient import HTTPClientError
from traitlets.config import Config

from jelai.config import Jelai
from jelai.insight.pseudonyms import Pseudonymiser, load_key
from jelai.insight.sources import dir_user_name
from jelai.server.identity import hub_groups, is_instructor
from jelai.server.insight_handlers import AnalyticsHandler, ClassAnalyticsHandler, ExportHandler
from jelai.store import EventStore
from tests.spreadsheet import assert_no_formulas, formula_events

EventFactory = Callable[..., dict[str, Any]]
Fetch = Callable[..., Any]
ME = getpass.getuser()  # the user of a server outside JupyterHub


@pytest.fixture
def instructor() -> bool:
    """Whether the server's user is named an instructor (parametrize to change)."""
    return False


@pytest.fixture
def jp_server_config(jp_server_config: Config, instructor: bool) -> Config:
    jp_server_config.Jelai.instructors = [ME] if instructor else ["teacher"]
    return jp_server_config


@pytest.fixture
def classmates(jp_serverapp: Any, make_event: EventFactory) -> EventStore:
    """ana's and bob's events in the server's own store, beside its user's."""
    store = jp_serverapp.web_app.settings["jelai"].store
    for user, count in (("ana", 2), ("bob", 3)):
        store.add(user, [make_event(notebook=f"{user}-lab.ipynb") for _ in range(count)])
    return store


def has_handler(router: Any, handler: type) -> bool:
    return any(
        rule.target is handler or has_handler(rule.target, handler)
        for rule in getattr(router, "rules", [])
    )


@pytest.fixture
def routed(jp_serverapp: Any) -> None:
    """The insight routes, added here until routes.py has them."""
    web_app = jp_serverapp.web_app
    base = web_app.settings["base_url"]
    if has_handler(web_app.default_router, AnalyticsHandler):
        return
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "jelai", "analytics"), AnalyticsHandler),
            (url_path_join(base, "jelai", "analytics", "class"), ClassAnalyticsHandler),
            (url_path_join(base, "jelai", "export"), ExportHandler),
        ],
    )


@pytest.fixture
def my_events(jp_serverapp: Any, make_event: EventFactory) -> list[dict[str, Any]]:
    """Events of this server's own user in its own store, and one of someone else's."""
    store = jp_serverapp.web_app.settings["jelai"].store
    mine = [
        make_event(),
        make_event(data={"success": False, "error": {"name": "KeyError", "value": "'x'"}}),
        make_event("chat.exchange", cell=None, data={"model": "m", "messages": [], "reply": "r"}),
    ]
    store.add(ME, mine)
    store.add("mallory", [make_event()])
    return mine


async def get_json(jp_fetch: Fetch, *parts: str, **params: str) -> dict[str, Any]:
    response = await jp_fetch("jelai", *parts, params=params)
    return json.loads(response.body)


async def refused(jp_fetch: Fetch, *parts: str, **params: str) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("jelai", *parts, params=params)
    assert info.value.response is not None
    return info.value.code, json.loads(info.value.response.body)


@pytest.mark.usefixtures("routed", "my_events")
async def test_a_student_sees_their_own_summary(jp_fetch: Fetch) -> None:
    summary = await get_json(jp_fetch, "analytics")
    assert summary["user"] == ME and summary["instructor"] is False
    assert [s["user"] for s in summary["students"]] == [ME]
    me = summary["students"][0]
    assert (me["events"], me["executions"], me["failures"], me["questions"]) == (3, 2, 1, 1)
    assert summary["series"]["activity"][0]["events"] == 3


@pytest.mark.usefixtures("routed", "my_events", "classmates")
async def test_a_student_cannot_see_the_class_or_anyone_else(jp_fetch: Fetch) -> None:
    code, body = await refused(jp_fetch, "analytics", "class")
    assert code == 403 and "instructors" in body["error"]
    code, body = await refused(jp_fetch, "analytics", user="ana")
    assert (code, body["field"]) == (403, "user")
    code, _ = await refused(jp_fetch, "export", user="ana")
    assert code == 403
    own = await get_json(jp_fetch, "analytics", user=ME)
    assert [s["user"] for s in own["students"]] == [ME]


@pytest.mark.usefixtures("routed", "my_events", "classmates")
async def test_a_students_export_holds_only_their_events(jp_fetch: Fetch) -> None:
    response = await jp_fetch("jelai", "export", params={"format": "jsonl"})
    assert response.headers["Content-Type"].startswith("application/x-ndjson")
    assert "attachment" in response.headers["Content-Disposition"]
    events = [json.loads(line) for line in response.body.decode().splitlines()]
    assert [e["user"] for e in events] == [ME] * 3
    response = await jp_fetch("jelai", "export", params={"format": "csv", "pseudonymise": "1"})
    rows = list(csv.DictReader(io.StringIO(response.body.decode())))
    assert len(rows) == 3 and rows[1]["data.success"] == "false"
    assert {row["user"] for row in rows} != {ME} and rows[0]["user"].startswith("p-")
    code, body = await refused(jp_fetch, "export", since="last week")
    assert (code, body["field"]) == (400, "since")


@pytest.mark.usefixtures("routed")
async def test_the_csv_download_runs_no_formulas(
    jp_fetch: Fetch, jp_serverapp: Any, make_event: EventFactory
) -> None:
    jp_serverapp.web_app.settings["jelai"].store.add(ME, formula_events(make_event))
    for pseudonymise in ("0", "1"):
        params = {"format": "csv", "pseudonymise": pseudonymise}
        response = await jp_fetch("jelai", "export", params=params)
        assert_no_formulas(list(csv.reader(io.StringIO(response.body.decode()))))


def names_in(text: str, *names: str) -> list[str]:
    """The names found in the text as whole tokens, ignoring case."""
    found = []
    for name in names:
        if re.search(rf"(?<![^\W_]){re.escape(name)}(?![^\W_])", text, re.IGNORECASE):
            found.append(name)
    return found


@pytest.mark.usefixtures("routed")
async def test_a_pseudonymised_download_carries_no_name(
    jp_fetch: Fetch, jp_serverapp: Any, make_event: EventFactory
) -> None:
    data = {
        "success": True,
        "source": f"print('{ME.upper()}')",
        "outputs": [{"output_type": "stream", "text": f"/home/{ME}/lab1_{ME}.ipynb\n"}],
    }
    jp_serverapp.web_app.settings["jelai"].store.add(
        ME, [make_event(notebook=f"week1/lab1_{ME}.ipynb", data=data)]
    )
    for kind in ("jsonl", "csv"):
        params = {"format": kind, "pseudonymise": "1"}
        body = (await jp_fetch("jelai", "export", params=params)).body.decode()
        assert ME not in body
        assert names_in(body, ME) == []


@pytest.mark.parametrize("instructor", [False, True])
@pytest.mark.usefixtures("routed", "my_events")
async def test_only_staff_downloads_carry_the_research_pseudonym(
    jp_fetch: Fetch, jp_serverapp: Any, instructor: bool
) -> None:
    params = {"format": "jsonl", "pseudonymise": "1", "user": ME}
    names = []
    for _ in range(2):
        body = (await jp_fetch("jelai", "export", params=params)).body.decode()
        names.append({json.loads(line)["user"] for line in body.splitlines()})
    key = Path(jp_serverapp.web_app.settings["jelai"].config.data_dir) / "export.key"
    if instructor:
        research = Pseudonymiser(load_key(key)).name(ME)
        assert names == [{research}, {research}]
    else:
        # A key of each download's own: not the research one, never made for it.
        assert not key.exists()
        assert names[0] != names[1] and all(len(n) == 1 for n in names)


@pytest.mark.parametrize("instructor", [True])
@pytest.mark.usefixtures("routed")
async def test_a_pseudonymised_class_download_replaces_classmates_names(
    jp_fetch: Fetch, classmates: EventStore, make_event: EventFactory
) -> None:
    chat = {"model": "m", "messages": [], "reply": f"Ask Bob, not {ME}.", "status": "finished"}
    classmates.add("ana", [make_event("chat.exchange", cell=None, data=chat)])
    params = {"format": "jsonl", "pseudonymise": "1", "user": "ana"}
    body = (await jp_fetch("jelai", "export", params=params)).body.decode()
    assert names_in(body, "ana", "bob", ME) == []


@pytest.mark.parametrize("instructor", [True])
@pytest.mark.usefixtures("routed", "my_events", "classmates")
async def test_an_instructor_sees_everyone_in_the_store(jp_fetch: Fetch) -> None:
    summary = await get_json(jp_fetch, "analytics", "class")
    assert summary["instructor"] is True
    # The instructor's own rows are not a student's, in the table or the plots.
    students = [(s["user"], s["events"]) for s in summary["students"]]
    assert students == [("ana", 2), ("bob", 3), ("mallory", 1)]
    assert sum(point["events"] for point in summary["series"]["activity"]) == 6
    one = await get_json(jp_fetch, "analytics", user="bob")
    assert [s["user"] for s in one["students"]] == ["bob"]
    nobody = await get_json(jp_fetch, "analytics", user="zed")
    assert nobody["students"] == []
    response = await jp_fetch("jelai", "export", params={"format": "jsonl"})
    users = [json.loads(line)["user"] for line in response.body.decode().splitlines()]
    assert users == sorted(["ana"] * 2 + ["bob"] * 3 + ["mallory"] + [ME] * 3)
    code, body = await refused(jp_fetch, "analytics", "class", bucket="90")
    assert (code, body["field"]) == (400, "bucket")


def test_instructors_by_name_or_hub_group() -> None:
    class HubUser:
        hub_user = {"name": "tom", "groups": ["teachers", "staff"]}

    assert hub_groups(HubUser()) == {"teachers", "staff"}
    assert hub_groups({"name": "tom", "groups": ["ta"]}) == {"ta"}
    assert hub_groups(object()) == set()
    assert is_instructor("tom", hub_groups(HubUser()), [], ["teachers"])
    assert is_instructor("ann", set(), ["ann"], [])
    assert not is_instructor("ana", {"students"}, ["ann"], ["teachers"])


def test_each_student_gets_a_folder_of_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config({"Jelai": {"data_dir": "/srv/jelai/{username}"}})
    monkeypatch.setenv("JUPYTERHUB_USER", "ana")
    jelai = Jelai(config=config)
    assert jelai.data_dir == "/srv/jelai/ana"
    # A hub name is one folder, never a way out of the class folder.
    for name in ("a/../../b", "..", "x@y.org"):
        monkeypatch.setenv("JUPYTERHUB_USER", name)
        folder = Path(Jelai(config=config).data_dir).name
        assert Path(Jelai(config=config).data_dir).parent == Path("/srv/jelai")
        assert folder not in (".", "..") and dir_user_name(folder) == name
