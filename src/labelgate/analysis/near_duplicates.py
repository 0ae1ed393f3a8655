"""Near-duplicate texts: character shingles, MinHash with LSH banding, then exact Jaccard."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from labelgate.config import columns as col

PAIR_COLUMNS = ("item_index_a", "item_index_b", "similarity")
CONFLICT_COLUMNS = ("item_id_a", "item_id_b", "similarity", "label_a", "label_b")

# LSH bands are chosen so that a pair exactly at the threshold becomes a candidate with at
# least this probability; pairs above it are found more surely still (0.95 Jaccard: 1 - 1e-8).
MIN_RECALL_AT_THRESHOLD = 0.95
# A bucket (texts sharing a band key) of more than BUCKET_WINDOW + 1 distinct texts pairs each
# text with its next BUCKET_WINDOW texts only (in content order), so thousands of
# near-identical texts stay linear; each of them is still compared with some of the others.
BUCKET_WINDOW = 16

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_CHUNK_SHINGLES = 1 << 15  # shingles hashed at a time: the perm block stays in cache
_PERM_BLOCK = 4


@dataclass(frozen=True)
class _Corpus:
    """Distinct non-empty normalised texts as one array of code points."""

    codes: np.ndarray  # uint32 code points of all texts, concatenated, then n-gram zeros
    starts: np.ndarray  # int64 offset of each text in `codes`
    lengths: np.ndarray  # int64 characters per text


def normalise(texts: Sequence[Any] | pd.Series) -> tuple[np.ndarray, list[str]]:
    """Lower-case and whitespace-collapsed texts, factorised: a code per item (-1 for empty
    or missing text) and the distinct texts in order of first occurrence."""
    values = texts.tolist() if isinstance(texts, pd.Series) else list(texts)
    norm = [" ".join(_as_text(t).lower().split()) for t in values]
    codes, uniques = pd.factorize(np.array(norm, dtype=object))
    distinct = [str(u) for u in uniques]
    if "" in distinct:
        empty = distinct.index("")
        codes = np.where(codes == empty, -1, codes - (codes > empty))
        del distinct[empty]
    return codes.astype(np.int64), distinct


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _corpus(texts: list[str], ngram: int) -> _Corpus:
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    # surrogatepass: a lone surrogate is a code point like any other, not an error. The zeros
    # after the last text let every window read `ngram` characters without a bounds check.
    raw = ("".join(texts) + "\0" * ngram).encode("utf-32-le", errors="surrogatepass")
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    return _Corpus(np.frombuffer(raw, dtype=np.uint32), starts, lengths)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit reaches every output bit (FNV alone is weak)."""
    h = h ^ (h >> np.uint64(30))
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def _shingle_hashes(
    corpus: _Corpus, texts: np.ndarray, ngram: int
) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every character n-gram of the given texts (a text shorter than
    `ngram` is one shingle), and how many shingles each text has, in order."""
    lengths = corpus.lengths[texts]
    counts = np.maximum(lengths - ngram + 1, 1)
    owner = np.repeat(np.arange(len(texts)), counts)
    first = np.cumsum(counts) - counts
    pos = corpus.starts[texts][owner] + (np.arange(int(counts.sum())) - first[owner])
    width = np.minimum(lengths, ngram)[owner]
    short = bool((width < ngram).any())
    h = np.full(len(pos), _FNV_OFFSET, dtype=np.uint64)
    for k in range(ngram):  # FNV-1a over code points, one vectorised step per character
        step = (h ^ corpus.codes[pos + k].astype(np.uint64)) * _FNV_PRIME
        h = np.where(k < width, step, h) if short else step
    return _mix(h), counts


def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows): the most rows per band (fewest false candidates) for which a pair at
    `threshold` is a candidate with probability >= MIN_RECALL_AT_THRESHOLD."""
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands >= MIN_RECALL_AT_THRESHOLD:
            return bands, rows
    return num_perm, 1


def _chunks(counts: np.ndarray) -> Iterator[slice]:
    """Consecutive text ranges of about _CHUNK_SHINGLES shingles each."""
    ends = np.cumsum(np.maximum(counts, 1))
    start = 0
    while start < len(counts):
        stop = int(np.searchsorted(ends, ends[start] - counts[start] + _CHUNK_SHINGLES, "right"))
        stop = max(stop, start + 1)
        yield slice(start, stop)
        start = stop


def _minhash(x: np.ndarray, counts: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MinHash signature (texts x len(a)) of 32-bit shingle hashes `x` under the universal
    hashes h(x) = (a*x + b) mod 2**64, compared by their high bits first.

    This is Dietzfelbinger's multiply-add-shift family, 2-independent like (a*x + b) mod p;
    NumPy has no fast modulo by a prime (5x slower here), and the minimum of the 64-bit value
    is the minimum of its high 32 bits, ties broken by the low ones, so no shift is needed.
    """
    bounds = np.cumsum(counts) - counts
    out = np.empty((len(a), len(counts)), dtype=np.uint64)
    buffer = np.empty((_PERM_BLOCK, len(x)), dtype=np.uint64)
    for j in range(0, len(a), _PERM_BLOCK):
        block = slice(j, min(j + _PERM_BLOCK, len(a)))
        v = buffer[: block.stop - block.start]
        np.multiply(a[block, None], x[None, :], out=v)  # in place: no page faults per step
        v += b[block, None]
        out[block] = np.minimum.reduceat(v, bounds, axis=1)
    return out.T


def _band_keys(signature: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per text and band: a hash of the band's `rows` MinHash values."""
    sig = signature[:, : bands * rows].reshape(len(signature), bands, rows)
    key = np.full((len(signature), bands), _FNV_OFFSET, dtype=np.uint64)
    for r in range(rows):
        key = (key ^ sig[:, :, r]) * _FNV_PRIME
    return _mix(key)


def _signature_keys(
    corpus: _Corpus, ngram: int, bands: int, rows: int, seed: int, workers: int
) -> tuple[np.ndarray, np.ndarray]:
    """Band keys (texts x bands) and a content key per text, chunk by chunk (threads)."""
    rng = np.random.default_rng(seed)
    n_hashes = bands * rows
    # Odd multipliers and offsets over all 64 bits: multiply-add-shift wants both uniform.
    a = rng.integers(0, 2**64 - 1, size=n_hashes, dtype=np.uint64, endpoint=True) | np.uint64(1)
    b = rng.integers(0, 2**64 - 1, size=n_hashes, dtype=np.uint64, endpoint=True)
    n_texts = len(corpus.lengths)
    keys = np.empty((n_texts, bands), dtype=np.uint64)
    content = np.empty(n_texts, dtype=np.uint64)
    counts = np.maximum(corpus.lengths - ngram + 1, 1)

    def one(part: slice) -> None:
        hashes, per_text = _shingle_hashes(corpus, np.arange(part.start, part.stop), ngram)
        bounds = np.cumsum(per_text) - per_text
        keys[part] = _band_keys(_minhash(hashes >> np.uint64(32), per_text, a, b), bands, rows)
        # Order-free sum of shingle hashes: orders texts in a bucket independently of item order.
        content[part] = np.add.reduceat(hashes, bounds)

    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        list(pool.map(one, _chunks(counts)))
    return keys, content


def _candidates(keys: np.ndarray, content: np.ndarray, window: int) -> np.ndarray:
    """Distinct pairs (lo, hi) of texts sharing a band key, as lo * n + hi (int64, sorted)."""
    n = len(keys)
    found = []
    for band in range(keys.shape[1]):
        column = keys[:, band]
        # A hash table finds the few shared keys; only those texts are sorted.
        shared = np.flatnonzero(pd.Series(column).duplicated(keep=False).to_numpy())
        if not len(shared):
            continue
        order = shared[np.lexsort((content[shared], column[shared]))]
        found += _bucket_pairs(order, column[order], window, n)
    if not found:
        return np.empty(0, dtype=np.int64)
    return np.unique(np.concatenate(found))


def _bucket_pairs(
    order: np.ndarray, sorted_keys: np.ndarray, window: int, n: int
) -> list[np.ndarray]:
    """Pairs of texts in the same bucket (runs of equal sorted keys): all of them in a bucket
    of up to window + 1 texts, else each text with the next `window` ones."""
    m = len(order)
    new_run = np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1]))
    run = np.cumsum(new_run) - 1
    run_end = np.concatenate((np.flatnonzero(new_run)[1:], [m])) - 1
    remaining = run_end[run] - np.arange(m)
    active = np.flatnonzero(remaining >= 1)
    found = []
    for d in range(1, window + 1):
        active = active[remaining[active] >= d]
        if not len(active):
            break
        lo, hi = order[active], order[active + d]
        found.append(np.minimum(lo, hi) * n + np.maximum(lo, hi))
    return found


def _shingle_sets(corpus: _Corpus, texts: np.ndarray, ngram: int) -> sparse.csr_matrix:
    """Texts x distinct shingles, 1 where the text has the shingle (rows follow `texts`)."""
    hashes, counts = _shingle_hashes(corpus, texts, ngram)
    tokens, _ = pd.factorize(hashes)
    rows = np.repeat(np.arange(len(texts)), counts)
    ones = np.ones(len(hashes), dtype=np.int32)
    shape = (len(texts), int(tokens.max()) + 1 if len(tokens) else 0)
    sets = sparse.csr_matrix((ones, (rows, tokens)), shape=shape)  # sums repeated shingles
    sets.data[:] = 1
    return sets


def _exact_jaccard(
    corpus: _Corpus, lo: np.ndarray, hi: np.ndarray, ngram: int, batch: int = 100_000
) -> np.ndarray:
    """Exact Jaccard similarity of the shingle sets of texts lo[k] and hi[k]."""
    texts, inverse = np.unique(np.concatenate((lo, hi)), return_inverse=True)
    sets = _shingle_sets(corpus, texts, ngram)
    sizes = np.diff(sets.indptr)
    a, b = inverse[: len(lo)], inverse[len(lo) :]
    inter = np.empty(len(lo), dtype=np.int64)
    for start in range(0, len(lo), batch):  # bounds the memory of the gathered rows
        part = slice(start, start + batch)
        both = sets[a[part]].multiply(sets[b[part]])
        inter[part] = np.asarray(both.sum(axis=1)).ravel()
    similarity: np.ndarray = inter / (sizes[a] + sizes[b] - inter)
    return similarity


def near_duplicate_pairs(
    texts: Sequence[Any] | pd.Series,
    threshold: float = 0.8,
    ngram: int = 5,
    num_perm: int = 128,
    bands: int | None = None,
    seed: int = 0,
    workers: int = 2,
    window: int = BUCKET_WINDOW,
) -> pd.DataFrame:
    """Pairs of items (positions in `texts`) whose normalised texts have Jaccard similarity
    of character `ngram` shingles >= `threshold`: PAIR_COLUMNS, item_index_a < item_index_b,
    sorted.

    Items with the same normalised text form a group reported as a star: each later item
    paired with the group's first item, similarity 1.0. Two distinct texts that are near
    duplicates are reported once, between the first items of their groups; the groups
    (`near_duplicate_groups`) join them all. Candidates come from MinHash LSH (`bands` of
    num_perm // bands rows; default from `lsh_bands`), so a pair at the threshold is missed
    with probability <= 1 - MIN_RECALL_AT_THRESHOLD; every reported similarity is exact (up
    to 64-bit shingle hash collisions). Empty or missing texts are skipped.
    """
    _check_settings(threshold, ngram, num_perm, bands)
    codes, distinct = normalise(texts)
    first_item = _first_items(codes, len(distinct))
    pairs = [_exact_groups(codes, first_item)]
    if len(distinct) > 1:
        n_bands, rows = (bands, num_perm // bands) if bands else lsh_bands(threshold, num_perm)
        corpus = _corpus(distinct, ngram)
        keys, content = _signature_keys(corpus, ngram, n_bands, rows, seed, workers)
        candidates = _candidates(keys, content, window)
        lo, hi = candidates // len(distinct), candidates % len(distinct)
        similarity = _exact_jaccard(corpus, lo, hi, ngram)
        keep = similarity >= threshold
        a, b = first_item[lo[keep]], first_item[hi[keep]]
        pairs.append(
            pd.DataFrame(
                {
                    PAIR_COLUMNS[0]: np.minimum(a, b),
                    PAIR_COLUMNS[1]: np.maximum(a, b),
                    PAIR_COLUMNS[2]: similarity[keep],
                }
            )
        )
    return pd.concat(pairs, ignore_index=True).sort_values(
        list(PAIR_COLUMNS[:2]), ignore_index=True
    )


def _check_settings(threshold: float, ngram: int, num_perm: int, bands: int | None) -> None:
    """Python callers get the bounds the qa rules model enforces for YAML."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if ngram < 1 or num_perm < 1:
        raise ValueError(f"ngram and num_perm must be >= 1, got {ngram} and {num_perm}")
    if bands is not None and not 1 <= bands <= num_perm:
        raise ValueError(f"bands must be between 1 and num_perm ({num_perm}), got {bands}")


def _first_items(codes: np.ndarray, n_distinct: int) -> np.ndarray:
    """The position of the first item with each distinct text."""
    first = np.full(n_distinct, len(codes), dtype=np.int64)
    present = codes >= 0
    np.minimum.at(first, codes[present], np.flatnonzero(present))
    return first


def _exact_groups(codes: np.ndarray, first_item: np.ndarray) -> pd.DataFrame:
    """Each item whose text repeats an earlier item's, paired with that group's first item."""
    later = np.flatnonzero(codes >= 0)
    later = later[first_item[codes[later]] != later]
    return pd.DataFrame(
        {
            PAIR_COLUMNS[0]: first_item[codes[later]],
            PAIR_COLUMNS[1]: later.astype(np.int64),
            PAIR_COLUMNS[2]: np.ones(len(later)),
        }
    )


def near_duplicate_groups(pairs: pd.DataFrame, n_items: int) -> np.ndarray:
    """Group number per item (connected components of the pairs), numbered by each group's
    first item; -1 for an item in no pair."""
    a = pairs[PAIR_COLUMNS[0]].to_numpy(dtype=np.int64)
    b = pairs[PAIR_COLUMNS[1]].to_numpy(dtype=np.int64)
    graph = sparse.coo_matrix((np.ones(len(a)), (a, b)), shape=(n_items, n_items))
    _, labels = connected_components(graph, directed=False)
    in_pair = np.zeros(n_items, dtype=bool)
    in_pair[a] = in_pair[b] = True
    groups = np.full(n_items, -1, dtype=np.int64)
    groups[in_pair] = pd.factorize(labels[in_pair])[0]
    return groups


def with_item_ids(pairs: pd.DataFrame, item_ids: Sequence[Any] | pd.Series) -> pd.DataFrame:
    """`near_duplicate_pairs` with item ids for positions: item_id_a, item_id_b, similarity."""
    ids = np.asarray(item_ids.tolist() if isinstance(item_ids, pd.Series) else item_ids)
    return pd.DataFrame(
        {
            "item_id_a": ids[pairs[PAIR_COLUMNS[0]].to_numpy(dtype=np.int64)],
            "item_id_b": ids[pairs[PAIR_COLUMNS[1]].to_numpy(dtype=np.int64)],
            "similarity": pairs[PAIR_COLUMNS[2]].to_numpy(),
        }
    )


def conflicting_duplicates(pairs: pd.DataFrame, final_labels: pd.DataFrame) -> pd.DataFrame:
    """Near-duplicate pairs (item_id_a, item_id_b, similarity; see `with_item_ids`) whose final
    labels differ: CONFLICT_COLUMNS. Items without a final label are left out. Every group of
    near duplicates with two different labels has at least one such pair, as the pairs
    connect the group."""
    labels = final_labels.drop_duplicates(col.ITEM_ID).set_index(col.ITEM_ID)[col.LABEL]
    out = pairs[list(CONFLICT_COLUMNS[:3])].assign(
        label_a=pairs["item_id_a"].map(labels), label_b=pairs["item_id_b"].map(labels)
    )
    out = out[out["label_a"].notna() & out["label_b"].notna()]
    differ = [x != y for x, y in zip(out["label_a"], out["label_b"], strict=True)]
    return out[np.array(differ, dtype=bool)].reset_index(drop=True)
