"""report: one metrics.json for gates and DVC, a summary.md fit for a pull request, and two
self-contained pages: report.html (quality, for leads) and progress.html (for customers)."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

from labelgate.analysis.encoding import unique_annotations
from labelgate.analysis.gates import evaluate_gate, overall_status
from labelgate.analysis.report_tables import (
    LINEAGE_COLUMNS,
    label_confusion,
    lineage_values,
)
from labelgate.config import columns as col
from labelgate.config.tasks import TASK_COEFFICIENTS
from labelgate.io.json_io import read_json, write_json, write_text
from labelgate.io.writers import read_parquet, restore_cell
from labelgate.project import build_files
from labelgate.project.context import DatasetContext
from labelgate.report.html_report import Extras, ReportData, render_progress, render_report
from labelgate.report.metrics_json import collect_metrics
from labelgate.report.summary_md import OutputFiles, StageSummaries, summary_markdown
from labelgate.stages import base
from labelgate.stages.config import guideline_lock


def read_summaries(ctx: DatasetContext) -> StageSummaries:
    """The JSON summaries the earlier stages wrote."""
    out = ctx.out
    return StageSummaries(
        ingest=read_json(out / build_files.INGEST_JSON),
        validation=read_json(out / build_files.VALIDATION_JSON),
        agreement=read_json(out / build_files.AGREEMENT_JSON),
        aggregate=read_json(out / build_files.AGGREGATE_JSON),
        audit=read_json(out / build_files.AUDIT_JSON),
    )


def read_rows(path: Path) -> list[dict[str, str]]:
    """A CSV the stages wrote, as text rows, formula guards (`'=`) removed; [] when absent."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: restore_cell(v) for k, v in row.items()} for row in csv.DictReader(handle)]


def _optional_json(path: Path) -> dict[str, Any] | None:
    return read_json(path) if path.exists() else None


def _extras(out: Path, label_issues: dict[str, Any] | None) -> Extras:
    enabled = label_issues if label_issues and label_issues.get("enabled", True) else None
    return Extras(
        label_issues=enabled,
        review_queue=read_rows(out / build_files.REVIEW_QUEUE) if enabled else [],
        feedback=_optional_json(out / build_files.FEEDBACK_JSON),
        ops=_optional_json(out / build_files.OPS_JSON),
        next_batch=_optional_json(out / build_files.NEXT_BATCH_JSON),
        next_batch_rows=read_rows(out / build_files.NEXT_BATCH_CSV),
    )


def _gates_hash(ctx: DatasetContext) -> str:
    """SHA-256 (first 16 hex digits) of the gates' canonical JSON, as lineage hashes sections."""
    gates = [g.model_dump(mode="json", by_alias=True) for g in ctx.qa_rules.gates]
    text = json.dumps(gates, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _lineage(ctx: DatasetContext, final_lineage: dict[str, list[str]]) -> dict[str, Any]:
    """The guideline lock entry, the final labels' lineage values and the gates' hash."""
    lock = guideline_lock(ctx)  # what config/guidelines.lock.json holds (a dep in dvc.yaml)
    rows = [(k.replace("_", " "), ", ".join(v) or "n/a") for k, v in final_lineage.items()]
    rows.append(("gates hash", _gates_hash(ctx)))
    return {"guideline": lock, "rows": rows}


def _tables(ctx: DatasetContext) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """The confusion of annotators' labels with final labels (single-label tasks) and the
    final labels' lineage values."""
    out = ctx.out
    final = read_parquet(
        out / build_files.FINAL_LABELS,
        columns=[col.ITEM_ID, col.LABEL, "status", *LINEAGE_COLUMNS],
    )
    confusion = None
    if ctx.schema.task == "single_label":
        columns = [col.ITEM_ID, col.ANNOTATOR_ID, col.LABEL]
        annotations = unique_annotations(
            read_parquet(out / build_files.ANNOTATIONS, columns=columns)
        )
        confusion = label_confusion(annotations, final, list(ctx.schema.label_ids))
    return confusion, lineage_values(final)


def _gate(ctx: DatasetContext, metrics: dict[str, Any]) -> dict[str, Any]:
    """The verdict the gate stage will write, from the same function (no baseline)."""
    checks = [evaluate_gate(g, metrics) for g in ctx.qa_rules.gates]
    return {"status": overall_status(checks), "checks": checks}


def report_data(
    ctx: DatasetContext,
    parts: StageSummaries,
    metrics: dict[str, Any],
    shown: list[str],
    label_issues: dict[str, Any] | None,
) -> ReportData:
    """What report.html and progress.html show, read from the build and the dataset's config."""
    out = ctx.out
    confusion, final_lineage = _tables(ctx)
    return ReportData(
        name=ctx.name,
        summaries=parts,
        metrics=metrics,
        gate=_gate(ctx, metrics),
        shown=shown,
        annotators=read_rows(out / build_files.ANNOTATORS),
        queue=read_rows(out / build_files.ADJUDICATION_QUEUE),
        confusion=confusion,
        lineage=_lineage(ctx, final_lineage),
        top_n=ctx.pipeline.report.top_n,
        show_item_text=ctx.pipeline.report.progress_show_item_text,
        extras=_extras(out, label_issues),
    )


def run(ctx: DatasetContext) -> base.StageResult:
    """Write metrics.json, summary.md, report.html and progress.html."""
    parts = read_summaries(ctx)
    label_issues = _optional_json(ctx.out / build_files.LABEL_ISSUES_JSON)
    metrics = collect_metrics(
        parts.ingest,
        parts.validation,
        parts.agreement,
        parts.aggregate,
        parts.audit,
        label_issues,
        ops=_optional_json(ctx.out / build_files.OPS_JSON),
        feedback=_optional_json(ctx.out / build_files.FEEDBACK_JSON),
    )
    metrics["dataset"] = ctx.name
    where = f"build/{ctx.name}"
    files = OutputFiles(
        adjudication_queue=f"{where}/{build_files.ADJUDICATION_QUEUE}",
        annotators=f"{where}/{build_files.ANNOTATORS}",
        audit_sample=f"{where}/{build_files.AUDIT_SAMPLE}",
        review_queue=f"{where}/{build_files.REVIEW_QUEUE}",
    )
    # A multi-label or span dataset reports its task's coefficients, not the pipeline's list.
    shown = list(TASK_COEFFICIENTS.get(ctx.schema.task, ctx.pipeline.agreement.coefficients))
    out = ctx.out
    written = write_json(out / build_files.METRICS_JSON, metrics)
    # The gate stage reads metrics.json (floats rounded to 10 places): the pages evaluate the
    # gates on the same numbers, so their verdicts cannot differ from gate.json's.
    metrics = read_json(written)
    text = summary_markdown(ctx.name, parts, metrics, shown, files, label_issues)
    data = report_data(ctx, parts, metrics, shown, label_issues)
    outputs = [
        written,
        write_text(out / build_files.SUMMARY_MD, text),
        write_text(out / build_files.REPORT_HTML, render_report(data)),
        write_text(out / build_files.PROGRESS_HTML, render_progress(data)),
    ]
    return base.StageResult(
        "report",
        ctx.name,
        outputs,
        metrics,
        [
            f"{build_files.METRICS_JSON}, {build_files.SUMMARY_MD}, {build_files.REPORT_HTML} and "
            f"{build_files.PROGRESS_HTML} written"
        ],
    )
