"""predict: out-of-fold class probabilities per item from the pipeline's model, with its identity."""

from __future__ import annotations

from typing import Any

import pandas as pd

from labelgate.analysis.model_inputs import model_fields
from labelgate.analysis.model_predictions import Predictions, disabled_predictions, predict
from labelgate.errors import InputError
from labelgate.io.canonical import read_predictions_table
from labelgate.io.json_io import write_json
from labelgate.io.writers import read_parquet, write_parquet
from labelgate.problems import Problem
from labelgate.project import build_files
from labelgate.project.context import DatasetContext
from labelgate.project.layout import relative
from labelgate.project.paths import resolve_inside
from labelgate.stages import base


def read_provided(ctx: DatasetContext) -> pd.DataFrame | None:
    """The dataset's `predictions` source with canonical column names (labels stay as named)."""
    source = ctx.dataset.sources.predictions
    if source is None:
        return None
    path = resolve_inside(ctx.root, ctx.dataset_dir, source.path)
    return read_predictions_table(
        path, relative(ctx.root, path), source.columns, source.format, source.field
    )


def _source_display(ctx: DatasetContext) -> str:
    source = ctx.dataset.sources.predictions
    return f"datasets/{ctx.name}/{source.path}" if source else "predictions"


def _check_fields(ctx: DatasetContext, items: pd.DataFrame, fields: list[str]) -> None:
    missing = [f for f in fields if f not in items.columns]
    if missing:
        raise InputError(
            [
                Problem(
                    ctx.files["pipeline"],
                    0,
                    0,
                    "model.fields",
                    f"the model reads item field '{missing[0]}', but the items of dataset "
                    f"'{ctx.name}' have no such column (they have: "
                    f"{', '.join(c for c in items.columns if c != 'content_hash') or 'none'}).",
                    "Name an item field in `model.fields`, or declare the items source.",
                )
            ]
        )


def compute(ctx: DatasetContext) -> Predictions:
    """The stage's result without writing it."""
    labels = list(ctx.schema.label_ids)
    step = ctx.pipeline.model
    if step is None:
        return disabled_predictions(labels)
    out = ctx.out
    items = read_parquet(out / build_files.ITEMS)
    fields = model_fields(ctx.pipeline.model, ctx.schema)
    if step.provider == "tfidf_logreg":
        _check_fields(ctx, items, fields)
    return predict(
        items,
        read_parquet(out / build_files.FINAL_LABELS),
        read_parquet(out / build_files.GOLD),
        labels,
        step,
        fields,
        read_provided(ctx),
        _source_display(ctx),
    )


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """What the person running the stage sees."""
    if not summary["enabled"]:
        return ["no model in the pipeline: nothing to predict"]
    how = "out-of-fold" if summary["provider"] == "tfidf_logreg" else "your predictions"
    line = (
        f"{summary['model_version']}: {summary['n_predicted']} of {summary['n_items']} items "
        f"scored ({summary['n_labelled']} labelled; {how})"
    )
    if summary["accuracy_vs_final"] is not None:
        line += f"; accuracy vs final labels {summary['accuracy_vs_final']:.3f}"
    if summary["accuracy_vs_gold"] is not None:
        line += f", vs {summary['n_gold']} gold {summary['accuracy_vs_gold']:.3f}"
    return [line] + [f"WARNING: {w}" for w in summary["warnings"]]


def run(ctx: DatasetContext) -> base.StageResult:
    """Write predictions.parquet and predict.json."""
    result = compute(ctx)
    out = ctx.out
    outputs = [
        write_parquet(out / build_files.PREDICTIONS, result.frame),
        write_json(out / build_files.PREDICT_JSON, result.summary),
    ]
    return base.StageResult(
        "predict", ctx.name, outputs, result.summary, summary_lines(result.summary)
    )
