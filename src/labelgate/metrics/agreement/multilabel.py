"""Agreement on set-valued (multi-label) annotations: MASI/Jaccard alpha, per-label alpha, exact match.

Input, for every function: one row per (item, annotator) annotation, as integer codes --
`items` (A,), `annotators` (A,) and the label sets as a boolean indicator matrix `present`
(A, L); an all-False row is the empty set, a valid answer.

Set alpha (`masi_alpha`, `jaccard_alpha`) is Krippendorff's alpha with a set distance. It equals
nltk's `AnnotationTask(data, distance=...).alpha()` (nltk 3.10): items with fewer than two
annotations are dropped; Do = sum_u m_u D(u) / n and De = D(pooled), where D(f) = sum_{c,k}
f_c f_k d(c, k) / (|f| (|f| - 1)) over the values of the pairable annotations. Expanding that
gives Krippendorff's coincidence form, alpha = 1 - (n - 1) sum o_ck d_ck / sum n_c n_k d_ck,
so there is no difference in value; the differences are in degenerate cases only:
nltk returns 1 when all annotations, or all pairable ones, hold a single distinct set (we return
NaN, as Krippendorff: De = 0, alpha undefined), and divides by zero on no pairable items (we
return NaN). nltk's `masi_distance`/`jaccard_distance` divide by zero on two empty sets; we
define that distance 0 (the empty set against a non-empty set is 1 in both).

Efficient path: distinct sets are few, so each annotation becomes a set code (k distinct sets).
Observed disagreement comes from within-item pairs of distinct (item, set) entries
(O(sum_u d_u^2), d_u = distinct sets in item u); expected disagreement is a k x k quadratic form
computed in row blocks from the k x L set matrix (O(k^2 L) time, O(BLOCK k) memory). Bootstrap
intervals resample items (seeded); each resample costs O(N) plus the k x k form.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import sparse

from labelgate.metrics.agreement.krippendorff import krippendorff_alpha
from labelgate.metrics.counts import FloatArray, IntArray

BoolArray = npt.NDArray[np.bool_]
SetMetric = Literal["masi", "jaccard"]

# Row block of the k x k distance matrix: bounds memory to BLOCK * k float64 per temporary.
BLOCK = 1024
# Below this many k x k entries the distance matrix is kept whole for the bootstrap.
DENSE_LIMIT = 4_000_000


@dataclass(frozen=True)
class Estimate:
    """A coefficient with its percentile bootstrap interval (NaN bounds without resamples)."""

    value: float
    low: float
    high: float
    n_items: int  # items with at least one annotation
    n_pairable_items: int  # items with two or more annotations
    n_pairable_annotations: int


@dataclass(frozen=True)
class PerLabel:
    """Per-label nominal alpha of present/absent; arrays of shape (L,)."""

    value: FloatArray
    low: FloatArray
    high: FloatArray
    prevalence: FloatArray  # share of pairable annotations that contain the label
    n_pairable_items: int


@dataclass(frozen=True)
class SetCodes:
    """Annotations as codes of distinct label sets: `codes` (A,) index rows of `sets` (k, L)."""

    codes: IntArray
    sets: BoolArray


def set_codes(present: BoolArray) -> SetCodes:
    """Factorise the rows of `present` (A, L) into distinct sets; codes follow sorted keys."""
    present = np.asarray(present, dtype=bool)
    n, n_labels = present.shape
    if n == 0:
        return SetCodes(np.zeros(0, np.int64), np.zeros((0, n_labels), bool))
    # Pack each row into bytes (8 labels a byte); up to 64 labels that is one uint64 key,
    # and a 1-D unique is far faster than unique(axis=0).
    packed = np.packbits(present, axis=1, bitorder="little")
    if packed.shape[1] <= 8:
        padded = np.zeros((n, 8), np.uint8)
        padded[:, : packed.shape[1]] = packed
        keys: npt.NDArray[np.generic] = padded.view("<u8").ravel()
    else:
        packed = np.ascontiguousarray(packed)
        keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return SetCodes(inverse.astype(np.int64).ravel(), present[first])


def distance_from_sizes(
    size_a: FloatArray, size_b: FloatArray, inter: FloatArray, metric: SetMetric
) -> FloatArray:
    """Set distance from |A|, |B| and |A & B| (broadcast); two empty sets are at distance 0.

    jaccard = 1 - |A & B| / |A | B|; masi = 1 - J * M with M = 1 (equal), 2/3 (one a subset of
    the other, which includes the empty set against any set), 1/3 (overlap), 0 (disjoint).
    """
    union = size_a + size_b - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 1.0)
    if metric == "jaccard":
        return np.asarray(1.0 - jac, dtype=np.float64)
    if metric != "masi":
        raise ValueError(f"unknown set metric {metric!r}; expected 'masi' or 'jaccard'")
    equal = (size_a == size_b) & (inter == size_a)
    subset = inter == np.minimum(size_a, size_b)
    # Same constants and order of operations as nltk, so the values agree to the last bits.
    m = np.where(equal, 1.0, np.where(subset, 2 / 3, np.where(inter > 0, 1 / 3, 0.0)))
    return np.asarray(1.0 - jac * m, dtype=np.float64)


def set_distance_matrix(
    sets: BoolArray, metric: SetMetric, rows: slice | None = None
) -> FloatArray:
    """Distances between the sets `sets[rows]` and all `sets` (k, L); shape (rows, k)."""
    return _DistanceBlocks(sets, metric).block(rows if rows is not None else slice(0, len(sets)))


class _DistanceBlocks:
    """Row blocks of the k x k set-distance matrix.

    A set distance depends only on |A|, |B| and |A & B|, so it is read from a table indexed by
    the three (one gather per entry) after one float32 matrix product for the intersections
    (exact: counts below 2^24). This is several times faster than evaluating the formula.
    """

    def __init__(self, sets: BoolArray, metric: SetMetric) -> None:
        self.sets32 = sets.astype(np.float32)
        self.sizes = sets.sum(axis=1).astype(np.intp)
        self.top = int(self.sizes.max()) + 1 if len(sets) else 1
        grid = np.arange(self.top, dtype=np.float64)
        self.table = distance_from_sizes(
            grid[:, None, None], grid[None, :, None], grid[None, None, :], metric
        ).ravel()

    def block(self, rows: slice, cols: slice = slice(None)) -> FloatArray:
        inter = (self.sets32[rows] @ self.sets32[cols].T).astype(np.intp)
        # Flat table index ((|A| * top) + |B|) * top + |A & B|, built in place.
        inter += (self.sizes[rows][:, None] * self.top + self.sizes[cols][None, :]) * self.top
        return np.asarray(self.table.take(inter), dtype=np.float64)


def pair_distances(sets: BoolArray, a: IntArray, b: IntArray, metric: SetMetric) -> FloatArray:
    """Distances between sets[a] and sets[b], element-wise; shape (len(a),)."""
    inter = (sets[a] & sets[b]).sum(axis=1).astype(np.float64)
    sizes = sets.sum(axis=1).astype(np.float64)
    return distance_from_sizes(sizes[a], sizes[b], inter, metric)


def _check(items: IntArray, annotators: IntArray, present: BoolArray) -> None:
    if present.ndim != 2 or not (len(items) == len(annotators) == len(present)):
        raise ValueError(
            "items, annotators and present need one row per annotation: "
            f"got {len(items)}, {len(annotators)}, {present.shape}"
        )
    if len(items) and (items.min() < 0 or annotators.min() < 0):
        raise ValueError("item and annotator codes must be non-negative")
    if len(items):
        key = np.sort(items.astype(np.int64) * (int(annotators.max()) + 1) + annotators)
        if (key[1:] == key[:-1]).any():  # sorting beats np.unique's hash path here
            raise ValueError("more than one annotation for an (item, annotator) pair")


@dataclass(frozen=True)
class _Pairable:
    """The pairable part of the data, by item: entries are distinct (item, set) pairs."""

    n_items: int  # items with >= 1 annotation (all codes 0..max are items; empty ones skipped)
    m: FloatArray  # (U,) annotations per item code, all items
    entry_item: IntArray  # (E,) item code of each (item, set) entry of pairable items
    entry_code: IntArray  # (E,) set code
    entry_count: FloatArray  # (E,) annotations of that item with that set
    sets: BoolArray  # (k, L) distinct sets among pairable annotations


def _pairable(items: IntArray, present: BoolArray) -> _Pairable:
    n_codes = int(items.max()) + 1 if len(items) else 0
    m = np.bincount(items, minlength=n_codes).astype(np.float64)
    keep = m[items] >= 2
    codes = set_codes(present[keep])
    k = len(codes.sets)
    key = items[keep] * max(k, 1) + codes.codes
    entries, counts = np.unique(key, return_counts=True)
    return _Pairable(
        int((m > 0).sum()),
        m,
        entries // max(k, 1),
        entries % max(k, 1),
        counts.astype(np.float64),
        codes.sets,
    )


def _item_observed(p: _Pairable, metric: SetMetric) -> FloatArray:
    """Per item code u: sum_{c != k} n_uc n_uk d(c, k) / (m_u - 1); shape (U,).

    Pairs of distinct entries within an item, found by shifting the item-sorted entry list:
    shift j pairs entry e with e + j while both are in the same item, so the work is
    sum_u d_u^2 / 2 and each unordered pair is visited once (hence the factor 2).
    """
    out = np.zeros(len(p.m))
    idx = np.arange(len(p.entry_item))
    shift = 1
    while len(idx):
        idx = idx[idx + shift < len(p.entry_item)]
        idx = idx[p.entry_item[idx + shift] == p.entry_item[idx]]
        if not len(idx):
            break
        a, b = p.entry_code[idx], p.entry_code[idx + shift]
        # Many pairs repeat the same two sets: compute each distinct distance once.
        k = len(p.sets)
        pair_key, inverse = np.unique(a * k + b, return_inverse=True)
        dist = pair_distances(p.sets, pair_key // k, pair_key % k, metric)[inverse.ravel()]
        weight = 2.0 * p.entry_count[idx] * p.entry_count[idx + shift] * dist
        out += np.bincount(p.entry_item[idx], weights=weight, minlength=len(p.m))
        shift += 1
    item_m = p.m
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(item_m >= 2, out / np.where(item_m >= 2, item_m - 1.0, 1.0), 0.0)


def _expected(
    marginals: FloatArray, sets: BoolArray, metric: SetMetric, dense: FloatArray | None
) -> FloatArray:
    """sum_{c,k} n_c n_k d(c, k) for each row of `marginals` (r, k); shape (r,)."""
    if dense is not None:
        return np.asarray(np.einsum("rc,rc->r", marginals @ dense, marginals), dtype=np.float64)
    out = np.zeros(len(marginals))
    k = len(sets)
    blocks = _DistanceBlocks(sets, metric)
    for start in range(0, k, BLOCK):
        rows = slice(start, min(start + BLOCK, k))
        # The matrix is symmetric: the diagonal block once, each block right of it twice.
        d = blocks.block(rows, slice(start, k))  # (b, k - start)
        weighted = marginals[:, rows] @ d  # (r, k - start)
        width = rows.stop - start
        out += np.einsum("rb,rb->r", weighted[:, :width], marginals[:, rows])
        out += 2.0 * np.einsum("rb,rb->r", weighted[:, width:], marginals[:, rows.stop :])
    return out


def _alpha(observed: FloatArray, expected: FloatArray, n: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        value = 1.0 - (n - 1.0) * observed / expected
    return np.asarray(np.where((expected > 0) & (n > 1), value, np.nan), dtype=np.float64)


def _resample_weights(
    n_codes: int, rated: IntArray, resamples: int, seed: int, chunk: int
) -> Iterator[FloatArray]:
    """Item multiplicities of `resamples` bootstrap samples of the rated items, in chunks.

    Yields (r, n_codes) arrays, one chunk at a time so memory stays at one chunk: resampling
    N items with replacement = Multinomial(N, 1/N) multiplicities.
    """
    rng = np.random.default_rng(seed)
    n = len(rated)
    for start in range(0, resamples, chunk):
        r = min(chunk, resamples - start)
        # N uniform draws counted per item: the same Multinomial(N, 1/N) as rng.multinomial,
        # far faster with many items (that one draws a binomial per item).
        draws = rng.integers(0, n, size=(r, n)) + (np.arange(r) * n)[:, None]
        counts = np.bincount(draws.ravel(), minlength=r * n).reshape(r, n)
        if n == n_codes:
            yield counts.astype(np.float64)
            continue
        weights = np.zeros((r, n_codes))
        weights[:, rated] = counts
        yield weights


def _interval(values: FloatArray, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Percentile bounds over axis 0 of (R, ...) values, ignoring NaN resamples."""
    tail = (1.0 - confidence) / 2.0 * 100.0
    if values.shape[0] == 0:
        nan = np.full(values.shape[1:], np.nan)
        return nan, nan.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN, silently
        low, high = np.nanpercentile(values, [tail, 100.0 - tail], axis=0)
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


def _chunk(n_codes: int) -> int:
    # About 4 M floats per chunk of item weights (32 MB), whatever the number of items.
    return max(1, min(200, 4_000_000 // max(n_codes, 1)))


def set_alpha(
    items: IntArray,
    annotators: IntArray,
    present: BoolArray,
    metric: SetMetric,
    *,
    resamples: int = 0,
    seed: int = 0,
    confidence: float = 0.95,
) -> Estimate:
    """Krippendorff's alpha over label sets with the `metric` distance (see module docstring)."""
    items, annotators = np.asarray(items, np.int64), np.asarray(annotators, np.int64)
    present = np.asarray(present, dtype=bool)
    _check(items, annotators, present)
    p = _pairable(items, present)
    pairable_m = np.where(p.m >= 2, p.m, 0.0)
    n_pairable = int((p.m >= 2).sum())
    k = len(p.sets)
    if n_pairable == 0:
        nan = float("nan")
        return Estimate(nan, nan, nan, p.n_items, 0, 0)
    do_item = _item_observed(p, metric)
    dense = set_distance_matrix(p.sets, metric) if k * k <= DENSE_LIMIT else None
    marg = np.bincount(p.entry_code, weights=p.entry_count, minlength=k)[None, :].astype(np.float64)
    n = np.array([pairable_m.sum()])
    value = float(_alpha(np.array([do_item.sum()]), _expected(marg, p.sets, metric, dense), n)[0])
    low = high = float("nan")
    if resamples > 0:
        # Item x set count matrix: a resample's marginals are its item weights times it.
        counts = sparse.csr_matrix(
            (p.entry_count, (p.entry_item, p.entry_code)), shape=(len(p.m), k)
        )
        rated = np.flatnonzero(p.m > 0)
        # Small chunks of item weights give each resample's sufficient statistics (its
        # observed disagreement, n and set marginals); the k x k form then runs once over
        # all of them, instead of once per chunk.
        parts = [
            (w @ do_item, w @ pairable_m, np.asarray((counts.T @ w.T).T))
            for w in _resample_weights(len(p.m), rated, resamples, seed, _chunk(len(p.m)))
        ]
        observed = np.concatenate([part[0] for part in parts])
        sizes = np.concatenate([part[1] for part in parts])
        marginals = np.concatenate([part[2] for part in parts])
        step = max(1, 20_000_000 // max(k, 1))  # bounds the (r, k) temporaries
        expected = np.concatenate(
            [
                _expected(marginals[i : i + step], p.sets, metric, dense)
                for i in range(0, len(marginals), step)
            ]
        )
        lo, hi = _interval(_alpha(observed, expected, sizes), confidence)
        low, high = float(lo), float(hi)
    return Estimate(value, low, high, p.n_items, n_pairable, int(pairable_m.sum()))


def masi_alpha(
    items: IntArray,
    annotators: IntArray,
    present: BoolArray,
    *,
    resamples: int = 0,
    seed: int = 0,
    confidence: float = 0.95,
) -> Estimate:
    """Krippendorff's alpha with the MASI distance (Passonneau 2006); equals nltk's alpha."""
    return set_alpha(
        items, annotators, present, "masi", resamples=resamples, seed=seed, confidence=confidence
    )


def jaccard_alpha(
    items: IntArray,
    annotators: IntArray,
    present: BoolArray,
    *,
    resamples: int = 0,
    seed: int = 0,
    confidence: float = 0.95,
) -> Estimate:
    """Krippendorff's alpha with the Jaccard distance 1 - |A & B| / |A | B| (empty-empty 0)."""
    return set_alpha(
        items,
        annotators,
        present,
        "jaccard",
        resamples=resamples,
        seed=seed,
        confidence=confidence,
    )


def _binary_stats(positives: FloatArray, m: FloatArray) -> FloatArray:
    """Per-item sufficient statistics of every label's present/absent alpha; (U, 2L + 1).

    positives (U, L) = annotations of item u holding label l; m (U,) annotations per item.
    Columns: sum_u 2 p (m - p) / (m - 1) terms (the off-diagonal coincidences), p, then m;
    all zero for items with fewer than two annotations.
    """
    pairable = m >= 2
    scale = np.where(pairable, 1.0 / np.where(pairable, m - 1.0, 1.0), 0.0)
    disagree = 2.0 * positives * (m[:, None] - positives) * scale[:, None]
    pos = np.where(pairable[:, None], positives, 0.0)
    return np.hstack([disagree, pos, np.where(pairable, m, 0.0)[:, None]])


def _binary_alpha_from_sums(sums: FloatArray) -> FloatArray:
    """(r, 2L + 1) weighted sums of `_binary_stats` -> (r, L) alpha.

    For two values alpha = 1 - (n - 1) o_01 2 / (2 n_0 n_1), with o_01 2 the disagreement sum.
    """
    n_labels = (sums.shape[1] - 1) // 2
    observed, n1, n = sums[:, :n_labels], sums[:, n_labels:-1], sums[:, -1:]
    return _alpha(observed, 2.0 * n1 * (n - n1), n)


def _binary_alpha(positives: FloatArray, m: FloatArray, weights: FloatArray) -> FloatArray:
    """Nominal alpha of present/absent for weighted items; (r, U) weights -> (r, L)."""
    return _binary_alpha_from_sums(weights @ _binary_stats(positives, m))


def per_label_alpha(
    items: IntArray,
    annotators: IntArray,
    present: BoolArray,
    *,
    resamples: int = 0,
    seed: int = 0,
    confidence: float = 0.95,
) -> PerLabel:
    """Nominal Krippendorff alpha of each label's present/absent column; arrays (L,).

    The point values come from `krippendorff.krippendorff_alpha` on per-item (absent, present)
    counts; NaN where a label is always or never chosen among pairable annotations.
    """
    items, annotators = np.asarray(items, np.int64), np.asarray(annotators, np.int64)
    present = np.asarray(present, dtype=bool)
    _check(items, annotators, present)
    n_labels = present.shape[1]
    n_codes = int(items.max()) + 1 if len(items) else 0
    m = np.bincount(items, minlength=n_codes).astype(np.float64)
    rows, cols = np.nonzero(present)  # sets are sparse: count the chosen cells only
    positives = (
        np.bincount(items[rows] * n_labels + cols, minlength=n_codes * n_labels)
        .reshape(n_codes, n_labels)
        .astype(np.float64)
    )
    value = np.empty(n_labels)
    binary = np.array([0.0, 1.0])
    for label in range(n_labels):
        counts = np.stack([m - positives[:, label], positives[:, label]], axis=1).astype(np.int64)
        value[label] = krippendorff_alpha(counts, "nominal", binary)
    pairable = m >= 2
    n_pairable = float(m[pairable].sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        prevalence = positives[pairable].sum(axis=0) / n_pairable
    low = high = np.full(n_labels, np.nan)
    if resamples > 0 and n_codes:
        rated = np.flatnonzero(m > 0)
        # Statistics once, then one matrix product per chunk of resamples; only pairable
        # items have non-zero statistics, so the product skips the others.
        stats = _binary_stats(positives[pairable], m[pairable])
        draws = [
            _binary_alpha_from_sums((stats.T @ w[:, pairable].T).T)
            for w in _resample_weights(n_codes, rated, resamples, seed, _chunk(n_codes))
        ]
        low, high = _interval(np.concatenate(draws), confidence)
    return PerLabel(value, low, high, np.asarray(prevalence, np.float64), int(pairable.sum()))


def exact_match_rate(
    items: IntArray,
    annotators: IntArray,
    present: BoolArray,
    *,
    resamples: int = 0,
    seed: int = 0,
    confidence: float = 0.95,
) -> Estimate:
    """Share of unordered annotation pairs within items whose sets are identical.

    Every pair counts once, so an item with m annotations weighs m (m - 1) / 2 (not m, as in
    alpha). NaN when no item has two annotations.
    """
    items, annotators = np.asarray(items, np.int64), np.asarray(annotators, np.int64)
    present = np.asarray(present, dtype=bool)
    _check(items, annotators, present)
    p = _pairable(items, present)
    pairs = np.where(p.m >= 2, p.m * (p.m - 1.0) / 2.0, 0.0)
    same = np.bincount(
        p.entry_item, weights=p.entry_count * (p.entry_count - 1.0) / 2.0, minlength=len(p.m)
    )
    ratio: Callable[[FloatArray], FloatArray] = lambda w: np.asarray(  # noqa: E731
        np.where(w @ pairs > 0, (w @ same) / np.where(w @ pairs > 0, w @ pairs, 1.0), np.nan)
    )
    value = float(ratio(np.ones((1, len(p.m))))[0])
    low = high = float("nan")
    n_pairable = int((p.m >= 2).sum())
    if resamples > 0 and p.n_items:
        rated = np.flatnonzero(p.m > 0)
        draws = [
            ratio(w) for w in _resample_weights(len(p.m), rated, resamples, seed, _chunk(len(p.m)))
        ]
        lo, hi = _interval(np.concatenate(draws), confidence)
        low, high = float(lo), float(hi)
    return Estimate(value, low, high, p.n_items, n_pairable, int(p.m[p.m >= 2].sum()))
