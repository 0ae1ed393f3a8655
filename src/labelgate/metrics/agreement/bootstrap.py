"""Percentile bootstrap over items, by multinomial resampling of count patterns."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from labelgate.metrics.agreement.patterns import Patterns
from labelgate.metrics.counts import FloatArray


def bootstrap_intervals(
    patterns: Patterns,
    statistic: Callable[[FloatArray], dict[str, float]],
    resamples: int,
    seed: int,
    confidence: float,
) -> dict[str, tuple[float, float, int]]:
    """Percentile intervals of each statistic over `resamples` item resamples.

    statistic : maps pattern frequencies (U,) to named values. Resampling N items with
    replacement equals drawing pattern frequencies from Multinomial(N, freq / N), so each
    resample costs O(U K^2), not O(N). Returns name -> (low, high, resamples that were NaN).
    """
    n = patterns.n_items
    if resamples <= 0 or n == 0:
        return {}
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, patterns.freq / n, size=resamples).astype(np.float64)
    values: dict[str, list[float]] = {}
    for row in draws:
        for name, value in statistic(row).items():
            values.setdefault(name, []).append(value)
    tail = (1.0 - confidence) / 2.0 * 100.0
    out = {}
    for name, series in values.items():
        arr = np.asarray(series)
        finite = arr[np.isfinite(arr)]
        if len(finite) == 0:
            out[name] = (float("nan"), float("nan"), len(arr))
            continue
        low, high = np.percentile(finite, [tail, 100.0 - tail])
        out[name] = (float(low), float(high), int(len(arr) - len(finite)))
    return out
