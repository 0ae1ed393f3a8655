"""audit: a seeded stratified sample for expert review, and the pass rate of filled-in results."""

from __future__ import annotations

from labelgate.analysis.audit import audit
from labelgate.config import columns as col
from labelgate.io.json_io import write_json
from labelgate.io.writers import read_parquet, write_csv
from labelgate.project import build_files
from labelgate.project.context import DatasetContext
from labelgate.stages import base


def run(ctx: DatasetContext) -> base.StageResult:
    """Write audit_sample.csv (for auditors) and audit.json."""
    out = ctx.out
    # Only the columns the audit uses: the annotations' other columns are most of their size.
    final = read_parquet(
        out / build_files.FINAL_LABELS, columns=[col.ITEM_ID, col.LABEL, "confidence", "status"]
    )
    result = audit(
        final,
        read_parquet(
            out / build_files.ANNOTATIONS, columns=[col.ITEM_ID, col.ANNOTATOR_ID, "batch"]
        ),
        read_parquet(out / build_files.ITEMS, columns=[col.ITEM_ID, "text"]),
        read_parquet(out / build_files.AUDIT_RESULTS),
        ctx.qa_rules.audit,
    )
    outputs = [
        write_csv(out / build_files.AUDIT_SAMPLE, result.sheet),
        write_json(out / build_files.AUDIT_JSON, result.summary),
    ]
    summary, rule = result.summary, ctx.qa_rules.audit
    lines = [
        f"sampled {summary['n_sampled']} of {summary['n_frame']} final labels ({rule.fraction:.0%} per stratum, seed {rule.seed}) -> {build_files.AUDIT_SAMPLE}"
    ]
    if summary["results"]:
        r = summary["results"]
        lines.append(
            f"audit pass rate {r['audit_pass_rate']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}] on {r['n_audited']} items"
        )
    return base.StageResult("audit", ctx.name, outputs, summary, lines)
