"""Majority vote with a deterministic tie rule.

Tie rule: when several labels share the most votes, the label is the one declared first in
the schema among them, and the item is marked tied so the stage sends it to adjudication.
"""

from __future__ import annotations

import numpy as np

from labelgate.aggregation.registry import register
from labelgate.metrics.counts import FloatArray, IntArray, item_value_counts


@register("majority_vote")
class MajorityVote:
    """Estimator: `fit(items, labels, n_items, n_labels)` on integer codes.

    Learned: `labels_` (N,) label codes, `probas_` (N, K) vote shares, `ties_` (N,) bool,
    `n_annotations_` (N,).
    """

    def __init__(self, random_state: int | None = None) -> None:
        self.random_state = random_state  # unused: majority vote is deterministic

    def fit(self, items: IntArray, labels: IntArray, n_items: int, n_labels: int) -> MajorityVote:
        """Count votes per item; codes are positions in the schema's label list."""
        counts = item_value_counts(items, labels, n_items, n_labels)
        totals = counts.sum(axis=1)
        top = counts.max(axis=1)
        self.n_annotations_: IntArray = totals
        self.labels_: IntArray = np.argmax(counts, axis=1).astype(
            np.int64
        )  # first max = schema order
        self.ties_ = (counts == top[:, None]).sum(axis=1) > 1
        with np.errstate(invalid="ignore", divide="ignore"):
            self.probas_: FloatArray = np.where(
                totals[:, None] > 0, counts / np.maximum(totals, 1)[:, None], 0.0
            )
        self.counts_ = counts
        return self

    def fit_predict(
        self, items: IntArray, labels: IntArray, n_items: int, n_labels: int
    ) -> IntArray:
        """Fit and return `labels_`."""
        return self.fit(items, labels, n_items, n_labels).labels_
