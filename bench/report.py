"""Rows of the results table, the statistics behind them, and the Markdown."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Row:
    """One line of the table: a figure beside its same-run reference."""

    benchmark: str
    jelai: str
    reference: str
    ratio: str
    target: str
    result: str  # "met", "MISSED by ...", or why there is no verdict


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank, as the targets are stated."""
    ordered = sorted(values)
    rank = math.ceil(q / 100 * len(ordered))
    return ordered[max(0, min(len(ordered), rank) - 1)]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def at_most(value: float, limit: float, unit: str) -> str:
    """Verdict for an upper bound: met, or missed by how much."""
    if value <= limit:
        return "met"
    return f"MISSED by {value - limit:.2f} {unit}".rstrip()


def at_least(value: float, limit: float, unit: str) -> str:
    """Verdict for a lower bound: met, or missed by how much."""
    if value >= limit:
        return "met"
    return f"MISSED by {limit - value:.1f}{unit} ({value / limit:.0%} of target)"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def failed(benchmark: str, why: str) -> Row:
    """A benchmark that could not run: the table says so instead of a figure."""
    return Row(benchmark, "not measured", "", "", "", f"NOT RUN: {why}")


def markdown(rows: Sequence[Row]) -> str:
    head = ["benchmark", "jelai", "reference (same run)", "ratio", "target", "result"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for row in rows:
        cells = [row.benchmark, row.jelai, row.reference, row.ratio, row.target, row.result]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def plain(rows: Sequence[Row]) -> str:
    """The same table for a terminal: one block per row, nothing cut off."""
    out = []
    for row in rows:
        out.append(f"{row.benchmark}\n    jelai: {row.jelai}")
        if row.reference:
            out.append(f"    reference: {row.reference}")
        if row.ratio:
            out.append(f"    ratio: {row.ratio}")
        if row.target:
            out.append(f"    target: {row.target}")
        out.append(f"    -> {row.result}")
    return "\n".join(out)
