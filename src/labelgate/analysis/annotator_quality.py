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


def item_positions(ids: pd.Series, table: pd.DataFrame) -> np.ndarray | None:
    """Row of `table` holding each id (-1: none), when `table` has one row per item; None
    when ids repeat there (the caller joins instead)."""
    # nunique hashes by Arrow; Index.is_unique would make every id a Python string.
    if table[col.ITEM_ID].nunique(dropna=False) < len(table):
        return None
    return positions(ids, pd.Index(table[col.ITEM_ID]))  # Arrow: get_indexer is slower on text


def gold_accuracy(annotations: pd.DataFrame, gold: pd.DataFrame) -> pd.DataFrame:
    """Per annotator: n_gold and gold_accuracy on the gold items they labelled."""
    where = item_positions(annotations[col.ITEM_ID], gold)
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


def _agreeing(
    annotations: pd.DataFrame, final: pd.DataFrame, where: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(counted, agrees) per annotation: counted when its item (row `where` of `final`, -1:
    none) has 2+ annotations; agrees when its label is the item's final label.

    On label codes: comparing text would turn millions of labels into Python strings."""
    hit = where >= 0
    counted = np.zeros(len(where), dtype=bool)
    found = where if hit.all() else where[hit]
    counted[hit] = final["n_annotations"].to_numpy()[found] >= 2
    del found
    final_codes, names = pd.factorize(final[col.LABEL])
    given, labels = pd.factorize(annotations[col.LABEL])
    # An annotation's label as a final label code (-1: a label no item has, or none).
    given = np.append(positions(pd.Index(labels), pd.Index(names)), -1)[given]
    chosen = np.append(final_codes, -1)[where]
    return counted, (given == chosen) & (chosen >= 0)


def _joined_agreement(annotations: pd.DataFrame, final: pd.DataFrame) -> pd.Series:
    """Agreement with consensus per annotator id, by a join (item ids repeat in `final`)."""
    merged = annotations.merge(
        final[[col.ITEM_ID, col.LABEL, "n_annotations"]].rename(columns={col.LABEL: "final"}),
        on=col.ITEM_ID,
    )
    shared = merged[merged["n_annotations"] >= 2]
    return (shared[col.LABEL] == shared["final"]).groupby(shared[col.ANNOTATOR_ID]).mean()


def _coded_agreement(
    codes: np.ndarray, counted: np.ndarray, agrees: np.ndarray, names: pd.Index
) -> pd.Series:
    """Per annotator id (their `codes`, -1: none), the share of counted annotations that
    agree; NaN without any. Counts of 0/1 add up exactly: the bits of a grouped mean."""
    counted = counted & (codes >= 0)
    n = np.bincount(codes[counted], minlength=len(names))
    agreeing = np.bincount(codes[counted], weights=agrees[counted], minlength=len(names))
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.Series(np.where(n > 0, agreeing / n, np.nan), index=names)


def _by_id(grouped: pd.Series) -> pd.Series:
    """A result grouped on annotator categories, indexed by annotator id."""
    index = grouped.index
    assert isinstance(index, pd.CategoricalIndex)
    return pd.Series(grouped.to_numpy(), index=index.categories[index.codes])


def annotator_table(
    quality: pd.DataFrame,
    annotations: pd.DataFrame,
    final: pd.DataFrame,
    audit: pd.DataFrame,
    rows: np.ndarray | None = None,
) -> pd.DataFrame:
    """annotators.csv: the qualification table with work done, consensus agreement and audits.

    `quality` is `qualification(...)` indexed by annotator id; agreement with consensus
    counts only items with 2+ annotations, where disagreeing is possible. `rows`, when
    known: the row of `final` holding each annotation's item.
    """
    quality = quality.copy()
    # Annotators as codes, counted by bincount and grouped as categories: the ids are hashed
    # once (a missing id has code -1: no group, as grouping by id drops it).
    codes, ids = pd.factorize(annotations[col.ANNOTATOR_ID], sort=True)
    names = pd.Index(ids)
    annotator = pd.Categorical.from_codes(codes, categories=names)
    where = rows if rows is not None else item_positions(annotations[col.ITEM_ID], final)
    if where is None:
        agreement = _joined_agreement(annotations, final)
    else:  # by position: final labels have one row per item
        agreement = _coded_agreement(codes, *_agreeing(annotations, final, where), names)
    done = np.bincount(codes[codes >= 0], minlength=len(names))
    quality["n_annotations"] = (
        pd.Series(done, index=names).reindex(quality.index).fillna(0).astype(int)
    )
    quality["agreement_with_consensus"] = agreement.reindex(quality.index)
    by_annotator = pd.Series(annotator, index=annotations.index)
    durations = annotations["duration_s"].groupby(by_annotator, observed=True).median()
    quality["median_duration_s"] = _by_id(durations).reindex(quality.index)
    quality["audit_rejected_share"] = audit_rejections(annotations, final, audit).reindex(
        quality.index
    )
    return quality.reset_index()[ANNOTATOR_COLUMNS].astype({"n_gold": "int64"})
