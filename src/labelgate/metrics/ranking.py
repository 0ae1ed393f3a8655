"""Ranking quality: average precision (area under the precision-recall curve)."""

from __future__ import annotations

import numpy as np


def average_precision(scores: np.ndarray, positive: np.ndarray) -> float:
    """Average precision of ranking by `scores` (higher = more likely positive).

    scores : ndarray, shape (n,) float; positive : ndarray, shape (n,) bool.
    Equals scikit-learn's `average_precision_score`: tied scores form one threshold, and
    AP = sum over thresholds of (recall step) x (precision at that threshold).
    """
    scores = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(positive, dtype=bool)
    if scores.shape != positive.shape or scores.ndim != 1:
        raise ValueError(f"scores {scores.shape} and positive {positive.shape} must be 1-D, equal")
    n_pos = int(positive.sum())
    if n_pos == 0:
        raise ValueError("average precision needs at least one positive")
    order = np.argsort(-scores, kind="stable")
    s, hit = scores[order], positive[order]
    # The last index of each run of equal scores is a threshold.
    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]
    tp = np.cumsum(hit)[last]
    precision = tp / (last + 1)
    recall_step = np.diff(np.r_[0, tp]) / n_pos
    return float(np.sum(recall_step * precision))
