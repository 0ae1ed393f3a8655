"""Krippendorff's alpha and Fleiss' kappa against published examples and peer implementations."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from labelgate.metrics.agreement.chance import fleiss_kappa, percent_agreement
from labelgate.metrics.agreement.krippendorff import krippendorff_alpha
from labelgate.metrics.counts import item_value_counts

NAN = np.nan
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: reliability
# data of 4 observers (rows) x 12 units (columns), NaN = missing.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
)


def counts_from_matrix(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(counts (units x values), sorted values) from an observers x units matrix."""
    values = np.unique(matrix[~np.isnan(matrix)])
    observer, unit = np.nonzero(~np.isnan(matrix))
    codes = np.searchsorted(values, matrix[observer, unit])
    counts = item_value_counts(
        unit.astype(np.int64), codes.astype(np.int64), matrix.shape[1], len(values)
    )
    return counts, values


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_worked_example(level: str, published: float) -> None:
    counts, values = counts_from_matrix(KRIPPENDORFF_2011)
    assert round(krippendorff_alpha(counts, level, values), 3) == published


def random_matrix(
    seed: int, observers: int, units: int, n_values: int, missing: float
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, n_values + 1, units)
    noise = rng.integers(-1, 2, (observers, units)) * (rng.random((observers, units)) < 0.4)
    matrix = np.clip(truth + noise, 1, n_values).astype(float)
    matrix[rng.random(matrix.shape) < missing] = np.nan
    return matrix


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
@pytest.mark.parametrize("seed", range(5))
def test_alpha_matches_the_krippendorff_package(level: str, seed: int) -> None:
    matrix = random_matrix(seed, observers=5, units=200, n_values=5, missing=0.3)
    counts, values = counts_from_matrix(matrix)
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement=level)
    assert krippendorff_alpha(counts, level, values) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_fleiss_matches_statsmodels_on_complete_data(seed: int) -> None:
    matrix = random_matrix(seed, observers=4, units=150, n_values=4, missing=0.0)
    counts, _ = counts_from_matrix(matrix)
    assert fleiss_kappa(counts) == pytest.approx(
        sm_fleiss_kappa(counts, method="fleiss"), abs=1e-12
    )


def test_fleiss_with_missing_ratings_by_hand() -> None:
    # Two items rated (a, a, b) and (a, b); one item with a single rating (b).
    counts = np.array([[2, 1], [1, 1], [0, 1]])
    pa = (2 / 6 + 0 / 2) / 2  # pairs agreeing / pairs, over items with 2+ ratings
    pi = np.array([(2 / 3 + 1 / 2 + 0) / 3, (1 / 3 + 1 / 2 + 1) / 3])
    pe = (pi**2).sum()
    assert percent_agreement(counts) == pytest.approx(pa)
    assert fleiss_kappa(counts) == pytest.approx((pa - pe) / (1 - pe))


def test_undefined_cases_give_nan() -> None:
    assert np.isnan(krippendorff_alpha(np.array([[3, 0], [2, 0]]), "nominal", np.array([0.0, 1.0])))
    assert np.isnan(fleiss_kappa(np.array([[1, 0], [0, 1]])))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["nominal", "ordinal", "interval"]))
def test_permuting_items_and_observers_changes_nothing(seed: int, level: str) -> None:
    matrix = random_matrix(seed, observers=4, units=30, n_values=4, missing=0.2)
    rng = np.random.default_rng(seed)
    shuffled = matrix[rng.permutation(4)][:, rng.permutation(30)]
    a, values = counts_from_matrix(matrix)
    b, values_b = counts_from_matrix(shuffled)
    assert krippendorff_alpha(a, level, values) == pytest.approx(
        krippendorff_alpha(b, level, values_b), nan_ok=True
    )
    assert fleiss_kappa(a) == pytest.approx(fleiss_kappa(b), nan_ok=True)


def test_perfect_agreement_gives_one() -> None:
    counts = np.array([[3, 0, 0], [0, 3, 0], [0, 0, 2], [2, 0, 0]])
    assert krippendorff_alpha(counts, "nominal", np.arange(3.0)) == pytest.approx(1.0)
    assert fleiss_kappa(counts) == pytest.approx(1.0)
