"""Item features for selection and pre-labelling: TF-IDF or numeric columns, a dense embedding, fits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from labelgate.errors import InputError
from labelgate.models.text_classifier import (
    TextModelSettings,
    _features,
    _fit_predict_codes,
    assign_folds,
)

DEFAULT = TextModelSettings()
SVD_SAMPLE = 20_000  # rows the SVD is fit on; every row is then projected


def text_matrix(texts: Sequence[str], settings: TextModelSettings = DEFAULT) -> Any:
    """TF-IDF features of `texts` as the built-in model builds them: (n_texts, n_terms) CSR,
    rows of unit length (or all zero when no term is frequent enough)."""
    x, _ = _features(texts, settings)
    return x


def numeric_matrix(columns: dict[str, Sequence[object]]) -> np.ndarray:
    """Numeric item features (name -> values as text or numbers), standardised per column:
    (n_items, n_columns) float64, missing values at the column mean (0 after scaling).
    Raises InputError naming the first value that is not a number."""
    blocks = []
    for name, values in columns.items():
        out = np.empty(len(values), dtype=np.float64)
        for i, value in enumerate(values):
            text = "" if value is None else str(value).strip()
            try:
                out[i] = float(text) if text else np.nan
            except ValueError:
                raise InputError(
                    f"feature column '{name}' holds '{text[:40]}' (item {i + 1}), not a number: "
                    "give numeric feature columns, or --text-col for text."
                ) from None
        mean = np.nanmean(out) if np.isfinite(out).any() else 0.0
        out = np.where(np.isfinite(out), out, mean)
        spread = out.std()
        blocks.append((out - mean) / spread if spread > 0 else out - mean)
    return np.column_stack(blocks) if blocks else np.zeros((0, 0))


def embed(x: Any, n_components: int = 50, seed: int = 0) -> np.ndarray:
    """A dense, L2-normalised embedding of features `x` (n, f): the truncated SVD (fit on at
    most SVD_SAMPLE seeded rows) of a sparse matrix; a dense one is only normalised.
    Returns (n, min(n_components, f - 1)) float64 (f columns when f is small)."""
    from scipy.sparse import issparse

    if issparse(x):
        n, f = x.shape
        k = min(n_components, f - 1, n - 1)
        if k < 1:
            dense = np.asarray(x.toarray(), dtype=np.float64)
        else:
            from sklearn.decomposition import TruncatedSVD

            rng = np.random.default_rng(seed)
            rows = np.sort(rng.choice(n, SVD_SAMPLE, replace=False)) if n > SVD_SAMPLE else None
            svd = TruncatedSVD(n_components=k, random_state=seed, algorithm="randomized")
            svd.fit(x[rows] if rows is not None else x)
            dense = svd.transform(x)
    else:
        dense = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    result: np.ndarray = np.divide(dense, norms, out=np.zeros_like(dense), where=norms > 0)
    return result


def fit_predict_matrix(
    x_train: Any,
    codes: np.ndarray,
    x_predict: Any,
    n_classes: int,
    settings: TextModelSettings = DEFAULT,
) -> np.ndarray:
    """The built-in logistic regression fit on (x_train, codes) and applied to x_predict:
    (n_predict, n_classes) float64, rows summing to 1 (a class without training rows gets 0)."""
    probabilities, _ = _fit_predict_codes(x_train, codes, x_predict, n_classes, settings)
    return probabilities


def out_of_fold_matrix(
    x: Any, codes: np.ndarray, n_classes: int, settings: TextModelSettings = DEFAULT
) -> np.ndarray:
    """Out-of-fold probabilities (n, n_classes) of labelled rows `codes` (0..n_classes-1) by
    the seeded stratified K-fold of the built-in model; folds fall to len(codes) // 2 when
    there are few rows. Raises InputError with fewer than 4 rows or 2 classes."""
    counts = np.bincount(codes, minlength=n_classes)
    if len(codes) < 4 or int((counts > 0).sum()) < 2:
        raise InputError(
            f"cross-validation needs at least 4 labelled items in 2 classes; got {len(codes)} "
            f"in {int((counts > 0).sum())}. Label more items."
        )
    folds = max(2, min(settings.folds, len(codes) // 2))
    fold = assign_folds(codes, folds, settings.seed)
    out = np.zeros((len(codes), n_classes), dtype=np.float64)
    for k in range(folds):
        held = fold == k
        out[held], _ = _fit_predict_codes(x[~held], codes[~held], x[held], n_classes, settings)
    return out
