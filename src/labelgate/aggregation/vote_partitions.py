"""Skill-weighted votes by item partition: each partition's weighted vote shares and each
annotator's agreement with them, added up.

Vote shares are per item, so they stay inside a partition; an annotator's accuracy needs
only two counts per annotator (labels equal to the reference, labels given), which add up
exactly whatever the partitions: Wawa and ZBS give the same bits on every engine and for
every partition size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labelgate.aggregation.em_partitions import EmPartition
from labelgate.aggregation.majority_vote import shares_of
from labelgate.backends.executor import Executor, add_in_order, map_gather
from labelgate.metrics.counts import FloatArray


@dataclass(frozen=True)
class AgreementCounts:
    """Per annotator: labels equal to the reference (gold, else the vote) and labels given."""

    right: FloatArray
    seen: FloatArray

    def __add__(self, other: AgreementCounts) -> AgreementCounts:
        return AgreementCounts(self.right + other.right, self.seen + other.seen)

    def accuracy(self) -> FloatArray:
        """Each annotator's share of labels equal to the reference (0 for none given)."""
        accuracy: FloatArray = self.right / np.maximum(self.seen, 1)
        return accuracy


def floored(skills: FloatArray) -> FloatArray:
    """Vote weights from skills; a tiny floor: an item whose only annotators have skill 0
    keeps their plain vote."""
    weights: FloatArray = np.maximum(skills, 0.0) + 1e-9
    return weights


def _shares(part: EmPartition, weights: FloatArray | None) -> FloatArray:
    if weights is None:
        return part.vote_shares()
    return shares_of(part.items, part.labels, part.s.shape[0], part.k, weights[part.annotators])


def _agreement(part: EmPartition, n_annotators: int, weights: FloatArray | None) -> AgreementCounts:
    shares = _shares(part, weights)
    reference = np.where(part.gold >= 0, part.gold, shares.argmax(axis=1))[part.items]
    agrees = part.labels == reference
    right = np.bincount(part.annotators, weights=agrees, minlength=n_annotators)
    seen = np.bincount(part.annotators, minlength=n_annotators)
    return AgreementCounts(right.astype(np.float64), seen.astype(np.float64))


def accuracy_against(
    executor: Executor, refs: list[object], n_annotators: int, weights: FloatArray | None = None
) -> FloatArray:
    """Each annotator's accuracy against gold, else the vote weighted by `weights` per
    annotator (None: the plain majority vote)."""
    counts = map_gather(executor, _agreement, refs, n_annotators, weights)
    return add_in_order(counts).accuracy() if counts else np.zeros(n_annotators)


def weighted_shares(
    executor: Executor, refs: list[object], k: int, weights: FloatArray | None = None
) -> FloatArray:
    """Every item's weighted vote shares (N, K), in item-code order."""
    parts = map_gather(executor, _shares, refs, weights)
    return np.concatenate(parts) if parts else np.zeros((0, k))
