"""Item bootstrap (multinomial over count patterns), jackknife, and percentile/BCa/Wald bounds."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import ndtr, ndtri, stdtrit

from labelgate.metrics.agreement.patterns import Patterns
from labelgate.metrics.counts import FloatArray

# Maps pattern frequencies, shape (B, U), to named values, shape (B,): one call per batch.
Statistic = Callable[[FloatArray], dict[str, FloatArray]]


def bootstrap_replicates(
    patterns: Patterns, statistic: Statistic, resamples: int, seed: int
) -> dict[str, FloatArray]:
    """Each statistic over `resamples` item resamples, shape (resamples,), NaN where undefined.

    Resampling N items with replacement equals drawing pattern frequencies from
    Multinomial(N, freq / N), so each resample costs O(U K^2), not O(N).
    """
    n = patterns.n_items
    if resamples <= 0 or n == 0:
        return {}
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, patterns.freq / n, size=resamples).astype(np.float64)
    # Batches bound the memory of the (B, K, K) coincidences; the values do not depend on them.
    parts = [statistic(draws[start : start + 1024]) for start in range(0, resamples, 1024)]
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def jackknife(patterns: Patterns, statistic: Statistic) -> dict[str, tuple[FloatArray, FloatArray]]:
    """Leave-one-item-out values: name -> (value without one item of pattern u (U,), freq (U,)).

    Items with the same count pattern give the same leave-one-out value, so U evaluations
    stand for all N; `freq` says how many items each value stands for.
    """
    freq = patterns.freq.astype(np.float64)
    parts = []
    # Row blocks, not a (U, U) matrix: crowd data with many ratings per item has many patterns.
    for start in range(0, len(freq), 1024):
        rows = np.arange(start, min(start + 1024, len(freq)))
        without = np.tile(freq, (len(rows), 1))
        without[np.arange(len(rows)), rows] -= 1.0
        parts.append(statistic(without))
    if not parts:
        return {}
    return {name: (np.concatenate([p[name] for p in parts]), freq) for name in parts[0]}


def jackknife_se(values: FloatArray, freq: FloatArray) -> float:
    """Jackknife standard error sqrt((n-1)/n sum (theta_(i) - theta_(.))^2) over n items."""
    n = float(freq.sum())
    if n < 2 or not np.isfinite(values).all():
        return float("nan")
    mean = float((values * freq).sum() / n)
    return float(np.sqrt((n - 1.0) / n * float((freq * (values - mean) ** 2).sum())))


def acceleration(values: FloatArray, freq: FloatArray) -> float:
    """BCa acceleration a = sum d^3 / (6 (sum d^2)^1.5), d = mean - leave-one-out (Efron 1987).

    0 when every leave-one-out value is equal (no skewness to correct); NaN if one is undefined.
    """
    if not np.isfinite(values).all():
        return float("nan")
    mean = float((values * freq).sum() / freq.sum())
    d = mean - values
    denominator = float((freq * d**2).sum())
    if denominator <= 0.0:
        return 0.0
    return float((freq * d**3).sum()) / (6.0 * float(np.float64(denominator) ** 1.5))


def percentile_interval(replicates: FloatArray, confidence: float) -> tuple[float, float]:
    """Percentile bounds of the finite replicates (linear interpolation, as np.quantile)."""
    finite = replicates[np.isfinite(replicates)]
    if len(finite) == 0:
        return float("nan"), float("nan")
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    return float(low), float(high)


def bca_levels(
    replicates: FloatArray, estimate: float, accel: float, confidence: float
) -> tuple[float, float] | None:
    """The BCa quantile levels (alpha_1, alpha_2), or None where BCa is undefined.

    Bias z0 = Phi^-1 of the share of replicates below the estimate, ties counted half (as
    scipy.stats.bootstrap does, which matters for coefficients with few distinct values).
    """
    finite = replicates[np.isfinite(replicates)]
    if len(finite) == 0 or not np.isfinite(estimate) or not np.isfinite(accel):
        return None
    below = (np.count_nonzero(finite < estimate) + np.count_nonzero(finite <= estimate)) / (
        2.0 * len(finite)
    )
    z0 = float(ndtri(below))
    if not np.isfinite(z0):
        return None  # the estimate lies outside every replicate: no bias correction exists
    z = float(ndtri((1.0 - confidence) / 2.0))
    levels = []
    for zq in (z, -z):
        shifted = z0 + zq
        levels.append(float(ndtr(z0 + shifted / (1.0 - accel * shifted))))
    return levels[0], levels[1]


def bca_interval(
    replicates: FloatArray, estimate: float, accel: float, confidence: float
) -> tuple[float, float] | None:
    """Bias-corrected and accelerated bounds (Efron & Tibshirani 1993, 14.3); None if undefined."""
    levels = bca_levels(replicates, estimate, accel, confidence)
    if levels is None:
        return None
    finite = replicates[np.isfinite(replicates)]
    low, high = np.quantile(finite, list(levels))
    return float(low), float(high)


def wald_interval(
    estimate: float, se: float, n: int, confidence: float, upper: float = 1.0
) -> tuple[float, float]:
    """estimate -/+ t(n-1) se, the upper bound capped at `upper` as irrCAC does."""
    if not (np.isfinite(estimate) and np.isfinite(se)) or n < 2:
        return float("nan"), float("nan")
    half = float(stdtrit(n - 1, 1.0 - (1.0 - confidence) / 2.0)) * se
    return float(estimate - half), float(min(upper, estimate + half))


def bootstrap_intervals(
    patterns: Patterns, statistic: Statistic, resamples: int, seed: int, confidence: float
) -> dict[str, tuple[float, float, int]]:
    """Percentile intervals: name -> (low, high, resamples that were NaN)."""
    out = {}
    for name, arr in bootstrap_replicates(patterns, statistic, resamples, seed).items():
        low, high = percentile_interval(arr, confidence)
        out[name] = (low, high, int((~np.isfinite(arr)).sum()))
    return out
