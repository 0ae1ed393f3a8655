"""Dawid-Skene EM by item partition: each partition's E-step and expected counts, added up.

The E-step is per item and the M-step needs only sums over items (expected confusion counts,
class totals, the log-likelihood), so every iteration is one kernel per partition returning
small tables. Partitions stay where the engine placed them for the whole fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from labelgate.aggregation.base import Codes, normalize_log_joint
from labelgate.aggregation.majority_vote import shares_of
from labelgate.backends.executor import Executor, add_in_order, map_gather
from labelgate.backends.partitions import by_item
from labelgate.metrics.counts import FloatArray, IntArray


@dataclass(frozen=True)
class EmPartition:
    """One item range: incidence S (items x annotator-label), its transpose, gold, votes."""

    s: sp.csr_matrix
    st: sp.csr_matrix
    items: IntArray  # local item code of each annotation
    annotators: IntArray
    labels: IntArray
    gold: IntArray  # per local item: gold label code or -1
    k: int

    def vote_shares(self) -> FloatArray:
        """Each item's share of votes per label (majority vote's posteriors)."""
        weights = np.ones(len(self.items))
        return shares_of(self.items, self.labels, self.s.shape[0], self.k, weights)


@dataclass(frozen=True)
class EmStats:
    """What the M-step needs from a partition; adds up over partitions."""

    by_given: FloatArray  # (A K_given, K_true): S.T @ posteriors
    class_totals: FloatArray  # (K,): posteriors summed over items
    loglik: float

    def __add__(self, other: EmStats) -> EmStats:
        return EmStats(
            self.by_given + other.by_given,
            self.class_totals + other.class_totals,
            self.loglik + other.loglik,
        )


def incidence_matrix(
    items: IntArray, annotators: IntArray, labels: IntArray, n: int, a: int, k: int
) -> sp.csr_matrix:
    """S[i, a * K + l] = 1 when annotator a gave item i label l; shape (N, A K).

    Both EM steps are products with S: the E-step sums log-confusion rows per item
    (S @ L), the M-step sums posteriors per annotator and given label (S.T @ T).
    """
    return sp.csr_matrix((np.ones(len(items)), (items, annotators * k + labels)), shape=(n, a * k))


def by_true_label(by_given: FloatArray, a: int, k: int) -> FloatArray:
    """S.T @ posteriors, (A K_given, K_true), as expected counts E[a, true t, given l]."""
    return by_given.reshape(a, k, k).transpose(0, 2, 1)


def _prepare(chunk: tuple[IntArray, IntArray, IntArray, IntArray, int, int, int]) -> EmPartition:
    items, annotators, labels, gold, n, a, k = chunk
    s = incidence_matrix(items, annotators, labels, n, a, k)
    return EmPartition(s, s.T.tocsr(), items, annotators, labels, gold, k)


def place(codes: Codes, executor: Executor) -> list[object]:
    """Cut `codes` into item partitions and prepare each where `executor` keeps it."""
    n, a, k = codes.shape
    chunks = [
        (
            codes.items[part.rows] - part.start,
            codes.annotators[part.rows],
            codes.labels[part.rows],
            codes.gold[part.start : part.stop],
            part.n_items,
            a,
            k,
        )
        for part in by_item(codes.items, n, executor.partition_rows)
    ]
    return executor.map(_prepare, executor.scatter(chunks))


def clamp_to_gold(gold: IntArray, posteriors: FloatArray, on: bool) -> FloatArray:
    """Items with a gold label (`gold` >= 0) keep it (posterior one-hot) when `on`."""
    known = gold >= 0
    if on and known.any():
        posteriors = posteriors.copy()
        posteriors[known] = 0.0
        posteriors[known, gold[known]] = 1.0
    return posteriors


def clamp(part: EmPartition, posteriors: FloatArray, on: bool) -> FloatArray:
    """A partition's gold items keep their known label when `on`."""
    return clamp_to_gold(part.gold, posteriors, on)


def _stats(part: EmPartition, posteriors: FloatArray, loglik: float) -> EmStats:
    return EmStats(np.asarray(part.st @ posteriors), posteriors.sum(axis=0), loglik)


def _start_stats(part: EmPartition, clamp_gold: bool) -> EmStats:
    return _stats(part, clamp(part, part.vote_shares(), clamp_gold), 0.0)


def _posteriors(
    part: EmPartition, log_priors: FloatArray, log_errors: FloatArray, clamp_gold: bool
) -> tuple[FloatArray, float]:
    a, k, _ = log_errors.shape
    rows = log_errors.transpose(0, 2, 1).reshape(a * k, k)  # (A K_given, K_true)
    joint = np.asarray(part.s @ rows)
    joint += log_priors
    posteriors, loglik = normalize_log_joint(joint)
    return clamp(part, posteriors, clamp_gold), loglik


def _em_stats(
    part: EmPartition, log_priors: FloatArray, log_errors: FloatArray, clamp_gold: bool
) -> EmStats:
    return _stats(part, *_posteriors(part, log_priors, log_errors, clamp_gold))


def _final(
    part: EmPartition, log_priors: FloatArray, log_errors: FloatArray, clamp_gold: bool
) -> FloatArray:
    return _posteriors(part, log_priors, log_errors, clamp_gold)[0]


def start_stats(executor: Executor, refs: list[object], clamp_gold: bool) -> EmStats:
    """Expected counts of the (gold-clamped) majority-vote start."""
    return add_in_order(map_gather(executor, _start_stats, refs, clamp_gold))


def em_stats(
    executor: Executor,
    refs: list[object],
    log_priors: FloatArray,
    log_errors: FloatArray,
    clamp_gold: bool,
) -> EmStats:
    """One E-step on every partition: expected counts and the data log-likelihood."""
    return add_in_order(map_gather(executor, _em_stats, refs, log_priors, log_errors, clamp_gold))


def posteriors(
    executor: Executor,
    refs: list[object],
    log_priors: FloatArray,
    log_errors: FloatArray,
    clamp_gold: bool,
) -> FloatArray:
    """Every item's posteriors (N, K) under the given parameters, in item-code order."""
    parts = map_gather(executor, _final, refs, log_priors, log_errors, clamp_gold)
    return np.concatenate(parts) if parts else np.zeros((0, log_errors.shape[1]))


def vote_shares(executor: Executor, refs: list[object]) -> FloatArray:
    """Every item's vote shares (N, K), in item-code order."""
    parts = map_gather(executor, EmPartition.vote_shares, refs)
    return np.concatenate(parts)


# One-coin models: one accuracy per annotator, errors spread evenly over the other labels.


def coin_joint(
    items: IntArray, labels: IntArray, n: int, k: int, accuracy: FloatArray, log_priors: FloatArray
) -> tuple[FloatArray, float]:
    """Posteriors (N, K) and log-likelihood when annotation j is right with `accuracy[j]` and
    otherwise picks one of the K - 1 other labels evenly (one-coin models, GLAD)."""
    acc = np.clip(accuracy, 1e-9, 1.0 - 1e-9)
    base = np.log((1.0 - acc) / max(k - 1, 1))
    bonus = np.log(acc) - base
    joint = np.bincount(items, weights=base, minlength=n).astype(np.float64)[:, None]
    joint = joint + np.bincount(items * k + labels, weights=bonus, minlength=n * k).reshape(n, k)
    joint += log_priors
    return normalize_log_joint(joint)


@dataclass(frozen=True)
class CoinStats:
    """What the one-coin M-step needs from a partition; adds up over partitions."""

    hits: FloatArray  # (A,): posterior mass on the label each annotator gave
    class_totals: FloatArray  # (K,)
    right_total: float  # hits summed (the prior's centre at the start)
    loglik: float

    def __add__(self, other: CoinStats) -> CoinStats:
        return CoinStats(
            self.hits + other.hits,
            self.class_totals + other.class_totals,
            self.right_total + other.right_total,
            self.loglik + other.loglik,
        )


def _coin_stats_of(
    part: EmPartition, posteriors: FloatArray, loglik: float, n_annotators: int
) -> CoinStats:
    right = posteriors[part.items, part.labels]
    hits = np.bincount(part.annotators, weights=right, minlength=n_annotators).astype(np.float64)
    return CoinStats(hits, posteriors.sum(axis=0), float(right.sum()), loglik)


def _coin_posteriors(
    part: EmPartition, skills: FloatArray, log_priors: FloatArray, clamp_gold: bool
) -> tuple[FloatArray, float]:
    posteriors, loglik = coin_joint(
        part.items, part.labels, part.s.shape[0], part.k, skills[part.annotators], log_priors
    )
    return clamp(part, posteriors, clamp_gold), loglik


def _coin_start(part: EmPartition, clamp_gold: bool, n_annotators: int) -> CoinStats:
    return _coin_stats_of(part, clamp(part, part.vote_shares(), clamp_gold), 0.0, n_annotators)


def _coin_step(
    part: EmPartition,
    skills: FloatArray,
    log_priors: FloatArray,
    clamp_gold: bool,
    n_annotators: int,
) -> CoinStats:
    return _coin_stats_of(
        part, *_coin_posteriors(part, skills, log_priors, clamp_gold), n_annotators
    )


def _coin_final(
    part: EmPartition, skills: FloatArray, log_priors: FloatArray, clamp_gold: bool
) -> FloatArray:
    return _coin_posteriors(part, skills, log_priors, clamp_gold)[0]


def _clamped_shares(part: EmPartition, clamp_gold: bool) -> FloatArray:
    return clamp(part, part.vote_shares(), clamp_gold)


def coin_start_stats(
    executor: Executor, refs: list[object], clamp_gold: bool, n_annotators: int
) -> CoinStats:
    """One-coin statistics of the (gold-clamped) majority-vote start."""
    return add_in_order(map_gather(executor, _coin_start, refs, clamp_gold, n_annotators))


def coin_stats(
    executor: Executor,
    refs: list[object],
    skills: FloatArray,
    log_priors: FloatArray,
    clamp_gold: bool,
) -> CoinStats:
    """One one-coin E-step on every partition: hits per annotator, totals, log-likelihood."""
    return add_in_order(
        map_gather(executor, _coin_step, refs, skills, log_priors, clamp_gold, len(skills))
    )


def coin_posteriors(
    executor: Executor,
    refs: list[object],
    skills: FloatArray | None,
    log_priors: FloatArray | None,
    clamp_gold: bool,
) -> FloatArray:
    """Every item's one-coin posteriors (N, K) in item-code order; without parameters, the
    (gold-clamped) vote shares of the start."""
    if skills is None or log_priors is None:
        parts = map_gather(executor, _clamped_shares, refs, clamp_gold)
    else:
        parts = map_gather(executor, _coin_final, refs, skills, log_priors, clamp_gold)
    return np.concatenate(parts)
