"""`jelai`'s own help: every command a user reads about in the README is listed."""

from __future__ import annotations

import pytest

from jelai.cli import main


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--help"])
    assert stopped.value.code == 0
    listed = capsys.readouterr().out
    for command in ("export", "eval", "service"):
        assert f"    {command} " in listed


def test_service_help_is_the_services_own(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["service", "--help"])
    assert stopped.value.code == 0
    assert "The jelai JupyterHub service" in capsys.readouterr().out
