"""The assignment layer: which `TUTOR.md` applies to a notebook, and its endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.utils import url_path_join
from tornado.httpclient import HTTPClientError
from traitlets.config import Config

from jelai.config import JelaiTutor, tutor_course_config
from jelai.gateway.instructions import InstructionsPathError, find_tutor_md
from jelai.gateway.instructor_share import instructions_tokens
from jelai.server.tutor_handlers import TutorInstructionsHandler


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def found_at(root: Path, notebook: str) -> tuple[str, str] | None:
    """Path and text of the TUTOR.md found for a notebook, or None."""
    found = find_tutor_md(root, notebook)
    return None if found is None else (found.path, found.text)


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A server root with a course-wide TUTOR.md and one for week 1."""
    root = tmp_path / "root"
    write(root / "TUTOR.md", "course")
    write(root / "week1" / "TUTOR.md", "week 1")
    (root / "week1" / "lab" / "extra").mkdir(parents=True)
    return root


def test_the_nearest_tutor_md_wins(course: Path) -> None:
    found = find_tutor_md(course, "week1/lab/extra/nb.ipynb")
    assert found is not None
    assert (found.path, found.text, found.truncated) == ("week1/TUTOR.md", "week 1", False)
    write(course / "week1" / "lab" / "TUTOR.md", "lab")
    assert found_at(course, "week1/lab/nb.ipynb") == ("week1/lab/TUTOR.md", "lab")
    assert found_at(course, "./week1/nb.ipynb") == ("week1/TUTOR.md", "week 1")


def test_the_root_tutor_md_covers_the_rest(course: Path) -> None:
    assert found_at(course, "nb.ipynb") == ("TUTOR.md", "course")
    assert found_at(course, "week2/nb.ipynb") == ("TUTOR.md", "course")
    (course / "TUTOR.md").unlink()
    assert find_tutor_md(course, "week2/nb.ipynb") is None


@pytest.mark.parametrize(
    "notebook",
    [
        "",
        "../nb.ipynb",
        "week1/../../nb.ipynb",
        "/etc/nb.ipynb",
        "~/nb.ipynb",
        "C:/nb.ipynb",
        "week1\\..\\..\\nb.ipynb",
        "nb\0.ipynb",
        ".",
    ],
)
def test_paths_that_could_leave_the_root_are_refused(course: Path, notebook: str) -> None:
    with pytest.raises(InstructionsPathError):
        find_tutor_md(course, notebook)


def test_never_reads_above_the_root(tmp_path: Path) -> None:
    write(tmp_path / "TUTOR.md", "outside the root")
    root = tmp_path / "root"
    (root / "week1").mkdir(parents=True)
    assert find_tutor_md(root, "week1/nb.ipynb") is None


def test_symlinks_leading_outside_are_skipped(course: Path, tmp_path: Path) -> None:
    secret = write(tmp_path / "outside" / "TUTOR.md", "outside the root")
    (course / "week1" / "lab" / "TUTOR.md").symlink_to(secret)
    (course / "linked").symlink_to(secret.parent, target_is_directory=True)
    assert found_at(course, "week1/lab/nb.ipynb") == ("week1/TUTOR.md", "week 1")
    assert found_at(course, "linked/nb.ipynb") == ("TUTOR.md", "course")


def test_symlinks_inside_the_root_are_followed(course: Path) -> None:
    shared = write(course / "shared" / "common.md", "shared text")
    (course / "week2").mkdir()
    (course / "week2" / "TUTOR.md").symlink_to(shared)
    found = find_tutor_md(course, "week2/nb.ipynb")
    assert found is not None
    assert (found.path, found.text) == ("week2/TUTOR.md", "shared text")


def test_a_folder_named_tutor_md_is_not_read(course: Path) -> None:
    (course / "week1" / "lab" / "TUTOR.md").mkdir()
    assert found_at(course, "week1/lab/nb.ipynb") == ("week1/TUTOR.md", "week 1")


def test_long_files_are_cut_and_marked(course: Path) -> None:
    write(course / "week1" / "TUTOR.md", "é" * 100)
    found = find_tutor_md(course, "week1/nb.ipynb", max_bytes=51)
    assert found is not None
    assert found.truncated
    assert found.text == "é" * 25 + "\ufffd"


def test_course_defaults_fit_the_default_context() -> None:
    assert tutor_course_config(JelaiTutor()) == {
        "mode": "tutor",
        "max_code_lines": 6,
        "show_context": True,
        "context_budget_tokens": 6000,
        "context_window": 8192,
        "context_notes": [],
    }


# The endpoint, on a server whose root is `jp_root_dir`.


@pytest.fixture
def jp_server_config(jp_server_config: Config) -> Config:
    jp_server_config.JelaiTutor.mode = "assistant"
    jp_server_config.JelaiTutor.system_prompt = "Introduction to Python."
    jp_server_config.JelaiTutor.learning_objectives = ["Read tracebacks"]
    jp_server_config.JelaiTutor.show_context = False
    return jp_server_config


@pytest.fixture
def routed(jp_serverapp: Any) -> None:
    """Adds the route in case `jelai/routes.py` does not have it yet (a duplicate is harmless)."""
    web_app = jp_serverapp.web_app
    path = url_path_join(web_app.settings["base_url"], "jelai", "tutor", "instructions")
    web_app.add_handlers(".*$", [(path, TutorInstructionsHandler)])


async def test_the_endpoint_serves_the_settings_and_the_tutor_md_never_the_instructions(
    routed: None, jp_fetch: Any, jp_root_dir: Path, jp_serverapp: Any
) -> None:
    write(jp_root_dir / "demo" / "TUTOR.md", "---\nmode: tutor\nmax_code_lines: 3\n---\n# Ex 1\n")
    response = await jp_fetch(
        "jelai", "tutor", "instructions", params={"notebook": "demo/sub/exercise.ipynb"}
    )
    assert response.code == 200
    tutor = jp_serverapp.web_app.settings["jelai"].tutor
    assert json.loads(response.body) == {
        "course": {
            # The student's TUTOR.md tightens the course: tutor mode, 3 lines.
            "mode": "tutor",
            "max_code_lines": 3,
            "show_context": False,
            "context_budget_tokens": 6000,
            "context_window": 8192,
            "context_notes": [],
            # What the gateway's instructions take of the budget.
            "instructions_tokens": instructions_tokens(tutor, None),
        },
        "hidden_instructions": False,
        "hidden_assignment": None,
        "assignment": {
            "path": "demo/TUTOR.md",
            "text": "---\nmode: tutor\nmax_code_lines: 3\n---\n# Ex 1\n",
            "truncated": False,
        },
    }
    # The course's own instructions reach the model, not the page.
    assert "Introduction to Python" not in response.body.decode()
    assert "Read tracebacks" not in response.body.decode()


async def test_the_endpoint_says_when_there_is_no_tutor_md(routed: None, jp_fetch: Any) -> None:
    response = await jp_fetch("jelai", "tutor", "instructions", params={"notebook": "nb.ipynb"})
    assert json.loads(response.body)["assignment"] == {
        "path": None,
        "text": None,
        "truncated": False,
    }


@pytest.mark.parametrize("params", [{"notebook": "../nb.ipynb"}, {"notebook": "/etc/x"}, {}])
async def test_the_endpoint_refuses_paths_outside_the_root(
    routed: None, jp_fetch: Any, params: dict[str, str]
) -> None:
    with pytest.raises(HTTPClientError) as raised:
        await jp_fetch("jelai", "tutor", "instructions", params=params)
    assert raised.value.code == 400
    assert raised.value.response is not None
    assert json.loads(raised.value.response.body)["field"] == "notebook"


async def test_the_endpoint_needs_a_logged_in_user(routed: None, jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as raised:
        await jp_fetch(
            "jelai",
            "tutor",
            "instructions",
            params={"notebook": "nb.ipynb"},
            headers={"Authorization": ""},
        )
    assert raised.value.code == 403
