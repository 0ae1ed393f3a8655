"""Small tables the HTML report shows that no earlier stage writes: annotators' labels against
final labels, and the distinct values of the final labels' lineage columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from labelgate.analysis.encoding import codes_together

LINEAGE_COLUMNS = ("schema_version", "guideline_versions", "rules_hash", "pipeline_hash")


def label_confusion(
    annotations: pd.DataFrame, final: pd.DataFrame, labels: list[str]
) -> dict[str, Any]:
    """Counts of each annotator label (columns) on items by final label (rows).

    annotations : one row per item and annotator (`item_id`, `label`); final : final labels
    (`item_id`, `label`, `status`), unresolved items left out. Rows and columns follow
    `labels` (the schema's order); a label outside it is dropped. Returns `{"labels": [...],
    "counts": [[int, ...], ...]}`, shape (L, L).
    """
    decided = final.loc[final["status"] != "unresolved", ["item_id", "label"]]
    (items, settled), _ = codes_together(annotations["item_id"], decided["item_id"])
    if np.bincount(settled[settled >= 0]).max(initial=0) > 1:  # repeated ids: a real join
        return _confusion_by_merge(annotations, decided, labels)
    # Each label's position in `labels` (-1: outside it, or missing), via the few distinct ones.
    (given, final_label), names = codes_together(annotations["label"], decided["label"])
    position = np.append(pd.Index(labels).get_indexer(names), -1)  # code -1 takes the last
    column, row = position[given], position[final_label]
    final_of = np.full(int(max(items.max(initial=-1), settled.max(initial=-1))) + 2, -1)
    final_of[settled[settled >= 0]] = row[settled >= 0]  # the last slot: no final label
    row = final_of[items]
    both = (row >= 0) & (column >= 0)
    size = len(labels)
    counts = np.bincount(row[both] * size + column[both], minlength=size * size)
    return {"labels": list(labels), "counts": counts.reshape(size, size).tolist()}


def _confusion_by_merge(
    annotations: pd.DataFrame, decided: pd.DataFrame, labels: list[str]
) -> dict[str, Any]:
    """`label_confusion` when an item has several final labels: every pair of rows counts."""
    pairs = annotations[["item_id", "label"]].merge(
        decided.rename(columns={"label": "final"}), on="item_id", how="inner"
    )
    pairs = pairs[pairs["label"].isin(labels) & pairs["final"].isin(labels)]
    table = pd.crosstab(
        pd.Categorical(pairs["final"].astype(str), categories=labels),
        pd.Categorical(pairs["label"].astype(str), categories=labels),
        dropna=False,
    ).reindex(index=labels, columns=labels, fill_value=0)
    return {"labels": list(labels), "counts": [[int(n) for n in row] for row in table.to_numpy()]}


def lineage_values(final: pd.DataFrame) -> dict[str, list[str]]:
    """The distinct values of each lineage column of the final labels, sorted."""
    return {
        column: sorted({str(v) for v in final[column].dropna().unique() if str(v)})
        for column in LINEAGE_COLUMNS
        if column in final.columns
    }
