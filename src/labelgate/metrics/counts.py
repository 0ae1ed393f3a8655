"""Per-item label counts: the sufficient statistic every agreement coefficient starts from."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def item_value_counts(items: IntArray, values: IntArray, n_items: int, n_values: int) -> IntArray:
    """Count matrix `counts[i, k]` = number of annotations of item i with value code k.

    items, values : int arrays, shape (A,) -- one entry per annotation (codes from 0).
    Returns int64 array, shape (n_items, n_values).
    """
    flat = np.bincount(items * n_values + values, minlength=n_items * n_values)
    return flat.reshape(n_items, n_values).astype(np.int64)
