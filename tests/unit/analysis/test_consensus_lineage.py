"""Lineage columns of final labels: each item's distinct versions and migrations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from labelgate.analysis.consensus import distinct_joined


def _reference(annotations: pd.DataFrame, column: str, sep: str) -> pd.Series:
    """The definition, spelled out: sorted distinct non-empty values per item, joined."""
    out = {}
    for item, values in annotations.groupby("item_id")[column]:
        distinct = sorted({v for v in values if v != ""})
        if distinct:
            out[item] = sep.join(distinct)
    return pd.Series(out, dtype="str")


def test_distinct_joined_matches_its_definition_on_random_data() -> None:
    rng = np.random.default_rng(4)
    versions = np.array(["", "1.0.0", "1.1.0", "2.0.0", "1.10.0"])
    annotations = pd.DataFrame(
        {
            "item_id": [f"i{k}" for k in rng.integers(0, 300, 2000)],
            "guideline_version": versions[rng.integers(0, 5, 2000)],
        }
    )
    got = distinct_joined(annotations, "guideline_version", "; ")
    want = _reference(annotations, "guideline_version", "; ")
    assert got.sort_index().to_dict() == want.sort_index().to_dict()
    assert "1.0.0; 1.1.0; 1.10.0; 2.0.0" in set(got)  # string order, every value once


def test_distinct_joined_of_a_column_with_no_values_is_empty() -> None:
    annotations = pd.DataFrame({"item_id": ["a", "b"], "migrated_from": ["", ""]})
    assert distinct_joined(annotations, "migrated_from").empty
