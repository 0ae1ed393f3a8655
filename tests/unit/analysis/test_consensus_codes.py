"""Aggregation's code paths (positions, categories, shared buffers) give the plain results."""

from __future__ import annotations

import numpy as np
import pandas as pd

from labelgate.aggregation.base import encode, first_vote_mask
from labelgate.analysis.annotator_quality import annotator_table, gold_accuracy, qualification
from labelgate.analysis.consensus import (
    adjudication_queue,
    distinct_joined,
    gold_agreement,
    posterior_text,
    repeated,
)
from labelgate.config.guideline import Ruling


def _annotations(seed: int, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "item_id": pd.array([f"i{k}" for k in rng.integers(0, 90, n)], dtype="str"),
            "annotator_id": pd.array([f"w{k}" for k in rng.integers(0, 8, n)], dtype="str"),
            "label": pd.array(np.array(["a", "b", "c"])[rng.integers(0, 3, n)], dtype="str"),
            "duration_s": np.where(rng.random(n) < 0.1, np.nan, rng.random(n) * 20),
        }
    )
    return frame.drop_duplicates(["item_id", "annotator_id"]).reset_index(drop=True)


def _final(annotations: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    items = pd.Index(sorted(annotations["item_id"].unique()))
    statuses = np.array(["agreed", "aggregated", "unresolved"])
    return pd.DataFrame(
        {
            "item_id": items.astype("str"),
            "label": pd.array(np.array(["a", "b", "c"])[rng.integers(0, 3, len(items))]),
            "confidence": rng.random(len(items)),
            "n_annotations": annotations.groupby("item_id").size().reindex(items).to_numpy(),
            "status": pd.array(statuses[rng.integers(0, 3, len(items))], dtype="str"),
        }
    )


def _rows(annotations: pd.DataFrame) -> np.ndarray:
    return pd.factorize(annotations["item_id"], sort=True)[0]


def test_posterior_text_spells_out_each_row() -> None:
    rng = np.random.default_rng(2)
    values = rng.dirichlet(np.ones(3), size=200)
    values[:50] = np.round(values[:50] * 3) / 3  # repeated rows
    values[7] = np.nan
    values[8, 0] = 0.0004  # rounds to 0: not shown
    probas = pd.DataFrame(values, columns=["x", "y", "z"])
    want = [
        "; ".join(f"{name}={p:.3f}" for name, p in zip("xyz", row, strict=True) if p >= 0.0005)
        for row in np.nan_to_num(values, nan=0.0)
    ]
    assert posterior_text(probas).tolist() == want


def test_distinct_joined_on_codes_and_categories_matches_the_plain_path() -> None:
    annotations = _annotations(3)
    versions = np.array(["", "1.0.0", "1.1.0", "2.0.0"])[np.arange(len(annotations)) % 4]
    annotations["guideline_version"] = pd.array(versions, dtype="str")
    items = pd.Index(sorted(annotations["item_id"].unique()))
    plain = distinct_joined(annotations, "guideline_version", "; ", items=items)
    categories = annotations.assign(
        guideline_version=annotations["guideline_version"].astype("category")
    )
    coded = distinct_joined(categories, "guideline_version", "; ", items, _rows(annotations))
    assert coded.equals(plain)


def test_annotator_table_by_position_matches_the_join() -> None:
    annotations = _annotations(4)
    final = _final(annotations, 4)
    gold = pd.DataFrame({"item_id": ["i1", "i2", "i3"], "label": ["a", "b", "c"]})
    ids = pd.Index(sorted(annotations["annotator_id"].unique()), name="annotator_id")
    quality = qualification(None, gold_accuracy(annotations, gold), ids)
    audit = pd.DataFrame(columns=["item_id", "verdict", "label"])
    joined = annotator_table(quality, annotations, final, audit)
    by_position = annotator_table(quality, annotations, final, audit, _rows(annotations))
    pd.testing.assert_frame_equal(by_position, joined, check_exact=True)


def test_adjudication_queue_lists_each_unresolved_item_with_its_votes() -> None:
    annotations = _annotations(5)
    final = _final(annotations, 5)
    items = pd.Index(final["item_id"])
    probas = pd.DataFrame(np.full((len(items), 2), 0.5), index=items, columns=["a", "b"])
    texts = pd.DataFrame({"item_id": items, "text": [f"t {i}" for i in items]})
    rulings = (Ruling(id="R1", title="", line=1, labels=("c",)),)
    queue = adjudication_queue(final, annotations, texts, probas, rulings, _rows(annotations))
    todo = final[final["status"] == "unresolved"]
    assert queue["item_id"].tolist() == todo["item_id"].tolist()
    for row in queue.itertuples():
        votes = annotations[annotations["item_id"] == row.item_id]
        pairs = [f"{a}={b}" for a, b in zip(votes["annotator_id"], votes["label"], strict=True)]
        assert row.annotations == "; ".join(pairs)
        assert row.rulings == ("R1" if "c" in set(votes["label"]) else "")
        assert (row.text, row.posterior) == (f"t {row.item_id}", "a=0.500; b=0.500")
    same = adjudication_queue(final, annotations, texts, probas, rulings)  # rows looked up
    pd.testing.assert_frame_equal(same, queue)


def test_gold_agreement_counts_gold_rows_of_final_items() -> None:
    final = pd.DataFrame({"item_id": ["a", "b", "c"], "label": ["x", "y", "x"]})
    gold = pd.DataFrame({"item_id": ["a", "b", "z", "c"], "label": ["x", "x", "x", "x"]})
    assert gold_agreement(final, gold) == (2, 3)


def test_repeated_text_is_one_value_per_row() -> None:
    column = repeated('{"k": 1}', 70_000)
    assert len(column) == 70_000
    assert set(column) == {'{"k": 1}'}
    assert column.dtype == "str"
    assert len(repeated("", 0)) == 0


def test_first_vote_mask_finds_repeats_only_when_there_are_some() -> None:
    items, annotators = np.array([0, 1, 0, 1]), np.array([0, 0, 1, 0])
    assert first_vote_mask(items[:3], annotators[:3], 2) is None
    mask = first_vote_mask(items, annotators, 2)
    assert mask is not None
    assert mask.tolist() == [True, True, True, False]
    frame = pd.DataFrame({"item_id": ["i", "j", "i", "j"], "annotator_id": ["u", "u", "v", "u"]})
    codes = encode(frame.assign(label=["a", "b", "a", "z"]), ["a", "b"], None)
    assert codes.labels.tolist() == [0, 1, 0]  # the repeat's unknown label is not a vote
