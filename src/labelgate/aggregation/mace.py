"""MACE: annotators who either know the answer or spam (Hovy et al. 2013, NAACL, "Learning
Whom to Trust with MACE").

Each annotator has a competence theta (the probability of giving the true label) and, when
not competent, a spamming distribution xi over labels:
  P(label l | true t) = theta [l == t] + (1 - theta) xi_l.
EM from the majority-vote shares with Beta/Dirichlet smoothing (Hovy et al. use variational
Bayes with the same priors). Learned: `competence_` (A,), `spam_` (A, K), `loss_history_`,
`converged_`.

The E-step is per item and the M-step needs only sums over annotations, so EM runs by item
partition where the engine keeps them (mace_partitions.py), as Dawid-Skene does.
"""

from __future__ import annotations

import numpy as np

from labelgate.aggregation import em_partitions as em
from labelgate.aggregation import mace_partitions as mp
from labelgate.aggregation.base import Aggregator, Codes
from labelgate.aggregation.registry import register
from labelgate.metrics.counts import FloatArray


@register("mace")
class Mace(Aggregator):
    """Parameters: max_iter, tol, alpha and beta (Beta prior on competence, as pseudo-counts
    of competent and spamming annotations), smoothing (Dirichlet on spam distributions),
    learn_priors (estimate class priors; MACE's original uses a uniform prior, which hurts
    on imbalanced data)."""

    name = "mace"

    def __init__(
        self,
        labels: list[str] | None = None,
        max_iter: int = 300,
        tol: float = 1e-6,
        alpha: float = 0.5,
        beta: float = 0.5,
        smoothing: float = 0.1,
        learn_priors: bool = True,
        random_state: int = 0,
    ) -> None:
        super().__init__(labels, random_state)
        self.learn_priors = learn_priors
        self.max_iter = max_iter
        self.tol = tol
        self.alpha = alpha
        self.beta = beta
        self.smoothing = smoothing

    def _m_step(self, stats: mp.MaceStats, a: int, k: int) -> tuple[FloatArray, FloatArray]:
        theta = (stats.competent + self.alpha) / (stats.seen + self.alpha + self.beta)
        smoothed = stats.spam.reshape(a, k).astype(np.float64) + self.smoothing
        return theta, smoothed / smoothed.sum(axis=1, keepdims=True)

    def _priors(self, class_totals: FloatArray) -> FloatArray:
        if not self.learn_priors:
            return np.full(len(class_totals), 1.0 / len(class_totals))
        counts = class_totals + 1.0
        priors: FloatArray = counts / counts.sum()
        return priors

    def _fit(self, codes: Codes) -> FloatArray:
        n, a, k = codes.shape
        # The data stay in item partitions where the engine runs them (mace_partitions); each
        # step below gathers small sums: competent and spam mass, class totals, log-likelihood.
        executor = self._executor
        parts = em.place(codes, executor)
        start = mp.start_stats(executor, parts, np.full(a, 0.8), np.full((a, k), 1.0 / k))
        theta, xi = self._m_step(start, a, k)
        priors = self._priors(start.class_totals)
        history: list[float] = []
        self.converged_ = False
        last: tuple[FloatArray, FloatArray, FloatArray] | None = None  # the last E-step's
        for iteration in range(1, self.max_iter + 1):
            last = (theta, xi, np.log(priors))
            stats = mp.em_stats(executor, parts, *last)
            history.append(-stats.loglik / max(n, 1))
            self.n_iter_ = iteration
            if len(history) > 1 and abs(history[-2] - history[-1]) < self.tol:
                self.converged_ = True
                break
            theta, xi = self._m_step(stats, a, k)
            priors = self._priors(stats.class_totals)
        self.loss_history_ = history
        self.competence_ = theta
        self.spam_ = xi
        if last is None:
            return em.vote_shares(executor, parts)
        # The posteriors of the last E-step, recomputed where the partitions live (the loop
        # gathered only their sums).
        return mp.posteriors(executor, parts, *last)
