"""The researchers' event documentation matches the schemas the server uses."""

from pathlib import Path

from jelai.insight.datadict import load_schema, render_markdown

DOCS = Path(__file__).parent.parent / "docs" / "events.md"


def test_docs_are_generated_from_the_schemas() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_markdown(), (
        "docs/events.md is stale: run `python -m jelai.insight.datadict > docs/events.md`"
    )


def test_every_known_type_and_field_is_documented() -> None:
    text = render_markdown()
    for name, spec in load_schema("types.v1.json")["types"].items():
        assert f"### `{name}`" in text
        for field in spec.get("properties", {}):
            assert f"| `{field}` |" in text


def test_each_execution_outcome_is_documented() -> None:
    text = render_markdown()
    row = next(line for line in text.splitlines() if line.startswith("| `outcome` |"))
    for outcome in ("ok", "error", "interrupted", "aborted", "no_reply"):
        assert f"`{outcome}`: " in row, outcome
