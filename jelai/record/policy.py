"""The instructor's recording policy, applied to each event before it is stored.

`apply_policy` drops the types the instructor does not record and trims
what they keep: no source, outputs or clipboard text when switched off, the
first and last outputs of a run (`keep_outputs`), the beginning and end of
a long text (`keep_ends`), with `truncated` naming what was cut. The
browser applies the same policy before sending (src/telemetry/events.ts);
the server applies it again so an old or modified client cannot record
more. Nothing here knows about tornado.
"""

from __future__ import annotations

from typing import Any, Protocol

from .events import field_path


class TelemetryPolicy(Protocol):
    """What `apply_policy` reads: the fields of `JelaiTelemetry`."""

    enabled: bool
    event_types: list[str] | None
    log_source: bool
    log_outputs: bool
    log_clipboard: bool
    max_text_length: int
    max_outputs: int


# Fewest characters kept around the marker for a cut text to keep both ends;
# the browser's `MIN_KEPT_ENDS` (src/telemetry/events.ts) is the same.
MIN_KEPT_ENDS = 20
# The `output_type` of the mark left where outputs were omitted.
OMITTED_OUTPUTS = "omitted"


def _marker(omitted: int) -> str:
    return f"\n[... {omitted} characters omitted ...]\n"


def keep_ends(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters keeping its beginning and its end,
    with `[... N characters omitted ...]` on a line of its own between them.

    The end of an output or a traceback (the last line printed, the exception)
    matters most. When fewer than `MIN_KEPT_ENDS` characters would be kept
    around the marker, only the beginning is kept. The browser applies the same
    rule, counting UTF-16 units, so its result is never cut again here.
    """
    if len(text) <= limit:
        return text
    # The marker for the whole text is the longest one this cut can need.
    room = limit - len(_marker(len(text)))
    if room < MIN_KEPT_ENDS:
        return text[:limit]
    head = room // 2
    start = len(text) - (room - head)
    return text[:head] + _marker(start - head) + text[start:]


def _is_mark(output: Any) -> bool:
    return isinstance(output, dict) and output.get("output_type") == OMITTED_OUTPUTS


def keep_outputs(outputs: list[Any], limit: int) -> list[Any]:
    """At most `limit` outputs: the first and the last ones, with one mark
    `{"output_type": "omitted", "omitted": N}` where N were left out.

    `outputs` itself is returned when it holds no more than `limit` (marks are
    not counted); marks already there are added up into the new one, so a
    client's cut outputs are never cut again.
    """
    real = [output for output in outputs if not _is_mark(output)]
    limit = max(limit, 0)
    if len(real) <= limit:
        return outputs
    earlier = sum(
        n
        for n in (output.get("omitted") for output in outputs if _is_mark(output))
        if isinstance(n, int) and not isinstance(n, bool) and n > 0
    )
    head = limit // 2
    mark = {"output_type": OMITTED_OUTPUTS, "omitted": len(real) - limit + earlier}
    return [*real[:head], mark, *real[len(real) - (limit - head) :]]


def _cut(value: Any, limit: int, path: tuple[str | int, ...], cut: list[str]) -> Any:
    """A copy of `value` with every string longer than `limit` cut (`keep_ends`),
    their paths added to `cut` (a path is only spelled out for what is cut)."""
    if isinstance(value, str):
        if len(value) > limit:
            cut.append(field_path(path))
            return keep_ends(value, limit)
        return value
    if isinstance(value, list):
        return [_cut(item, limit, (*path, i), cut) for i, item in enumerate(value)]
    if _is_mark(value):
        # The mark of omitted outputs is the policy's own: kept whole, and
        # nothing else rides along in it.
        omitted = value.get("omitted")
        mark: dict[str, Any] = {"output_type": OMITTED_OUTPUTS}
        if isinstance(omitted, int) and not isinstance(omitted, bool):
            mark["omitted"] = omitted
        return mark
    if isinstance(value, dict):
        return {
            key: item if key == "truncated" else _cut(item, limit, (*path, key), cut)
            for key, item in value.items()
        }
    return value


def apply_policy(event: dict[str, Any], telemetry: TelemetryPolicy) -> dict[str, Any] | None:
    """The event as the instructor's policy allows it to be stored, or None to drop it.

    The browser applies the same policy; applying it again here means an old
    or modified client cannot record more than the instructor allows. A run
    keeps its first and last outputs (`keep_outputs`) and every text its
    beginning and end (`keep_ends`); `truncated` names what was cut.
    """
    if not telemetry.enabled:
        return None
    if telemetry.event_types is not None and event["type"] not in telemetry.event_types:
        return None
    # The envelope is copied shallowly and `data` rebuilt by `_cut`, so the
    # posted event is never changed (and no deep copy is paid per event).
    result = dict(event)
    data: dict[str, Any] = dict(result["data"])
    kind = result["type"]
    if not telemetry.log_source and kind.startswith("cell."):
        data.pop("source", None)
    if not telemetry.log_clipboard and kind.startswith("clipboard."):
        data.pop("text", None)
    cut: list[str] = []
    if kind == "cell.execute":
        if not telemetry.log_outputs:
            data.pop("outputs", None)
        elif isinstance(data.get("outputs"), list):
            kept = keep_outputs(data["outputs"], telemetry.max_outputs)
            if kept is not data["outputs"]:
                data["outputs"] = kept
                cut.append("outputs")
    result["data"] = data = _cut(data, max(telemetry.max_text_length, 0), (), cut)
    if cut:
        already = data.get("truncated")
        names = list(already) if isinstance(already, list) else []
        data["truncated"] = names + [name for name in cut if name not in names]
    return result
