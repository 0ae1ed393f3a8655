"""Label quality scores (low = likely wrong) and the order a reviewer sees issues in."""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from labelgate.metrics.label_quality._validate import (
    FloatArray,
    IntArray,
    labels_and_probs,
    self_confidence,
)

Method = Literal["self_confidence", "normalized_margin", "confidence_weighted_entropy"]
METHODS: tuple[str, ...] = get_args(Method)


_BLOCK = 1 << 15


def _normalized_margin(labels: IntArray, probs: FloatArray, given: FloatArray) -> FloatArray:
    best_other = np.empty(labels.shape[0])
    # In blocks of rows, so the copy with the given class masked out stays in cache.
    for start in range(0, labels.shape[0], _BLOCK):
        others = probs[start : start + _BLOCK].copy()
        others[np.arange(others.shape[0]), labels[start : start + _BLOCK]] = -np.inf
        best_other[start : start + _BLOCK] = others.max(axis=1)
    # p_given - max_{k != given} p_k lies in [-1, 1]; (m + 1) / 2 maps it onto [0, 1].
    out: FloatArray = (given - best_other + 1.0) / 2.0
    return out


def _confidence_weighted_entropy(probs: FloatArray, given: FloatArray) -> FloatArray:
    """Kuan & Mueller (2022): the error score H(p) / p_given, entropy normalised by log K,
    mapped to a quality p_given / (p_given + H) in [0, 1] (the same order, reversed)."""
    from scipy.special import entr  # only this score needs SciPy: keep the import off the path

    n, k = probs.shape
    entropy = np.empty(n)
    for start in range(0, n, _BLOCK):
        block = probs[start : start + _BLOCK]
        total = block.sum(axis=1, keepdims=True)
        p = np.divide(block, total, out=np.zeros_like(block), where=total > 0)
        entropy[start : start + _BLOCK] = entr(p).sum(axis=1)  # entr(0) = 0
    entropy /= np.log(k)
    denom = given + entropy
    # given = 0 and entropy = 0: confidently another class, the worst a label can be.
    out: FloatArray = np.divide(given, denom, out=np.zeros_like(given), where=denom > 0)
    return out


def label_quality_scores(
    labels: npt.ArrayLike, pred_probs: npt.ArrayLike, method: Method = "self_confidence"
) -> FloatArray:
    """Quality of each given label in [0, 1]; low = likely wrong.

    `self_confidence`: p(given; x). `normalized_margin`: (p_given - max_{k != given} p_k + 1)/2,
    which also sees how strongly another class is preferred. `confidence_weighted_entropy`:
    p_given / (p_given + H(p)/log K), a monotone map of Kuan & Mueller's entropy / p_given.
    labels : int codes, shape (n,); pred_probs : shape (n, K). Returns float64, shape (n,).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    codes, probs = labels_and_probs(labels, pred_probs)
    given = self_confidence(codes, probs)
    if method == "self_confidence":
        scores = given
    elif method == "normalized_margin":
        scores = _normalized_margin(codes, probs, given)
    else:
        scores = _confidence_weighted_entropy(probs, given)
    return np.clip(scores, 0.0, 1.0)


def rank_issues(quality: npt.ArrayLike, is_issue: npt.ArrayLike | None = None) -> IntArray:
    """Review order: flagged items first, each group by quality ascending, ties by index.

    quality : float, shape (n,) (NaN sorts last in its group); is_issue : bool, shape (n,) or
    None (no flags: everything ranked by quality). Returns int64 indices, shape (n,).
    """
    q = np.asarray(quality, dtype=np.float64)
    if q.ndim != 1:
        raise ValueError(f"quality must be 1-D, got shape {q.shape}")
    flags = np.zeros(q.shape[0], dtype=bool) if is_issue is None else np.asarray(is_issue)
    if flags.shape != q.shape:
        raise ValueError(f"is_issue has shape {flags.shape}, quality has {q.shape}")
    # lexsort is stable and sorts by the last key first: unflagged after flagged, then quality.
    return np.lexsort((q, ~flags.astype(bool))).astype(np.int64)
