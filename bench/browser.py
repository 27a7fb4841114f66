"""3. What telemetry costs a student in the browser.

Two JupyterLab servers with jelai run side by side, one with
`--JelaiTelemetry.enabled=False`; Chromium (through playwright, see
browser_bench.js) has the same notebook open on both and takes turns
between them a fifth of the work at a time: typing into a cell, then
running cells. The figure is each phase's median over the rounds with
telemetry on against off.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from report import Row, at_most, failed, median
from servers import ROOT, Jupyter, fake_ollama, http_json, jelai_server

CHROMIUM = "/usr/bin/chromium"
SCRIPT = ROOT / "bench" / "browser_bench.js"
PLAYWRIGHT = ROOT / "ui-tests" / "node_modules" / "playwright"
BUDGET_S = 200  # after two rounds, no new round starts past this
LINE = "x = 12345\n"  # no brackets or quotes for the editor to auto-close


def lab_settings(folder: Path) -> Path:
    """User settings with the first-use notice read and JupyterLab's news off,
    so no dialog or toast takes the keyboard."""
    settings = folder / "lab-settings"
    files = {
        "jelai/data-notice.jupyterlab-settings": {"noticeAcknowledged": True},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
    }
    for name, value in files.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(value))
    return settings


def notebook(cells: int) -> dict:
    """An empty cell to type into, then `cells` short ones to run."""
    sources = [""] + [f"v{i} = {i} * 2" for i in range(cells)]
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "cells": [
            {
                "cell_type": "code",
                "id": f"cell-{i}",
                "metadata": {},
                "source": source,
                "outputs": [],
                "execution_count": None,
            }
            for i, source in enumerate(sources)
        ],
    }


def prepare(server: Jupyter, rounds: int, cells: int) -> None:
    for round_ in range(rounds):
        body = {"type": "notebook", "format": "json", "content": notebook(cells)}
        url = f"{server.url}/api/contents/bench-{round_}.ipynb"
        http_json(url, body, {**server.auth, "Content-Type": "application/json"}, "PUT")


def stored_executions(server: Jupyter, rounds: int) -> int:
    total = 0
    for round_ in range(rounds):
        url = f"{server.url}/jelai/events?notebook=bench-{round_}.ipynb&type=cell.execute"
        answer = http_json(url, headers=server.auth)
        total += len(answer["events"])  # type: ignore[index]
    return total


def run(folder: Path, quick: bool) -> list[Row]:
    name = "3. browser, telemetry on vs off"
    rounds, chars, cells = (2, 300, 10) if quick else (3, 2000, 50)
    if not Path(CHROMIUM).exists() or not PLAYWRIGHT.exists():
        return [failed(name, f"needs {CHROMIUM} and {PLAYWRIGHT.relative_to(ROOT)}")]
    settings = lab_settings(folder)
    fake = fake_ollama(folder / "browser", 0.02)
    servers: list[Jupyter] = []
    try:
        for label, extra in (("on", []), ("off", ["--JelaiTelemetry.enabled=False"])):
            options = [
                f"--LabApp.user_settings_dir={settings}",
                f"--LabApp.workspaces_dir={folder / f'workspaces-{label}'}",
                *extra,
            ]
            servers.append(jelai_server(folder, f"lab-{label}", fake.url, options, lab=True))
        for server in servers:
            prepare(server, rounds, cells)
        options = {
            "servers": [
                {"label": label, "url": server.url, "token": server.token}
                for label, server in zip(("on", "off"), servers)
            ],
            "rounds": rounds,
            "budgetMs": BUDGET_S * 1000,
            "text": (LINE * (chars // len(LINE) + 1))[:chars],
            "typeChunk": chars // 5,
            "cells": cells,
            "runChunk": cells // 5,
            "chromium": CHROMIUM,
        }
        done = subprocess.run(
            ["node", str(SCRIPT), json.dumps(options)],
            capture_output=True,
            text=True,
            timeout=900,
            cwd=ROOT,
        )
        lines = [x for x in done.stdout.splitlines() if x.startswith('{"benchmark"')]
        if not lines:
            why = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
            return [failed(name, f"browser_bench.js exited {done.returncode}: {why}")]
        results = json.loads(lines[-1])["results"]
        executions = [stored_executions(server, rounds) for server in servers]
    except (RuntimeError, OSError, subprocess.TimeoutExpired, ValueError, KeyError) as error:
        return [failed(name, f"{type(error).__name__}: {str(error)[:300]}")]
    finally:
        for server in servers:
            server.stop()
        fake.stop()
    return rows(results, executions, chars, cells)


def rows(
    results: dict[str, list[dict[str, float]]], executions: list[int], chars: int, cells: int
) -> list[Row]:
    on, off = results["on"], results["off"]
    rounds = min(len(on), len(off))
    posts_on = sum(r["posts"] for r in on)
    posts_off = sum(r["posts"] for r in off)
    round_on = median([r["roundBusy"] for r in on])
    round_off = median([r["roundBusy"] for r in off])
    check = (
        f"on: {posts_on} event posts, {executions[0]} executions stored; "
        f"off: {posts_off} posts, {executions[1]} stored; main thread busy over "
        f"a whole round {round_on:,.0f} ms on, {round_off:,.0f} ms off, "
        f"{round_on / round_off - 1:+.1%}"
    )
    out = []
    phases = (
        ("typing", f"typing {chars:,} characters into a cell"),
        ("running", f"running {cells} cells (Shift+Enter each)"),
    )
    for key, what in phases:
        with_, without = median([r[key] for r in on]), median([r[key] for r in off])
        busy_on = median([r[f"{key}Busy"] for r in on])
        busy_off = median([r[f"{key}Busy"] for r in off])
        slower = with_ / without - 1
        # The spread between rounds shows how much of the difference is noise.
        spread = ", ".join(f"{a[key] / b[key] - 1:+.0%}" for a, b in zip(on, off))
        out.append(
            Row(
                f"{name_prefix(rounds)} {what} (each round: {spread})",
                f"{with_:,.0f} ms telemetry on ({busy_on:,.0f} ms main thread busy)",
                f"{without:,.0f} ms telemetry off ({busy_off:,.0f} ms busy)",
                f"{slower:+.1%} (busy {busy_on / busy_off - 1:+.1%})",
                "<= 5% slower",
                at_most(slower * 100, 5, "%"),
            )
        )
    out[-1].benchmark += f" ({check})"
    return out


def name_prefix(rounds: int) -> str:
    return f"3. browser (Chromium, JupyterLab), median of {rounds} rounds:"
