"""Confidence and status of each final label, from a fitted aggregator (one rule for all callers)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from labelgate.aggregation.base import Aggregator
from labelgate.metrics.counts import FloatArray, IntArray, item_value_counts


def final_status(
    model: Aggregator, min_confidence: float, forced: np.ndarray | None = None
) -> tuple[FloatArray, IntArray, np.ndarray]:
    """(confidence, n_annotations, status) per item, in the order of `model.labels_`.

    confidence is the posterior of the chosen label. `agreed`: 2+ annotations, all equal;
    `unresolved`: the top labels tie (the model's `ties_`, or a near-even split of the top
    two posteriors), the confidence is below `min_confidence`, or `forced` says so;
    `aggregated` otherwise. Counts come from the model's own (deduplicated) codes.
    """
    codes = model.codes_
    n_items, _, n_labels = codes.shape
    counts = item_value_counts(codes.items, codes.labels, n_items, n_labels)
    n = counts.sum(axis=1)
    distinct = (counts > 0).sum(axis=1)
    probas = model.probas_.to_numpy()
    position = model.probas_.columns.get_indexer(pd.Index(model.labels_))
    confidence: FloatArray = probas[np.arange(len(probas)), position]
    ties = getattr(model, "ties_", None)
    if ties is None:
        ordered = np.sort(probas, axis=1)
        ties = ordered[:, -1] - ordered[:, -2] < 1e-9 if n_labels > 1 else np.zeros(n_items, bool)
    status = np.where((n >= 2) & (distinct == 1), "agreed", "aggregated").astype(object)
    unresolved = ties | (confidence < min_confidence)
    if forced is not None:
        unresolved |= forced
    status[unresolved] = "unresolved"
    return confidence, n, status
