"""MACE: annotators who either know the answer or spam (Hovy et al. 2013, NAACL, "Learning
Whom to Trust with MACE").

Each annotator has a competence theta (the probability of giving the true label) and, when
not competent, a spamming distribution xi over labels:
  P(label l | true t) = theta [l == t] + (1 - theta) xi_l.
EM from the majority-vote shares with Beta/Dirichlet smoothing (Hovy et al. use variational
Bayes with the same priors). Learned: `competence_` (A,), `spam_` (A, K), `loss_history_`,
`converged_`.
"""

from __future__ import annotations

import numpy as np

from labelgate.aggregation.base import Aggregator, Codes, normalize_log_joint
from labelgate.aggregation.majority_vote import vote_shares
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

    def _m_step(
        self, codes: Codes, posteriors: FloatArray, theta: FloatArray, xi: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        _, a, k = codes.shape
        th = theta[codes.annotators]
        x = xi[codes.annotators, codes.labels]
        competent = posteriors[codes.items, codes.labels] * th / (th + (1.0 - th) * x)
        spam = 1.0 - competent
        n = np.bincount(codes.annotators, minlength=a)
        theta = (np.bincount(codes.annotators, weights=competent, minlength=a) + self.alpha) / (
            n + self.alpha + self.beta
        )
        spam_counts = np.bincount(
            codes.annotators * k + codes.labels, weights=spam, minlength=a * k
        )
        smoothed = spam_counts.reshape(a, k).astype(np.float64) + self.smoothing
        return theta, smoothed / smoothed.sum(axis=1, keepdims=True)

    def _e_step(
        self, codes: Codes, theta: FloatArray, xi: FloatArray, priors: FloatArray
    ) -> tuple[FloatArray, float]:
        n, _, k = codes.shape
        th = theta[codes.annotators]
        spam = (1.0 - th) * xi[codes.annotators, codes.labels]
        base = np.log(spam)
        bonus = np.log(th + spam) - base
        per_item = np.bincount(codes.items, weights=base, minlength=n).astype(np.float64)
        at_label = np.bincount(codes.items * k + codes.labels, weights=bonus, minlength=n * k)
        joint: FloatArray = per_item[:, None] + at_label.astype(np.float64).reshape(n, k)
        joint += np.log(priors)
        return normalize_log_joint(joint)

    def _priors(self, posteriors: FloatArray) -> FloatArray:
        if not self.learn_priors:
            return np.full(posteriors.shape[1], 1.0 / posteriors.shape[1])
        counts = posteriors.sum(axis=0) + 1.0
        priors: FloatArray = counts / counts.sum()
        return priors

    def _fit(self, codes: Codes) -> FloatArray:
        n, a, k = codes.shape
        posteriors = vote_shares(codes)
        theta, xi = self._m_step(codes, posteriors, np.full(a, 0.8), np.full((a, k), 1.0 / k))
        priors = self._priors(posteriors)
        history: list[float] = []
        self.converged_ = False
        for iteration in range(1, self.max_iter + 1):
            posteriors, loglik = self._e_step(codes, theta, xi, priors)
            history.append(-loglik / max(n, 1))
            self.n_iter_ = iteration
            if len(history) > 1 and abs(history[-2] - history[-1]) < self.tol:
                self.converged_ = True
                break
            theta, xi = self._m_step(codes, posteriors, theta, xi)
            priors = self._priors(posteriors)
        self.loss_history_ = history
        self.competence_ = theta
        self.spam_ = xi
        return posteriors
