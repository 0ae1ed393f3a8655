"""Pre-labels: the model's suggestion per item above a confidence, and precision at coverage."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

THRESHOLDS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
COVERAGE_COLUMNS = ("min_confidence", "coverage", "precision", "n_suggested", "n_items")


def suggest(
    item_ids: Sequence[str],
    probabilities: np.ndarray,
    class_names: Sequence[str],
    min_confidence: float = 0.0,
) -> pd.DataFrame:
    """item_id, suggested_label, suggestion_score: the most probable class and its probability
    per item; an item whose top probability is below `min_confidence` gets no suggestion
    ('' and NaN). probabilities: (n_items, n_classes). Ties go to the first class."""
    top = probabilities.argmax(axis=1) if len(probabilities) else np.zeros(0, dtype=np.int64)
    score = probabilities.max(axis=1) if len(probabilities) else np.zeros(0)
    keep = score >= min_confidence
    names = np.asarray(class_names, dtype=object)[top] if len(top) else np.zeros(0, dtype=object)
    return pd.DataFrame(
        {
            "item_id": [str(i) for i in item_ids],
            "suggested_label": np.where(keep, names, "").astype(str),
            "suggestion_score": np.where(keep, score, np.nan),
        }
    )


def precision_at_coverage(
    probabilities: np.ndarray, truth: np.ndarray, thresholds: Sequence[float] = THRESHOLDS
) -> pd.DataFrame:
    """For each threshold t: the share of items whose top probability is >= t (coverage) and
    the share of those whose top class is `truth` (precision; NaN when none is covered).
    probabilities: (n, K) out-of-fold; truth: (n,) codes. One row per threshold, ascending."""
    confidence = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == truth
    rows = []
    for t in sorted(set(float(t) for t in thresholds)):
        covered = confidence >= t
        n = int(covered.sum())
        rows.append(
            {
                "min_confidence": t,
                "coverage": n / len(truth) if len(truth) else float("nan"),
                "precision": float(right[covered].mean()) if n else float("nan"),
                "n_suggested": n,
                "n_items": len(truth),
            }
        )
    return pd.DataFrame(rows, columns=list(COVERAGE_COLUMNS))
