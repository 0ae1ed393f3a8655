"""build/index.html: every built dataset with a one-line status and links to its pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from labelgate.report.html import fmt, pct, render_page


@dataclass(frozen=True)
class IndexEntry:
    """One dataset as its build left it: metrics.json, gate.json (None before the gate stage
    ran), the headline coefficient's name, and which pages exist."""

    name: str
    metrics: dict[str, Any]
    gate: dict[str, Any] | None
    headline: str | None
    has_report: bool
    has_progress: bool


def status_line(entry: IndexEntry) -> str:
    """`krippendorff_alpha 0.680 [0.665, 0.695]; 3000 items, 0.9% unresolved; 1 gate failing`."""
    metrics = entry.metrics.get("metrics", {})
    parts = []
    if entry.headline and entry.headline in metrics:
        interval = entry.metrics.get("intervals", {}).get(entry.headline)
        ci = f" [{fmt(interval['ci_low'])}, {fmt(interval['ci_high'])}]" if interval else ""
        parts.append(f"{entry.headline} {fmt(metrics[entry.headline])}{ci}")
    parts.append(
        f"{fmt(metrics.get('n_items'))} items, {pct(metrics.get('unresolved_rate'))} unresolved"
    )
    if entry.gate is not None:
        failing = [c["id"] for c in entry.gate["checks"] if c["status"] != "pass"]
        if failing:
            parts.append("not passing: " + ", ".join(failing))
    return "; ".join(parts)


def render_index(entries: list[IndexEntry]) -> str:
    """The page, datasets in the order given; links are relative to build/."""
    rows = [
        {
            "name": e.name,
            "status": e.gate["status"] if e.gate is not None else "not gated",
            "line": status_line(e),
            "report": f"{quote(e.name)}/report.html" if e.has_report else "",
            "progress": f"{quote(e.name)}/progress.html" if e.has_progress else "",
        }
        for e in entries
    ]
    return render_page("index.html", datasets=rows)
