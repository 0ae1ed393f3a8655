"""Agreement intervals: BCa against scipy, Gwet's SEs against irrCAC, jackknife, edge cases."""

from __future__ import annotations

import math
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from labelgate.metrics.agreement.bootstrap import (
    acceleration,
    bca_interval,
    bootstrap_replicates,
    jackknife,
    jackknife_se,
    percentile_interval,
    wald_interval,
)
from labelgate.metrics.agreement.chance import gwet_standard_errors
from labelgate.metrics.agreement.patterns import compress
from labelgate.metrics.agreement.report import (
    ALL,
    INTERVALS,
    Options,
    agreement_report,
    coefficient_intervals,
    pattern_batch,
    point_coefficients,
)
from labelgate.metrics.agreement.weights import weight_matrix
from labelgate.metrics.counts import FloatArray, IntArray

BOOTSTRAPPED = ("krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "brennan_prediger")
FAMILY = ("percent_agreement", "fleiss_kappa", "gwet_ac1", "brennan_prediger")

# Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed.: irrCAC's `cac.raw4raters`
# (4 raters x 12 units, categories 1-5, None = missing; Krippendorff's 2011 example data).
RAW_4RATERS: list[list[int | None]] = [
    [1, 1, None, 1],
    [2, 2, 3, 2],
    [3, 3, 3, 3],
    [3, 3, 3, 3],
    [2, 2, 2, 2],
    [1, 2, 3, 4],
    [4, 4, 4, 4],
    [1, 1, 2, 1],
    [2, 2, 2, 2],
    [None, 5, 5, 5],
    [None, None, 1, 1],
    [None, None, 3, None],
]
# Printed by irrCAC's README (kgwet/irrCAC @ f4efa7a2abb4b0bd88b9cb4224ce13a5e82beb5c,
# README.md, "pa.coeff.raw(cac.raw4raters)" ... "bp.coeff.raw(cac.raw4raters)"):
# coefficient, coeff.se (5 decimals), conf.int (3 decimals; t with n - 1 = 11 df, upper
# bound capped at 1). No finite-population correction (N = Inf).
IRRCAC_README_RAW4RATERS = {
    "percent_agreement": (0.8181818, 0.12561, (0.542, 1.0)),
    "gwet_ac1": (0.77544, 0.14295, (0.461, 1.0)),
    "fleiss_kappa": (0.76117, 0.15302, (0.424, 1.0)),
    "brennan_prediger": (0.77273, 0.14472, (0.454, 1.0)),
}
# Weighted and second-dataset SEs, 3 decimals, from afergadis/irrCAC (Python port of irrCAC)
# @ 2b71b15ae8997386367ffe1c3f2c2288044002da test/unit/irrCAC/raw/test_*.py.
IRRCAC_PORT_RAW4RATERS_SE = {
    ("linear", "brennan_prediger"): 0.123,
    ("linear", "fleiss_kappa"): 0.149,
    ("linear", "gwet_ac1"): 0.117,
    ("quadratic", "brennan_prediger"): 0.111,
    ("quadratic", "fleiss_kappa"): 0.146,
    ("quadratic", "gwet_ac1"): 0.104,
    ("ordinal", "brennan_prediger"): 0.114,
    ("ordinal", "fleiss_kappa"): 0.147,
    ("ordinal", "gwet_ac1"): 0.107,
}
# irrCAC's `cac.raw5obser` (Gwet 2014, p. 120): 5 observers x 15 units, values 0-3.
RAW_5OBSERVERS: list[list[int | None]] = [
    [1, 1, 2, None, 2],
    [1, 1, 0, 1, None],
    [2, 3, 3, 3, None],
    [None, 0, 0, None, 0],
    [0, 0, 0, None, 0],
    [0, 0, 0, None, 0],
    [1, 0, 2, None, 1],
    [1, None, 2, 0, None],
    [2, 2, 2, None, 2],
    [2, 1, 1, 1, None],
    [None, 1, 0, 0, None],
    [0, 0, 0, 0, None],
    [1, 2, 2, 2, None],
    [3, 3, 2, 2, 3],
    [1, 1, 1, None, 1],
]
IRRCAC_PORT_RAW5OBSERVERS_SE = {"brennan_prediger": 0.121, "fleiss_kappa": 0.120, "gwet_ac1": 0.122}


def counts_of(table: list[list[int | None]], categories: list[int]) -> IntArray:
    """Per-unit counts (N, K) of a units x raters table with None for missing."""
    counts = np.zeros((len(table), len(categories)), dtype=np.int64)
    for i, row in enumerate(table):
        for value in row:
            if value is not None:
                counts[i, categories.index(value)] += 1
    return counts


def family_ses(counts: IntArray, weights: FloatArray) -> dict[str, float]:
    patterns = compress(counts)
    return gwet_standard_errors(
        patterns.rows.astype(np.float64), patterns.freq.astype(np.float64), weights
    )


def long_format(counts: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """items, annotators, labels of a count matrix (annotator = position within the item)."""
    items, annotators, labels = [], [], []
    for i, row in enumerate(counts):
        position = 0
        for k, c in enumerate(row):
            for _ in range(int(c)):
                items.append(i)
                annotators.append(position)
                labels.append(k)
                position += 1
    return np.array(items), np.array(annotators), np.array(labels)


def random_counts(seed: int, n: int = 40, k: int = 3, raters: int = 4) -> IntArray:
    """Counts with 1..raters ratings per item from a noisy latent class (missing ratings)."""
    rng = np.random.default_rng(seed)
    counts = np.zeros((n, k), dtype=np.int64)
    for i in range(n):
        truth = rng.integers(k)
        for _ in range(rng.integers(1, raters + 1)):
            counts[i, truth if rng.random() < 0.7 else rng.integers(k)] += 1
    return counts


# ---- Gwet's standard errors ----------------------------------------------------------------


def test_gwet_ses_reproduce_the_irrcac_readme() -> None:
    counts = counts_of(RAW_4RATERS, [1, 2, 3, 4, 5])
    ses = family_ses(counts, np.eye(5))
    point = point_coefficients(counts, Options(), np.arange(5.0))
    for name, (value, se, _) in IRRCAC_README_RAW4RATERS.items():
        # The README prints 5 decimals: agreement to half a unit of the last one.
        assert point[name] == pytest.approx(
            value, abs=5e-6 if name != "percent_agreement" else 5e-8
        )
        assert ses[name] == pytest.approx(se, abs=5e-6)
    items, annotators, labels = long_format(counts)
    report = agreement_report(
        items, annotators, labels, 5, np.arange(1.0, 6.0), Options(resamples=1, interval="analytic")
    )
    for name, (_, _, (low, high)) in IRRCAC_README_RAW4RATERS.items():
        _, ci_low, ci_high = report.coefficients[name]
        assert ci_low == pytest.approx(low, abs=5e-4)
        assert ci_high == pytest.approx(high, abs=5e-4)
        assert report.interval_methods[name] == "analytic_gwet"


@pytest.mark.parametrize("kind", ["linear", "quadratic", "ordinal"])
def test_weighted_gwet_ses_reproduce_the_irrcac_port(kind: str) -> None:
    counts = counts_of(RAW_4RATERS, [1, 2, 3, 4, 5])
    ses = family_ses(counts, weight_matrix(kind, np.arange(1.0, 6.0)))
    for (weights, name), se in IRRCAC_PORT_RAW4RATERS_SE.items():
        if weights == kind:
            assert ses[name] == pytest.approx(se, abs=5e-4)


def test_gwet_ses_of_the_five_observers() -> None:
    ses = family_ses(counts_of(RAW_5OBSERVERS, [0, 1, 2, 3]), np.eye(4))
    for name, se in IRRCAC_PORT_RAW5OBSERVERS_SE.items():
        assert ses[name] == pytest.approx(se, abs=5e-4)


def irrcac_transcribed(counts: IntArray, weights: FloatArray) -> dict[str, float]:
    """irrCAC's *.raw variance code (pa, bp, fleiss, gwet; N = Inf), line by line, per item."""
    agree = counts[counts.sum(axis=1) > 0].astype(np.float64)
    n, q = agree.shape
    agree_w = (weights @ agree.T).T
    ri = agree.sum(axis=1)
    sum_q = (agree * (agree_w - 1)).sum(axis=1)
    n2more = float((ri >= 2).sum())
    pa = (sum_q[ri >= 2] / (ri * (ri - 1))[ri >= 2]).sum() / n2more
    pi = (agree / ri[:, None]).sum(axis=0) / n
    den = ri * (ri - 1)
    den = den - (den == 0)
    pa_i = sum_q / den
    out = {"percent_agreement": ((n / n2more * pa_i - pa) ** 2).sum() / (n * (n - 1))}
    pe_bp = weights.sum() / q**2
    bp = (pa - pe_bp) / (1 - pe_bp)
    bp_i = (n / n2more) * (pa_i - pe_bp * (ri >= 2)) / (1 - pe_bp)
    out["brennan_prediger"] = ((bp_i - bp) ** 2).sum() / (n * (n - 1))
    pe_f = (weights * np.outer(pi, pi)).sum()
    kappa = (pa - pe_f) / (1 - pe_f)
    kappa_i = (n / n2more) * (pa_i - pe_f * (ri >= 2)) / (1 - pe_f)
    pi_w = (weights @ pi + weights.T @ pi) / 2
    pe_i = (agree @ pi_w) / ri
    kappa_x = kappa_i - 2 * (1 - kappa) * (pe_i - pe_f) / (1 - pe_f)
    out["fleiss_kappa"] = ((kappa_x - kappa) ** 2).sum() / (n * (n - 1))
    pe_g = weights.sum() * (pi * (1 - pi)).sum() / (q * (q - 1))
    ac1 = (pa - pe_g) / (1 - pe_g)
    ac1_i = (n / n2more) * (pa_i - pe_g * (ri >= 2)) / (1 - pe_g)
    pe_gi = (weights.sum() / (q * (q - 1))) * (agree @ (1 - pi)) / ri
    ac1_x = ac1_i - 2 * (1 - ac1) * (pe_gi - pe_g) / (1 - pe_g)
    out["gwet_ac1"] = ((ac1_x - ac1) ** 2).sum() / (n * (n - 1))
    return {name: math.sqrt(v) for name, v in out.items()}


@pytest.mark.parametrize("kind", ["identity", "linear", "quadratic"])
@pytest.mark.parametrize("seed", range(3))
def test_pattern_ses_equal_the_transcribed_irrcac_code(seed: int, kind: str) -> None:
    """Patterns with frequencies are the per-item sums regrouped: equal to 1e-12."""
    counts = random_counts(seed)
    weights = weight_matrix(kind, np.arange(3.0))
    ours = family_ses(counts, weights)
    expected = irrcac_transcribed(counts, weights)
    for name in FAMILY:
        assert ours[name] == pytest.approx(expected[name], abs=1e-12)


# ---- BCa against scipy ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "weights"),
    [("nominal", "identity"), ("ordinal", "quadratic"), ("interval", "linear")],
)
@pytest.mark.parametrize("name", ["percent_agreement", *BOOTSTRAPPED])
def test_bca_equals_scipy_on_the_same_replicates(level: str, weights: str, name: str) -> None:
    """scipy.stats.bootstrap(method="BCa") fed our replicates (n_resamples=0 plus
    bootstrap_result) and a jackknife over single items: the same bounds to 1e-12."""
    counts = random_counts(7, n=30)
    values = np.arange(3.0)
    options = Options(level=level, weights=weights)
    w = weight_matrix(weights, values)
    patterns = compress(counts)

    def batch(freqs: FloatArray) -> dict[str, FloatArray]:
        return pattern_batch(patterns, freqs, options, values, w)

    replicates = bootstrap_replicates(patterns, batch, 999, seed=3)[name]
    estimate = point_coefficients(counts, options, values)[name]
    accel = acceleration(*jackknife(patterns, batch)[name])
    ours = bca_interval(replicates, estimate, accel, 0.95)
    assert ours is not None

    def on_items(index: IntArray) -> float:
        return point_coefficients(counts[np.asarray(index, dtype=np.int64)], options, values)[name]

    theirs = stats.bootstrap(
        (np.arange(len(counts)),),
        on_items,
        vectorized=False,
        n_resamples=0,
        bootstrap_result=SimpleNamespace(bootstrap_distribution=replicates),
        method="BCa",
        confidence_level=0.95,
    ).confidence_interval
    assert ours[0] == pytest.approx(theirs.low, abs=1e-12)
    assert ours[1] == pytest.approx(theirs.high, abs=1e-12)


def test_bca_is_percentile_without_bias_or_skew() -> None:
    replicates = np.linspace(-1.0, 1.0, 1001)  # symmetric around the estimate 0
    assert bca_interval(replicates, 0.0, 0.0, 0.9) == pytest.approx(
        percentile_interval(replicates, 0.9), abs=1e-12
    )


def test_bca_is_undefined_outside_the_replicates_and_the_engine_falls_back() -> None:
    assert bca_interval(np.array([2.0, 3.0]), 1.0, 0.0, 0.95) is None
    patterns = compress(np.array([[2, 0], [0, 2], [1, 1]]))

    def shifted(freqs: FloatArray) -> dict[str, FloatArray]:
        # Every resample above the estimate (1.0): no bias correction exists.
        return {"gwet_ac1": 2.0 + freqs[:, 0] / 100.0}

    found, _ = coefficient_intervals(
        patterns, {"gwet_ac1": 1.0}, shifted, Options(resamples=50), np.eye(2)
    )
    low, high, method = found["gwet_ac1"]
    assert method == "percentile"
    assert 2.0 <= low <= high


# ---- jackknife -----------------------------------------------------------------------------


def test_jackknife_by_hand() -> None:
    """Three items rated twice: agree, agree, disagree. pa = 2/3; leaving one out gives
    1/2, 1/2, 1; se = sqrt(2/3 ((1/6)^2 + (1/6)^2 + (1/3)^2)) = 1/3; a = -sqrt(6)/36."""
    counts = np.array([[2, 0], [0, 2], [1, 1]])
    patterns = compress(counts)
    options = Options()

    def batch(freqs: FloatArray) -> dict[str, FloatArray]:
        return pattern_batch(patterns, freqs, options, np.arange(2.0), np.eye(2))

    values, freq = jackknife(patterns, batch)["percent_agreement"]
    by_pattern = dict(zip(map(tuple, patterns.rows.tolist()), values.tolist(), strict=True))
    assert by_pattern == {(2, 0): 0.5, (0, 2): 0.5, (1, 1): 1.0}
    assert freq.tolist() == [1.0, 1.0, 1.0]
    assert jackknife_se(values, freq) == pytest.approx(1.0 / 3.0, abs=1e-15)
    assert acceleration(values, freq) == pytest.approx(-math.sqrt(6.0) / 36.0, abs=1e-15)
    # Gwet's SE of percent agreement is the same jackknife here (no chance term).
    assert family_ses(counts, np.eye(2))["percent_agreement"] == pytest.approx(1 / 3, abs=1e-15)


def test_jackknife_of_patterns_equals_leaving_each_item_out() -> None:
    counts = random_counts(4, n=25)
    patterns = compress(counts)
    options = Options()

    def batch(freqs: FloatArray) -> dict[str, FloatArray]:
        return pattern_batch(patterns, freqs, options, np.arange(3.0), np.eye(3))

    values, freq = jackknife(patterns, batch)["krippendorff_alpha"]
    naive = [
        point_coefficients(np.delete(counts, i, axis=0), options, np.arange(3.0))[
            "krippendorff_alpha"
        ]
        for i in range(len(counts))
    ]
    expanded = np.repeat(values, freq.astype(np.int64))
    assert np.sort(expanded) == pytest.approx(np.sort(naive), abs=1e-12)


def test_wald_interval_uses_t_and_caps_at_one() -> None:
    low, high = wald_interval(0.9, 0.1, 12, 0.95)
    assert low == pytest.approx(0.9 - 2.200985160082949 * 0.1, abs=1e-12)
    assert high == 1.0


# ---- the engine: determinism, methods, degenerate data ----------------------------------------


@pytest.mark.parametrize("interval", INTERVALS)
def test_same_inputs_same_intervals_and_the_method_is_recorded(interval: str) -> None:
    items, annotators, labels = long_format(random_counts(1, n=60))
    options = Options(resamples=300, seed=4, interval=interval)
    first = agreement_report(items, annotators, labels, 3, np.arange(3.0), options)
    again = agreement_report(items, annotators, labels, 3, np.arange(3.0), options)
    assert repr(first.coefficients) == repr(again.coefficients)
    for name in ("percent_agreement", *BOOTSTRAPPED):
        value, low, high = first.coefficients[name]
        assert low is not None
        assert high is not None
        assert low <= value <= high
        assert first.interval_methods[name].startswith(interval)
    assert first.coefficients["mean_pairwise_cohen_kappa"][1] is None


@pytest.mark.parametrize("interval", INTERVALS)
def test_perfect_agreement_collapses_the_intervals(interval: str) -> None:
    counts = np.array([[3, 0, 0], [0, 3, 0], [0, 0, 3], [3, 0, 0]] * 5)
    items, annotators, labels = long_format(counts)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = agreement_report(
            items, annotators, labels, 3, np.arange(3.0), Options(resamples=200, interval=interval)
        )
    for name in ("percent_agreement", *BOOTSTRAPPED):
        value, low, high = report.coefficients[name]
        assert value == low == high == pytest.approx(1.0)


@pytest.mark.parametrize("interval", INTERVALS)
def test_one_label_everywhere_gives_undefined_not_a_crash(interval: str) -> None:
    counts = np.array([[3, 0]] * 10)
    items, annotators, labels = long_format(counts)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = agreement_report(
            items, annotators, labels, 2, np.arange(2.0), Options(resamples=100, interval=interval)
        )
    assert report.coefficients["percent_agreement"][1:] == pytest.approx((1.0, 1.0))
    for name in ("krippendorff_alpha", "fleiss_kappa"):
        value, low, _ = report.coefficients[name]
        assert math.isnan(value)
        assert low is None or math.isnan(low)


@pytest.mark.parametrize("interval", INTERVALS)
def test_two_items(interval: str) -> None:
    counts = np.array([[2, 0], [1, 1]])
    items, annotators, labels = long_format(counts)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = agreement_report(
            items, annotators, labels, 2, np.arange(2.0), Options(resamples=100, interval=interval)
        )
    assert set(report.coefficients) == set(ALL)
    value, low, high = report.coefficients["percent_agreement"]
    assert value == 0.5
    assert low is not None
    assert high is not None
    assert low <= value <= high


def test_unknown_interval_is_refused() -> None:
    items, annotators, labels = long_format(np.array([[2, 0], [1, 1]]))
    with pytest.raises(ValueError, match="unknown interval"):
        agreement_report(
            items, annotators, labels, 2, np.arange(2.0), Options(resamples=10, interval="wald")
        )
