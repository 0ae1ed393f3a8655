"""Fleiss' kappa generalised to items with different numbers of ratings (Gwet's formulation).

Matches irrCAC's `fleiss.kappa.raw` (Gwet 2014, Handbook of Inter-Rater Reliability, ch. 2):
percent agreement over items with 2+ ratings, chance agreement from the mean per-item label
shares over items with 1+ rating. On complete data it equals Fleiss (1971).
"""

from __future__ import annotations

import numpy as np

from labelgate.metrics.counts import IntArray


def percent_agreement(counts: IntArray) -> float:
    """Mean over items with 2+ ratings of the share of agreeing rating pairs."""
    r = counts.sum(axis=1)
    rated = r >= 2
    if not rated.any():
        return float("nan")
    c = counts[rated].astype(np.float64)
    rr = r[rated].astype(np.float64)
    return float(((c * (c - 1.0)).sum(axis=1) / (rr * (rr - 1.0))).mean())


def fleiss_kappa(counts: IntArray) -> float:
    """Fleiss' kappa of per-item counts (N, K); NaN when chance agreement is 1."""
    r = counts.sum(axis=1)
    any_rating = r >= 1
    if not (r >= 2).any():
        return float("nan")
    pa = percent_agreement(counts)
    shares = counts[any_rating] / r[any_rating, None].astype(np.float64)
    pi = shares.mean(axis=0)
    pe = float((pi**2).sum())
    if pe >= 1.0:
        return float("nan")
    return (pa - pe) / (1.0 - pe)
