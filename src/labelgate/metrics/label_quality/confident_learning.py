"""Confident learning (Northcutt, Jiang, Chuang 2021, JAIR 70): the confident joint and pruning."""

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

FilterBy = Literal["prune_by_noise_rate", "prune_by_class", "both", "confident_learning"]
FILTERS: tuple[str, ...] = get_args(FilterBy)

# The per-class threshold is a mean of the very probabilities compared with it: without some
# slack, an item whose probability equals the mean can fall below it by a rounding error, and
# "p >= t_j" (Eq. 1) would depend on summation order. 1e-6 also covers models that output
# float32 (about 7 significant digits); with it, our confident joint equals cleanlab's count
# for count on the benchmark's 10^6 items (benchmarks/bench_label_issues.py).
_TOLERANCE = 1e-6
_BLOCK = 1 << 15


def _thresholds(labels: IntArray, self_conf: FloatArray, k: int) -> FloatArray:
    counts = np.bincount(labels, minlength=k)
    sums = np.bincount(labels, weights=self_conf, minlength=k)
    # A class no item is labelled with has no mean: +inf, so no item is ever confidently in it.
    out = np.full(k, np.inf)
    np.divide(sums, counts, out=out, where=counts > 0)
    return out


def per_class_thresholds(labels: npt.ArrayLike, pred_probs: npt.ArrayLike) -> FloatArray:
    """Per-class thresholds t_j = mean of p(j; x) over items labelled j (Northcutt et al. Eq. 2).

    labels : int codes, shape (n,); pred_probs : out-of-sample probabilities, shape (n, K).
    Returns float array, shape (K,); +inf for a class no item is labelled with.
    """
    codes, probs = labels_and_probs(labels, pred_probs)
    return _thresholds(codes, self_confidence(codes, probs), probs.shape[1])


def _confident_class(probs: FloatArray, thresholds: FloatArray) -> IntArray:
    """Per item, the class y* of Eq. 1: argmax of p_j over the classes with p_j >= t_j (ties:
    the lower class), or -1 when no class reaches its threshold. Shape (n,)."""
    n = probs.shape[0]
    out: IntArray = np.empty(n, dtype=np.int64)
    # In blocks of rows, so the (block, K) temporaries stay in cache on large inputs.
    for start in range(0, n, _BLOCK):
        block = probs[start : start + _BLOCK]
        above = block >= thresholds - _TOLERANCE
        best = np.where(above, block, -np.inf).argmax(axis=1)
        best[~above[np.arange(block.shape[0]), best]] = -1
        out[start : start + _BLOCK] = best
    return out


def _raw_joint(labels: IntArray, confident: IntArray, k: int) -> IntArray:
    keep = confident >= 0
    flat = np.bincount(labels[keep] * k + confident[keep], minlength=k * k)
    return flat.reshape(k, k).astype(np.int64)


def _calibrate(raw: IntArray, label_counts: IntArray) -> FloatArray:
    """Eq. 3: scale each row of the confident joint to the number of items with that label.

    A row with labelled items but no confident item carries no evidence of noise, so its
    count goes on the diagonal (the label is kept). Returns float (K, K), summing to n.
    """
    k = raw.shape[0]
    row = raw.sum(axis=1)
    out = np.zeros((k, k))
    has = row > 0
    out[has] = raw[has] / row[has, None] * label_counts[has, None]
    empty = np.flatnonzero(~has & (label_counts > 0))
    out[empty, empty] = label_counts[empty]
    return out


def _round_rows(calibrated: FloatArray, label_counts: IntArray) -> IntArray:
    """Integer counts whose rows sum exactly to `label_counts` (largest-remainder rounding; ties
    to the lower column), so the number of items pruned from a class is a whole number."""
    k = calibrated.shape[0]
    floor = np.floor(calibrated + _TOLERANCE).astype(np.int64)
    short = np.clip(label_counts - floor.sum(axis=1), 0, k)
    order = np.argsort(-(calibrated - floor), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(k), (k, k)), axis=1)
    out: IntArray = floor + (rank < short[:, None])
    return out


def confident_joint(
    labels: npt.ArrayLike, pred_probs: npt.ArrayLike, calibrate: bool = True
) -> npt.NDArray[np.float64] | IntArray:
    """The confident joint C[i][j]: items labelled i confidently of class j (Eq. 1).

    An item counts in column j when p_j >= t_j, and in the column of the largest such p_j when
    several classes pass; items passing none are not counted. With `calibrate` (Eq. 3) each row
    is rescaled to the number of items labelled i, so the total is n.
    labels : shape (n,); pred_probs : shape (n, K). Returns (K, K): int64 counts, or float64
    when calibrated.
    """
    codes, probs = labels_and_probs(labels, pred_probs)
    k = probs.shape[1]
    thresholds = _thresholds(codes, self_confidence(codes, probs), k)
    raw = _raw_joint(codes, _confident_class(probs, thresholds), k)
    if not calibrate:
        return raw
    return _calibrate(raw, np.bincount(codes, minlength=k).astype(np.int64))


def noise_matrix_joint(labels: npt.ArrayLike, pred_probs: npt.ArrayLike) -> FloatArray:
    """The estimated joint Q[i][j] = p(given i, true j) = calibrated C / n (Eq. 3), shape (K, K).

    Sums to 1 (all zeros when n = 0).
    """
    calibrated = np.asarray(confident_joint(labels, pred_probs, calibrate=True), dtype=np.float64)
    total = calibrated.sum()
    return calibrated / total if total > 0 else calibrated


def prune_counts(labels: npt.ArrayLike, pred_probs: npt.ArrayLike) -> IntArray:
    """How many items of each cell (given i, true j) pruning removes: n * Q[i][j] as whole
    items, each row summing to the number of items labelled i (largest-remainder rounding of
    the calibrated joint; equal remainders go to the lower column). Shape (K, K), int64.
    """
    codes, probs = labels_and_probs(labels, pred_probs)
    k = probs.shape[1]
    counts = np.bincount(codes, minlength=k).astype(np.int64)
    calibrated = np.asarray(confident_joint(codes, probs, calibrate=True), dtype=np.float64)
    return _round_rows(calibrated, counts)


def _top(scores: FloatArray, m: int) -> IntArray:
    """Positions of the m largest scores; among equal scores the lower positions first."""
    size = scores.shape[0]
    if m <= 0:
        return np.zeros(0, dtype=np.int64)
    if m >= size:
        return np.arange(size, dtype=np.int64)
    kth = np.partition(scores, size - m)[size - m]
    candidates = np.flatnonzero(scores >= kth)
    if candidates.shape[0] == m:  # no tie at the cut: the common case, one pass
        return candidates.astype(np.int64)
    greater = np.flatnonzero(scores > kth)
    equal = np.flatnonzero(scores == kth)[: m - greater.shape[0]]
    return np.concatenate([greater, equal]).astype(np.int64)


def _members(labels: IntArray, k: int) -> list[IntArray]:
    """Indices of the items of each class, ascending; one stable sort instead of K scans
    (small codes sort by radix)."""
    small = labels.astype(np.int16 if k <= np.iinfo(np.int16).max else np.int32)
    order = np.argsort(small, kind="stable").astype(np.int64)
    bounds = np.cumsum(np.bincount(labels, minlength=k))[:-1]
    return list(np.split(order, bounds))


def _prune_by_class(members: list[IntArray], self_conf: FloatArray, prune: IntArray) -> IntArray:
    """PBC ("Rank and Prune"): from each class i, the n * sum_{j != i} Q[i][j] items labelled i with the
    lowest self-confidence. Returns flagged item indices."""
    picked = [
        idx[_top(-self_conf[idx], int(prune[i].sum() - prune[i, i]))]
        for i, idx in enumerate(members)
    ]
    return np.concatenate(picked) if picked else np.zeros(0, dtype=np.int64)


def _prune_by_noise_rate(members: list[IntArray], probs: FloatArray, prune: IntArray) -> IntArray:
    """PBNR ("Rank and Prune"): for each off-diagonal cell (i, j), the n * Q[i][j] items
    labelled i with the largest margin p_j - p_i. An item picked for several cells is flagged
    once."""
    picked = [np.zeros(0, dtype=np.int64)]
    for i, idx in enumerate(members):
        cells = [j for j in np.flatnonzero(prune[i]) if j != i]
        if not cells:
            continue
        # One gather per class, transposed so each cell reads one contiguous row of margins.
        margins = np.ascontiguousarray(np.take(probs, idx, axis=0).T)
        margins -= margins[i]
        for j in cells:
            picked.append(idx[_top(margins[j], int(prune[i, j]))])
    return np.concatenate(picked)


def _cap_per_class(
    flagged: npt.NDArray[np.bool_], members: list[IntArray], self_conf: FloatArray, keep: int
) -> npt.NDArray[np.bool_]:
    """Unflag, in each class, all but the most doubtful flags so `keep` items of it stay."""
    for idx in members:
        hits = idx[flagged[idx]]
        allowed = max(idx.shape[0] - keep, 0)
        if hits.shape[0] > allowed:
            flagged[hits] = False
            flagged[hits[_top(-self_conf[hits], allowed)]] = True
    return flagged


def find_label_issues(
    labels: npt.ArrayLike,
    pred_probs: npt.ArrayLike,
    filter_by: FilterBy = "prune_by_noise_rate",
    min_examples_per_class: int = 1,
) -> npt.NDArray[np.bool_]:
    """Flag likely label errors by confident learning (Northcutt et al. 2021, "Rank and Prune").

    filter_by: `confident_learning` flags the off-diagonals of the confident joint (C_confusion:
    the item's confident class y* differs from its label); `prune_by_class` (PBC) and
    `prune_by_noise_rate` (PBNR) prune as many items per class or per cell as the calibrated
    joint estimates are wrong, n * Q[i][j] rounded to whole items with each row summing to the
    number of items labelled i; `both` flags what PBC and PBNR both flag (C+NR).
    min_examples_per_class: never flag so many items of a given class that fewer than this
    many would stay unflagged (the least self-confident flags are the ones kept).
    labels : int codes, shape (n,); pred_probs : out-of-sample probabilities, shape (n, K).
    Returns bool, shape (n,).
    """
    if filter_by not in FILTERS:
        raise ValueError(f"filter_by must be one of {', '.join(FILTERS)}, got {filter_by!r}")
    if isinstance(min_examples_per_class, bool) or min_examples_per_class < 0:
        raise ValueError(f"min_examples_per_class must be >= 0, got {min_examples_per_class}")
    codes, probs = labels_and_probs(labels, pred_probs)
    n, k = probs.shape
    flagged = np.zeros(n, dtype=bool)
    if n == 0:
        return flagged
    self_conf = self_confidence(codes, probs)
    confident = _confident_class(probs, _thresholds(codes, self_conf, k))
    members = _members(codes, k)
    if filter_by == "confident_learning":
        flagged = (confident >= 0) & (confident != codes)
    else:
        counts = np.bincount(codes, minlength=k).astype(np.int64)
        prune = _round_rows(_calibrate(_raw_joint(codes, confident, k), counts), counts)
        if filter_by in ("prune_by_class", "both"):
            flagged[_prune_by_class(members, self_conf, prune)] = True
        if filter_by in ("prune_by_noise_rate", "both"):
            by_rate = np.zeros(n, dtype=bool)
            by_rate[_prune_by_noise_rate(members, probs, prune)] = True
            flagged = flagged & by_rate if filter_by == "both" else by_rate
    return _cap_per_class(flagged, members, self_conf, int(min_examples_per_class))
