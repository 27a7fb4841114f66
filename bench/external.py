"""4., 6. and 8. The benchmarks that have their own scripts, run as they are.

`context_bench.js` (the tutor's context builder) prints a JSON line;
`analytics_bench.py` (the class summary) prints text, read here line by line.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from report import Row, at_most, failed
from servers import ROOT

sys.path.insert(0, str(ROOT))

from tests.postgres import Missing, PostgresServer  # noqa: E402

TIMEOUT = 600
BUILD_TIMEOUT = 1800  # building 4,000,000 events into one database on a busy machine


def context(quick: bool) -> list[Row]:
    name = "4. context build (node bench/context_bench.js)"
    runs = "50" if quick else "200"
    try:
        done = subprocess.run(
            ["node", str(ROOT / "bench" / "context_bench.js"), runs],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            cwd=ROOT,
        )
        line = [x for x in done.stdout.splitlines() if x.startswith('{"benchmark"')][-1]
        figures = json.loads(line)
    except (OSError, subprocess.TimeoutExpired, IndexError, ValueError) as error:
        return [failed(name, f"{type(error).__name__}: {error}")]
    build, baseline = figures["build_ms"], figures["baseline_ms"]
    return [
        Row(
            f"{name}: {figures['cells']} cells, {figures['events']:,} events, "
            f"{figures['runs']} runs",
            f"{build['median']:.2f} ms median, {build['p95']:.2f} ms p95",
            f"{baseline['median']:.2f} ms median JSON.stringify of the same events",
            f"{build['median'] / baseline['median']:.2f}x",
            "< 10 ms per build (median)",
            at_most(build["median"], 10, "ms"),
        )
    ]


def analytics(quick: bool) -> list[Row]:
    students, per_student = _class_size(quick)
    name = "6. class summary (bench/analytics_bench.py)"
    try:
        out = _summarise(students, per_student)
        summary = float(_find(r"class summary:\s+([\d.]+) s", out))
        scan = float(_find(r"reference[^:\n]*:\s+([\d.]+) s", out))
        events = _find(r"students, ([\d,]+) events", out)
    except (OSError, RuntimeError, subprocess.TimeoutExpired, LookupError, ValueError) as error:
        return [failed(name, f"{type(error).__name__}: {error}")]
    return [
        Row(
            f"{name}: {students} students x {per_student:,} events ({events} in all)",
            f"{summary:.3f} s",
            f"{scan:.3f} s count(*) and max(time) over every store",
            f"{summary / scan:.1f}x",
            "< 2 s for 200 x 20,000 (issue 5)",
            _judged(quick, at_most(summary, 2, "s")),
        )
    ]


def course_store(folder: Path, quick: bool) -> list[Row]:
    """The class summary the course service answers (`analytics/class`), from its one
    store: the same class built on PostgreSQL and, as the reference, on SQLite."""
    students, per_student = _class_size(quick)
    name = "9. class summary from the course store on PostgreSQL (analytics_bench.py --store-url)"
    try:
        server = PostgresServer()
    except Missing as error:
        return [failed(name, str(error))]
    try:
        server.start()
        sqlite_url = f"sqlite:///{folder / 'course-store' / 'events.sqlite3'}"
        outputs = [
            _summarise(students, per_student, url) for url in (server.new_database(), sqlite_url)
        ]
        times = [float(_find(r"class summary:\s+([\d.]+) s", output)) for output in outputs]
        first = float(_find(r"class summary, first of the process:\s+([\d.]+) s", outputs[0]))
    except (Missing, OSError, RuntimeError, subprocess.TimeoutExpired, LookupError) as error:
        return [failed(name, f"{type(error).__name__}: {error}")]
    finally:
        server.stop()
        shutil.rmtree(folder / "course-store", ignore_errors=True)
    postgres, sqlite = times
    return [
        Row(
            f"{name}: {students} students x {per_student:,} events in one database"
            f" (the first summary of the process, with no active time remembered: {first:.3f} s)",
            f"{postgres:.3f} s",
            f"{sqlite:.3f} s the same class in one SQLite store (the service's default)",
            f"{postgres / sqlite:.2f}x",
            "< 0.5 s for 200 x 20,000: well under a second (issue 11)",
            _judged(quick, at_most(postgres, 0.5, "s")),
        )
    ]


def _class_size(quick: bool) -> tuple[int, int]:
    return (20, 1_000) if quick else (200, 20_000)


def _judged(quick: bool, verdict: str) -> str:
    return "not judged: run at a smaller size to keep the bench short" if quick else verdict


def _summarise(students: int, per_student: int, store_url: str | None = None) -> str:
    """analytics_bench.py's output for a class of this size (in one database at `store_url`)."""
    argv = [sys.executable, str(ROOT / "bench" / "analytics_bench.py")]
    argv += ["--students", str(students), "--events", str(per_student)]
    if store_url is not None:
        argv += ["--store-url", store_url]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=BUILD_TIMEOUT, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-300:])
    return done.stdout


def _find(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    if found is None:
        raise LookupError(f"no {pattern!r} in the script's output")
    return found.group(1)
