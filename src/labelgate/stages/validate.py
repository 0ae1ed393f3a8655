"""validate: run the qa rules' checks and write a tidy violations table with counts per rule."""

from __future__ import annotations

from labelgate.analysis.validation import Tables, run_checks
from labelgate.config import columns as col
from labelgate.io.json_io import write_json
from labelgate.io.writers import read_parquet, write_parquet
from labelgate.project import build_files
from labelgate.project.context import DatasetContext
from labelgate.stages import base


def run(ctx: DatasetContext) -> base.StageResult:
    """Write violations.parquet and validation.json."""
    out = ctx.out
    annotations = read_parquet(out / build_files.ANNOTATIONS)
    tables = Tables(
        annotations=annotations,
        items=read_parquet(out / build_files.ITEMS),
        quarantine=read_parquet(out / build_files.QUARANTINE),
        schema=ctx.schema,
        guideline_version=ctx.guideline.front.version,
        released_versions=tuple(ctx.guideline_releases),
    )
    found = run_checks(list(ctx.qa_rules.checks), tables)
    per_rule = {}
    for check in ctx.qa_rules.checks:
        rule_id = check.id or check.kind
        n = int((found["rule_id"] == rule_id).sum())
        per_rule[rule_id] = {"kind": check.kind, "severity": check.severity, "violations": n}
    errors = found[found["severity"] == "error"]
    # Annotation-level error share: rows naming an annotation, or items with an error.
    flagged_items = set(errors.loc[errors[col.ANNOTATOR_ID] == "", col.ITEM_ID]) - {""}
    pair = errors[(errors[col.ANNOTATOR_ID] != "") & (errors[col.ITEM_ID] != "")]
    flagged = annotations[col.ITEM_ID].isin(flagged_items) | annotations.set_index(
        [col.ITEM_ID, col.ANNOTATOR_ID]
    ).index.isin(pair.set_index([col.ITEM_ID, col.ANNOTATOR_ID]).index)
    duplicate_rule = [c.id or c.kind for c in ctx.qa_rules.checks if c.kind == "duplicate_items"]
    n_items = max(len(tables.items), annotations[col.ITEM_ID].nunique())
    dup_items = int(found["rule_id"].isin(duplicate_rule).sum())
    summary = {
        "dataset": ctx.name,
        "n_violations": len(found),
        "by_severity": {s: int((found["severity"] == s).sum()) for s in ("error", "warn")},
        "rules": per_rule,
        "violation_rate": float(flagged.mean()) if len(annotations) else 0.0,
        "duplicate_item_rate": dup_items / n_items if n_items else 0.0,
    }
    outputs = [
        write_parquet(out / build_files.VIOLATIONS, found),
        write_json(out / build_files.VALIDATION_JSON, summary),
    ]
    lines = [
        f"{rid}: {v['violations']} {v['severity']} violation(s)" for rid, v in per_rule.items()
    ]
    return base.StageResult("validate", ctx.name, outputs, summary, lines)
