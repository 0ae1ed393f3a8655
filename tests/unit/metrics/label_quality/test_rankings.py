"""Label quality scores and the review order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelgate.metrics.label_quality.rankings import METHODS, label_quality_scores, rank_issues

LABELS = np.array([0, 0, 1, 2])
PROBS = np.array([[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.0, 0.5, 0.5], [0.0, 1.0, 0.0]])


def test_self_confidence_and_normalized_margin_by_hand() -> None:
    # self-confidence = p_given: 0.9, 0.2, 0.5, 0.0.
    assert label_quality_scores(LABELS, PROBS) == pytest.approx([0.9, 0.2, 0.5, 0.0])
    # margin p_given - max other: 0.85, -0.5, 0.0, -1.0; (m + 1) / 2 -> 0.925, 0.25, 0.5, 0.
    assert label_quality_scores(LABELS, PROBS, "normalized_margin") == pytest.approx(
        [0.925, 0.25, 0.5, 0.0]
    )


def test_confidence_weighted_entropy_by_hand() -> None:
    # Item 2: p = (0, .5, .5), H / log 3 = log 2 / log 3 = 0.6309; quality .5 / (.5 + .6309).
    # Item 3: confidently another class (p_given = 0, H = 0): quality 0.
    scores = label_quality_scores(LABELS, PROBS, "confidence_weighted_entropy")
    assert scores[2] == pytest.approx(0.5 / (0.5 + np.log(2) / np.log(3)))
    assert scores[3] == 0.0
    assert label_quality_scores([1], [[0.0, 1.0]], "confidence_weighted_entropy")[0] == 1.0


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60), k=st.integers(2, 6))
def test_scores_lie_in_unit_interval_and_permute(seed: int, n: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(k, 0.5), n)
    probs[rng.random((n, k)) < 0.2] = 0.0  # zeros, even whole rows
    labels = rng.integers(0, k, n)
    perm = rng.permutation(n)
    for method in METHODS:
        scores = label_quality_scores(labels, probs, method)  # type: ignore[arg-type]
        assert ((scores >= 0) & (scores <= 1)).all(), method
        permuted = label_quality_scores(labels[perm], probs[perm], method)  # type: ignore[arg-type]
        np.testing.assert_array_equal(scores[perm], permuted)


def test_perfect_probabilities_score_one() -> None:
    labels = np.array([0, 1, 2, 1])
    for method in METHODS:
        np.testing.assert_array_equal(label_quality_scores(labels, np.eye(3)[labels], method), 1.0)  # type: ignore[arg-type]


def test_rank_issues_puts_flags_first_then_quality_then_index() -> None:
    quality = np.array([0.5, 0.1, 0.1, 0.9, np.nan, 0.3])
    flags = np.array([False, True, False, True, False, False])
    # Flagged: 1 (0.1), 3 (0.9). Then unflagged by quality: 2 (0.1), 5 (0.3), 0 (0.5), 4 (NaN).
    assert rank_issues(quality, flags).tolist() == [1, 3, 2, 5, 0, 4]
    # Equal quality: by index.
    assert rank_issues(np.array([0.2, 0.2, 0.1])).tolist() == [2, 0, 1]


def test_invalid_inputs_raise() -> None:
    with pytest.raises(ValueError, match="method must be one of"):
        label_quality_scores(LABELS, PROBS, "entropy")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="labels has 2 items but pred_probs has 4 rows"):
        label_quality_scores([0, 1], PROBS)
    with pytest.raises(ValueError, match="quality must be 1-D"):
        rank_issues(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"is_issue has shape \(2,\), quality has \(3,\)"):
        rank_issues(np.zeros(3), np.zeros(2, dtype=bool))
