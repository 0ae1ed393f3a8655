"""The one-vote rule shared by the stages, and id columns as shared integer codes."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from labelgate.config import columns as col

IntArray = npt.NDArray[np.int64]


def _first_rows(annotations: pd.DataFrame) -> np.ndarray:
    items = pd.factorize(annotations[col.ITEM_ID])[0]
    annotators = pd.factorize(annotations[col.ANNOTATOR_ID])[0]
    return first_votes(items, annotators)


def unique_annotations(annotations: pd.DataFrame) -> pd.DataFrame:
    """One annotation per (item, annotator): the first in source order (validate reports the rest).

    Found on codes; without repeats the rows are not copied (a shallow copy: copy-on-write)."""
    first = _first_rows(annotations)
    return annotations.copy(deep=False) if first.all() else annotations[first]


def unique_annotations_consumed(annotations: pd.DataFrame) -> pd.DataFrame:
    """`unique_annotations` of a table the caller gives up, renumbered from 0: repeats are
    dropped column by column and `annotations` is emptied as they are, so the table is never
    held twice. For callers that read rows by position, never by their number in the file."""
    first = _first_rows(annotations)
    if first.all():
        return annotations.copy(deep=False)
    kept = {name: annotations.pop(name).array[first] for name in list(annotations.columns)}
    return pd.DataFrame(kept)


def codes_together(*columns: pd.Series) -> tuple[list[np.ndarray], pd.Index]:
    """Integer codes of several columns over one shared set of values (-1: missing).

    One factorisation instead of string joins, merges or `isin` on each pair of columns."""
    codes, uniques = pd.factorize(pd.concat(columns, ignore_index=True))
    bounds = np.cumsum([0, *(len(c) for c in columns)])
    return [codes[a:b] for a, b in pairwise(bounds)], uniques


def first_votes(item_codes: np.ndarray, annotator_codes: np.ndarray) -> np.ndarray:
    """Mask of the first annotation per (item, annotator): `unique_annotations`' rule, on codes."""
    width = int(annotator_codes.max(initial=-1)) + 2
    key = (item_codes.astype(np.int64) + 1) * width + (annotator_codes + 1)
    return ~pd.Series(key).duplicated().to_numpy()


def _arrow_strings(values: pd.Series | pd.Index) -> pa.Array:
    """The values as one Arrow string array (no copy for Arrow-backed str columns)."""
    array = pa.array(pd.Series(values).astype("str").array)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def positions(values: pd.Series | pd.Index, index: pd.Index) -> IntArray:
    """`index.get_indexer(values)` for string ids (-1: not in `index`), hashed by Arrow:
    pandas' get_indexer on Arrow strings took 0.3 s per 300,000 ids."""
    if len(index) == 0 or len(values) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    target, value_set = _arrow_strings(values), _arrow_strings(index)
    if target.equals(value_set):  # e.g. final labels, one row per item in id order
        return np.arange(len(index), dtype=np.int64)
    if 4 * len(target) > len(value_set):
        return _index_in(target, value_set)
    # Few values (gold ids) in a large index: hash the values, not the index, and find
    # each value's first entry by looking every entry up among them.
    distinct = pc.unique(target)
    hit = _index_in(value_set, distinct)
    entry = np.flatnonzero(hit >= 0)
    first = np.full(len(distinct), len(value_set), dtype=np.int64)
    np.minimum.at(first, hit[entry], entry)
    first[first == len(value_set)] = -1
    return np.append(first, -1)[_index_in(target, distinct)]


def _index_in(values: pa.Array, value_set: pa.Array) -> IntArray:
    """Position of each value in `value_set` (-1: none)."""
    found = pc.index_in(values, value_set=value_set)
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
