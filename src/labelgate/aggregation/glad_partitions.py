"""GLAD by item partition: each item's difficulty and posterior stay in its partition; the
abilities' Newton steps and the class totals gather per-annotator and per-class sums.

An EM iteration is: per Newton step, the abilities' gradient and curvature summed over the
partitions (the abilities move centrally), then each partition's items take their own
difficulty step; then each partition's E-step, and its class totals, log-likelihood and
difficulty penalty, summed. Partition state is replaced, never mutated, so the Dask engine
keeps each new state where the old one was.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from labelgate.aggregation import em_partitions as em
from labelgate.aggregation.em_partitions import EmPartition
from labelgate.backends.executor import Executor, add_in_order, map_gather
from labelgate.metrics.counts import FloatArray

# A Newton step is capped: far from the optimum the quadratic model overshoots.
STEP = 1.0
# log_beta is kept in [-LOG_BETA_BOUND, LOG_BETA_BOUND]: beyond it an item is decided by one
# label (beta huge) or by none (beta ~ 0), and the gradient vanishes anyway.
LOG_BETA_BOUND = 5.0


@dataclass(frozen=True)
class GladState:
    """One partition's data with its items' log inverse difficulty and posteriors."""

    part: EmPartition
    log_beta: FloatArray  # (items,)
    posteriors: FloatArray  # (items, K)
    loglik: float = 0.0

    def right(self) -> FloatArray:
        """P(annotation j is right): the posterior of the label it gave."""
        q: FloatArray = self.posteriors[self.part.items, self.part.labels]
        return q


@dataclass(frozen=True)
class AbilitySums:
    """Per annotator: the expected log-likelihood's gradient and Fisher curvature sums."""

    grad: FloatArray
    curve: FloatArray

    def __add__(self, other: AbilitySums) -> AbilitySums:
        return AbilitySums(self.grad + other.grad, self.curve + other.curve)


@dataclass(frozen=True)
class EStepSums:
    """Class totals of the posteriors, log-likelihood and sum of log_beta squared."""

    class_totals: FloatArray
    loglik: float
    log_beta_squares: float

    def __add__(self, other: EStepSums) -> EStepSums:
        return EStepSums(
            self.class_totals + other.class_totals,
            self.loglik + other.loglik,
            self.log_beta_squares + other.log_beta_squares,
        )


def _start(part: EmPartition, clamp: bool) -> GladState:
    posteriors = em.clamp(part, part.vote_shares(), clamp)
    return GladState(part, np.zeros(part.s.shape[0]), posteriors)


def start(executor: Executor, refs: list[object], clamp: bool) -> list[object]:
    """Each partition's state: difficulties 0 (beta 1), posteriors the (clamped) vote shares."""
    return executor.map(_start, refs, clamp)


def _ability_sums(state: GladState, alpha: FloatArray) -> AbilitySums:
    part = state.part
    beta = np.exp(state.log_beta)[part.items]
    s = 1.0 / (1.0 + np.exp(-alpha[part.annotators] * beta))
    grad = np.bincount(part.annotators, weights=(state.right() - s) * beta, minlength=len(alpha))
    curve = np.bincount(part.annotators, weights=s * (1 - s) * beta**2, minlength=len(alpha))
    return AbilitySums(np.asarray(grad, dtype=np.float64), np.asarray(curve, dtype=np.float64))


def ability_step(executor: Executor, states: list[object], alpha: FloatArray) -> FloatArray:
    """One capped Fisher-scoring step of the abilities (prior N(1, 1)), difficulties fixed."""
    sums = add_in_order(map_gather(executor, _ability_sums, states, alpha))
    grad = sums.grad - (alpha - 1.0)
    curve = sums.curve + 1.0
    moved: FloatArray = alpha + np.clip(grad / curve, -STEP, STEP)
    return moved


def _difficulty_step(state: GladState, alpha: FloatArray) -> GladState:
    part, log_beta = state.part, state.log_beta
    n = part.s.shape[0]
    ab = alpha[part.annotators] * np.exp(log_beta)[part.items]
    s = 1.0 / (1.0 + np.exp(-ab))
    grad = np.bincount(part.items, weights=(state.right() - s) * ab, minlength=n) - log_beta
    curve = np.bincount(part.items, weights=s * (1 - s) * ab**2, minlength=n) + 1.0
    log_beta = np.clip(
        log_beta + np.clip(grad / curve, -STEP, STEP), -LOG_BETA_BOUND, LOG_BETA_BOUND
    )
    return replace(state, log_beta=log_beta)


def difficulty_step(executor: Executor, states: list[object], alpha: FloatArray) -> list[object]:
    """Each item's capped Fisher-scoring step of log_beta (prior N(0, 1)), abilities fixed."""
    return executor.map(_difficulty_step, states, alpha)


def _class_totals(state: GladState) -> FloatArray:
    totals: FloatArray = state.posteriors.sum(axis=0)
    return totals


def class_totals(executor: Executor, states: list[object]) -> FloatArray:
    """The posteriors summed over every item, (K,)."""
    totals: FloatArray = add_in_order(map_gather(executor, _class_totals, states))
    return totals


def _e_step(state: GladState, alpha: FloatArray, log_priors: FloatArray, clamp: bool) -> GladState:
    part = state.part
    z = alpha[part.annotators] * np.exp(state.log_beta[part.items])
    posteriors, loglik = em.coin_joint(
        part.items, part.labels, part.s.shape[0], part.k, 1.0 / (1.0 + np.exp(-z)), log_priors
    )
    return replace(state, posteriors=em.clamp(part, posteriors, clamp), loglik=loglik)


def _e_sums(state: GladState) -> EStepSums:
    return EStepSums(_class_totals(state), state.loglik, float((state.log_beta**2).sum()))


def e_step(
    executor: Executor,
    states: list[object],
    alpha: FloatArray,
    log_priors: FloatArray,
    clamp: bool,
) -> tuple[list[object], EStepSums]:
    """Each partition's posteriors under the abilities, difficulties and priors, and the
    sums the loss needs."""
    states = executor.map(_e_step, states, alpha, log_priors, clamp)
    return states, add_in_order(map_gather(executor, _e_sums, states))


def _posteriors(state: GladState) -> FloatArray:
    return state.posteriors


def _betas(state: GladState) -> FloatArray:
    betas: FloatArray = np.exp(state.log_beta)
    return betas


def posteriors_and_betas(
    executor: Executor, states: list[object], k: int
) -> tuple[FloatArray, FloatArray]:
    """Every item's posteriors (N, K) and inverse difficulty (N,), in item-code order."""
    posteriors = map_gather(executor, _posteriors, states)
    betas = map_gather(executor, _betas, states)
    if not posteriors:
        return np.zeros((0, k)), np.zeros(0)
    return np.concatenate(posteriors), np.concatenate(betas)
