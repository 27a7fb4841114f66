"""The data dictionary: the event schemas rendered as Markdown tables.

`docs/events.md` is this output; a test keeps the two the same, so the
researchers' documentation cannot drift from what the server validates.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from ..record.times import MAX_AHEAD, MAX_BEHIND

SCHEMAS = Path(__file__).parent.parent / "schemas"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """One schema file of `jelai/schemas`, parsed once."""
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def _type_name(spec: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in spec:
        target = defs.get(spec["$ref"].rsplit("/", 1)[-1], {})
        return _type_name(target, defs) if target else "object"
    if "const" in spec:
        return f"`{spec['const']}`"
    if "enum" in spec:
        return " / ".join("null" if v is None else f"`{v}`" for v in spec["enum"])
    if "oneOf" in spec:
        return " or ".join(_type_name(s, defs) for s in spec["oneOf"])
    kind = spec.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array" and "items" in spec:
        return f"array of {_type_name(spec['items'], defs)}"
    return str(kind)


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rows(schema: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    if "$ref" in schema and "properties" not in schema:
        schema = {**defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), **schema}
    required = set(schema.get("required", []))
    rows = []
    for name, spec in schema.get("properties", {}).items():
        ref = defs.get(spec.get("$ref", "").rsplit("/", 1)[-1], {})
        description = spec.get("description") or ref.get("description", "")
        values = [v for v in spec.get("oneOf", []) if "const" in v and "description" in v]
        if values:
            # Each value of a closed set says what it means.
            description += " " + "; ".join(f"`{v['const']}`: {v['description']}" for v in values)
        if spec.get("x-staff-only"):
            description = (
                "Staff only: left out of what a student reads back or downloads of their "
                "own events. " + description
            )
        mark = "yes" if name in required else ""
        rows.append(f"| `{name}` | {_type_name(spec, defs)} | {mark} | {_escape(description)} |")
    return rows


def render_markdown() -> str:
    """The whole data dictionary as one Markdown document."""
    envelope = load_schema("event.v1.json")
    types = load_schema("types.v1.json")
    defs = types.get("$defs", {})
    header = ["| field | type | required | meaning |", "| --- | --- | --- | --- |"]
    lines = [
        "# jelai events",
        "",
        "<!-- Generated from jelai/schemas by `python -m jelai.insight.datadict`; do not edit. -->",
        "",
        _escape(envelope["description"]),
        "",
        f"## The envelope (schema version {envelope['properties']['schema_version']['const']})",
        "",
        *header,
        *_rows(envelope, {}),
        "| `user` | string | (server) | Who did it: the JupyterHub user, else the account "
        "running the server. Set by the server, never by the browser. |",
        "| `received` | string | (server) | When the server stored it (ISO 8601, UTC). |",
        "| `client_time` | string | (server) | The browser's `time`, kept only when it lay more "
        f"than {MAX_AHEAD.seconds // 60} minutes after the server's clock or more than "
        f"{MAX_BEHIND.days} days before it; `time` is then the server's clock when the batch "
        "arrived. |",
        "",
        "## Event types",
        "",
        _escape(types["description"]),
    ]
    for name, spec in types["types"].items():
        about = _escape(spec.get("description", ""))
        if spec.get("x-recorded-by") == "server":
            about += (
                " Recorded by the server only; a batch from a browser that holds one is refused."
            )
        lines += ["", f"### `{name}`", "", about, ""]
        rows = _rows(spec, defs)
        lines += [*header, *rows] if rows else ["No `data` fields."]
    return "\n".join([*lines, *_EXPORTS]) + "\n"


# What the exports (jelai export, the dashboard's download) add to the events
# and how they write them; docs/export.md has the whole story.
_EXPORTS = [
    "",
    "## In the exports",
    "",
    "- Notebook paths are relative to the server root, as the contents manager names them: "
    "the `RTC:` prefix of notebooks opened in collaborative mode is taken off when an event "
    "arrives.",
    "- `notebook_current` (added by the export, after `notebook`): the path of the notebook "
    "the event belongs to now, following `notebook.rename` events (at most ten renames); "
    "`notebook` stays as recorded.",
    "- CSV: a text cell starting with `=`, `+`, `-`, `@`, a tab, a carriage return or NUL "
    "(which a spreadsheet would run as a formula) is written with an apostrophe in front; "
    "numbers stay numbers, and the JSON lines keep the text as recorded.",
    "- Pseudonymised exports replace `user`, home folders (`/home/<name>/`) and every user "
    "name of the export as a whole token, ignoring case, in every string; names under three "
    "characters only in notebook paths. Real names, other spellings and other identifying "
    "text are not found: see docs/export.md.",
]


if __name__ == "__main__":
    print(render_markdown(), end="")
