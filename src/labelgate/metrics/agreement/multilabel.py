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

In partitions: `item_stats` computes the per-item statistics of an item range (observed
disagreement, annotations, distinct (item, set) entries, label counts), `concat_stats` joins
consecutive ranges into exactly the arrays of the whole data, and `agreement_from_stats`
finishes every coefficient with the code the one-coefficient functions run, on one draw of
the resample weights for all of them.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

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


def _inputs(
    items: IntArray, annotators: IntArray, present: BoolArray
) -> tuple[IntArray, IntArray, BoolArray]:
    """The three inputs as int64 codes and a bool matrix, checked."""
    items, annotators = np.asarray(items, np.int64), np.asarray(annotators, np.int64)
    present = np.asarray(present, dtype=bool)
    _check(items, annotators, present)
    return items, annotators, present


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


def _n_codes(items: IntArray) -> int:
    return int(items.max()) + 1 if len(items) else 0


def _pairable(items: IntArray, present: BoolArray, n_codes: int) -> _Pairable:
    """Entries sorted by (item, set code): codes follow sorted set keys (`set_codes`), so a
    subset of the items numbers its sets in the same order as the whole data does."""
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


class _Resampled(Protocol):
    """A coefficient whose interval comes from statistics of chunks of resample weights."""

    @property
    def resampled(self) -> bool: ...

    def draw(self, weights: FloatArray) -> Any:
        """The statistics of a chunk of item weights (r, U), r resamples."""
        ...


def _resample(
    m: FloatArray, resamples: int, seed: int, coefficients: Sequence[_Resampled]
) -> list[list[Any]]:
    """Each coefficient's statistics of every chunk of resample weights, drawn once for all of
    them (drawing costs as much as the statistics); empty lists without resamples."""
    out: list[list[Any]] = [[] for _ in coefficients]
    rated = np.flatnonzero(m > 0)
    if resamples <= 0 or not len(rated):
        return out
    for weights in _resample_weights(len(m), rated, resamples, seed, _chunk(len(m))):
        for draws, coefficient in zip(out, coefficients, strict=True):
            if coefficient.resampled:
                draws.append(coefficient.draw(weights))
    return out


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
    items, _, present = _inputs(items, annotators, present)
    p = _pairable(items, present, _n_codes(items))
    alpha = _SetAlpha(p, {metric: _item_observed(p, metric)})
    (draws,) = _resample(p.m, resamples, seed, [alpha])
    return alpha.finish(draws, confidence)[metric]


# A chunk's statistics: observed disagreement per metric, n and set marginals per resample.
_SetDraw = tuple[tuple[FloatArray, ...], FloatArray, FloatArray]


class _SetAlpha:
    """Set alpha for each metric of `observed` (its per-item observed disagreement).

    A chunk of resample weights gives each resample's sufficient statistics (its observed
    disagreement, n and set marginals, the last two shared by the metrics); the k x k form
    then runs once over all of them, instead of once per chunk.
    """

    def __init__(self, p: _Pairable, observed: dict[SetMetric, FloatArray]) -> None:
        self.p, self.observed = p, observed
        self.pairable_m = np.where(p.m >= 2, p.m, 0.0)
        self.n_pairable = int((p.m >= 2).sum())
        self.resampled = self.n_pairable > 0
        self.value = dict.fromkeys(observed, float("nan"))
        self.dense: dict[SetMetric, FloatArray | None] = {}
        if not self.resampled:
            return
        k = len(p.sets)
        marg = np.bincount(p.entry_code, weights=p.entry_count, minlength=k)[None, :]
        n = np.array([self.pairable_m.sum()])
        for metric, do_item in observed.items():
            dense = set_distance_matrix(p.sets, metric) if k * k <= DENSE_LIMIT else None
            expected = _expected(marg.astype(np.float64), p.sets, metric, dense)
            self.value[metric] = float(_alpha(np.array([do_item.sum()]), expected, n)[0])
            self.dense[metric] = dense

    @functools.cached_property
    def counts(self) -> sparse.csr_matrix:
        """Item x set count matrix: a resample's marginals are its item weights times it."""
        p = self.p
        return sparse.csr_matrix(
            (p.entry_count, (p.entry_item, p.entry_code)), shape=(len(p.m), len(p.sets))
        )

    def draw(self, weights: FloatArray) -> _SetDraw:
        observed = tuple(weights @ do_item for do_item in self.observed.values())
        marginals = np.asarray((self.counts.T @ weights.T).T)
        return observed, weights @ self.pairable_m, marginals

    def finish(self, draws: list[_SetDraw], confidence: float) -> dict[SetMetric, Estimate]:
        p, nan = self.p, float("nan")
        if not self.resampled:
            return dict.fromkeys(self.observed, Estimate(nan, nan, nan, p.n_items, 0, 0))
        bounds = dict.fromkeys(self.observed, (nan, nan))
        if draws:
            sizes = np.concatenate([part[1] for part in draws])
            marginals = np.concatenate([part[2] for part in draws])
            step = max(1, 20_000_000 // max(len(p.sets), 1))  # bounds the (r, k) temporaries
            for j, metric in enumerate(self.observed):
                observed = np.concatenate([part[0][j] for part in draws])
                expected = np.concatenate(
                    [
                        _expected(marginals[i : i + step], p.sets, metric, self.dense[metric])
                        for i in range(0, len(marginals), step)
                    ]
                )
                lo, hi = _interval(_alpha(observed, expected, sizes), confidence)
                bounds[metric] = (float(lo), float(hi))
        n_annotations = int(self.pairable_m.sum())
        return {
            metric: Estimate(value, *bounds[metric], p.n_items, self.n_pairable, n_annotations)
            for metric, value in self.value.items()
        }


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
    items, _, present = _inputs(items, annotators, present)
    n_codes = _n_codes(items)
    m = np.bincount(items, minlength=n_codes).astype(np.float64)
    alpha = _PerLabelAlpha(m, _positives(items, present, n_codes))
    (draws,) = _resample(m, resamples, seed, [alpha])
    return alpha.finish(draws, confidence)


def _positives(items: IntArray, present: BoolArray, n_codes: int) -> FloatArray:
    """(U, L) annotations of each item code holding each label."""
    n_labels = present.shape[1]
    rows, cols = np.nonzero(present)  # sets are sparse: count the chosen cells only
    return (
        np.bincount(items[rows] * n_labels + cols, minlength=n_codes * n_labels)
        .reshape(n_codes, n_labels)
        .astype(np.float64)
    )


class _PerLabelAlpha:
    """Per-label alpha from annotations per item `m` (U,) and `positives` (U, L)."""

    resampled = True

    def __init__(self, m: FloatArray, positives: FloatArray) -> None:
        self.m, self.positives = m, positives
        n_labels = positives.shape[1]
        self.value = np.empty(n_labels)
        binary = np.array([0.0, 1.0])
        for label in range(n_labels):
            counts = np.stack([m - positives[:, label], positives[:, label]], axis=1)
            self.value[label] = krippendorff_alpha(counts.astype(np.int64), "nominal", binary)
        self.pairable = m >= 2
        n_pairable = float(m[self.pairable].sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            self.prevalence = positives[self.pairable].sum(axis=0) / n_pairable

    @functools.cached_property
    def stats(self) -> FloatArray:
        # Only pairable items have non-zero statistics, so the products skip the others.
        return _binary_stats(self.positives[self.pairable], self.m[self.pairable])

    def draw(self, weights: FloatArray) -> FloatArray:
        return _binary_alpha_from_sums((self.stats.T @ weights[:, self.pairable].T).T)

    def finish(self, draws: list[FloatArray], confidence: float) -> PerLabel:
        low = high = np.full(len(self.value), np.nan)
        if draws:
            low, high = _interval(np.concatenate(draws), confidence)
        prevalence = np.asarray(self.prevalence, np.float64)
        return PerLabel(self.value, low, high, prevalence, int(self.pairable.sum()))


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
    items, _, present = _inputs(items, annotators, present)
    p = _pairable(items, present, _n_codes(items))
    rate = _ExactMatch(p)
    (draws,) = _resample(p.m, resamples, seed, [rate])
    return rate.finish(draws, confidence)


class _ExactMatch:
    """Exact match rate from the pairable entries: same-set pairs over all pairs, per item."""

    resampled = True

    def __init__(self, p: _Pairable) -> None:
        self.p = p
        self.pairs = np.where(p.m >= 2, p.m * (p.m - 1.0) / 2.0, 0.0)
        self.same = np.bincount(
            p.entry_item, weights=p.entry_count * (p.entry_count - 1.0) / 2.0, minlength=len(p.m)
        )
        self.value = float(self.draw(np.ones((1, len(p.m))))[0])

    def draw(self, weights: FloatArray) -> FloatArray:
        pairs = weights @ self.pairs
        return np.asarray(
            np.where(pairs > 0, (weights @ self.same) / np.where(pairs > 0, pairs, 1.0), np.nan)
        )

    def finish(self, draws: list[FloatArray], confidence: float) -> Estimate:
        p, low, high = self.p, float("nan"), float("nan")
        if draws:
            lo, hi = _interval(np.concatenate(draws), confidence)
            low, high = float(lo), float(hi)
        n_pairable = int((p.m >= 2).sum())
        return Estimate(self.value, low, high, p.n_items, n_pairable, int(p.m[p.m >= 2].sum()))


@dataclass(frozen=True)
class ItemStats:
    """Per-item sufficient statistics of every multi-label coefficient, item codes 0..U-1.

    The bootstrap draws over all items, so statistics of item ranges are not summed but
    concatenated (`concat_stats`); the coefficients are then finished on the whole.
    """

    pairable: _Pairable
    observed: dict[SetMetric, FloatArray]  # (U,) per-item observed disagreement, by metric
    positives: FloatArray  # (U, L) annotations of each item holding each label


@dataclass(frozen=True)
class MultiLabelAgreement:
    """Every multi-label coefficient of one dataset."""

    masi: Estimate
    jaccard: Estimate
    exact_match: Estimate
    per_label: PerLabel


SET_METRICS: tuple[SetMetric, ...] = ("masi", "jaccard")


def item_stats(
    items: IntArray, annotators: IntArray, present: BoolArray, n_codes: int | None = None
) -> ItemStats:
    """The statistics of item codes 0..n_codes-1 (default: up to the largest in `items`)."""
    items, _, present = _inputs(items, annotators, present)
    n_codes = _n_codes(items) if n_codes is None else n_codes
    p = _pairable(items, present, n_codes)
    observed = {metric: _item_observed(p, metric) for metric in SET_METRICS}
    return ItemStats(p, observed, _positives(items, present, n_codes))


def concat_stats(parts: Sequence[ItemStats]) -> ItemStats:
    """The statistics of consecutive item ranges, in order, as those of their union.

    Each part numbers its sets by sorted key; the union's distinct sets sorted by key are the
    whole data's, and that renumbering keeps each item's entries in the same order, so every
    array equals the one computed on the whole data.
    """
    if not parts:
        raise ValueError("nothing to concatenate: no partitions")
    merged = set_codes(np.concatenate([part.pairable.sets for part in parts]))
    sizes = np.array([len(part.pairable.sets) for part in parts])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    starts = np.concatenate([[0], np.cumsum([len(part.pairable.m) for part in parts])[:-1]])
    pairable = [part.pairable for part in parts]
    return ItemStats(
        _Pairable(
            sum(p.n_items for p in pairable),
            np.concatenate([p.m for p in pairable]),
            np.concatenate(
                [p.entry_item + start for p, start in zip(pairable, starts, strict=True)]
            ),
            np.concatenate(
                [
                    merged.codes[p.entry_code + offset]
                    for p, offset in zip(pairable, offsets, strict=True)
                ]
            ),
            np.concatenate([p.entry_count for p in pairable]),
            merged.sets,
        ),
        {
            metric: np.concatenate([part.observed[metric] for part in parts])
            for metric in SET_METRICS
        },
        np.concatenate([part.positives for part in parts]),
    )


def agreement_from_stats(
    stats: ItemStats, *, resamples: int = 0, seed: int = 0, confidence: float = 0.95
) -> MultiLabelAgreement:
    """Every coefficient with its interval, by the code of the one-coefficient functions, on
    one draw of the resample weights (the same draws each of them makes alone)."""
    p = stats.pairable
    sets = _SetAlpha(p, stats.observed)
    exact = _ExactMatch(p)
    labels = _PerLabelAlpha(p.m, stats.positives)
    set_draws, exact_draws, label_draws = _resample(p.m, resamples, seed, [sets, exact, labels])
    alphas = sets.finish(set_draws, confidence)
    return MultiLabelAgreement(
        alphas["masi"],
        alphas["jaccard"],
        exact.finish(exact_draws, confidence),
        labels.finish(label_draws, confidence),
    )
