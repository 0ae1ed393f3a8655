"""CROWDLAB (Goh, Tkachenko, Mueller 2022) on a hand-worked example, edge cases, properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelgate.metrics.label_quality.crowdlab import crowdlab

# Five items, three classes, three annotators (long format: item, annotator, label).
# item 0: a0 -> 0, a1 -> 0, a2 -> 1     item 1: all three -> 1     item 2: all three -> 2
# item 3: a0 -> 0, a1 -> 1 (a tie)      item 4: a2 -> 2 (one annotation)
ITEM = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 4])
ANNOTATOR = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])
LABEL = np.array([0, 0, 1, 1, 1, 1, 2, 2, 2, 0, 1, 2])
PROBS = np.array(
    [
        [0.7, 0.2, 0.1],
        [0.2, 0.7, 0.1],
        [0.1, 0.5, 0.4],  # the model is wrong here: argmax 1, the annotators say 2
        [0.3, 0.6, 0.1],
        [0.2, 0.2, 0.6],
    ]
)

# Sec. 3, step by step (I+ = items with >= 2 annotations = {0, 1, 2, 3}):
# Majority vote: 0, 1, 2, tie {0, 1} -> the model's likelier class 1, 2.
# Annotator agreement a_j with the other annotators on their items in I+, pooled:
#   a0: item 0 (label 0; others 0, 1) 1/2, item 1 2/2, item 2 2/2, item 3 (0; other 1) 0/1
#       -> 5/7; a1 likewise 5/7; a2: item 0 (1; others 0, 0) 0/2, items 1, 2 2/2 -> 4/6 = 2/3.
# Model accuracy on I+: argmax 0, 1, 1, 1 vs 0, 1, 2, 1 -> A_M = 3/4.
# P = mean share of an item's annotations equal to its consensus: (2/3 + 1 + 1 + 1/2) / 4
#   = 19/24.
# A_MLC: consensus on I+ is 0, 1, 2, 1; the most common class 1 holds 2/4 = 1/2.
# Weights w = 1 - (1 - a) / (1 - A_MLC): a0, a1 1 - (2/7)/(1/2) = 3/7; a2 1 - (1/3)/(1/2) =
#   1/3; model (1 - (1/4)/(1/2)) * sqrt(mean annotations per item = 12/5) = sqrt(2.4) / 2.
# The ensemble's argmax (below) is again 0, 1, 2, 1, 2, so the second pass, which re-estimates
# the weights against it, finds the same weights.
P = 19 / 24
OFF = (1 - P) / 2  # (1 - P) / (K - 1)
W = np.array([3 / 7, 3 / 7, 1 / 3])
W_M = 0.5 * math.sqrt(2.4)


def _likelihood(label: int) -> np.ndarray:
    out = np.full(3, OFF)
    out[label] = P
    return out


def test_weights_worked_example() -> None:
    result = crowdlab(ITEM, ANNOTATOR, LABEL, PROBS, 3)
    np.testing.assert_allclose(result.annotator_weights, W)
    assert result.model_weight == pytest.approx(W_M)
    # Reported agreement: with the consensus over all of an annotator's items: a0 wrong on
    # item 3 (3/4), a1 never wrong, a2 wrong on item 0 (3/4, item 4 included).
    np.testing.assert_allclose(result.annotator_agreement, [0.75, 1.0, 0.75])


def test_posterior_worked_example() -> None:
    result = crowdlab(ITEM, ANNOTATOR, LABEL, PROBS, 3)
    # Ensemble: p_CR = (w_M p_M + sum_j w_j L_j) / (w_M + sum_j w_j), L_j = P on the chosen
    # class and (1 - P) / (K - 1) elsewhere. Item 3: a0 chose 0, a1 chose 1 (w 3/7 each):
    # (0.2324 + 0.3393 + 0.0446, 0.4648 + 0.0446 + 0.3393, 0.0775 + 0.0893) / 1.6317
    #   = 0.3777, 0.5201, 0.1022
    item3 = (W_M * PROBS[3] + W[0] * _likelihood(0) + W[1] * _likelihood(1)) / (W_M + 6 / 7)
    np.testing.assert_allclose(item3, [0.377700, 0.520112, 0.102189], atol=1e-5)
    np.testing.assert_allclose(result.posterior[3], item3)
    item4 = (W_M * PROBS[4] + W[2] * _likelihood(2)) / (W_M + W[2])
    np.testing.assert_allclose(result.posterior[4], item4)
    np.testing.assert_allclose(result.posterior.sum(axis=1), 1.0)
    assert result.consensus.tolist() == [0, 1, 2, 1, 2]
    np.testing.assert_allclose(result.consensus_quality[3], item3[1])


def test_annotation_and_annotator_quality_worked_example() -> None:
    result = crowdlab(ITEM, ANNOTATOR, LABEL, PROBS, 3)
    # An annotation's quality is p_CR of its label, e.g. a0's 0 on item 3: 0.3777.
    np.testing.assert_allclose(result.annotation_quality, result.posterior[ITEM, LABEL])
    assert result.annotation_quality[9] == pytest.approx(0.377700, abs=1e-5)
    # Annotator quality = lambda Q_j + (1 - lambda) A_j, A_j agreement with the consensus on
    # I+ (a0: 3/4; a2: 2/3, item 4 not in I+), lambda = w_M / (w_M + mean w_j * 12/5).
    lam = W_M / (W_M + W.mean() * 2.4)
    for j, agreement in ((0, 0.75), (2, 2 / 3)):
        q = result.annotation_quality[np.equal(ANNOTATOR, j)].mean()
        assert result.annotator_quality[j] == pytest.approx(lam * q + (1 - lam) * agreement)


def test_single_annotations_two_classes_and_an_idle_annotator() -> None:
    # Every item once, K = 2, annotator 2 never labels: no I+, so the weights fall back to
    # P := the model's agreement with the labels; NaN only for the idle annotator.
    item = np.array([0, 1, 2, 3])
    annotator = np.array([0, 0, 1, 1])
    label = np.array([0, 1, 1, 0])
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [1.0, 0.0], [0.5, 0.5]])
    result = crowdlab(item, annotator, label, probs, 3)
    assert np.isnan(result.annotator_agreement[2])
    assert np.isfinite(result.annotator_agreement[:2]).all()
    assert np.isfinite(result.posterior).all()
    assert np.isfinite(result.annotation_quality).all()
    assert np.isfinite(result.annotator_quality[:2]).all()
    assert np.isnan(result.annotator_quality[2])
    assert np.isfinite(result.annotator_weights).all()
    np.testing.assert_allclose(result.posterior.sum(axis=1), 1.0)


def test_unannotated_items_and_zero_rows() -> None:
    # Item 2 has no annotation (model only); item 3 none and an all-zero row (uniform).
    probs = np.array([[0.6, 0.4, 0.0], [0.0, 0.0, 1.0], [0.2, 0.8, 0.0], [0.0, 0.0, 0.0]])
    result = crowdlab(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([0, 0, 2]), probs, 2)
    np.testing.assert_allclose(result.posterior[2], [0.2, 0.8, 0.0])
    np.testing.assert_allclose(result.posterior[3], [1 / 3] * 3)
    assert np.isfinite(result.consensus_quality).all()


def test_no_annotations_at_all_gives_the_model() -> None:
    probs = np.array([[0.2, 0.8], [0.6, 0.4]])
    empty = np.zeros(0, dtype=np.int64)
    result = crowdlab(empty, empty, empty, probs, 0)
    np.testing.assert_allclose(result.posterior, probs)
    assert result.consensus.tolist() == [1, 0]
    assert result.annotator_quality.shape == (0,)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 40), k=st.integers(2, 4))
def test_row_and_annotator_order_do_not_matter(seed: int, n: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    m = 5
    pairs = np.argwhere(rng.random((n, m)) < 0.5)
    item, annotator = pairs[:, 0], pairs[:, 1]
    label = rng.integers(0, k, item.shape[0])
    probs = rng.dirichlet(np.ones(k), n)
    base = crowdlab(item, annotator, label, probs, m)
    rows = rng.permutation(item.shape[0])
    rename = rng.permutation(m)  # annotator a becomes rename[a]
    moved = crowdlab(item[rows], rename[annotator[rows]], label[rows], probs, m)
    np.testing.assert_allclose(moved.posterior, base.posterior)
    np.testing.assert_allclose(moved.annotation_quality, base.annotation_quality[rows])
    np.testing.assert_allclose(moved.annotator_weights[rename], base.annotator_weights)
    np.testing.assert_allclose(moved.annotator_quality[rename], base.annotator_quality)
    assert np.isfinite(base.posterior).all()
    assert np.isfinite(base.consensus_quality).all()
    assert ((base.consensus_quality >= 0) & (base.consensus_quality <= 1)).all()


@pytest.mark.parametrize(
    ("item", "annotator", "label", "message"),
    [
        ([0, 1], [0], [0, 1], "must have one entry per annotation"),
        ([0, 5], [0, 1], [0, 1], r"item must be codes in 0\.\.2"),
        ([0, 1], [0, 3], [0, 1], r"annotator must be codes in 0\.\.1"),
        ([0, 1], [0, 1], [0, 2], r"label must be codes in 0\.\.1"),
        ([0, 0], [1, 1], [0, 1], "labelled the same item twice"),
    ],
)
def test_invalid_inputs_raise(item: list, annotator: list, label: list, message: str) -> None:
    probs = np.full((3, 2), 0.5)
    with pytest.raises(ValueError, match=message):
        crowdlab(np.asarray(item), np.asarray(annotator), np.asarray(label), probs, 2)


def test_invalid_annotator_count_and_probs_raise() -> None:
    with pytest.raises(ValueError, match="n_annotators must be >= 0"):
        crowdlab(np.array([0]), np.array([0]), np.array([0]), np.full((1, 2), 0.5), -1)
    with pytest.raises(ValueError, match="at least 2 classes"):
        crowdlab(np.array([0]), np.array([0]), np.array([0]), np.ones((1, 1)), 1)
