"""Drift statistics: Jensen-Shannon divergence of two distributions, ROC AUC and its interval."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from labelgate.metrics.counts import FloatArray
from labelgate.metrics.proportions import z_value


def _entropy_bits(p: FloatArray) -> float:
    """Shannon entropy in bits, 0 log 0 = 0."""
    nonzero = p[p > 0]
    return float(-(nonzero * np.log2(nonzero)).sum())


def jensen_shannon_divergence(p: npt.ArrayLike, q: npt.ArrayLike) -> float:
    """JSD(P, Q) = H(M) - (H(P) + H(Q)) / 2 with M = (P + Q) / 2, in bits: 0 for equal
    distributions, 1 for disjoint supports.

    p, q : shape (K,) non-negative counts or shares over the same K categories, each normalised
    here; a category with zero mass in both contributes nothing. Raises ValueError for
    negative or non-finite entries, different shapes or a total of zero.
    """
    a = np.asarray(p, dtype=np.float64)
    b = np.asarray(q, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"p and q must be 1-D of the same length; got {a.shape} and {b.shape}")
    for name, x in (("p", a), ("q", b)):
        if not np.isfinite(x).all() or (x < 0).any():
            raise ValueError(f"{name} must hold finite non-negative numbers")
        if x.sum() <= 0:
            raise ValueError(f"{name} has no mass: a distribution needs a positive total")
    a, b = a / a.sum(), b / b.sum()
    jsd = _entropy_bits((a + b) / 2.0) - (_entropy_bits(a) + _entropy_bits(b)) / 2.0
    # Rounding can leave -1e-17 for equal inputs; the divergence is in [0, 1] by definition.
    return float(min(max(jsd, 0.0), 1.0))


def average_ranks(values: npt.ArrayLike) -> FloatArray:
    """Ranks 1..n of `values`, tied values sharing the mean of their ranks (O(n log n))."""
    x = np.asarray(values, dtype=np.float64)
    order = np.argsort(x, kind="stable")
    ordered = x[order]
    # Start of each run of equal values, and the mean of the ranks the run spans.
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    ends = np.concatenate([starts[1:], [len(x)]])
    run_rank = (starts + 1 + ends) / 2.0
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.repeat(run_rank, ends - starts)
    return ranks


def roc_auc(scores: npt.ArrayLike, positive: npt.ArrayLike) -> float:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties counted
    half, by the Mann-Whitney U statistic on average ranks.

    scores : shape (n,) finite numbers; positive : shape (n,) booleans (or 0/1).
    Returns NaN when either class is empty (the area is undefined).
    """
    s = np.asarray(scores, dtype=np.float64)
    pos = np.asarray(positive).astype(bool)
    if s.shape != pos.shape or s.ndim != 1:
        raise ValueError(
            f"scores and positive must be 1-D of one length; got {s.shape}, {pos.shape}"
        )
    n_pos = int(pos.sum())
    n_neg = len(s) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    rank_sum = float(average_ranks(s)[pos].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def auc_standard_error(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley & McNeil (1982, Radiology 143:29-36) standard error of an AUC:
    sqrt((A(1-A) + (n_pos-1)(Q1-A^2) + (n_neg-1)(Q2-A^2)) / (n_pos n_neg)) with
    Q1 = A/(2-A), Q2 = 2A^2/(1+A). NaN when a class is empty or the AUC is undefined."""
    if n_pos <= 0 or n_neg <= 0 or not np.isfinite(auc):
        return float("nan")
    a = float(auc)
    q1 = a / (2.0 - a)
    q2 = 2.0 * a * a / (1.0 + a)
    variance = (a * (1 - a) + (n_pos - 1) * (q1 - a * a) + (n_neg - 1) * (q2 - a * a)) / (
        n_pos * n_neg
    )
    return float(np.sqrt(max(variance, 0.0)))


def auc_interval(
    auc: float, n_pos: int, n_neg: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Wald interval AUC +- z * SE (Hanley-McNeil SE, z the normal quantile), clipped to
    [0, 1]; (nan, nan) when the standard error is undefined.

    The Hanley-McNeil SE assumes exponential score distributions; it is close to DeLong's for
    AUCs away from 0 and 1, and costs nothing (the drift test needs no more precision).
    """
    se = auc_standard_error(auc, n_pos, n_neg)
    if not np.isfinite(se):
        return float("nan"), float("nan")
    z = z_value(confidence)
    return max(0.0, float(auc) - z * se), min(1.0, float(auc) + z * se)
