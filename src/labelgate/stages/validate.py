"""validate: run the qa rules' checks and write a tidy violations table with counts per rule."""

from __future__ import annotations

from labelgate.analysis.validation import Tables, run_checks, validation_summary
from labelgate.config import columns as col
from labelgate.io.json_io import write_json
from labelgate.io.writers import read_parquet, write_parquet
from labelgate.project import build_files
from labelgate.project.context import DatasetContext
from labelgate.stages import base

CHECKED_COLUMNS = (
    col.ITEM_ID,
    col.ANNOTATOR_ID,
    col.LABEL,
    "duration_s",
    "guideline_version",
    "source",
)


def run(ctx: DatasetContext) -> base.StageResult:
    """Write violations.parquet and validation.json."""
    out = ctx.out
    tables = Tables(
        # The columns the checks read; suggestions, batches and timestamps stay on disk.
        annotations=read_parquet(out / build_files.ANNOTATIONS, columns=CHECKED_COLUMNS),
        items=read_parquet(out / build_files.ITEMS),
        quarantine=read_parquet(out / build_files.QUARANTINE),
        schema=ctx.schema,
        guideline_version=ctx.guideline.front.version,
        released_versions=tuple(ctx.guideline_releases),
        spans=read_parquet(out / build_files.SPANS) if ctx.schema.task == "spans" else None,
    )
    found = run_checks(list(ctx.qa_rules.checks), tables)
    summary = validation_summary(ctx.name, found, list(ctx.qa_rules.checks), tables)
    outputs = [
        write_parquet(out / build_files.VIOLATIONS, found),
        write_json(out / build_files.VALIDATION_JSON, summary),
    ]
    lines = [
        f"{rid}: {v['violations']} {v['severity']} violation(s)"
        for rid, v in summary["rules"].items()
    ]
    return base.StageResult("validate", ctx.name, outputs, summary, lines)
