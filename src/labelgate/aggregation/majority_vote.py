"""Majority vote with a deterministic tie rule, and weighted majority vote.

Tie rule: when several labels share the most votes, the label is the one declared first in
the schema among them; `ties_` marks such items so the stage sends them to adjudication.
"""

from __future__ import annotations

import numpy as np

from labelgate.aggregation.base import Aggregator, Codes
from labelgate.aggregation.registry import register
from labelgate.metrics.counts import FloatArray, IntArray


def vote_shares(codes: Codes, weights: FloatArray | None = None) -> FloatArray:
    """Per item, the (weighted) share of votes for each label; shape (N, K)."""
    n, _, k = codes.shape
    w = np.ones(len(codes.items)) if weights is None else weights[codes.annotators]
    return shares_of(codes.items, codes.labels, n, k, w)


def shares_of(items: IntArray, labels: IntArray, n: int, k: int, w: FloatArray) -> FloatArray:
    """Per item of `n`, the share of vote weight `w` each of the `k` labels has; (N, K)."""
    votes = np.bincount(items * k + labels, weights=w, minlength=n * k).reshape(n, k)
    totals = votes.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares: FloatArray = np.where(
            totals > 0, votes / np.where(totals > 0, totals, 1.0), 1.0 / k
        )
    return shares


@register("majority_vote")
class MajorityVote(Aggregator):
    """The most frequent label; `probas_` are vote shares."""

    name = "majority_vote"

    def _fit(self, codes: Codes) -> FloatArray:
        shares = vote_shares(codes)
        top = shares.max(axis=1, keepdims=True)
        self.ties_ = (np.isclose(shares, top)).sum(axis=1) > 1
        return shares


@register("weighted_majority_vote")
class WeightedMajorityVote(Aggregator):
    """Votes weighted by each annotator's log-odds of being right.

    With gold items, an annotator's accuracy on them (smoothed: (correct + 1) / (n + 2));
    without gold, their agreement with the plain majority. Weight = log(K-1) + logit(accuracy),
    the optimal weight under the one-coin model (Nitzan and Paroush 1982).
    """

    name = "weighted_majority_vote"

    def _fit(self, codes: Codes) -> FloatArray:
        _, a, k = codes.shape
        gold = codes.gold[codes.items]
        use_gold = gold >= 0
        if use_gold.any():
            reference, mask = gold, use_gold
        else:
            reference, mask = (
                vote_shares(codes).argmax(axis=1)[codes.items],
                np.ones(len(codes.items), bool),
            )
        correct = np.bincount(
            codes.annotators[mask],
            weights=(codes.labels[mask] == reference[mask]).astype(float),
            minlength=a,
        )
        seen = np.bincount(codes.annotators[mask], minlength=a)
        accuracy = np.clip((correct + 1.0) / (seen + 2.0), 1e-3, 1 - 1e-3)
        self.weights_ = np.log(max(k - 1, 1)) + np.log(accuracy / (1.0 - accuracy))
        shares = vote_shares(codes, np.maximum(self.weights_, 0.0) + 1e-9)
        top = shares.max(axis=1, keepdims=True)
        self.ties_ = (np.isclose(shares, top)).sum(axis=1) > 1
        return shares
