"""Dawid-Skene: EM with a confusion matrix per annotator (Dawid and Skene 1979, JRSS-C 28(1)).

With `clamp_gold`, gold items keep their known label during EM (their accuracy against gold
then says nothing; use it when gold is for calibration, not for measuring).

E-step (log space): posterior over the true label of each item from the class priors and
every annotator's confusion row. M-step: MAP estimates of priors and confusion matrices.
Starts from the (gold-clamped) majority-vote shares, or from given confusion matrices; stops
when the penalised log-likelihood per item changes by less than `tol`, or after `max_iter`.

Why a prior: plain maximum likelihood gives an annotator with 1-3 labels a confusion matrix
of zeros and ones; EM then trusts them absolutely and collapses (below majority vote on
crowds of sparse workers). Each confusion row gets a Dirichlet prior of `alpha_prior`
pseudo-annotations centred on the pooled confusion matrix of the whole crowd at the
majority-vote start (empirical Bayes): a sparse annotator looks like the average annotator
until their own labels say otherwise; prolific annotators barely notice it.

`OneCoinDawidSkene`: the same EM with one accuracy per annotator and errors spread evenly
over the other labels (crowd-kit's OneCoinDawidSkene), with a Beta prior of `alpha_prior`
pseudo-annotations at the crowd's pooled accuracy.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from labelgate.aggregation import em_partitions as em
from labelgate.aggregation.base import Aggregator, Codes
from labelgate.aggregation.registry import register
from labelgate.errors import ConfigError
from labelgate.metrics.counts import FloatArray
from labelgate.problems import Problem


def incidence(codes: Codes) -> sp.csr_matrix:
    """The incidence matrix S of all the codes (`em_partitions.incidence_matrix`)."""
    n, a, k = codes.shape
    return em.incidence_matrix(codes.items, codes.annotators, codes.labels, n, a, k)


def confusion_counts(
    s: sp.csr_matrix, st: sp.csr_matrix, posteriors: FloatArray, a: int, k: int
) -> FloatArray:
    """Expected counts E[a, true t, given l]; shape (A, K, K). Sums of partial statistics."""
    return em.by_true_label(np.asarray(st @ posteriors), a, k)


@register("dawid_skene")
class DawidSkene(Aggregator):
    """Parameters: max_iter, tol (on the change of the loss per item), smoothing, clamp_gold,
    initial_errors (A, K, K) prior confusion matrices or None, alpha_prior (Dirichlet
    pseudo-annotations per confusion row, centred on the crowd's pooled confusion matrix;
    0 is plain maximum likelihood), random_state (unused: EM is deterministic from the
    majority-vote start). Learned: `errors_` (A, K, K), `priors_`, `loss_history_` (negative
    penalised log-likelihood per item: never increases), `converged_`, `n_iter_`."""

    name = "dawid_skene"

    def __init__(
        self,
        labels: list[str] | None = None,
        max_iter: int = 100,
        tol: float = 1e-6,
        smoothing: float = 1e-6,
        clamp_gold: bool = False,
        initial_errors: FloatArray | None = None,
        alpha_prior: float = 2.0,
        random_state: int = 0,
    ) -> None:
        super().__init__(labels, random_state)
        self.max_iter = max_iter
        self.tol = tol
        self.smoothing = smoothing
        self.clamp_gold = clamp_gold
        self.initial_errors = initial_errors
        self.alpha_prior = alpha_prior

    def _m_step(self, stats: em.EmStats, n: int, a: int, k: int) -> tuple[FloatArray, FloatArray]:
        counts = em.by_true_label(stats.by_given, a, k) + self._pseudo
        errors = counts / counts.sum(axis=2, keepdims=True)
        priors = (stats.class_totals + self.smoothing) / (n + self.smoothing * k)
        return priors, errors

    def _log_prior(self, priors: FloatArray, log_errors: FloatArray) -> float:
        """Log density (up to a constant) of the Dirichlet priors: makes EM's loss monotone."""
        return float((self._pseudo * log_errors).sum() + self.smoothing * np.log(priors).sum())

    def _fit(self, codes: Codes) -> FloatArray:
        n, a, k = codes.shape
        # The data stay in item partitions where the engine runs them (em_partitions); each
        # step below gathers small sums: expected counts, class totals, log-likelihood.
        executor = self._executor
        parts = em.place(codes, executor)
        used = (np.bincount(codes.annotators * k + codes.labels, minlength=a * k) > 0).reshape(a, k)
        # `smoothing` goes only to labels the annotator uses: a true class they never met
        # spreads over their own labels, not over labels they never give (which would make
        # each of their answers evidence against that class). crowd-kit does the same.
        self._pseudo = self.smoothing * np.broadcast_to(used[:, None, :], (a, k, k))
        start = em.start_stats(executor, parts, self.clamp_gold)
        if self.alpha_prior > 0:
            # The centre is fixed once, from the majority-vote start: a fixed prior keeps EM a
            # MAP ascent (monotone loss); re-centring each step would chase its own output.
            pooled = em.by_true_label(start.by_given, a, k).sum(axis=0) + 1e-3
            pooled /= pooled.sum(axis=1, keepdims=True)
            self._pseudo = self._pseudo + self.alpha_prior * pooled[None, :, :]
        if self.initial_errors is not None:
            errors = np.asarray(self.initial_errors, dtype=np.float64) + self.smoothing
            expected = (codes.shape[1], codes.shape[2], codes.shape[2])
            if errors.shape != expected:
                # A setting that does not fit the data: a config error (exit 3), not a crash.
                raise ConfigError(
                    [
                        Problem(
                            key_path="aggregate.params.initial_errors",
                            message=f"initial_errors must have shape (annotators, labels, "
                            f"labels) = {expected}, got {errors.shape}.",
                            fix="Give one labels x labels matrix per annotator, in sorted "
                            "annotator id order, or remove initial_errors.",
                        )
                    ]
                )
            errors /= errors.sum(axis=2, keepdims=True)
            priors = np.full(codes.shape[2], 1.0 / codes.shape[2])
        else:
            priors, errors = self._m_step(start, n, a, k)
        history: list[float] = []
        self.converged_ = False
        last: tuple[FloatArray, FloatArray] | None = None  # parameters of the last E-step
        for iteration in range(1, self.max_iter + 1):
            # Labels an annotator never gives have probability 0; their log is never read.
            log_errors = np.log(np.where(errors > 0, errors, 1.0))
            last = (np.log(priors), log_errors)
            stats = em.em_stats(executor, parts, *last, self.clamp_gold)
            history.append(-(stats.loglik + self._log_prior(priors, log_errors)) / max(n, 1))
            self.n_iter_ = iteration
            if len(history) > 1 and abs(history[-2] - history[-1]) < self.tol:
                self.converged_ = True
                break
            priors, errors = self._m_step(stats, n, a, k)
        self.loss_history_ = history
        self.errors_ = errors
        self.priors_ = priors
        if last is None:
            return em.vote_shares(executor, parts)
        # The posteriors of the last E-step, recomputed where the partitions live (the loop
        # gathered only their sums).
        return em.posteriors(executor, parts, *last, self.clamp_gold)


def coin_posteriors(
    codes: Codes, accuracy: FloatArray, log_priors: FloatArray
) -> tuple[FloatArray, float]:
    """Posteriors (N, K) and log-likelihood when annotation j is right with `accuracy[j]` and
    otherwise picks one of the K - 1 other labels evenly (one-coin models, GLAD)."""
    n, _, k = codes.shape
    return em.coin_joint(codes.items, codes.labels, n, k, accuracy, log_priors)


def clamp_gold(codes: Codes, posteriors: FloatArray, clamp: bool) -> FloatArray:
    """Gold items keep their known label (posterior one-hot) when `clamp`."""
    return em.clamp_to_gold(codes.gold, posteriors, clamp)


@register("one_coin_dawid_skene")
class OneCoinDawidSkene(Aggregator):
    """One accuracy per annotator, errors spread evenly over the other labels.

    Parameters: max_iter, tol, alpha_prior (Beta pseudo-annotations at the crowd's pooled
    accuracy; 0 is maximum likelihood, as crowd-kit), clamp_gold, random_state (unused).
    Learned: `skills_` (A,) accuracies, `priors_`, `loss_history_`, `converged_`, `n_iter_`.
    """

    name = "one_coin_dawid_skene"

    def __init__(
        self,
        labels: list[str] | None = None,
        max_iter: int = 100,
        tol: float = 1e-6,
        alpha_prior: float = 2.0,
        clamp_gold: bool = False,
        random_state: int = 0,
    ) -> None:
        super().__init__(labels, random_state)
        self.max_iter = max_iter
        self.tol = tol
        self.alpha_prior = alpha_prior
        self.clamp_gold = clamp_gold

    def _m_step(self, stats: em.CoinStats, seen: FloatArray) -> tuple[FloatArray, FloatArray]:
        skills = (stats.hits + self.alpha_prior * self._centre) / np.maximum(
            seen + self.alpha_prior, 1e-12
        )
        counts = stats.class_totals + 1e-6
        return np.clip(skills, 1e-6, 1 - 1e-6), counts / counts.sum()

    def _fit(self, codes: Codes) -> FloatArray:
        n, a, _ = codes.shape
        # Item partitions where the engine runs them; each step gathers small sums.
        executor = self._executor
        parts = em.place(codes, executor)
        seen = np.bincount(codes.annotators, minlength=a).astype(np.float64)
        start = em.coin_start_stats(executor, parts, self.clamp_gold, a)
        # The Beta prior's centre: the crowd's pooled agreement with the start (fixed, so EM
        # stays a MAP ascent).
        self._centre = start.right_total / len(codes.items) if len(codes.items) else 0.5
        skills, priors = self._m_step(start, seen)
        history: list[float] = []
        self.converged_ = False
        last: tuple[FloatArray | None, FloatArray | None] = (None, None)
        for iteration in range(1, self.max_iter + 1):
            last = (skills, np.log(priors))
            stats = em.coin_stats(executor, parts, skills, last[1], self.clamp_gold)
            penalty = (
                self.alpha_prior
                * (self._centre * np.log(skills) + (1 - self._centre) * np.log(1 - skills)).sum()
            )
            history.append(-(stats.loglik + penalty) / max(n, 1))
            self.n_iter_ = iteration
            if len(history) > 1 and abs(history[-2] - history[-1]) < self.tol:
                self.converged_ = True
                break
            skills, priors = self._m_step(stats, seen)
        self.loss_history_ = history
        self.skills_ = skills
        self.priors_ = priors
        # The last E-step's posteriors, recomputed where the partitions live.
        return em.coin_posteriors(executor, parts, *last, self.clamp_gold)
