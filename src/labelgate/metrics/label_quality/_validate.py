"""Input checks (ValueError on bad input) and small helpers shared by the label-quality code."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def as_codes(values: npt.ArrayLike, n_codes: int, name: str) -> IntArray:
    """`values` as a 1-D int64 array of codes in [0, n_codes); ValueError otherwise."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    # Whole-valued floats are accepted (pandas turns int columns with NaN into floats).
    integral = np.issubdtype(arr.dtype, np.integer) or (
        np.issubdtype(arr.dtype, np.floating) and bool(np.all(arr == np.round(arr)))
    )
    if arr.size and not integral:
        raise ValueError(f"{name} must be integer codes, got dtype {arr.dtype}")
    codes = arr.astype(np.int64, copy=False)
    if codes.size and (codes.min() < 0 or codes.max() >= n_codes):
        raise ValueError(
            f"{name} must be codes in 0..{n_codes - 1}, got {codes.min()}..{codes.max()}"
        )
    return codes


def as_probs(pred_probs: npt.ArrayLike, n_rows: int | None = None) -> FloatArray:
    """`pred_probs` as a finite, non-negative float64 (n, K) array with K >= 2."""
    probs = np.asarray(pred_probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] < 2:
        raise ValueError(f"pred_probs must be 2-D with at least 2 classes, got {probs.shape}")
    if n_rows is not None and probs.shape[0] != n_rows:
        raise ValueError(f"pred_probs has {probs.shape[0]} rows, expected {n_rows}")
    # Two reductions instead of elementwise masks: NaN fails `min >= 0`, inf fails the max.
    if probs.size and not (probs.min() >= 0 and np.isfinite(probs.max())):
        raise ValueError("pred_probs must be finite and non-negative")
    return probs


def labels_and_probs(
    labels: npt.ArrayLike, pred_probs: npt.ArrayLike
) -> tuple[IntArray, FloatArray]:
    """Validated (labels (n,), pred_probs (n, K)): one row of probabilities per label."""
    probs = as_probs(pred_probs)
    codes = as_codes(labels, probs.shape[1], "labels")
    if codes.shape[0] != probs.shape[0]:
        raise ValueError(
            f"labels has {codes.shape[0]} items but pred_probs has {probs.shape[0]} rows"
        )
    return codes, probs


def self_confidence(labels: IntArray, probs: FloatArray) -> FloatArray:
    """p(given label; x) per item, shape (n,)."""
    n, k = probs.shape
    # A flat take is several times faster than 2-D fancy indexing on large arrays.
    flat = np.ascontiguousarray(probs).reshape(-1)
    out: FloatArray = np.take(flat, np.arange(n, dtype=np.int64) * k + labels)
    return out
