"""report: one metrics.json for gates and DVC, and a summary.md fit for a pull request."""

from __future__ import annotations

from labelgate.config.tasks import TASK_COEFFICIENTS
from labelgate.io.json_io import read_json, write_json, write_text
from labelgate.project import build_files
from labelgate.project.context import DatasetContext
from labelgate.report.metrics_json import collect_metrics
from labelgate.report.summary_md import OutputFiles, StageSummaries, summary_markdown
from labelgate.stages import base


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


def run(ctx: DatasetContext) -> base.StageResult:
    """Write metrics.json and summary.md."""
    parts = read_summaries(ctx)
    metrics = collect_metrics(
        parts.ingest, parts.validation, parts.agreement, parts.aggregate, parts.audit
    )
    metrics["dataset"] = ctx.name
    where = f"build/{ctx.name}"
    files = OutputFiles(
        adjudication_queue=f"{where}/{build_files.ADJUDICATION_QUEUE}",
        annotators=f"{where}/{build_files.ANNOTATORS}",
        audit_sample=f"{where}/{build_files.AUDIT_SAMPLE}",
    )
    # A multi-label or span dataset reports its task's coefficients, not the pipeline's list.
    shown = TASK_COEFFICIENTS.get(ctx.schema.task, ctx.pipeline.agreement.coefficients)
    text = summary_markdown(ctx.name, parts, metrics, list(shown), files)
    out = ctx.out
    outputs = [
        write_json(out / build_files.METRICS_JSON, metrics),
        write_text(out / build_files.SUMMARY_MD, text),
    ]
    return base.StageResult(
        "report",
        ctx.name,
        outputs,
        metrics,
        [f"{build_files.METRICS_JSON} and {build_files.SUMMARY_MD} written"],
    )
