"""Multi-label aggregation: majority vote and binary Dawid-Skene per label, against hand examples,
a loop-by-loop reference EM, invariances and expert labels of a real multi-label dataset."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from labelgate.aggregation.multilabel import Method, aggregate_multilabel
from tests.conftest import SHARED

RELEX = SHARED / "data/real/crowdtruth_medical_relex_multilabel"


def from_sets(sets: list[list[str]], labels: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    items, annotators, present = [], [], []
    for item, answers in enumerate(sets):
        for annotator, answer in enumerate(answers):
            items.append(item)
            annotators.append(annotator)
            present.append([label in answer for label in labels])
    return np.array(items), np.array(annotators), np.array(present, dtype=bool)


def synthetic(
    seed: int, n_items: int = 400, n_labels: int = 5
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Five annotators per item from a pool of 12: 4 good (0.9/0.95), 4 fair, 4 near-random."""
    rng = np.random.default_rng(seed)
    truth = rng.random((n_items, n_labels)) < 0.3
    sens = np.repeat([0.9, 0.7, 0.55], 4)[:, None] * np.ones(n_labels)
    spec = np.repeat([0.95, 0.8, 0.5], 4)[:, None] * np.ones(n_labels)
    items = np.repeat(np.arange(n_items), 5)
    annotators = np.concatenate([rng.choice(12, 5, replace=False) for _ in range(n_items)])
    t = truth[items]
    u = rng.random(t.shape)
    present = np.where(t, u < sens[annotators], u > spec[annotators])
    return items, annotators, present, truth, sens, spec


def reference_ds(
    items: np.ndarray, annotators: np.ndarray, votes: np.ndarray, iters: int, smoothing: float = 1.0
) -> np.ndarray:
    """One label's two-class Dawid-Skene, written as plain loops over annotations."""
    n_items, n_annotators = items.max() + 1, annotators.max() + 1
    t = np.array([votes[items == i].mean() for i in range(n_items)])
    for _ in range(iters):
        tp = np.zeros(n_annotators)
        fp = np.zeros(n_annotators)
        pos = np.zeros(n_annotators)
        neg = np.zeros(n_annotators)
        for i, a, v in zip(items, annotators, votes, strict=True):
            pos[a] += t[i]
            neg[a] += 1 - t[i]
            tp[a] += t[i] * v
            fp[a] += (1 - t[i]) * v
        sens = (tp + smoothing) / (pos + 2 * smoothing)
        spec = (neg - fp + smoothing) / (neg + 2 * smoothing)
        prior = (t.sum() + smoothing) / (n_items + 2 * smoothing)
        log_odds = np.full(n_items, np.log(prior / (1 - prior)))
        for i, a, v in zip(items, annotators, votes, strict=True):
            log_odds[i] += np.log(sens[a] / (1 - spec[a])) if v else np.log((1 - sens[a]) / spec[a])
        t = 1 / (1 + np.exp(-log_odds))
    return t


def test_majority_vote_hand_example() -> None:
    # Item 0: {a,b}, {a}, {a,c} -> a 3/3 present, b 1/3 and c 1/3 absent.
    # Item 1: {a}, {} -> a 1/2: a tie, absent by default; item 2: {}, {} -> the empty set.
    items, annotators, present = from_sets([["ab", "a", "ac"], ["a", ""], ["", ""]], "abc")
    result = aggregate_multilabel(items, annotators, present, ["a", "b", "c"])
    np.testing.assert_array_equal(
        result.decisions, [[True, False, False], [False, False, False], [False, False, False]]
    )
    np.testing.assert_allclose(result.posterior[0], [1, 1 / 3, 1 / 3])
    np.testing.assert_allclose(result.confidence[0], [1, 2 / 3, 2 / 3])
    np.testing.assert_allclose(result.item_confidence, [4 / 9, 0.5, 1.0])
    np.testing.assert_allclose(result.item_min_confidence, [2 / 3, 0.5, 1.0])
    np.testing.assert_array_equal(result.n_annotations, [3, 2, 2])
    np.testing.assert_array_equal(result.ties, [[False] * 3, [True, False, False], [False] * 3])
    frame = result.to_frame(pd.Index(["x", "y", "z"]))
    assert frame["labels"].tolist() == [["a"], [], []]
    assert list(frame.columns[:4]) == ["labels", "confidence", "min_confidence", "n_annotations"]
    present_ties = aggregate_multilabel(items, annotators, present, ["a", "b", "c"], ties="present")
    assert present_ties.decisions[1].tolist() == [True, False, False]


def test_unannotated_item_codes() -> None:
    items, annotators, present = from_sets([["a", "a"]], "ab")
    methods: tuple[Method, ...] = ("majority_vote", "dawid_skene")
    for method in methods:
        result = aggregate_multilabel(
            items,
            annotators,
            present,
            ["a", "b"],
            method=method,
            n_items=3,
        )
        assert result.n_annotations.tolist() == [2, 0, 0]
        assert result.decisions.shape == (3, 2)


def test_dawid_skene_equals_loop_reference() -> None:
    items, annotators, present, *_ = synthetic(0, n_items=120, n_labels=3)
    result = aggregate_multilabel(
        items, annotators, present, ["x", "y", "z"], method="dawid_skene", max_iter=15, tol=0.0
    )
    assert result.n_iter == 15
    assert not result.converged  # tol 0: stopped by max_iter
    for label in range(3):
        expected = reference_ds(items, annotators, present[:, label], iters=15)
        np.testing.assert_allclose(result.posterior[:, label], expected, rtol=0, atol=1e-10)


def test_dawid_skene_recovers_truth_and_annotator_quality() -> None:
    items, annotators, present, truth, sens, spec = synthetic(1, n_items=2000)
    labels = list("abcde")
    ds = aggregate_multilabel(items, annotators, present, labels, method="dawid_skene")
    mv = aggregate_multilabel(items, annotators, present, labels)
    ds_acc, mv_acc = (ds.decisions == truth).mean(), (mv.decisions == truth).mean()
    assert ds.converged
    assert ds_acc > mv_acc
    assert ds_acc > 0.93
    assert ds.sensitivity is not None
    assert ds.specificity is not None
    np.testing.assert_allclose(ds.sensitivity, sens, atol=0.08)
    np.testing.assert_allclose(ds.specificity, spec, atol=0.08)
    assert ds.prevalence is not None
    np.testing.assert_allclose(ds.prevalence, truth.mean(axis=0), atol=0.03)
    # Posteriors are calibrated-ish: the decisions' mean confidence tracks their accuracy.
    assert abs(ds.confidence.mean() - ds_acc) < 0.03


def test_gold_cells_are_clamped() -> None:
    items, annotators, present, truth, *_ = synthetic(2, n_items=200)
    gold = np.full(truth.shape, -1, np.int8)
    gold[:20] = truth[:20]
    result = aggregate_multilabel(
        items, annotators, present, list("abcde"), method="dawid_skene", gold=gold
    )
    np.testing.assert_array_equal(result.decisions[:20], truth[:20])
    np.testing.assert_array_equal(result.confidence[:20], 1.0)
    with pytest.raises(ValueError, match="gold must be"):
        aggregate_multilabel(items, annotators, present, list("abcde"), gold=gold[:5])


@pytest.mark.parametrize("method", ["majority_vote", "dawid_skene"])
def test_invariances(method: Method) -> None:
    items, annotators, present, *_ = synthetic(3, n_items=150)
    labels = list("abcde")
    base = aggregate_multilabel(items, annotators, present, labels, method=method)
    rng = np.random.default_rng(0)
    perm = rng.permutation(5)
    permuted = aggregate_multilabel(
        items,
        annotators,
        present[:, perm],
        [labels[p] for p in perm],
        method=method,
    )
    np.testing.assert_allclose(permuted.posterior, base.posterior[:, perm], atol=1e-12)
    relabel = rng.permutation(annotators.max() + 1)
    order = rng.permutation(len(items))
    moved = aggregate_multilabel(
        items[order],
        relabel[annotators][order],
        present[order],
        labels,
        method=method,
    )
    np.testing.assert_allclose(moved.posterior, base.posterior, atol=1e-10)
    np.testing.assert_array_equal(moved.decisions, base.decisions)


def test_rejects_bad_input() -> None:
    items, annotators, present = from_sets([["a", "b"]], "ab")
    with pytest.raises(ValueError, match="present must be"):
        aggregate_multilabel(items, annotators, present, ["a"])
    with pytest.raises(ValueError, match="unknown method"):
        aggregate_multilabel(items, annotators, present, ["a", "b"], method="mace")


@pytest.mark.shared
def test_relex_against_expert_labels() -> None:
    """CrowdTruth RelEx (15 workers per sentence) against the medical expert's CAUSE and TREAT
    labels (ground_truth_{cause,treat}.csv, joined on sentence and both terms).

    Majority vote is checked against a pandas groupby written here; accuracies are recorded.
    """
    if not RELEX.is_dir():
        pytest.skip("../shared/data/real is absent")
    df = pd.read_csv(
        RELEX / "RelEx_raw_all_batches.csv.gz",
        usecols=["_unit_id", "_worker_id", "relations", "sentence", "term1", "term2"],
    ).drop_duplicates(["_unit_id", "_worker_id"])
    chosen = [re.findall(r"\[([A-Z_]+)\]", text) for text in df["relations"]]
    labels = sorted({label for row in chosen for label in row})
    present = np.array([[label in row for label in labels] for row in chosen], dtype=bool)
    items, item_ids = pd.factorize(df["_unit_id"])
    annotators = pd.factorize(df["_worker_id"])[0]
    mv = aggregate_multilabel(items, annotators, present, labels)
    ds = aggregate_multilabel(items, annotators, present, labels, method="dawid_skene")

    votes = pd.DataFrame(present, columns=labels).groupby(items).agg(["sum", "count"])
    for index, label in enumerate(labels):
        expected = votes[(label, "sum")] * 2 > votes[(label, "count")]
        np.testing.assert_array_equal(mv.decisions[:, index], expected.to_numpy())

    units = df.drop_duplicates("_unit_id")[["_unit_id", "sentence", "term1", "term2"]]
    accuracy = {}
    for relation, label in (("cause", "CAUSES"), ("treat", "TREATS")):
        truth = pd.read_csv(RELEX / f"ground_truth_{relation}.csv")
        truth = truth[truth["expert"].notna()]
        joined = units.merge(truth, on=["sentence", "term1", "term2"]).drop_duplicates("_unit_id")
        rows = pd.Index(item_ids).get_indexer(joined["_unit_id"])
        expert = joined["expert"].to_numpy() > 0
        column = labels.index(label)
        for name, result in (("majority_vote", mv), ("dawid_skene", ds)):
            accuracy[relation, name] = float((result.decisions[rows, column] == expert).mean())
    # Values at the time of writing: cause MV 0.791 / DS 0.778, treat MV 0.799 / DS 0.852
    # (555 and 338 expert-labelled sentences matched).
    assert accuracy["cause", "majority_vote"] == pytest.approx(0.791, abs=0.002)
    assert accuracy["treat", "majority_vote"] == pytest.approx(0.799, abs=0.002)
    assert accuracy["cause", "dawid_skene"] > 0.75
    assert accuracy["treat", "dawid_skene"] > 0.83
