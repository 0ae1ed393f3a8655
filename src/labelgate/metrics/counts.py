"""Per-item label counts: the sufficient statistic every agreement coefficient starts from."""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from typing import TypeVar

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
T = TypeVar("T")


def item_value_counts(items: IntArray, values: IntArray, n_items: int, n_values: int) -> IntArray:
    """Count matrix `counts[i, k]` = number of annotations of item i with value code k.

    items, values : int arrays, shape (A,) -- one entry per annotation (codes from 0).
    Returns int64 array, shape (n_items, n_values).
    """
    flat = np.bincount(items * n_values + values, minlength=n_items * n_values)
    return flat.reshape(n_items, n_values).astype(np.int64)


def add_in_order(values: Sequence[T]) -> T:
    """values[0] + values[1] + ... left to right: one summation order whoever computed the
    parts (each engine, each partition). One value comes back as it is, so a single
    partition gives exactly the numbers of the unpartitioned computation."""
    if not values:
        raise ValueError("nothing to add: no partitions")
    return reduce(lambda total, value: total + value, values[1:], values[0])  # type: ignore[operator]


def stable_order(codes: IntArray, n: int) -> IntArray:
    """`np.argsort(codes, kind="stable")` for codes below `n`: on 16-bit ints when they fit,
    where NumPy's stable sort is a radix sort, far faster than on 64-bit codes."""
    narrow = codes.astype(np.int16) if n < 2**15 else codes
    order: IntArray = np.argsort(narrow, kind="stable")
    return order
