"""Small tables the HTML report shows that no earlier stage writes: annotators' labels against
final labels, and the distinct values of the final labels' lineage columns."""

from __future__ import annotations

from typing import Any

import pandas as pd

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
        column: sorted({str(v) for v in final[column].dropna() if str(v)})
        for column in LINEAGE_COLUMNS
        if column in final.columns
    }
