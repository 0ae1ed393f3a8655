"""Ordinal median: the median label on the scale, so the order of labels is not thrown away.

Labels are ordered as declared in the schema (by value). The label is the lower median of an
item's labels; `probas_` stay the vote shares, so the confidence of a final label is the
share of annotators who gave exactly the median.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from labelgate.aggregation.base import Aggregator, Codes
from labelgate.aggregation.majority_vote import vote_shares
from labelgate.aggregation.registry import register
from labelgate.config import columns as col
from labelgate.metrics.counts import FloatArray


@register("ordinal_median")
class OrdinalMedian(Aggregator):
    """Lower median of the label codes per item (codes follow the schema's order)."""

    name = "ordinal_median"

    def _fit(self, codes: Codes) -> FloatArray:
        n, _, k = codes.shape
        counts = np.bincount(codes.items * k + codes.labels, minlength=n * k).reshape(n, k)
        half = counts.sum(axis=1, keepdims=True) / 2.0
        self.median_ = (counts.cumsum(axis=1) >= half).argmax(axis=1)
        self.ties_ = np.zeros(n, dtype=bool)
        return vote_shares(codes)

    def fit(self, df: pd.DataFrame, gold: pd.Series | None = None) -> OrdinalMedian:
        """Fit, then take the median (not the most voted label) as the label."""
        super().fit(df, gold)
        names = np.asarray(self.codes_.label_ids, dtype=object)
        self.labels_ = pd.Series(names[self.median_], index=self.codes_.item_ids, name=col.LABEL)
        return self
