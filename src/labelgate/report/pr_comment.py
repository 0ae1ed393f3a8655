"""The gate verdicts as text, or as one Markdown pull-request comment a CI job can update.

In the comment every user string (dataset names, gate ids, messages that embed ids and labels,
the baseline's name) is escaped (`report/escape.py`); the text report is for a terminal.
"""

from __future__ import annotations

from typing import Any

from labelgate.analysis.gates import NO_BASELINE, DatasetVerdict, counts_as
from labelgate.guidelines.compare import GuidelineDiff
from labelgate.guidelines.markdown import guideline_section
from labelgate.report.escape import md_cell, md_code, md_text

MARKER = "<!-- labelgate-report -->"
ICONS = {"pass": "✅", "warn": "⚠️", "fail": "❌", "error": "❌"}  # by what a status counts as


def _icon(check: dict[str, Any]) -> str:
    """A check's icon: `no_baseline` shows as the error or warning it counts as."""
    return ICONS[counts_as(check)]


def _num(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.3f}"
    return str(int(value)) if isinstance(value, float) else str(value)


def _delta(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:+.3f}" if isinstance(value, float) else f"{value:+d}"


def _threshold(check: dict[str, Any]) -> str:
    return md_cell(", ".join(f"{k} {v}" for k, v in check["thresholds"].items()))


def text_report(verdicts: list[DatasetVerdict], baseline: str | None) -> list[str]:
    """Lines for a terminal."""
    lines = []
    for v in verdicts:
        lines.append(
            f"{v.name}: gate {v.status.upper()}"
            + (f" (baseline {baseline[:10]})" if baseline else "")
        )
        for c in v.checks:
            base = (
                f", baseline {_num(c['baseline'])} ({_delta(c['delta'])})"
                if c.get("baseline") is not None
                else ""
            )
            lines.append(f"  {c['status'].upper():5} {c['id']}: {c['message']}{base}")
            if c.get("where"):
                lines.append(f"        {c['where']}")
    return lines


def _status_lines(verdicts: list[DatasetVerdict]) -> list[str]:
    lines = []
    for v in verdicts:
        failed = [c for c in v.checks if c["status"] in ("fail", "error")]
        unchecked = [c for c in v.checks if c["status"] == NO_BASELINE]
        warned = [c for c in v.checks if c["status"] == "warn"]
        lines.append(
            f"- {ICONS[v.status]} **{md_text(v.name)}**: {v.status}"
            + (f", {len(failed)} failing" if failed else "")
            + (f", {len(unchecked)} without baseline" if unchecked else "")
            + (f", {len(warned)} warning" if warned else "")
        )
    return lines


def _dataset_section(v: DatasetVerdict) -> list[str]:
    lines = [
        "",
        f"### {md_text(v.name)}",
        "",
        "| check | value | baseline | delta | threshold | status |",
        "|---|---|---|---|---|---|",
    ]
    for c in v.checks:
        value = _num(c["value"])
        if c.get("interval"):
            value += f" [{_num(c['interval']['ci_low'])}, {_num(c['interval']['ci_high'])}]"
        lines.append(
            f"| {md_cell(c['id'])} | {md_cell(value)} | {md_cell(_num(c.get('baseline')))} | {md_cell(_delta(c.get('delta')))} | {_threshold(c)} | {_icon(c)} {md_cell(c['status'])} |"
        )
    for c in v.checks:
        if c["status"] != "pass":
            where = f" {c['where'][0].upper()}{c['where'][1:]}." if c.get("where") else ""
            lines.append(
                f"\n**{md_text(c['id'])}** ({md_text(c['status'])}): {md_text(c['message'] + where)}"
            )
    lines.append(
        f"\nFull report: {md_code(f'build/{v.name}/summary.md')}; "
        f"verdict: {md_code(f'build/{v.name}/gate.json')}."
    )
    return lines


def markdown_report(
    verdicts: list[DatasetVerdict],
    baseline: str | None,
    baseline_name: str | None,
    guideline_diffs: list[GuidelineDiff] | None = None,
) -> str:
    """One comment: a status line per dataset, a metrics table with deltas, links, and what
    changed in the guidelines since the baseline."""
    overall = (
        "fail"
        if any(v.status == "fail" for v in verdicts)
        else ("warn" if any(v.status == "warn" for v in verdicts) else "pass")
    )
    lines = [MARKER, f"## {ICONS[overall]} labelgate: data quality {overall.upper()}", ""]
    if baseline:
        lines.append(f"Compared with {md_code(baseline_name)} ({md_text(baseline[:10])}).")
        lines.append("")
    elif any(c["status"] == NO_BASELINE for v in verdicts for c in v.checks):
        lines.append(
            "No baseline was given, so the regression gates (`max_drop`) were not checked: "
            "run `labelgate gate --baseline REV --format md` (e.g. `origin/main`)."
        )
        lines.append("")
    lines += _status_lines(verdicts)
    for v in verdicts:
        lines += _dataset_section(v)
    if guideline_diffs:
        lines += ["", f"## Guideline changes since {md_code(baseline_name)}"]
        for diff in guideline_diffs:
            lines += guideline_section(diff)
    return "\n".join(lines) + "\n"
