"""Per-annotator quality: gold accuracy, the qualification bar, agreement with consensus, audits."""

from __future__ import annotations

import numpy as np
import pandas as pd

from labelgate.analysis.encoding import positions
from labelgate.config import columns as col
from labelgate.config.qa_rules import AnnotatorQualification

ANNOTATOR_COLUMNS = [
    col.ANNOTATOR_ID,
    "n_annotations",
    "n_gold",
    "gold_accuracy",
    "agreement_with_consensus",
    "median_duration_s",
    "audit_rejected_share",
    "needs_retraining",
    "excluded",
]


def _positions(ids: pd.Series, table: pd.DataFrame) -> np.ndarray | None:
    """Row of `table` holding each id (-1: none), when `table` has one row per item; None
    when ids repeat there (the caller joins instead)."""
    index = pd.Index(table[col.ITEM_ID])
    if not index.is_unique:
        return None
    return positions(ids, index)  # hashed by Arrow: pandas' get_indexer is slower on text


def gold_accuracy(annotations: pd.DataFrame, gold: pd.DataFrame) -> pd.DataFrame:
    """Per annotator: n_gold and gold_accuracy on the gold items they labelled."""
    where = _positions(annotations[col.ITEM_ID], gold)
    if where is None:
        joined = annotations.merge(
            gold[[col.ITEM_ID, col.LABEL]].rename(columns={col.LABEL: "gold"}), on=col.ITEM_ID
        )
    else:  # the joined rows in annotation order, as the merge gives them, by position
        hit = where >= 0
        joined = annotations.loc[hit, [col.ANNOTATOR_ID, col.LABEL]].reset_index(drop=True)
        joined["gold"] = gold[col.LABEL].to_numpy()[where[hit]]
    joined["correct"] = joined[col.LABEL] == joined["gold"]
    stats = joined.groupby(col.ANNOTATOR_ID)["correct"].agg(n_gold="size", gold_correct="sum")
    stats["gold_accuracy"] = stats["gold_correct"] / stats["n_gold"]
    return pd.DataFrame(stats)


def qualification(
    bar: AnnotatorQualification | None, stats: pd.DataFrame, annotators: pd.Index
) -> pd.DataFrame:
    """needs_retraining / excluded per annotator from the qa rules' qualification bar."""
    table = pd.DataFrame(index=annotators).join(stats).fillna({"n_gold": 0, "gold_correct": 0})
    if bar is None:
        table["needs_retraining"] = False
    else:
        table["needs_retraining"] = (table["n_gold"] >= bar.min_gold_items) & (
            table["gold_accuracy"] < bar.min_gold_accuracy
        )
    table["excluded"] = table["needs_retraining"] & bool(bar and bar.exclude_below)
    return table


def audit_rejections(
    annotations: pd.DataFrame, final: pd.DataFrame, audit: pd.DataFrame
) -> pd.Series:
    """Per annotator, the share of their audited annotations that the audit shows wrong."""
    judged = audit[audit["verdict"].isin(["correct", "incorrect"])].drop_duplicates(
        col.ITEM_ID, keep="last"
    )
    if judged.empty:
        return pd.Series(dtype="float64")
    truth = judged.merge(
        final[[col.ITEM_ID, col.LABEL]].rename(columns={col.LABEL: "final"}), on=col.ITEM_ID
    )
    truth["correct_label"] = np.where(
        truth["verdict"] == "correct", truth["final"], truth[col.LABEL]
    )
    truth = truth[truth["correct_label"] != ""]
    rows = annotations.merge(truth[[col.ITEM_ID, "correct_label"]], on=col.ITEM_ID)
    wrong = rows[col.LABEL] != rows["correct_label"]
    return wrong.groupby(rows[col.ANNOTATOR_ID]).mean()


def annotator_table(
    quality: pd.DataFrame, annotations: pd.DataFrame, final: pd.DataFrame, audit: pd.DataFrame
) -> pd.DataFrame:
    """annotators.csv: the qualification table with work done, consensus agreement and audits.

    `quality` is `qualification(...)` indexed by annotator id; agreement with consensus
    counts only items with 2+ annotations, where disagreeing is possible.
    """
    quality = quality.copy()
    where = _positions(annotations[col.ITEM_ID], final)
    if where is None:
        merged = annotations.merge(
            final[[col.ITEM_ID, col.LABEL, "n_annotations"]].rename(columns={col.LABEL: "final"}),
            on=col.ITEM_ID,
        )
        shared = merged[merged["n_annotations"] >= 2]
    else:  # only the columns used, by position (final labels have one row per item)
        hit = where >= 0
        several = np.zeros(len(where), dtype=bool)
        several[hit] = final["n_annotations"].to_numpy()[where[hit]] >= 2
        shared = annotations.loc[several, [col.ANNOTATOR_ID, col.LABEL]].reset_index(drop=True)
        shared["final"] = final[col.LABEL].to_numpy()[where[several]]
    by_annotator = annotations.groupby(col.ANNOTATOR_ID)
    quality["n_annotations"] = by_annotator.size().reindex(quality.index).fillna(0).astype(int)
    quality["agreement_with_consensus"] = (
        (shared[col.LABEL] == shared["final"])
        .groupby(shared[col.ANNOTATOR_ID])
        .mean()
        .reindex(quality.index)
    )
    quality["median_duration_s"] = by_annotator["duration_s"].median().reindex(quality.index)
    quality["audit_rejected_share"] = audit_rejections(annotations, final, audit).reindex(
        quality.index
    )
    return quality.reset_index()[ANNOTATOR_COLUMNS].astype({"n_gold": "int64"})
