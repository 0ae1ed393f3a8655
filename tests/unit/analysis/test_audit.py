"""The audit's code helpers and its sample against the string-keyed rules it replaces."""

from __future__ import annotations

import numpy as np
import pandas as pd

from labelgate.analysis.audit import draw, priority
from labelgate.analysis.encoding import codes_together, first_votes, unique_annotations
from labelgate.config.qa_rules import AuditSampling


def test_codes_together_shares_codes_across_columns() -> None:
    (a, b), uniques = codes_together(pd.Series(["x", "y", None]), pd.Series(["y", "z"]))
    assert list(uniques) == ["x", "y", "z"]
    assert a.tolist() == [0, 1, -1]
    assert b.tolist() == [1, 2]


def test_first_votes_keeps_the_first_annotation_per_item_and_annotator() -> None:
    frame = pd.DataFrame(
        {"item_id": ["a", "a", "b", "a", "b"], "annotator_id": ["x", "y", "x", "x", "x"]}
    )
    items, _ = pd.factorize(frame["item_id"])
    who, _ = pd.factorize(frame["annotator_id"])
    kept = frame[first_votes(items, who)]
    assert kept.index.tolist() == unique_annotations(frame).index.tolist() == [0, 1, 2]


def test_priority_is_a_seeded_hash_per_distinct_id() -> None:
    keys = priority(pd.Series(["a", "b", "a"]), seed=3)
    assert keys[0] == keys[2] != keys[1]
    assert keys.dtype == np.uint64


def test_draw_takes_the_first_non_missing_batch_of_the_first_votes() -> None:
    final = pd.DataFrame(
        {
            "item_id": ["i1", "i2", "i3"],
            "label": ["a", "b", "a"],
            "confidence": [1.0, 0.5, 0.7],
            "status": ["agreed"] * 3,
        }
    )
    # i1: x's repeat (batch b9) is not a vote, so its batch is y's b2; i3 has no annotation.
    annotations = pd.DataFrame(
        {
            "item_id": ["i1", "i1", "i1", "i2"],
            "annotator_id": ["x", "x", "y", "x"],
            "batch": [None, "b9", "b2", "b1"],
        }
    )
    rule = AuditSampling(fraction=1.0, strata=["batch"], seed=1)
    sample = draw(final, annotations, rule)
    assert dict(zip(sample["item_id"], sample["batch"], strict=True)) == {
        "i1": "b2",
        "i2": "b1",
        "i3": "",
    }
    assert set(sample["stratum"]) == {"b2", "b1", ""}
