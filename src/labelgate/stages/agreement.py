"""agreement: every coefficient with bootstrap intervals, pairs, per label/annotator/group."""

from __future__ import annotations

from typing import Any

import pandas as pd

from labelgate.analysis.agreement import dataset_agreement, default_weights, schema_values
from labelgate.analysis.task_agreement import multilabel_agreement, span_agreement
from labelgate.backends.engines import open_executor
from labelgate.config import columns as col
from labelgate.config.tasks import TASK_COEFFICIENTS
from labelgate.io.json_io import write_json
from labelgate.io.writers import read_parquet, write_csv
from labelgate.metrics.agreement.report import Options
from labelgate.project import build_files
from labelgate.project.context import DatasetContext
from labelgate.stages import base


def options_for(ctx: DatasetContext) -> Options:
    """Engine options from the schema's level and the pipeline's agreement step."""
    step = ctx.pipeline.agreement
    level = ctx.schema.level
    return Options(
        level=level,
        weights=default_weights(level) if step.weights == "auto" else step.weights,
        resamples=step.bootstrap.resamples,
        seed=step.bootstrap.seed,
        confidence=step.bootstrap.confidence,
        min_pair_items=step.min_pair_items,
        interval=step.interval,
    )


def summary_lines(report: dict[str, Any], coefficients: list[str]) -> list[str]:
    """Each configured coefficient with its interval, then the diagnostics."""
    lines = []
    for name in coefficients:
        entry = report["coefficients"][name]
        interval = (
            f" [{entry['ci_low']:.3f}, {entry['ci_high']:.3f}]"
            if entry["ci_low"] is not None
            else ""
        )
        value = "undefined" if entry["value"] is None else f"{entry['value']:.3f}"
        lines.append(f"{name} = {value}{interval}")
    lines += [f"note: {d['message']}" for d in report["diagnostics"]]
    return lines


def _task_run(ctx: DatasetContext, annotations: pd.DataFrame) -> base.StageResult:
    """Multi-label or span agreement: the task's coefficients (the pipeline's list names
    single-label ones), pairs for spans, per label."""
    step = ctx.pipeline.agreement
    boot = (step.bootstrap.resamples, step.bootstrap.seed, step.bootstrap.confidence)
    labels = list(ctx.schema.label_ids)
    with open_executor(ctx.engine) as executor:
        if ctx.schema.task == "multi_label":
            report = multilabel_agreement(annotations, labels, *boot, executor=executor)
        else:
            spans = read_parquet(ctx.out / build_files.SPANS)
            items = read_parquet(ctx.out / build_files.ITEMS)
            text = next((f.name for f in ctx.schema.item_fields if f.type == "string"), None)
            texts = dict(zip(items["item_id"], items[text], strict=True)) if text in items else None
            report = span_agreement(annotations, spans, texts, labels, *boot, executor=executor)
    report["dataset"] = ctx.files["dataset"]
    pairs = pd.DataFrame(report.get("pairs", []))
    by_label = pd.DataFrame(report["per_label"])
    by_group = pd.DataFrame({"group": pd.Series(dtype="str")})
    outputs = [
        write_json(ctx.out / build_files.AGREEMENT_JSON, report),
        write_csv(ctx.out / build_files.AGREEMENT_PAIRS, pairs),
        write_csv(ctx.out / build_files.PLOTS / "agreement_by_group.csv", by_group),
        write_csv(ctx.out / build_files.PLOTS / "agreement_by_label.csv", by_label),
    ]
    lines = summary_lines(report, list(TASK_COEFFICIENTS[ctx.schema.task]))
    return base.StageResult("agreement", ctx.name, outputs, report, lines)


def run(ctx: DatasetContext) -> base.StageResult:
    """Write agreement.json, the pair table and plot data by group."""
    path = ctx.out / build_files.ANNOTATIONS
    if ctx.schema.task != "single_label":
        return _task_run(ctx, read_parquet(path))
    step = ctx.pipeline.agreement
    # Only the columns single-label agreement reads: ids, label and the breakdowns.
    annotations = read_parquet(
        path, columns=[col.ITEM_ID, col.ANNOTATOR_ID, col.LABEL, *step.breakdowns]
    )
    with open_executor(ctx.engine) as executor:
        result = dataset_agreement(
            annotations,
            list(ctx.schema.label_ids),
            schema_values(ctx.schema.level, [label.value for label in ctx.schema.labels]),
            options_for(ctx),
            list(step.breakdowns),
            ctx.files["dataset"],
            step.min_pairable_items,
            executor,
        )
    outputs = [
        write_json(ctx.out / build_files.AGREEMENT_JSON, result.report),
        write_csv(ctx.out / build_files.AGREEMENT_PAIRS, result.pairs),
        write_csv(ctx.out / build_files.PLOTS / "agreement_by_group.csv", result.by_group),
        write_csv(ctx.out / build_files.PLOTS / "agreement_by_label.csv", result.by_label),
    ]
    lines = summary_lines(result.report, list(step.coefficients))
    return base.StageResult("agreement", ctx.name, outputs, result.report, lines)
