"""report.html (for the people who own the data's quality) and progress.html (for customers):
one dataset each, as self-contained pages rendered from the stage summaries.

`ReportData` holds what the report stage read, as plain dicts and lists; nothing here reads a
file or computes a statistic. The pages are deterministic: no clock, no random ids; what
changes between builds is what lineage records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labelgate.report import html_feedback as fb
from labelgate.report import html_sections as sec
from labelgate.report.html import (
    Cell,
    Table,
    as_number,
    fmt,
    num_cell,
    pct,
    render_page,
    text_cell,
)
from labelgate.report.summary_md import StageSummaries

STATUS_ORDER = ("agreed", "aggregated", "adjudicated", "unresolved")


@dataclass(frozen=True)
class Extras:
    """Sections that appear when their stage has run: label issues (with the review queue),
    feedback (drift, confused pairs, reviews, retraining), ops (progress, throughput, ETA) and
    the next batch (next_batch.json and the first rows of next_batch.csv)."""

    label_issues: dict[str, Any] | None = None
    review_queue: list[dict[str, str]] = field(default_factory=list)
    feedback: dict[str, Any] | None = None
    ops: dict[str, Any] | None = None
    next_batch: dict[str, Any] | None = None
    next_batch_rows: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ReportData:
    """Everything the two pages show, as the report stage read it.

    `gate` is the verdict of the dataset's gates on `metrics` (`{"status", "checks"}`, as in
    gate.json); `annotators` and `queue` are rows of annotators.csv and adjudication_queue.csv;
    `confusion` is `{"labels": [...], "counts": [[...]]}` (final label by row, annotator's
    label by column) or None; `lineage` has the guideline lock entry and the final labels'
    lineage columns.
    """

    name: str
    summaries: StageSummaries
    metrics: dict[str, Any]
    gate: dict[str, Any]
    shown: list[str]
    annotators: list[dict[str, str]]
    queue: list[dict[str, str]]
    confusion: dict[str, Any] | None
    lineage: dict[str, Any]
    top_n: int = 10
    show_item_text: bool = False
    extras: Extras = field(default_factory=Extras)


def headline(data: ReportData) -> dict[str, Any]:
    """The first coefficient shown, with its interval: the one number a reader looks for."""
    name = data.shown[0]
    entry = data.summaries.agreement["coefficients"].get(name) or {"value": None}
    return {
        "name": name,
        "value": entry["value"],
        "text": fmt(entry["value"]),
        "ci": f"[{fmt(entry['ci_low'])}, {fmt(entry['ci_high'])}]"
        if entry.get("ci_low") is not None
        else "",
    }


def _quality_rows(data: ReportData) -> list[tuple[str, str]]:
    m = data.metrics["metrics"]
    return [
        ("items", fmt(m["n_items"])),
        ("annotations", fmt(m["n_annotations"])),
        ("annotators", fmt(m["n_annotators"])),
        ("annotations per item", fmt(m["mean_annotations_per_item"], 2)),
        ("gold accuracy", fmt(m["gold_accuracy"])),
        ("unresolved", pct(m["unresolved_rate"])),
        ("quarantined rows", pct(m["quarantine_rate"])),
        ("rows with an error violation", pct(m["violation_rate"])),
        ("duplicate items", pct(m["duplicate_item_rate"])),
        ("calibration error (ECE)", fmt(m.get("calibration_ece"))),
        ("expected error of accepted labels", fmt(m.get("expected_error"))),
    ]


def _validation_table(validation: dict[str, Any]) -> Table:
    rows = [
        [text_cell(rule), text_cell(r["kind"]), text_cell(r["severity"]), num_cell(r["violations"])]
        for rule, r in validation["rules"].items()
    ]
    return Table(["rule", "kind", "severity", "violations"], rows, {3})


def _queue_table(data: ReportData) -> Table:
    columns = ["item", "candidate", "confidence", "annotations"]
    show_text = any("text" in row for row in data.queue)
    rows = []
    for row in data.queue[: data.top_n]:
        cells = [
            text_cell(row["item_id"]),
            text_cell(row["candidate_label"]),
            num_cell(row["confidence"]),
            text_cell(row["annotations"]),
        ]
        rows.append(cells + ([text_cell(row.get("text", ""))] if show_text else []))
    return Table(columns + (["text"] if show_text else []), rows, {2})


def _audit(audit: dict[str, Any]) -> dict[str, Any]:
    results = audit.get("results") or None
    return {
        "rows": [
            ("items sampled", fmt(audit["n_sampled"])),
            ("of", fmt(audit["n_frame"])),
            ("fraction", fmt(audit["fraction"])),
            ("strata", ", ".join(audit.get("strata") or []) or "none"),
            ("seed", fmt(audit["seed"])),
            ("sampling frame SHA-256", audit["frame_hash"][:16]),
        ],
        "results": sec.scalar_rows(results) if results else None,
    }


def _issues(extras: Extras, top_n: int) -> dict[str, Any] | None:
    if extras.label_issues is None:
        return None
    queue = extras.review_queue[:top_n]
    columns = list(queue[0]) if queue else []
    # A column whose every filled cell is a number sorts as numbers.
    numeric = {
        i
        for i, c in enumerate(columns)
        if any(row[c] for row in queue)
        and all(as_number(row[c]) is not None for row in queue if row[c])
    }
    rows = [
        [num_cell(row[c]) if i in numeric else text_cell(row[c]) for i, c in enumerate(columns)]
        for row in queue
    ]
    return {
        "rows": sec.scalar_rows(extras.label_issues),
        "queue": Table(columns, rows, numeric) if rows else None,
        "queue_size": len(extras.review_queue),
    }


def _next_batch(extras: Extras, top_n: int) -> dict[str, Any] | None:
    """The next batch's rules and counts, and its first `top_n` items; None when the dataset
    has no next_batch: block."""
    summary = extras.next_batch
    if not summary or not summary.get("enabled", True):
        return None
    titles = {
        "strategy": "strategy",
        "budget": "budget",
        "seed": "seed",
        "exploration": "share drawn at random",
        "n_pool_items": "items nobody has annotated",
        "n_chosen": "chosen",
    }
    rows: list[tuple[str, Any]] = [
        (title, summary[key]) for key, title in titles.items() if summary.get(key) is not None
    ]
    if summary.get("skipped"):
        rows.append(("not chosen", summary["skipped"]))
    rows += [("note", message) for message in summary.get("messages") or []]
    first = extras.next_batch_rows[:top_n]
    table = Table(
        ["rank", "item", "score", "reason"],
        [
            [
                num_cell(r["rank"]),
                text_cell(r["item_id"]),
                num_cell(r["score"]),
                text_cell(r["reason"]),
            ]
            for r in first
        ],
        {0, 2},
    )
    return {"rows": rows, "chosen": table if first else None, "size": len(extras.next_batch_rows)}


def render_report(data: ReportData) -> str:
    """report.html: gates, agreement, per label and annotator, confusions, trends, audit,
    optional sections and lineage."""
    parts = data.summaries
    extras = data.extras
    return render_page(
        "report.html",
        name=data.name,
        headline=headline(data),
        gate=sec.gate_section(data.gate, data.metrics),
        quality=_quality_rows(data),
        coefficients=sec.coefficient_section(parts.agreement, data.shown),
        per_label=sec.per_label_section(parts.agreement),
        annotators=sec.annotator_section(data.annotators, parts.agreement),
        confusion=sec.confusion_section(data.confusion),
        trends=sec.trend_section(parts.agreement, data.shown),
        validation=_validation_table(parts.validation),
        ingest=parts.ingest,
        aggregate=parts.aggregate,
        queue=_queue_table(data),
        audit=_audit(parts.audit),
        issues=_issues(extras, data.top_n),
        feedback=fb.feedback_section(extras.feedback, data.top_n),
        drift=fb.drift_section((extras.feedback or {}).get("drift")),
        bias=fb.suggestion_section(parts.aggregate.get("suggestions")),
        ops=sec.scalar_rows(extras.ops) if extras.ops is not None else None,
        next_batch=_next_batch(extras, data.top_n),
        lineage=data.lineage,
    )


def _changes(data: ReportData) -> list[dict[str, Any]]:
    """What changed between the last two guideline versions and the last two batches: the
    headline coefficient and the item count of each, and the difference."""
    name = data.shown[0]
    changes = []
    for key, what in (("by_guideline_version", "guideline version"), ("by_batch", "batch")):
        groups = list(sec.ordered_groups(data.summaries.agreement, key).items())
        if len(groups) < 2:
            continue
        (old, before), (new, after) = groups[-2], groups[-1]
        a = before["coefficients"].get(name, {}).get("value")
        b = after["coefficients"].get(name, {}).get("value")
        changes.append(
            {
                "what": what,
                "old": old,
                "new": new,
                "before": fmt(a),
                "after": fmt(b),
                "delta": "n/a" if a is None or b is None else f"{b - a:+.3f}",
                "n_items": f"{before['n_items']} -> {after['n_items']}",
            }
        )
    return changes


def _progress(data: ReportData) -> dict[str, Any]:
    status = data.summaries.aggregate["status"]
    total = data.summaries.aggregate["n_items"]
    done = sum(status.get(k, 0) for k in STATUS_ORDER if k != "unresolved")
    rows = [
        (k, status.get(k, 0), pct(status.get(k, 0) / total) if total else "n/a")
        for k in STATUS_ORDER
    ]
    return {
        "total": total,
        "done": done,
        "share": pct(done / total) if total else "n/a",
        "rows": rows,
    }


def _waiting(data: ReportData) -> Table | None:
    """Items awaiting a decision, with their text: only when the pipeline allows it (the
    annotations column, which names annotators, is never shown to customers)."""
    if not data.show_item_text:
        return None
    rows = [
        [text_cell(r["item_id"]), text_cell(r.get("text", ""))] for r in data.queue[: data.top_n]
    ]
    return Table(["item", "text"], rows) if rows else None


# What progress.html shows of ops.json: progress and ETA, not cost or utilization.
CUSTOMER_OPS = (
    "progress",
    "items_target",
    "items_done",
    "items_in_review",
    "items_not_started",
    "labels_per_day",
    "latency_median_hours",
    "latency_p90_hours",
    "eta_days",
    "eta_days_low",
    "eta_days_high",
    "eta_date",
)


def _customer_ops(ops: dict[str, Any]) -> dict[str, Any]:
    return {k: ops[k] for k in CUSTOMER_OPS if k in ops}


def render_progress(data: ReportData) -> str:
    """progress.html: progress, ETA (when ops measured it), headline quality, the gate and what
    changed; no annotator ids, and item text only when `report.progress_show_item_text`."""
    return render_page(
        "progress.html",
        name=data.name,
        headline=headline(data),
        status=data.gate["status"],
        progress=_progress(data),
        ops=sec.scalar_rows(_customer_ops(data.extras.ops))
        if data.extras.ops is not None
        else None,
        changes=_changes(data),
        gold=fmt(data.metrics["metrics"]["gold_accuracy"]),
        waiting=_waiting(data),
        n_waiting=len(data.queue),
        guideline=data.lineage.get("guideline") or {},
    )


__all__ = ["Cell", "Extras", "ReportData", "render_progress", "render_report"]
