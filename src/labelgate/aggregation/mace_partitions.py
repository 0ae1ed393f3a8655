"""MACE EM by item partition: each partition's E-step and the sums its M-step needs, added up."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labelgate.aggregation.base import normalize_log_joint
from labelgate.aggregation.em_partitions import EmPartition
from labelgate.backends.executor import Executor, add_in_order, map_gather
from labelgate.metrics.counts import FloatArray, IntArray


@dataclass(frozen=True)
class MaceStats:
    """What MACE's M-step needs from a partition; adds up over partitions."""

    competent: FloatArray  # (A,): expected competent annotations per annotator
    seen: IntArray  # (A,): annotations per annotator
    spam: FloatArray  # (A K,): expected spam mass per annotator and given label
    class_totals: FloatArray  # (K,): posteriors summed over items
    loglik: float

    def __add__(self, other: MaceStats) -> MaceStats:
        return MaceStats(
            self.competent + other.competent,
            self.seen + other.seen,
            self.spam + other.spam,
            self.class_totals + other.class_totals,
            self.loglik + other.loglik,
        )


def _sums(
    part: EmPartition, posteriors: FloatArray, loglik: float, theta: FloatArray, xi: FloatArray
) -> MaceStats:
    """Split each annotation's posterior on its label into competent and spam parts under
    (theta, xi); sum them per annotator and per (annotator, given label)."""
    a, k = xi.shape
    th = theta[part.annotators]
    x = xi[part.annotators, part.labels]
    competent = posteriors[part.items, part.labels] * th / (th + (1.0 - th) * x)
    spam = 1.0 - competent
    hits = np.bincount(part.annotators, weights=competent, minlength=a)
    spam_mass = np.bincount(part.annotators * k + part.labels, weights=spam, minlength=a * k)
    return MaceStats(
        hits.astype(np.float64, copy=False),
        np.bincount(part.annotators, minlength=a),
        spam_mass.astype(np.float64, copy=False),
        posteriors.sum(axis=0),
        loglik,
    )


def _posteriors(
    part: EmPartition, theta: FloatArray, xi: FloatArray, log_priors: FloatArray
) -> tuple[FloatArray, float]:
    """The E-step: P(label l | true t) = theta [l == t] + (1 - theta) xi_l, in log space."""
    n, k = part.s.shape[0], part.k
    th = theta[part.annotators]
    spam = (1.0 - th) * xi[part.annotators, part.labels]
    base = np.log(spam)
    bonus = np.log(th + spam) - base
    per_item = np.bincount(part.items, weights=base, minlength=n).astype(np.float64)
    at_label = np.bincount(part.items * k + part.labels, weights=bonus, minlength=n * k)
    joint: FloatArray = per_item[:, None] + at_label.astype(np.float64).reshape(n, k)
    joint += log_priors
    return normalize_log_joint(joint)


def _start(part: EmPartition, theta: FloatArray, xi: FloatArray) -> MaceStats:
    return _sums(part, part.vote_shares(), 0.0, theta, xi)


def _step(
    part: EmPartition, theta: FloatArray, xi: FloatArray, log_priors: FloatArray
) -> MaceStats:
    return _sums(part, *_posteriors(part, theta, xi, log_priors), theta, xi)


def _final(
    part: EmPartition, theta: FloatArray, xi: FloatArray, log_priors: FloatArray
) -> FloatArray:
    return _posteriors(part, theta, xi, log_priors)[0]


def start_stats(
    executor: Executor, refs: list[object], theta: FloatArray, xi: FloatArray
) -> MaceStats:
    """M-step sums of the majority-vote start under the starting (theta, xi)."""
    return add_in_order(map_gather(executor, _start, refs, theta, xi))


def em_stats(
    executor: Executor,
    refs: list[object],
    theta: FloatArray,
    xi: FloatArray,
    log_priors: FloatArray,
) -> MaceStats:
    """One E-step on every partition, then the M-step sums under the same (theta, xi), and
    the data log-likelihood."""
    return add_in_order(map_gather(executor, _step, refs, theta, xi, log_priors))


def posteriors(
    executor: Executor,
    refs: list[object],
    theta: FloatArray,
    xi: FloatArray,
    log_priors: FloatArray,
) -> FloatArray:
    """Every item's posteriors (N, K) under the given parameters, in item-code order."""
    return np.concatenate(map_gather(executor, _final, refs, theta, xi, log_priors))
