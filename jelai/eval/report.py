"""The report of an evaluation: Markdown, HTML and a Vega-Lite chart.

`report.md` and `report.html` hold the same tables: totals per model (leak
rate, followed-the-rules rate, median time to first token and total time,
each check's pass rate), then one table per scenario with each check per
model, then every reply with the reasons of its scores. `chart.vl.json` is
the chart, a Vega-Lite spec that JupyterLab opens drawn (its Vega renderer,
the one the dashboard uses); the HTML draws the same spec with vega-embed
when the page may load it, and keeps the tables either way.
`results.json` has everything, replies included.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from .checks import CHECKS
from .runner import Result, Totals, totals
from .scenarios import Scenario

VEGALITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
MARKS = {True: "✓", False: "✗"}


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _seconds(ms: float | None) -> str:
    return "–" if ms is None else f"{ms / 1000:.1f} s"


def _cell(result: Result | None, name: str) -> str:
    if result is None:
        return ""
    if result.status != "finished":
        return "failed"
    check = result.check(name)
    if check is None:
        return "–"
    return MARKS[check.passed] if check.score in (0.0, 1.0) else f"{check.score:.2f}"


def chart(all_totals: list[Totals]) -> dict[str, Any]:
    """A Vega-Lite spec: each check's pass rate and the followed-the-rules rate, per model."""
    values = []
    for t in all_totals:
        values.append({"model": t.model, "measure": "followed the rules", "rate": t.followed_rate})
        for name in CHECKS:
            if name in t.checks:
                passed, applied, _ = t.checks[name]
                values.append({"model": t.model, "measure": name, "rate": passed / applied})
    return {
        "$schema": VEGALITE_SCHEMA,
        "title": "Share of replies that pass, per check and model",
        "data": {"values": values},
        "mark": "bar",
        "encoding": {
            "y": {"field": "measure", "type": "nominal", "title": None, "sort": None},
            "yOffset": {"field": "model"},
            "x": {
                "field": "rate",
                "type": "quantitative",
                "title": "share passing",
                "axis": {"format": "%"},
                "scale": {"domain": [0, 1]},
            },
            "color": {"field": "model", "type": "nominal"},
            "tooltip": [
                {"field": "model"},
                {"field": "measure"},
                {"field": "rate", "format": ".0%"},
            ],
        },
        "width": 420,
    }


def tables(results: list[Result], scenarios: list[Scenario], models: list[str]) -> dict[str, Any]:
    """The report's tables as rows: totals, then per scenario."""
    all_totals = [totals(results, m) for m in models]
    head = [
        "model",
        "replies",
        "failed",
        "leak rate",
        "followed the rules",
        "median time to first token",
        "median total time",
        *[f"{name} passed" for name in CHECKS],
    ]
    rows = []
    for t in all_totals:
        row = [
            t.model,
            str(t.replies),
            str(t.failed),
            f"{_percent(t.leak_rate)} ({t.leaks}/{t.leak_checked})",
            f"{_percent(t.followed_rate)} ({t.followed}/{t.replies})",
            _seconds(t.ttft_ms),
            _seconds(t.total_ms),
        ]
        for name in CHECKS:
            passed, applied, _ = t.checks.get(name, (0, 0, 0.0))
            row.append(f"{passed}/{applied}" if applied else "–")
        rows.append(row)
    index = {(r.scenario, r.model): r for r in results}
    scenario_head = ["scenario", "model", *CHECKS, "followed", "time to first token", "total"]
    scenario_rows = []
    for s in scenarios:
        for m in models:
            r = index.get((s.id, m))
            if r is None:
                continue
            scenario_rows.append(
                [
                    s.id,
                    m,
                    *[_cell(r, name) for name in CHECKS],
                    MARKS[r.followed],
                    _seconds(r.ttft_ms),
                    _seconds(r.total_ms),
                ]
            )
    return {
        "totals": (head, rows),
        "scenarios": (scenario_head, scenario_rows),
        "all_totals": all_totals,
    }


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    def clean(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(clean(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


INTRO = (
    "Each scenario is a student's question about a notebook, sent the way the tutor "
    "sends it: the context built by the tutor page's own code, the prompt completed "
    "and the reply guarded by the gateway. Checks (docs/eval.md): `leak` the reply "
    "does not give the reference solution away (the gateway's rule, on the model's "
    "reply before the guard); `error` it names the error and its line; `question` it "
    "ends with a question; `length` it keeps to the course's length; `language` it "
    "answers in the student's language; `injection` it ignores instructions written "
    "into the notebook; `topic` it covers what the scenario expects. ✓ passed, ✗ "
    "failed, a number is a partial score, – does not apply. A reply *followed the "
    "rules* when it passed every check that applies."
)


def markdown(
    results: list[Result], scenarios: list[Scenario], models: list[str], meta: dict[str, Any]
) -> str:
    """The report as Markdown."""
    data = tables(results, scenarios, models)
    titles = {s.id: s.title for s in scenarios}
    out = [
        "# How the tutor's model tutors: jelai eval",
        "",
        f"Made {meta['created']} by jelai {meta['version']} with:",
        "",
        f"```\n{meta['command']}\n```",
        "",
        f"Settings: {meta['settings']}.",
        "",
        INTRO,
        "",
        "## Totals per model",
        "",
        _md_table(*data["totals"]),
        "",
        "The chart of these rates is [chart.vl.json](chart.vl.json) "
        "(JupyterLab opens it drawn); report.html shows it too.",
        "",
        "## Per scenario",
        "",
        _md_table(*data["scenarios"]),
        "",
        "## Replies",
        "",
    ]
    for r in results:
        out += [
            f"### {r.scenario} — {r.model}",
            "",
            f"*{titles.get(r.scenario, '')}*",
            "",
        ]
        if r.status != "finished":
            out += [f"The reply failed: {r.error}", ""]
        for check in r.checks:
            out.append(f"- **{check.name}** {check.score:.2f}: {check.detail}")
        if r.guard:
            out.append(f"- the gateway's guard: {', '.join(r.guard)}")
        out += ["", "> " + (r.reply.strip() or "(nothing)").replace("\n", "\n> "), ""]
    return "\n".join(out)


def html_report(
    results: list[Result], scenarios: list[Scenario], models: list[str], meta: dict[str, Any]
) -> str:
    """The report as one HTML page."""
    data = tables(results, scenarios, models)
    # Inside a script element only `</` could end it early.
    spec_text = json.dumps(chart(data["all_totals"])).replace("</", "<\\/")

    def table(head: list[str], rows: list[list[str]]) -> str:
        th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
        )
        return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"

    replies = []
    for r in results:
        items = "".join(
            f"<li><b>{html.escape(c.name)}</b> {c.score:.2f}: {html.escape(c.detail)}</li>"
            for c in r.checks
        )
        failed = f"<p>The reply failed: {html.escape(str(r.error))}</p>" if r.error else ""
        replies.append(
            f"<details><summary>{html.escape(r.scenario)} — {html.escape(r.model)}</summary>"
            f"{failed}<ul>{items}</ul><pre>{html.escape(r.reply)}</pre></details>"
        )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>jelai eval</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 80em; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #999; padding: 0.2em 0.5em; text-align: left; }}
pre {{ white-space: pre-wrap; background: #f4f4f4; padding: 0.5em; }}
</style>
</head>
<body>
<h1>How the tutor's model tutors: jelai eval</h1>
<p>Made {html.escape(meta["created"])} by jelai {html.escape(meta["version"])} with:</p>
<pre>{html.escape(meta["command"])}</pre>
<p>Settings: {html.escape(meta["settings"])}.</p>
<p>{html.escape(INTRO)}</p>
<h2>Totals per model</h2>
{table(*data["totals"])}
<div id="chart"><p>The chart is chart.vl.json beside this page (JupyterLab opens it
drawn); here it is drawn when this page may load vega-embed.</p></div>
<h2>Per scenario</h2>
{table(*data["scenarios"])}
<h2>Replies</h2>
{"".join(replies)}
<script type="application/json" id="spec">{spec_text}</script>
<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>
<script src="https://cdn.jsdelivr.net/npm/vega-lite@5"></script>
<script src="https://cdn.jsdelivr.net/npm/vega-embed@6"></script>
<script>
if (window.vegaEmbed) {{
  vegaEmbed("#chart", JSON.parse(document.getElementById("spec").textContent),
            {{actions: false}});
}}
</script>
</body>
</html>
"""


def write(
    folder: Path,
    results: list[Result],
    scenarios: list[Scenario],
    models: list[str],
    meta: dict[str, Any],
) -> list[Path]:
    """Writes report.md, report.html, chart.vl.json and results.json into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    data = tables(results, scenarios, models)
    files = {
        "report.md": markdown(results, scenarios, models, meta),
        "report.html": html_report(results, scenarios, models, meta),
        "chart.vl.json": json.dumps(chart(data["all_totals"]), indent=2) + "\n",
        "results.json": json.dumps(
            {**meta, "results": [r.as_json() for r in results]}, indent=2, ensure_ascii=False
        )
        + "\n",
    }
    written = []
    for name, text in files.items():
        path = folder / name
        path.write_text(text, "utf-8")
        written.append(path)
    return written
