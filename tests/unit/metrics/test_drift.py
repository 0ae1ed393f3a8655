"""Drift statistics: JSD against scipy and by hand, AUC against scikit-learn, Hanley-McNeil SE."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

from labelgate.metrics.drift import (
    auc_interval,
    auc_standard_error,
    average_ranks,
    jensen_shannon_divergence,
    roc_auc,
)


@pytest.mark.parametrize("seed", range(8))
def test_jsd_matches_scipy_on_random_counts_with_empty_categories(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 12))
    p = rng.integers(0, 50, k).astype(float)
    q = rng.integers(0, 50, k).astype(float)
    p[rng.random(k) < 0.3] = 0.0  # categories with no mass on one side or both
    q[rng.random(k) < 0.3] = 0.0
    p[0] += 1.0
    q[-1] += 1.0
    # scipy gives the Jensen-Shannon *distance*, the square root of the divergence.
    expected = jensenshannon(p, q, base=2) ** 2
    assert jensen_shannon_divergence(p, q) == pytest.approx(expected, abs=1e-12)
    # Counts and shares are the same distribution.
    assert jensen_shannon_divergence(p / p.sum(), q) == pytest.approx(expected, abs=1e-12)


def test_jsd_hand_examples() -> None:
    # P = (1/2, 1/2), Q = (1, 0), M = (3/4, 1/4):
    # KL(P||M) = 1/2 log2(2/3) + 1/2 log2(2) = 0.2075187..., KL(Q||M) = log2(4/3) = 0.4150375...
    # JSD = (0.2075187 + 0.4150375) / 2 = 0.3112781...
    hand = (0.5 * math.log2(2 / 3) + 0.5 * math.log2(2) + math.log2(4 / 3)) / 2
    assert hand == pytest.approx(0.3112781, abs=1e-7)
    assert jensen_shannon_divergence([1, 1], [5, 0]) == pytest.approx(hand, abs=1e-12)
    assert jensen_shannon_divergence([3, 0], [0, 7]) == 1.0  # disjoint supports: 1 bit
    assert jensen_shannon_divergence([2, 6, 0], [1, 3, 0]) == 0.0
    assert jensen_shannon_divergence([1, 2], [2, 1]) == jensen_shannon_divergence([2, 1], [1, 2])


@pytest.mark.parametrize(
    ("p", "q"),
    [([0, 0], [1, 1]), ([1, -1], [1, 1]), ([1, np.nan], [1, 1]), ([1, 2, 3], [1, 2])],
)
def test_jsd_refuses_what_is_not_a_distribution(p: list[float], q: list[float]) -> None:
    with pytest.raises(ValueError, match=r"must|mass"):
        jensen_shannon_divergence(p, q)


def test_average_ranks_match_scipy() -> None:
    x = np.random.default_rng(1).integers(0, 7, 300).astype(float)
    assert np.array_equal(average_ranks(x), rankdata(x, method="average"))


@pytest.mark.parametrize("seed", range(8))
def test_auc_matches_scikit_learn_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 400))
    positive = rng.random(n) < rng.uniform(0.1, 0.9)
    positive[:2] = [True, False]
    # Rounded scores: many ties, within and across the classes.
    scores = np.round(rng.normal(positive * rng.uniform(0, 2), 1.0), 1)
    expected = roc_auc_score(positive, scores)
    assert roc_auc(scores, positive) == pytest.approx(expected, abs=1e-12)
    assert roc_auc(scores, positive.astype(int)) == pytest.approx(expected, abs=1e-12)


def test_auc_edge_cases() -> None:
    assert roc_auc([1.0, 2.0, 3.0], [False, True, True]) == 1.0
    assert roc_auc([3.0, 2.0, 1.0], [False, True, True]) == 0.0
    assert roc_auc([1.0, 1.0, 1.0, 1.0], [False, True, False, True]) == 0.5  # all tied
    assert math.isnan(roc_auc([1.0, 2.0], [True, True]))  # one class: undefined
    with pytest.raises(ValueError, match="one length"):
        roc_auc([1.0, 2.0], [True])


# Hanley & McNeil (1982), Radiology 143:29-36, Table 1: CT images of 58 normal and 51 abnormal
# patients rated 1 (definitely normal) .. 5 (definitely abnormal). The paper gives the area
# 0.893 (Wilcoxon, ties half) and its standard error 0.032.
CT_NORMAL = [33, 6, 6, 11, 2]
CT_ABNORMAL = [3, 2, 2, 11, 33]


def test_hanley_mcneil_worked_example() -> None:
    ratings = np.arange(1, 6)
    scores = np.concatenate([np.repeat(ratings, CT_NORMAL), np.repeat(ratings, CT_ABNORMAL)])
    positive = np.repeat([False, True], [sum(CT_NORMAL), sum(CT_ABNORMAL)])
    auc = roc_auc(scores, positive)
    assert round(auc, 3) == 0.893
    se = auc_standard_error(auc, 51, 58)
    assert round(se, 3) == 0.032
    low, high = auc_interval(auc, 51, 58, 0.95)
    assert (high - low) / 2 == pytest.approx(1.959963984540054 * se, rel=1e-12)


@pytest.mark.parametrize(
    ("auc", "n_pos", "n_neg"), [(0.5, 100, 80), (0.73, 12, 300), (0.97, 40, 41)]
)
def test_standard_error_is_the_formula(auc: float, n_pos: int, n_neg: int) -> None:
    # Direct evaluation of Hanley & McNeil's formula, written out independently.
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)
    se = math.sqrt(variance / (n_pos * n_neg))
    assert auc_standard_error(auc, n_pos, n_neg) == pytest.approx(se, rel=1e-12)
    z = NormalDist().inv_cdf(0.95)
    low, high = auc_interval(auc, n_pos, n_neg, 0.90)
    assert low == pytest.approx(max(0.0, auc - z * se), rel=1e-12)
    assert high == pytest.approx(min(1.0, auc + z * se), rel=1e-12)


def test_interval_is_clipped_and_undefined_without_a_class() -> None:
    low, high = auc_interval(0.995, 10, 10)
    assert high == 1.0
    assert 0.9 < low < 0.995
    assert auc_interval(0.0, 10, 10) == (0.0, 0.0)  # SE 0 at the bounds
    assert all(math.isnan(b) for b in auc_interval(0.7, 0, 10))
    assert all(math.isnan(b) for b in auc_interval(float("nan"), 10, 10))
