"""Confident learning against a hand-worked example (Northcutt et al. 2021) and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelgate.metrics.label_quality.confident_learning import (
    FILTERS,
    confident_joint,
    find_label_issues,
    noise_matrix_joint,
    per_class_thresholds,
    prune_counts,
)

# Ten items, three classes. Items 3 and 6 are mislabelled: the model puts 0.7 on class 1
# for item 3 (labelled 0) and 0.8 on class 2 for item 6 (labelled 1). Item 8 has a zero.
LABELS = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
PROBS = np.array(
    [
        [0.9, 0.05, 0.05],
        [0.8, 0.1, 0.1],
        [0.7, 0.2, 0.1],
        [0.2, 0.7, 0.1],
        [0.1, 0.8, 0.1],
        [0.1, 0.6, 0.3],
        [0.1, 0.1, 0.8],
        [0.1, 0.1, 0.8],
        [0.0, 0.3, 0.7],
        [0.3, 0.1, 0.6],
    ]
)


def test_thresholds_worked_example() -> None:
    # Eq. 2, t_j = mean of p_j over the items labelled j:
    # t_0 = (0.9 + 0.8 + 0.7 + 0.2) / 4 = 0.65; t_1 = (0.8 + 0.6 + 0.1) / 3 = 0.5;
    # t_2 = (0.8 + 0.7 + 0.6) / 3 = 0.7.
    assert per_class_thresholds(LABELS, PROBS) == pytest.approx([0.65, 0.5, 0.7])


def test_confident_joint_worked_example() -> None:
    # Eq. 1: item x counts in C[label][y*], y* = argmax of p_j over the j with p_j >= t_j.
    # Labelled 0: items 0-2 pass only t_0 -> y* = 0; item 3: p_1 = 0.7 >= 0.5 only -> y* = 1.
    # Labelled 1: items 4, 5 pass only t_1 -> 1; item 6: p_2 = 0.8 >= 0.7 only -> 2.
    # Labelled 2: item 7 -> 2; item 8: p_2 = 0.7 = t_2 (equality counts) -> 2; item 9: 0.3 <
    # 0.65, 0.1 < 0.5, 0.6 < 0.7 passes nothing and is not counted.
    raw = confident_joint(LABELS, PROBS, calibrate=False)
    np.testing.assert_array_equal(raw, [[3, 1, 0], [0, 2, 1], [0, 0, 2]])
    # Eq. 3: row i scaled to |X_{y~=i}| = (4, 3, 3): rows 0 and 1 already sum to 4 and 3; row 2
    # sums to 2, so it is scaled by 3/2 -> [0, 0, 3]. Q = calibrated / n (n = 10).
    np.testing.assert_allclose(
        confident_joint(LABELS, PROBS), [[3, 1, 0], [0, 2, 1], [0, 0, 3]], atol=1e-12
    )
    np.testing.assert_allclose(
        noise_matrix_joint(LABELS, PROBS),
        [[0.3, 0.1, 0.0], [0.0, 0.2, 0.1], [0.0, 0.0, 0.3]],
        atol=1e-12,
    )


def test_pruning_worked_example() -> None:
    # C_confusion: items whose y* differs from the label: 3 (y* = 1) and 6 (y* = 2).
    # PBC: remove n * sum_{j != i} Q[i][j] = (1, 1, 0) items per class with the lowest
    # self-confidence: class 0 -> item 3 (0.2 < 0.7 < 0.8 < 0.9); class 1 -> item 6 (0.1).
    # PBNR: cell (0, 1) removes n * Q[0][1] = 1 item labelled 0 with the largest p_1 - p_0:
    # margins -0.85, -0.7, -0.5, +0.5 -> item 3; cell (1, 2) removes 1 item labelled 1 with
    # the largest p_2 - p_1: -0.7, -0.3, +0.7 -> item 6. `both` intersects PBC and PBNR.
    np.testing.assert_array_equal(prune_counts(LABELS, PROBS), [[3, 1, 0], [0, 2, 1], [0, 0, 3]])
    for filter_by in FILTERS:
        flagged = find_label_issues(LABELS, PROBS, filter_by=filter_by)  # type: ignore[arg-type]
        assert np.flatnonzero(flagged).tolist() == [3, 6], filter_by


def test_min_examples_per_class_keeps_items() -> None:
    # Class 1 has 3 items: keeping 3 leaves none to flag, so item 6 is kept; item 3 is not
    # affected (class 0 has 4 items).
    flagged = find_label_issues(LABELS, PROBS, min_examples_per_class=3)
    assert np.flatnonzero(flagged).tolist() == [3]


def test_prune_by_class_differs_from_noise_rate() -> None:
    # Item 2 of class 0 doubts its label (p_0 = 0.4) but no single other class is confident:
    # PBC removes the least self-confident items, PBNR the largest margins per cell.
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    probs = np.array(
        [
            [0.9, 0.1],
            [0.9, 0.1],
            [0.45, 0.55],
            [0.2, 0.8],
            [0.1, 0.9],
            [0.1, 0.9],
            [0.2, 0.8],
            [0.2, 0.8],
        ]
    )
    # t_0 = (0.9 + 0.9 + 0.45 + 0.2) / 4 = 0.6125, t_1 = 0.85. Labelled 0: items 0, 1 -> 0;
    # item 2: 0.45 < 0.6125 and 0.55 < 0.85 -> not counted; item 3: 0.8 < 0.85 -> not counted.
    # Row 0 = [2, 0]: no noise seen among labelled 0, so nothing is pruned from class 0.
    np.testing.assert_array_equal(confident_joint(labels, probs, calibrate=False)[0], [2, 0])
    assert not find_label_issues(labels, probs, filter_by="prune_by_class")[:4].any()


def _synthetic(
    seed: int, n: int, k: int, flips: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Well-separated probabilities: 0.9 on the true class (+/- 0.01), the rest spread. The
    flipped items get 0.95: the threshold is the class mean, so an error is only seen for sure
    when the model is at least as confident about it as about a typical item of its class."""
    rng = np.random.default_rng(seed)
    true = np.arange(n) % k
    flipped = rng.choice(n, flips, replace=False)
    rest = rng.dirichlet(np.ones(k - 1), n) * 0.1
    probs = np.insert(rest, 0, 0.0, axis=1)
    probs[:, 0] = 0.9 + rng.uniform(-0.01, 0.01, n)
    probs[flipped, 0] = 0.95
    probs[:, 1:] *= (1 - probs[:, :1]) / probs[:, 1:].sum(axis=1, keepdims=True)
    # Move the 0.9 column onto the true class.
    order = (np.arange(k)[None, :] - true[:, None]) % k
    probs = np.take_along_axis(probs, order, axis=1)
    labels = true.copy()
    labels[flipped] = (true[flipped] + rng.integers(1, k, flips)) % k
    return labels, probs, flipped


def _dirichlet(seed: int, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(k, 0.7), n)
    labels = np.where(rng.random(n) < 0.7, probs.argmax(axis=1), rng.integers(0, k, n))
    return labels, probs


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(5, 120), k=st.integers(2, 5))
def test_permuting_items_permutes_outputs(seed: int, n: int, k: int) -> None:
    labels, probs = _dirichlet(seed, n, k)
    perm = np.random.default_rng(seed + 1).permutation(n)
    np.testing.assert_array_equal(
        confident_joint(labels, probs, calibrate=False),
        confident_joint(labels[perm], probs[perm], calibrate=False),
    )
    for filter_by in FILTERS:
        flagged = find_label_issues(labels, probs, filter_by=filter_by)  # type: ignore[arg-type]
        permuted = find_label_issues(labels[perm], probs[perm], filter_by=filter_by)  # type: ignore[arg-type]
        np.testing.assert_array_equal(flagged[perm], permuted)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(5, 120), k=st.integers(2, 5))
def test_relabelling_classes_permutes_the_joint(seed: int, n: int, k: int) -> None:
    labels, probs = _dirichlet(seed, n, k)
    pi = np.random.default_rng(seed + 2).permutation(k)  # class c becomes pi[c]
    new_probs = np.empty_like(probs)
    new_probs[:, pi] = probs
    for calibrate in (False, True):
        joint = confident_joint(labels, probs, calibrate=calibrate)
        moved = confident_joint(pi[labels], new_probs, calibrate=calibrate)
        np.testing.assert_allclose(moved[np.ix_(pi, pi)], joint, atol=1e-9)
    np.testing.assert_array_equal(
        find_label_issues(labels, probs, filter_by="confident_learning"),
        find_label_issues(pi[labels], new_probs, filter_by="confident_learning"),
    )


@pytest.mark.parametrize("filter_by", FILTERS)
@pytest.mark.parametrize("k", [2, 3, 7])
def test_perfect_probabilities_flag_nothing(filter_by: str, k: int) -> None:
    labels = np.arange(40) % k
    probs = np.eye(k)[labels]
    assert not find_label_issues(labels, probs, filter_by=filter_by).any()  # type: ignore[arg-type]


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(2, 6), flips=st.integers(1, 6))
def test_flipped_labels_are_flagged_by_every_filter(seed: int, k: int, flips: int) -> None:
    labels, probs, flipped = _synthetic(seed, 150, k, flips)
    for filter_by in FILTERS:
        flagged = find_label_issues(labels, probs, filter_by=filter_by)  # type: ignore[arg-type]
        assert set(flipped) <= set(np.flatnonzero(flagged)), filter_by
    exact = find_label_issues(labels, probs, filter_by="confident_learning")
    assert sorted(np.flatnonzero(exact)) == sorted(flipped)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(4, 200))
def test_noise_rate_count_is_n_times_off_diagonal_mass(seed: int, n: int) -> None:
    # With two classes each row has one off-diagonal cell, so PBNR flags exactly the rounded
    # n * Q[0][1] + n * Q[1][0] items; each row rounds by at most 1/2.
    labels, probs = _dirichlet(seed, n, 2)
    flagged = find_label_issues(labels, probs, min_examples_per_class=0)
    off_mass = 1.0 - np.trace(noise_matrix_joint(labels, probs))
    counts = prune_counts(labels, probs)
    assert flagged.sum() == counts[0, 1] + counts[1, 0]
    assert abs(flagged.sum() - n * off_mass) <= 1.0 + 1e-9


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(4, 200), k=st.integers(3, 6))
def test_noise_rate_count_at_most_the_cells(seed: int, n: int, k: int) -> None:
    # An item picked for several cells of its row is flagged once, so the count can only fall
    # short of the rounded off-diagonal mass.
    labels, probs = _dirichlet(seed, n, k)
    counts = prune_counts(labels, probs)
    assert (counts.sum(axis=1) == np.bincount(labels, minlength=k)).all()
    flagged = find_label_issues(labels, probs, min_examples_per_class=0)
    assert flagged.sum() <= counts.sum() - np.trace(counts)


def test_edge_cases_give_no_nan() -> None:
    # Class 2 never given (threshold +inf), rows with zeros, K = 2, a single item, no items.
    labels = np.array([0, 0, 1, 1, 0])
    probs = np.array(
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.5, 0.5], [0.2, 0.8, 0.0], [0.6, 0.1, 0.3]]
    )
    assert np.isinf(per_class_thresholds(labels, probs)[2])
    for filter_by in FILTERS:
        assert find_label_issues(labels, probs, filter_by=filter_by).shape == (5,)  # type: ignore[arg-type]
    assert np.isfinite(noise_matrix_joint(labels, probs)).all()
    assert noise_matrix_joint(labels, probs).sum() == pytest.approx(1.0)
    assert not find_label_issues([1], [[0.3, 0.7]]).any()
    assert find_label_issues(np.zeros(0, int), np.zeros((0, 2))).shape == (0,)
    np.testing.assert_array_equal(noise_matrix_joint(np.zeros(0, int), np.zeros((0, 2))), 0)


@pytest.mark.parametrize(
    ("labels", "probs", "message"),
    [
        ([0, 1], [0.5, 0.5], "pred_probs must be 2-D"),
        ([0, 1], [[1.0], [1.0]], "at least 2 classes"),
        ([0, 1, 1], [[0.5, 0.5], [0.5, 0.5]], "labels has 3 items but pred_probs has 2 rows"),
        ([0, 2], [[0.5, 0.5], [0.5, 0.5]], r"labels must be codes in 0\.\.1"),
        ([0, -1], [[0.5, 0.5], [0.5, 0.5]], r"labels must be codes in 0\.\.1"),
        ([0.5, 1], [[0.5, 0.5], [0.5, 0.5]], "labels must be integer codes"),
        ([[0, 1]], [[0.5, 0.5], [0.5, 0.5]], "labels must be 1-D"),
        ([0, 1], [[np.nan, 0.5], [0.5, 0.5]], "finite and non-negative"),
        ([0, 1], [[-0.1, 1.1], [0.5, 0.5]], "finite and non-negative"),
        ([0, 1], [[np.inf, 0.5], [0.5, 0.5]], "finite and non-negative"),
    ],
)
def test_invalid_inputs_raise(labels: list, probs: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        find_label_issues(np.asarray(labels), np.asarray(probs))


def test_invalid_options_raise() -> None:
    with pytest.raises(ValueError, match="filter_by must be one of"):
        find_label_issues(LABELS, PROBS, filter_by="argmax")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_examples_per_class must be >= 0"):
        find_label_issues(LABELS, PROBS, min_examples_per_class=-1)
