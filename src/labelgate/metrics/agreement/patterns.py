"""Items reduced to distinct count patterns: the sufficient statistic for every coefficient
that depends on an item only through its label counts (alpha, Fleiss, AC1/AC2, BP, percent).

Resampling N items with replacement is then a multinomial draw over the patterns, so a
bootstrap never recomputes from the raw annotations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labelgate.metrics.counts import IntArray


@dataclass(frozen=True)
class Patterns:
    """Distinct rows of a count matrix and how many items have each.

    rows : shape (U, K) int64; freq : shape (U,) int64 (float weights after resampling).
    """

    rows: IntArray
    freq: IntArray

    @property
    def n_items(self) -> int:
        """Items with at least one rating."""
        return int(self.freq.sum())


def compress(counts: IntArray) -> Patterns:
    """Patterns of the items of `counts` (N, K) that have at least one rating."""
    rated = counts[counts.sum(axis=1) > 0]
    return _distinct(rated, np.ones(len(rated), dtype=np.int64))


def _distinct(rows: IntArray, freq: IntArray) -> Patterns:
    """The distinct `rows` (rated items' counts) with their frequencies added, in key order."""
    if len(rows) == 0:
        return Patterns(np.zeros((0, rows.shape[1]), np.int64), np.zeros(0, np.int64))
    base = int(rows.max()) + 1
    k = rows.shape[1]
    if k * np.log2(base) < 62:
        # One integer per row (counts in base `base`): a 1-D unique is far faster than axis=0.
        powers = base ** np.arange(k, dtype=np.int64)
        _, first, inverse = np.unique(rows @ powers, return_index=True, return_inverse=True)
        distinct = rows[first]
    else:
        distinct, inverse = np.unique(rows, axis=0, return_inverse=True)
    total = np.bincount(inverse.ravel(), weights=freq, minlength=len(distinct))
    return Patterns(distinct.astype(np.int64), np.rint(total).astype(np.int64))


def merge_patterns(parts: list[Patterns]) -> Patterns:
    """The patterns of the union of several sets of items (item partitions): rows that recur
    add their frequencies. Rows come out in the order `compress` gives, so patterns merged from
    partitions equal the patterns of all the items at once."""
    rows = np.concatenate([p.rows for p in parts]) if parts else np.zeros((0, 0), np.int64)
    freq = np.concatenate([p.freq for p in parts]) if parts else np.zeros(0, np.int64)
    keep = (rows.sum(axis=1) > 0) & (freq > 0)
    return _distinct(rows[keep], freq[keep])
