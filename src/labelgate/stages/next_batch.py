"""next_batch: the items to annotate next, chosen from those without annotations by the
dataset's `next_batch:` rules (the strategies of `labelgate select`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from labelgate.analysis.batch_selection import SELECTION_COLUMNS, TEXT, Columns, choose
from labelgate.analysis.batch_selection import labelled_from_votes as labelled_items
from labelgate.analysis.model_inputs import model_fields, model_text, numeric_fields
from labelgate.config import columns as col
from labelgate.io.json_io import write_json
from labelgate.io.writers import read_parquet, write_csv
from labelgate.project import build_files
from labelgate.project.context import DatasetContext
from labelgate.stages import base


def _item_fields(ctx: DatasetContext, items: pd.DataFrame) -> tuple[pd.DataFrame, Columns] | str:
    """item_id with the text the model reads (the pipeline's model fields, else the schema's
    string fields), or the schema's numeric item fields; else why neither is there."""
    texts = [f for f in model_fields(ctx.pipeline.model, ctx.schema) if f in items.columns]
    if texts:
        frame = pd.DataFrame(
            {
                col.ITEM_ID: items[col.ITEM_ID].astype(str).to_numpy(),
                TEXT: model_text(items, texts).to_numpy(),
            }
        )
        return frame, Columns(text=TEXT)
    numeric = numeric_fields(items, ctx.schema)
    if len(numeric.columns):
        frame = numeric.assign(**{col.ITEM_ID: items[col.ITEM_ID].astype(str)})
        return frame, Columns(features=tuple(numeric.columns))
    return "the items have no text field and no numeric field for the model to read"


def _skip_reason(ctx: DatasetContext) -> str | None:
    if ctx.schema.task != "single_label":
        return f"the next batch is chosen for single-label tasks, not {ctx.schema.task}"
    return None


def choose_next_batch(ctx: DatasetContext) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The selection table and next_batch.json's summary."""
    empty = pd.DataFrame(columns=list(SELECTION_COLUMNS))
    if ctx.dataset.next_batch is None:
        return empty, {"enabled": False, "skipped": "dataset.yaml has no next_batch: block"}
    why = _skip_reason(ctx)
    if why is not None:
        return empty, {"enabled": True, "skipped": why}
    rules = ctx.dataset.next_batch
    assert rules is not None  # _skip_reason said so
    settings = {"enabled": True, **rules.model_dump(mode="json")}
    annotations = read_parquet(ctx.out / build_files.ANNOTATIONS)
    items = read_parquet(ctx.out / build_files.ITEMS)
    fields = _item_fields(ctx, items)
    if isinstance(fields, str):
        return empty, {**settings, "skipped": fields}
    frame, columns = fields
    annotated = set(annotations[col.ITEM_ID].astype(str))
    pool = frame[~frame[col.ITEM_ID].astype(str).isin(annotated)].reset_index(drop=True)
    # One vote per annotator and item, as agreement and aggregation count them.
    once = annotations.drop_duplicates([col.ITEM_ID, col.ANNOTATOR_ID], keep="first")
    votes = once[[col.ITEM_ID, col.LABEL]].merge(frame, on=col.ITEM_ID, how="left")
    labelled = labelled_items(votes, columns)
    counts = {"n_labelled_items": len(labelled.item_ids), "n_pool_items": len(pool)}
    if len(labelled.class_names) < 2:
        why = f"the annotations use {len(labelled.class_names)} label; the model needs 2"
        return empty, {**settings, **counts, "skipped": why}
    if rules.strategy != "disagreement" and pool.empty:
        why = "every item has annotations: no pool to choose from"
        return empty, {**settings, **counts, "skipped": why}
    result = choose(
        labelled,
        pool,
        columns,
        rules.strategy,
        rules.budget,
        rules.seed,
        rules.weights or None,
        rules.exploration,
        source=str(build_files.ANNOTATIONS),
    )
    summary = {
        **settings,
        **counts,
        "n_chosen": len(result.table),
        "messages": result.messages,
        "skipped": None,
    }
    return result.table, summary


def run(ctx: DatasetContext) -> base.StageResult:
    """Write next_batch.csv (item_id, rank, score, strategy, reason) and next_batch.json."""
    table, summary = choose_next_batch(ctx)
    outputs = [
        write_csv(ctx.out / build_files.NEXT_BATCH_CSV, table),
        write_json(ctx.out / build_files.NEXT_BATCH_JSON, summary),
    ]
    lines = (
        [f"no next batch: {summary['skipped']}"]
        if summary.get("skipped")
        else [*summary["messages"], f"written to {outputs[0].name}"]
    )
    return base.StageResult("next_batch", ctx.name, outputs, summary, lines)
