"""Cohen's kappa for every pair of annotators, from within-item pairs (never a full matrix)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labelgate.metrics.counts import FloatArray, IntArray


@dataclass(frozen=True)
class PairTables:
    """Contingency tables of every annotator pair that shares an item.

    a, b : annotator codes with a < b, shape (P,); tables : shape (P, K, K), rows = a's label.
    """

    a: IntArray
    b: IntArray
    tables: IntArray


def within_item_pairs(items: IntArray, annotators: IntArray) -> tuple[IntArray, IntArray]:
    """Index pairs (i, j) of annotations on the same item, annotator of i < annotator of j.

    items, annotators : shape (A,), one annotation per (item, annotator). Returns positions
    into the input arrays. Cost is the number of pairs, sum over items of m(m-1)/2.
    """
    width = int(annotators.max()) + 1 if len(annotators) else 1
    # One sort on a combined key (item major, annotator minor) instead of a lexsort.
    order = np.argsort(items * width + annotators)
    sorted_items = items[order]
    starts = np.flatnonzero(np.r_[True, sorted_items[1:] != sorted_items[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    group_end = np.repeat(starts + sizes, sizes)
    position = np.arange(len(order))
    partners = group_end - position - 1
    left = np.repeat(position, partners)
    # offsets 1..partners for each left position
    first = np.cumsum(partners) - partners
    offsets = np.arange(len(left)) - np.repeat(first, partners) + 1
    right = left + offsets
    return order[left], order[right]


def pair_tables(
    items: IntArray, annotators: IntArray, labels: IntArray, n_labels: int
) -> PairTables:
    """Cross-tabulate the labels of every annotator pair over the items they share."""
    left, right = within_item_pairs(items, annotators)
    a, b = annotators[left], annotators[right]
    n_annotators = int(annotators.max()) + 1 if len(annotators) else 0
    key = a * n_annotators + b
    k2 = n_labels * n_labels
    within = labels[left] * n_labels + labels[right]
    if n_annotators * n_annotators * k2 <= 50_000_000:
        # Few enough possible pairs: count into a dense table, keep the pairs that occur.
        dense = np.bincount(key * k2 + within, minlength=n_annotators * n_annotators * k2)
        dense = dense.reshape(n_annotators * n_annotators, n_labels, n_labels)
        pair_key = np.flatnonzero(dense.sum(axis=(1, 2)))
        tables = dense[pair_key]
    else:
        pair_key, pair_code = np.unique(key, return_inverse=True)
        tables = np.bincount(pair_code * k2 + within, minlength=len(pair_key) * k2)
        tables = tables.reshape(len(pair_key), n_labels, n_labels)
    return PairTables(pair_key // n_annotators, pair_key % n_annotators, tables.astype(np.int64))


def merge_pair_tables(parts: list[PairTables]) -> PairTables:
    """The tables of the union of disjoint item partitions: a pair's tables add up. Pairs come
    out sorted by (a, b), as `pair_tables` gives them."""
    a = np.concatenate([p.a for p in parts])
    b = np.concatenate([p.b for p in parts])
    tables = np.concatenate([p.tables for p in parts])
    k = tables.shape[1] if tables.ndim == 3 else 0
    if len(a) == 0:
        return PairTables(a.astype(np.int64), b.astype(np.int64), tables.astype(np.int64))
    width = int(max(a.max(), b.max())) + 1
    pair_key, inverse = np.unique(a * width + b, return_inverse=True)
    merged = np.zeros((len(pair_key), k, k), dtype=np.int64)
    np.add.at(merged, inverse.ravel(), tables)
    return PairTables(pair_key // width, pair_key % width, merged)


def cohen_kappas(tables: IntArray | FloatArray, weights: FloatArray) -> FloatArray:
    """Cohen's kappa of each table (P, K, K) with agreement weights (K, K); NaN when undefined.

    kappa = 1 - sum(d * O) / sum(d * E) with disagreement weights d = 1 - w, observed
    proportions O and the product of the marginals E (scikit-learn's `cohen_kappa_score`).
    """
    disagreement = 1.0 - weights
    n = tables.sum(axis=(1, 2)).astype(np.float64)
    rows = tables.sum(axis=2) / np.maximum(n, 1)[:, None]
    cols = tables.sum(axis=1) / np.maximum(n, 1)[:, None]
    observed = (tables * disagreement).sum(axis=(1, 2)) / np.maximum(n, 1)
    expected = np.einsum("pk,kl,pl->p", rows, disagreement, cols)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where((expected > 0) & (n > 0), 1.0 - observed / expected, np.nan)
    return out
