"""Aggregate a standalone export: read, map columns, fit the chosen method, write the tables."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from labelgate.aggregation.base import Aggregator
from labelgate.aggregation.catalog import make
from labelgate.aggregation.status import final_status
from labelgate.config import columns as col
from labelgate.errors import InputError, UsageError
from labelgate.io.canonical import read_export
from labelgate.io.writers import write_csv, write_parquet
from labelgate.problems import Problem

OUTPUT_COLUMNS = [col.ITEM_ID, col.LABEL, "confidence", "status", "n_annotations"]


@dataclass
class AggregateResult:
    """The labels table, the per-annotator table, and lines for the person running it."""

    labels: pd.DataFrame
    annotators: pd.DataFrame
    messages: list[str] = field(default_factory=list)


def _params(pairs: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--param expects KEY=VALUE, got '{pair}'.")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


def _write(path: Path, frame: pd.DataFrame) -> None:
    if path.suffix.lower() == ".parquet":
        write_parquet(path, frame)
    elif path.suffix.lower() == ".csv":
        write_csv(path, frame)
    else:
        raise UsageError(f"cannot write '{path}': use a .csv or .parquet file name.")


def read_gold(
    gold_path: Path, gold_columns: dict[str, str], frame: pd.DataFrame, labels: list[str]
) -> pd.Series:
    """Gold labels by item id; every gold item must be annotated, every gold label used."""
    gold_frame, _ = read_export(gold_path, gold_columns, (col.ITEM_ID, col.LABEL))
    unknown_items = sorted(set(gold_frame[col.ITEM_ID]) - set(frame[col.ITEM_ID]))
    unknown_labels = sorted(set(gold_frame[col.LABEL]) - set(labels))
    problems = []
    if unknown_items:
        problems.append(
            Problem(
                str(gold_path),
                message=f"{len(unknown_items)} gold items have no annotations, e.g. {', '.join(repr(i) for i in unknown_items[:3])}.",
                fix="Check that both files use the same item ids (--item-col).",
            )
        )
    if unknown_labels:
        problems.append(
            Problem(
                str(gold_path),
                message=f"gold labels that no annotator used: {', '.join(repr(x) for x in unknown_labels[:5])}.",
                fix="Check the label column and spelling.",
            )
        )
    if problems:
        raise InputError(problems)
    gold: pd.Series = gold_frame.drop_duplicates(col.ITEM_ID, keep="last").set_index(col.ITEM_ID)[
        col.LABEL
    ]
    return gold


def annotator_table(
    frame: pd.DataFrame, table: pd.DataFrame, gold: pd.Series | None
) -> pd.DataFrame:
    """Per annotator: annotations, agreement with consensus and, given gold, gold accuracy."""
    merged = frame.merge(
        table[[col.ITEM_ID, col.LABEL]].rename(columns={col.LABEL: "final"}), on=col.ITEM_ID
    )
    agrees = (merged[col.LABEL] == merged["final"]).groupby(merged[col.ANNOTATOR_ID])
    annotators = pd.DataFrame(
        {"n_annotations": agrees.size(), "agreement_with_consensus": agrees.mean()}
    )
    if gold is not None:
        on_gold = frame[frame[col.ITEM_ID].isin(gold.index)]
        hit = on_gold[col.LABEL].to_numpy() == gold.reindex(on_gold[col.ITEM_ID]).to_numpy()
        annotators["n_gold"] = (
            on_gold.groupby(col.ANNOTATOR_ID).size().reindex(annotators.index).fillna(0).astype(int)
        )
        annotators["gold_accuracy"] = (
            pd.Series(hit, index=on_gold.index)
            .groupby(on_gold[col.ANNOTATOR_ID])
            .mean()
            .reindex(annotators.index)
        )
    return annotators.reset_index()


def _messages(
    method: str,
    table: pd.DataFrame,
    model: Aggregator,
    skipped: dict[str, int],
    gold: pd.Series | None,
) -> list[str]:
    messages = [
        f"{len(table)} items by {method}: "
        + ", ".join(
            f"{s} {int((table['status'] == s).sum())}"
            for s in ("agreed", "aggregated", "unresolved")
        )
    ]
    if skipped:
        messages.append("skipped rows: " + ", ".join(f"{k} {v}" for k, v in skipped.items()))
    if not getattr(model, "converged_", True):
        history = getattr(model, "loss_history_", [])
        messages.append(
            f"WARNING: {method} did not converge in {len(history)} iterations; last losses {[round(x, 6) for x in history[-3:]]}. Raise max_iter (--param max_iter=500) or loosen tol."
        )
    if gold is not None:
        common = gold.index.intersection(model.labels_.index)
        messages.append(
            f"accuracy on {len(common)} gold items: {(model.labels_[common] == gold[common]).mean():.4f}"
        )
    return messages


def aggregate_file(
    path: Path,
    method: str,
    columns: dict[str, str],
    gold_path: Path | None,
    gold_columns: dict[str, str],
    seed: int,
    params: list[str],
    min_confidence: float,
    output: Path | None,
    annotators_out: Path | None,
) -> AggregateResult:
    """Consensus labels with confidence and status; gold items and labels must be known."""
    frame, skipped = read_export(path, columns, col.ANNOTATION_REQUIRED)
    if frame.empty:
        raise InputError(
            [
                Problem(
                    str(path), message="no usable annotation rows.", fix="Check the column options."
                )
            ]
        )
    labels = sorted(frame[col.LABEL].unique())
    gold = read_gold(gold_path, gold_columns, frame, labels) if gold_path is not None else None
    options = _params(params)
    options.setdefault("random_state", seed)
    model = make(method, labels, options, "--method/--param")
    model.fit(frame, gold)
    confidence, n, status = final_status(model, min_confidence)
    table = pd.DataFrame(
        {
            col.ITEM_ID: model.labels_.index.astype(str),
            col.LABEL: model.labels_.to_numpy(),
            "confidence": confidence,
            "status": status,
            "n_annotations": n,
        }
    )
    annotators = annotator_table(frame, table, gold)
    messages = _messages(method, table, model, skipped, gold)
    if output is not None:
        _write(output, table)
        messages.append(f"labels written to {output}")
    if annotators_out is not None:
        _write(annotators_out, annotators)
        messages.append(f"annotator table written to {annotators_out}")
    return AggregateResult(table, annotators, messages)
