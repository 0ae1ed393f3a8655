"""Agreement weights between categories (Gwet 2014, Handbook of Inter-Rater Reliability, ch. 3)."""

from __future__ import annotations

import numpy as np

from labelgate.metrics.counts import FloatArray

WEIGHTS = ("identity", "ordinal", "linear", "quadratic")


def weight_matrix(kind: str, values: FloatArray) -> FloatArray:
    """Agreement weights w[k, l] in [0, 1], 1 on the diagonal; shape (K, K).

    values : the categories' numeric values (their positions for ordinal weights), shape (K,).
    linear: 1 - |x_k - x_l| / (max - min); quadratic: 1 - (x_k - x_l)^2 / (max - min)^2;
    ordinal: 1 - M_kl / max M with M_kl = C(|rank_k - rank_l| + 1, 2), as in irrCAC.
    """
    k = len(values)
    if kind == "identity" or k < 2:
        return np.eye(k)
    if kind == "ordinal":
        ranks = np.argsort(np.argsort(values, kind="stable"), kind="stable").astype(np.float64)
        n = np.abs(np.subtract.outer(ranks, ranks)) + 1.0
        m = n * (n - 1.0) / 2.0
        ordinal: FloatArray = 1.0 - m / m.max()
        return ordinal
    span = float(values.max() - values.min())
    diff = np.abs(np.subtract.outer(values, values))
    if span == 0.0:
        return np.eye(k)
    if kind == "linear":
        return 1.0 - diff / span
    if kind == "quadratic":
        return 1.0 - (diff / span) ** 2
    raise ValueError(f"unknown weights {kind!r}; expected one of {WEIGHTS}")
