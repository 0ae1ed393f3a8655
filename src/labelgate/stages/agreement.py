"""agreement: every coefficient with bootstrap intervals, pairs, per label/annotator/group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from labelgate.analysis.agreement import agreement_json, default_weights, group_coefficients
from labelgate.config.schema import Schema
from labelgate.io.writers import read_parquet, write_csv, write_json
from labelgate.metrics.agreement.report import Options
from labelgate.metrics.counts import FloatArray
from labelgate.project import build_files
from labelgate.project.context import DatasetContext
from labelgate.stages import base


def schema_values(schema: Schema) -> FloatArray:
    """Each label's value on the scale (its position for nominal schemas)."""
    if schema.level == "nominal":
        return np.arange(len(schema.labels), dtype=np.float64)
    return np.array([float(label.value or 0.0) for label in schema.labels])


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
    )


def run(ctx: DatasetContext) -> base.StageResult:
    """Write agreement.json, the pair table and plot data by group."""
    annotations = read_parquet(ctx.out / build_files.ANNOTATIONS)
    options = options_for(ctx)
    values = schema_values(ctx.schema)
    labels = list(ctx.schema.label_ids)
    result = agreement_json(
        annotations,
        labels,
        values,
        options,
        ctx.files["dataset"],
        ctx.pipeline.agreement.min_pairable_items,
    )
    pairs = pd.DataFrame(
        result.pop("pairs"), columns=["annotator_a", "annotator_b", "n_items", "cohen_kappa"]
    )
    result["n_pairs"] = len(pairs)
    plot_rows = []
    for breakdown in ctx.pipeline.agreement.breakdowns:
        groups = group_coefficients(annotations, breakdown, labels, values, options)
        result[f"by_{breakdown}"] = groups
        for group, entry in groups.items():
            for name, value in entry["coefficients"].items():
                plot_rows.append(
                    {
                        "breakdown": breakdown,
                        "group": group,
                        "coefficient": name,
                        "value": value["value"],
                    }
                )
    per_label = pd.DataFrame([{"label": k, **v} for k, v in result["per_label"].items()])
    outputs = [
        write_json(ctx.out / build_files.AGREEMENT_JSON, result),
        write_csv(ctx.out / "agreement_pairs.csv", pairs),
        write_csv(
            ctx.out / build_files.PLOTS / "agreement_by_group.csv",
            pd.DataFrame(plot_rows, columns=["breakdown", "group", "coefficient", "value"]),
        ),
        write_csv(ctx.out / build_files.PLOTS / "agreement_by_label.csv", per_label),
    ]
    lines = []
    for name in ctx.pipeline.agreement.coefficients:
        entry = result["coefficients"][name]
        interval = (
            f" [{entry['ci_low']:.3f}, {entry['ci_high']:.3f}]"
            if entry["ci_low"] is not None
            else ""
        )
        value = "undefined" if entry["value"] is None else f"{entry['value']:.3f}"
        lines.append(f"{name} = {value}{interval}")
    lines += [f"note: {d['message']}" for d in result["diagnostics"]]
    return base.StageResult("agreement", ctx.name, outputs, result, lines)
