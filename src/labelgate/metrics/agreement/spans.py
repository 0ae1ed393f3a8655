"""Span agreement as pure NumPy on integer codes: pairwise strict/overlap F1 and token alpha.

Conventions (docs/agreement.md, "Span agreement"):

* An annotation row (item, annotator) says the annotator looked at the item; a span implies
  its row, so a span without one still counts. Only annotators who both looked at an item are
  compared on it.
* F1 of a pair is computed over spans only: F1 = 2 TP / (|A| + |B|) summed over the pair's
  shared items (symmetric; A's precision against B is B's recall against A). Items where both
  marked nothing add nothing to F1 (there is no span to count); they are reported apart as
  `both_empty`. A pair, label or pool with no span at all has F1 = NaN, never 1.
* Strict: a match is the same start, end and label; duplicates count as a multiset.
  Overlap: a match is the same label and at least one shared character, one-to-one, by a
  maximum bipartite matching (the most matches possible, so the count does not depend on span
  order or on a greedy choice).
* Token alpha: Krippendorff's nominal alpha with one unit per token (or character) and, per
  annotator who looked at the item, value the label of their span sharing a character with
  the token (the longest if several), or "O" (code n_labels) outside every span. Tokens are
  runs of word characters and single other non-space characters (`tokenize_offsets`).
* Intervals: percentile bootstrap over items (seeded), never over tokens or spans.

Everything the report needs is per annotator pair (integer counts) or per item (rows the
bootstrap resamples), so consecutive item ranges computed apart and joined by
`merge_statistics` give exactly the numbers of all items at once (`SpanStatistics`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from labelgate.metrics.agreement.bootstrap import bootstrap_intervals
from labelgate.metrics.agreement.patterns import Patterns
from labelgate.metrics.counts import FloatArray, IntArray

# Words (letters, digits, underscore) or any single other non-space character.
_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD = re.compile(r"\w")
_SPACE = re.compile(r"\s")
Interval = tuple[float, float, int]


@dataclass(frozen=True)
class SpanTable:
    """Span annotations as integer codes (every code from 0).

    ann_items, ann_annotators : shape (A,), one (item, annotator) annotation row each: the
    annotator looked at the item, whether or not they marked anything.
    items, annotators, starts, ends, labels : shape (S,), one span each; character offsets,
    end exclusive, start < end; labels in [0, n_labels).
    item_count : the number of items when known (codes below it, some maybe with no row or
    span); None: one more than the largest code seen. Per-item statistics have this many rows.
    """

    ann_items: IntArray
    ann_annotators: IntArray
    items: IntArray
    annotators: IntArray
    starts: IntArray
    ends: IntArray
    labels: IntArray
    n_labels: int
    item_count: int | None = None

    def __post_init__(self) -> None:
        if len(self.ann_items) != len(self.ann_annotators):
            raise ValueError("ann_items and ann_annotators differ in length")
        n = len(self.items)
        if any(len(a) != n for a in (self.annotators, self.starts, self.ends, self.labels)):
            raise ValueError("span arrays differ in length")
        if n and (self.starts >= self.ends).any():
            raise ValueError("every span needs start < end (run span validation first)")
        if n and (self.labels.min() < 0 or self.labels.max() >= self.n_labels):
            raise ValueError(f"span labels must be codes in [0, {self.n_labels})")
        if self.item_count is not None and self.item_count < self._items_seen():
            raise ValueError(f"item codes must be below item_count {self.item_count}")

    def _items_seen(self) -> int:
        top = [int(a.max()) for a in (self.ann_items, self.items) if len(a)]
        return max(top) + 1 if top else 0

    @property
    def n_items(self) -> int:
        """`item_count`, else one more than the largest item code in annotations or spans."""
        return self._items_seen() if self.item_count is None else self.item_count


@dataclass(frozen=True)
class Tokens:
    """Units for token alpha: shape (T,) each, sorted by (item, start), no overlaps in an item.

    weights : how many units each entry stands for (None: one each); a run of characters
    that every span covers alike is one weighted entry in character mode.
    """

    items: IntArray
    starts: IntArray
    ends: IntArray
    weights: FloatArray | None = None


@dataclass(frozen=True)
class SpanF1:
    """Pairwise span matches (strict or overlap), from which every F1 is a ratio.

    a, b : annotator codes, a < b, shape (P,), every pair that shares an item.
    tp, n_a, n_b : shape (P, L): matched spans, a's spans and b's spans on the shared items.
    shared_items, both_empty : shape (P,): items both looked at; of those, items where
    neither marked a span.
    item_tp, item_spans : shape (N, L): tp and n_a + n_b summed over the pairs per item (the
    statistic an item bootstrap resamples).
    """

    a: IntArray
    b: IntArray
    tp: IntArray
    n_a: IntArray
    n_b: IntArray
    shared_items: IntArray
    both_empty: IntArray
    item_tp: IntArray
    item_spans: IntArray

    def pair_f1(self) -> FloatArray:
        """F1 of each pair over all labels, shape (P,); NaN for a pair with no spans."""
        return _f1(self.tp.sum(axis=1), (self.n_a + self.n_b).sum(axis=1))

    def pair_precision(self) -> FloatArray:
        """a's precision with b as reference (= b's recall against a), shape (P,)."""
        return _ratio(self.tp.sum(axis=1), self.n_a.sum(axis=1))

    def pair_recall(self) -> FloatArray:
        """a's recall with b as reference (= b's precision against a), shape (P,)."""
        return _ratio(self.tp.sum(axis=1), self.n_b.sum(axis=1))

    def pair_label_f1(self) -> FloatArray:
        """F1 of each pair and label, shape (P, L)."""
        return _f1(self.tp, self.n_a + self.n_b)

    def pooled_f1(self) -> float:
        """Micro F1: TP, FP and FN summed over every pair and label."""
        return float(_f1(self.tp.sum(), (self.n_a + self.n_b).sum()))

    def label_f1(self) -> FloatArray:
        """Micro F1 per label over every pair, shape (L,)."""
        return _f1(self.tp.sum(axis=0), (self.n_a + self.n_b).sum(axis=0))


def _ratio(num: npt.ArrayLike, den: npt.ArrayLike) -> FloatArray:
    num_f = np.asarray(num, dtype=np.float64)
    den_f = np.asarray(den, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(den_f > 0, num_f / np.where(den_f > 0, den_f, 1.0), np.nan)
    return out


def _f1(tp: npt.ArrayLike, spans: npt.ArrayLike) -> FloatArray:
    """2 TP / (|A| + |B|) = 2 TP / (2 TP + FP + FN)."""
    return _ratio(2 * np.asarray(tp), spans)


def tokenize_offsets(text: str) -> tuple[IntArray, IntArray]:
    """Token (start, end) character offsets of `text`: runs of word characters, and every
    other non-space character alone (so "U.S." is four tokens and punctuation never joins a
    word). Shapes (T,), int64."""
    bounds = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    if not bounds:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    arr = np.asarray(bounds, dtype=np.int64)
    return arr[:, 0].copy(), arr[:, 1].copy()


def _char_kinds(codes: npt.NDArray[np.uint32]) -> npt.NDArray[np.int8]:
    """0 = whitespace, 1 = word character, 2 = other, per code point, by the regex classes of
    `_TOKEN` (one regex call per distinct character present, then a table lookup)."""
    present = np.flatnonzero(np.bincount(codes)) if len(codes) else np.zeros(0, np.int64)
    table = np.zeros(int(present.max()) + 1 if len(present) else 1, dtype=np.int8)
    for c in present.tolist():
        table[c] = 1 if _WORD.match(chr(c)) else 0 if _SPACE.match(chr(c)) else 2
    return table[codes]


def tokenize_items(texts: Sequence[str]) -> Tokens:
    """Tokens of every item, exactly as `tokenize_offsets`; item code = position in `texts`.

    Vectorised: the texts joined by a space (no token spans it) become code points; a token
    starts at a word character after a non-word one, or at any other non-space character.
    """
    if not texts:
        empty = np.zeros(0, np.int64)
        return Tokens(empty, empty, empty)
    lengths = np.fromiter((len(t) for t in texts), np.int64, len(texts))
    offsets = np.cumsum(lengths + 1) - (lengths + 1)
    codes = np.frombuffer(" ".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    kind = _char_kinds(codes)
    word = kind == 1
    before = np.r_[False, word[:-1]]
    after = np.r_[word[1:], False]
    starts = np.flatnonzero((word & ~before) | (kind == 2))
    ends = np.flatnonzero((word & ~after) | (kind == 2)) + 1
    items = np.searchsorted(offsets, starts, side="right") - 1
    return Tokens(items, starts - offsets[items], ends - offsets[items])


def character_tokens(lengths: IntArray) -> Tokens:
    """One unit per character: item i has characters 0 .. lengths[i] - 1."""
    lengths = np.asarray(lengths, dtype=np.int64)
    items = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    starts = np.arange(len(items), dtype=np.int64) - np.repeat(
        np.cumsum(lengths) - lengths, lengths
    )
    return Tokens(items, starts, starts + 1)


def _pairs_within(groups: IntArray) -> tuple[IntArray, IntArray]:
    """Index pairs (i, j), i < j, of equal entries of a sorted group array."""
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]]) if len(groups) else groups
    sizes = np.diff(np.r_[starts, len(groups)])
    partners = np.repeat(starts + sizes, sizes) - np.arange(len(groups)) - 1
    left = np.repeat(np.arange(len(groups)), partners)
    offsets = np.arange(len(left)) - np.repeat(np.cumsum(partners) - partners, partners) + 1
    return left, left + offsets


def _width(table: SpanTable) -> int:
    """One more than the largest annotator code: the multiplier of (x, annotator) keys."""
    top = [int(a.max()) for a in (table.ann_annotators, table.annotators) if len(a)]
    return max(top, default=0) + 1


def _annotation_rows(table: SpanTable) -> tuple[IntArray, IntArray, IntArray, int]:
    """(items, annotators) of the distinct annotation rows, the union of the given rows and
    those spans imply; the row of each span; and the annotator key width."""
    width = _width(table)
    ann_key = table.ann_items * width + table.ann_annotators
    span_key = table.items * width + table.annotators
    keys = np.unique(np.concatenate([ann_key, span_key]))
    return keys // width, keys % width, np.searchsorted(keys, span_key), width


def _pair_sizes(
    table: SpanTable,
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray, IntArray, int]:
    """Span counts of every annotator pair on its shared items.

    Returns pair keys (a * width + b, sorted), n_a, n_b (P, L), shared items, both-empty
    items (P,), item span totals (N, L) and the width.
    """
    n_labels = table.n_labels
    row_items, row_annotators, span_rows, width = _annotation_rows(table)
    per_row = np.bincount(
        span_rows * n_labels + table.labels, minlength=len(row_items) * n_labels
    ).reshape(len(row_items), n_labels)
    # Rows are sorted by item then annotator, so within-item pairs come out with a < b.
    left, right = _pairs_within(row_items)
    pair_keys, pair_code = np.unique(
        row_annotators[left] * width + row_annotators[right], return_inverse=True
    )
    n_pairs = len(pair_keys)
    flat = np.repeat(pair_code, n_labels) * n_labels + np.tile(np.arange(n_labels), len(left))

    def per_pair(values: IntArray) -> IntArray:
        out = np.bincount(flat, weights=values.ravel(), minlength=n_pairs * n_labels)
        return out.reshape(n_pairs, n_labels).astype(np.int64)

    n_a, n_b = per_pair(per_row[left]), per_pair(per_row[right])
    shared = np.bincount(pair_code, minlength=n_pairs).astype(np.int64)
    empty = (per_row[left].sum(axis=1) == 0) & (per_row[right].sum(axis=1) == 0)
    both_empty = np.bincount(pair_code, weights=empty, minlength=n_pairs).astype(np.int64)
    n_items = table.n_items
    item_flat = np.repeat(row_items[left], n_labels) * n_labels + np.tile(
        np.arange(n_labels), len(left)
    )
    item_spans = np.bincount(
        item_flat, weights=(per_row[left] + per_row[right]).ravel(), minlength=n_items * n_labels
    )
    item_spans = item_spans.reshape(n_items, n_labels).astype(np.int64)
    return pair_keys, n_a, n_b, shared, both_empty, item_spans, width


def _result(
    table: SpanTable,
    tp_pair_keys: IntArray,
    tp_items: IntArray,
    tp_labels: IntArray,
    tp_counts: IntArray,
) -> SpanF1:
    """SpanF1 from matches given as (pair key, item, label, count) entries."""
    pair_keys, n_a, n_b, shared, both_empty, item_spans, width = _pair_sizes(table)
    n_labels, n_items = table.n_labels, table.n_items
    n_pairs = len(pair_keys)
    code = np.searchsorted(pair_keys, tp_pair_keys)
    tp = np.bincount(code * n_labels + tp_labels, weights=tp_counts, minlength=n_pairs * n_labels)
    item_tp = np.bincount(
        tp_items * n_labels + tp_labels, weights=tp_counts, minlength=n_items * n_labels
    )
    return SpanF1(
        a=pair_keys // width,
        b=pair_keys % width,
        tp=tp.reshape(n_pairs, n_labels).astype(np.int64),
        n_a=n_a,
        n_b=n_b,
        shared_items=shared,
        both_empty=both_empty,
        item_tp=item_tp.reshape(n_items, n_labels).astype(np.int64),
        item_spans=item_spans,
    )


def span_f1_strict(table: SpanTable) -> SpanF1:
    """Pairwise matches where a match is the same (start, end, label); a span marked twice by
    one annotator and once by another matches once (multiset intersection)."""
    width = _width(table)
    if len(table.items) == 0:
        empty = np.zeros(0, np.int64)
        return _result(table, empty, empty, empty, empty)
    # Distinct (item, start, end, label, annotator) with multiplicities, sorted span-major: a
    # lexsort and a diff, much faster than np.unique(axis=0) on a 5-column array.
    columns = (table.items, table.starts, table.ends, table.labels, table.annotators)
    order = np.lexsort(columns[::-1])
    fields = np.stack([c[order] for c in columns], axis=1)
    changed = (fields[1:] != fields[:-1]).any(axis=1)
    first = np.flatnonzero(np.r_[True, changed])
    counts = np.diff(np.r_[first, len(fields)])
    distinct = fields[first]
    same_span = np.r_[True, (distinct[1:, :4] != distinct[:-1, :4]).any(axis=1)]
    left, right = _pairs_within(np.cumsum(same_span))
    annotators = distinct[:, 4]
    return _result(
        table,
        annotators[left] * width + annotators[right],
        distinct[left, 0],
        distinct[left, 3],
        np.minimum(counts[left], counts[right]),
    )


def _overlap_edges(table: SpanTable) -> tuple[IntArray, IntArray]:
    """Index pairs (u, v) of spans of different annotators, same item and label, that share a
    character; annotators[u] < annotators[v]. Output-sensitive: a sweep, not all pairs."""
    n = len(table.items)
    if n == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty
    group = table.items * table.n_labels + table.labels
    base = int(table.ends.max()) + 1
    order = np.lexsort((table.starts, group))
    key_start = group[order] * base + table.starts[order]
    # Sorted by start within a group, span j overlaps exactly the later spans k that start
    # before j ends: a contiguous run after j.
    stop = np.searchsorted(key_start, group[order] * base + table.ends[order], side="left")
    partners = stop - np.arange(n) - 1
    left = np.repeat(np.arange(n), partners)
    offsets = np.arange(len(left)) - np.repeat(np.cumsum(partners) - partners, partners) + 1
    u, v = order[left], order[left + offsets]
    keep = table.annotators[u] != table.annotators[v]
    u, v = u[keep], v[keep]
    swap = table.annotators[u] > table.annotators[v]
    return np.where(swap, v, u), np.where(swap, u, v)


def _max_matching(edges: list[tuple[int, int]]) -> int:
    """Size of a maximum bipartite matching (Kuhn's augmenting paths; components are small)."""
    adjacency: dict[int, list[int]] = {}
    for u, v in edges:
        adjacency.setdefault(u, []).append(v)
    match: dict[int, int] = {}

    def augment(u: int, seen: set[int]) -> bool:
        for v in adjacency[u]:
            if v in seen:
                continue
            seen.add(v)
            if v not in match or augment(match[v], seen):
                match[v] = u
                return True
        return False

    return sum(augment(u, set()) for u in adjacency)


def span_f1_overlap(table: SpanTable) -> SpanF1:
    """Pairwise matches where a match is the same label and >= 1 shared character, one-to-one
    by maximum bipartite matching per (item, label, pair)."""
    width = _width(table)
    u, v = _overlap_edges(table)
    pair = table.annotators[u] * width + table.annotators[v]
    # An edge whose two spans have no other partner in this pair is a component on its own:
    # matched outright. Only the rest (one span overlapping several) needs a matching search.
    _, u_code, u_deg = np.unique(
        u * width + table.annotators[v], return_inverse=True, return_counts=True
    )
    _, v_code, v_deg = np.unique(
        v * width + table.annotators[u], return_inverse=True, return_counts=True
    )
    simple = (u_deg[u_code] == 1) & (v_deg[v_code] == 1)
    keys = [pair[simple]]
    items = [table.items[u[simple]]]
    labels = [table.labels[u[simple]]]
    counts = [np.ones(int(simple.sum()), np.int64)]
    hard = ~simple
    groups: dict[tuple[int, int, int], list[tuple[int, int]]] = {}
    for pu, pv, pk in zip(u[hard].tolist(), v[hard].tolist(), pair[hard].tolist(), strict=True):
        groups.setdefault((pk, int(table.items[pu]), int(table.labels[pu])), []).append((pu, pv))
    if groups:
        found = [(*key, _max_matching(edges)) for key, edges in groups.items()]
        arr = np.asarray(found, dtype=np.int64)
        keys.append(arr[:, 0])
        items.append(arr[:, 1])
        labels.append(arr[:, 2])
        counts.append(arr[:, 3])
    return _result(
        table,
        np.concatenate(keys),
        np.concatenate(items),
        np.concatenate(labels),
        np.concatenate(counts),
    )


def token_counts(table: SpanTable, tokens: Tokens) -> IntArray:
    """Per-token value counts, shape (T, n_labels + 1); column n_labels is "O".

    Each annotator who looked at the token's item gives the token one value: the label of a
    span sharing at least one character with it, else "O". When several of the annotator's
    spans touch the token, the longest wins (then the earliest start, then the lower label).
    """
    n_labels = table.n_labels
    n_values = n_labels + 1
    n_tokens = len(tokens.items)
    row_items, _, _, width = _annotation_rows(table)
    annotators_per_item = np.bincount(row_items, minlength=max(table.n_items, 1))
    counts = np.zeros((n_tokens, n_values), np.int64)
    if n_tokens == 0:
        return counts
    m = np.zeros(n_tokens, np.int64)
    known = tokens.items < len(annotators_per_item)
    m[known] = annotators_per_item[tokens.items[known]]
    if len(table.items):
        base = int(max(int(tokens.ends.max()), int(table.ends.max()))) + 1
        # Tokens sorted by (item, start) have sorted ends too, so both searches are valid.
        first = np.searchsorted(
            tokens.items * base + tokens.ends, table.items * base + table.starts, "right"
        )
        stop = np.searchsorted(
            tokens.items * base + tokens.starts, table.items * base + table.ends, "left"
        )
        size = np.maximum(stop - first, 0)
        span = np.repeat(np.arange(len(table.items)), size)
        token = (
            np.arange(len(span)) - np.repeat(np.cumsum(size) - size, size) + np.repeat(first, size)
        )
        who = token * width + table.annotators[span]
        # One value per (token, annotator): sort on that key alone, and order the few
        # (token, annotator) with several spans by priority (longest, earliest, lowest label).
        order = np.argsort(who, kind="stable")
        repeated = who[order][1:] == who[order][:-1]
        winner = order
        if repeated.any():
            tied = np.r_[repeated, False] | np.r_[False, repeated]
            sub = order[tied]
            length = table.ends[span[sub]] - table.starts[span[sub]]
            sub = sub[
                np.lexsort((table.labels[span[sub]], table.starts[span[sub]], -length, who[sub]))
            ]
            firsts = sub[np.r_[True, who[sub][1:] != who[sub][:-1]]]
            winner = np.concatenate([order[~tied], firsts])
        flat = token[winner] * n_values + table.labels[span[winner]]
        counts += np.bincount(flat, minlength=n_tokens * n_values).reshape(n_tokens, n_values)
    counts[:, n_labels] = m - counts[:, :n_labels].sum(axis=1)
    return counts


def _default_tokens(table: SpanTable, tokens: Tokens | None) -> Tokens:
    """The tokens given, or characters up to each item's last span end, as weighted runs.

    Without the text, characters after the last span are unknown and left out. Characters
    between two consecutive span boundaries of an item get the same values from everyone, so
    each such run is one unit weighted by its length: alpha is that of single characters.
    """
    if tokens is not None:
        return tokens
    n_items = table.n_items
    base = int(table.ends.max()) + 1 if len(table.ends) else 1
    cut = np.unique(
        np.concatenate(
            [
                table.items * base + table.starts,
                table.items * base + table.ends,
                np.arange(n_items) * base,
            ]
        )
    )
    item, position = cut // base, cut % base
    inner = np.flatnonzero(item[1:] == item[:-1])
    starts, ends = position[inner], position[inner + 1]
    return Tokens(item[inner], starts, ends, (ends - starts).astype(np.float64))


def _weights(tokens: Tokens) -> FloatArray:
    if tokens.weights is None:
        return np.ones(len(tokens.items))
    return tokens.weights


def token_alpha(table: SpanTable, tokens: Tokens | None = None) -> float:
    """Krippendorff's nominal alpha over tokens (characters when `tokens` is None); NaN when
    undefined (one value in all the data, or no token with two annotators)."""
    return alpha_from_item_rows(item_alpha_rows(table, tokens))


def item_alpha_rows(table: SpanTable, tokens: Tokens | None = None) -> FloatArray:
    """Each item's token-alpha row (see `_item_alpha_rows`), on characters when `tokens` is
    None; shape (N, n_labels + 2)."""
    return _item_alpha_rows(table, _default_tokens(table, tokens))


def _item_alpha_rows(table: SpanTable, tokens: Tokens) -> FloatArray:
    """Per item, what nominal alpha needs and adds up over items, shape (N, K + 1): the
    coincidence marginals n_c (the pairable tokens' value counts) and the diagonal's sum
    sum_c n_c (n_c - 1) / (m - 1)."""
    counts = token_counts(table, tokens).astype(np.float64)
    m = counts.sum(axis=1)
    weight = np.where(m >= 2, _weights(tokens), 0.0)
    same = (counts * (counts - 1.0)).sum(axis=1) / np.maximum(m - 1.0, 1.0)
    stats = np.concatenate([counts, same[:, None]], axis=1) * weight[:, None]
    n_items = max(table.n_items, int(tokens.items.max()) + 1 if len(tokens.items) else 0)
    out = np.zeros((n_items, stats.shape[1]))
    for k in range(stats.shape[1]):
        out[:, k] = np.bincount(tokens.items, weights=stats[:, k], minlength=n_items)
    return out


def _item_bootstrap(
    per_item: FloatArray,
    statistic: Callable[[FloatArray], dict[str, FloatArray]],
    resamples: int,
    seed: int,
    confidence: float,
) -> dict[str, Interval]:
    """Percentile intervals over item resamples, given each item's additive statistic row.

    Items with equal rows are one pattern, so a resample is a multinomial draw over distinct
    rows (bootstrap.py); `statistic` gets the summed rows of a batch of resamples, (B, D).
    """
    rows, freq = np.unique(per_item, axis=0, return_counts=True)
    # Patterns only carries the frequencies here; the rows it stands for are ours.
    patterns = Patterns(
        rows=np.arange(len(rows), dtype=np.int64)[:, None], freq=freq.astype(np.int64)
    )
    return bootstrap_intervals(
        patterns, lambda weights: statistic(weights @ rows), resamples, seed, confidence
    )


def f1_intervals(
    result: SpanF1, resamples: int = 1000, seed: int = 0, confidence: float = 0.95
) -> dict[str, Interval]:
    """Bootstrap intervals over items of the pooled F1 ("f1") and each label's ("f1_label_k").

    Returns name -> (low, high, resamples where the value was NaN). Every item with an
    annotation row is resampled, including items no pair shared (they weigh on the size).
    """
    n_labels = result.item_tp.shape[1]
    per_item = np.concatenate([result.item_tp, result.item_spans], axis=1).astype(np.float64)

    def statistic(total: FloatArray) -> dict[str, FloatArray]:
        tp, spans = total[:, :n_labels], total[:, n_labels:]
        out = {"f1": _f1(tp.sum(axis=1), spans.sum(axis=1))}
        label_f1 = _f1(tp, spans)
        for k in range(n_labels):
            out[f"f1_label_{k}"] = label_f1[:, k]
        return out

    return _item_bootstrap(per_item, statistic, resamples, seed, confidence)


def _nominal_alpha_batch(total: FloatArray) -> FloatArray:
    """Nominal alpha from summed `_item_alpha_rows`, (B, K + 1) -> (B,): with delta = 1 - I,
    observed disagreement is n - trace(o) and expected is n^2 - sum n_c^2."""
    marginals, same = total[:, :-1], total[:, -1]
    n = marginals.sum(axis=1)
    expected = n * n - (marginals * marginals).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(
            (n > 1) & (expected > 0), 1.0 - (n - 1.0) * (n - same) / expected, np.nan
        )
    return out


def alpha_from_item_rows(per_item: FloatArray) -> float:
    """Token alpha from the items' rows (`item_alpha_rows`): the bootstrap's statistic on the
    sample itself. The rows are added in item order, so rows joined from item ranges give the
    same bits as rows computed at once."""
    return float(_nominal_alpha_batch(per_item.sum(axis=0)[None, :])[0])


def alpha_interval_from_item_rows(
    per_item: FloatArray, resamples: int = 1000, seed: int = 0, confidence: float = 0.95
) -> Interval:
    """Bootstrap interval over items of token alpha from the items' rows: (low, high,
    resamples where alpha was NaN)."""

    def statistic(total: FloatArray) -> dict[str, FloatArray]:
        return {"alpha": _nominal_alpha_batch(total)}

    found = _item_bootstrap(per_item, statistic, resamples, seed, confidence)
    return found.get("alpha", (float("nan"), float("nan"), 0))


def token_alpha_interval(
    table: SpanTable,
    tokens: Tokens | None = None,
    resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Interval:
    """Bootstrap interval over items (not tokens: tokens of one item are not independent) of
    token alpha: (low, high, resamples where alpha was NaN)."""
    return alpha_interval_from_item_rows(
        item_alpha_rows(table, tokens), resamples, seed, confidence
    )


@dataclass(frozen=True)
class SpanStatistics:
    """What the span report needs from a range of items: strict and overlap matches (pair
    counts, per-item rows) and each item's token-alpha row, shape (N, n_labels + 2)."""

    strict: SpanF1
    overlap: SpanF1
    alpha_rows: FloatArray


def span_statistics(table: SpanTable, tokens: Tokens | None = None) -> SpanStatistics:
    """The statistics of the items of `table` (characters as units when `tokens` is None)."""
    return SpanStatistics(
        strict=span_f1_strict(table),
        overlap=span_f1_overlap(table),
        alpha_rows=item_alpha_rows(table, tokens),
    )


def merge_span_f1(parts: Sequence[SpanF1]) -> SpanF1:
    """The matches of consecutive item ranges (annotator codes shared, ranges in item order)
    as one: pair counts are integers added by (a, b), so exact in any order; per-item rows are
    stacked, giving the rows of all the items at once."""
    if not parts:
        raise ValueError("nothing to merge: no item ranges")
    a = np.concatenate([p.a for p in parts])
    b = np.concatenate([p.b for p in parts])
    width = int(b.max()) + 1 if len(b) else 1
    # Any width above every b sorts keys by (a, b), the order of one computation.
    keys, code = np.unique(a * width + b, return_inverse=True)

    def added(name: str) -> IntArray:
        values = np.concatenate([getattr(p, name) for p in parts])
        out = np.zeros((len(keys), *values.shape[1:]), dtype=np.int64)
        np.add.at(out, code.ravel(), values)
        return out

    return SpanF1(
        a=(keys // width).astype(np.int64),
        b=(keys % width).astype(np.int64),
        tp=added("tp"),
        n_a=added("n_a"),
        n_b=added("n_b"),
        shared_items=added("shared_items"),
        both_empty=added("both_empty"),
        item_tp=np.concatenate([p.item_tp for p in parts]),
        item_spans=np.concatenate([p.item_spans for p in parts]),
    )


def merge_statistics(parts: Sequence[SpanStatistics]) -> SpanStatistics:
    """The statistics of consecutive item ranges, in item order, as those of all the items."""
    return SpanStatistics(
        strict=merge_span_f1([p.strict for p in parts]),
        overlap=merge_span_f1([p.overlap for p in parts]),
        alpha_rows=np.concatenate([p.alpha_rows for p in parts]),
    )
