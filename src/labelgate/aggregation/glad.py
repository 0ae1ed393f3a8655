"""GLAD: annotator ability and item difficulty (Whitehill et al. 2009, NIPS, "Whose Vote
Should Count More").

Annotator a labels item i correctly with probability sigmoid(alpha_a * beta_i), where alpha_a
is the ability (negative: adversarial) and beta_i = exp(log_beta_i) > 0 the inverse difficulty;
a wrong label is one of the K - 1 others, evenly (the multi-class form crowd-kit uses).
E-step: posteriors from the class priors and those probabilities (log space). M-step: a few
block Fisher-scoring steps on the expected complete log-likelihood Q with Gaussian priors
alpha ~ N(1, 1) and log_beta ~ N(0, 1), from the current values (Whitehill et al. use
gradient ascent; crowd-kit a conjugate-gradient run per M-step).
"""

from __future__ import annotations

import numpy as np

from labelgate.aggregation.base import Aggregator, Codes
from labelgate.aggregation.dawid_skene import clamp_gold, coin_posteriors
from labelgate.aggregation.majority_vote import vote_shares
from labelgate.aggregation.registry import register
from labelgate.metrics.counts import FloatArray

# A Newton step is capped: far from the optimum the quadratic model overshoots.
STEP = 1.0
# log_beta is kept in [-LOG_BETA_BOUND, LOG_BETA_BOUND]: beyond it an item is decided by one
# label (beta huge) or by none (beta ~ 0), and the gradient vanishes anyway.
LOG_BETA_BOUND = 5.0


@register("glad")
class Glad(Aggregator):
    """Parameters: max_iter (EM iterations), tol, m_step_iter (Newton step pairs per M-step),
    learn_priors (estimate class priors; else uniform), clamp_gold, random_state (unused: EM
    starts from majority vote). Learned: `alphas_` (A,) abilities, `betas_` (N,) inverse
    difficulties, `priors_`, `loss_history_`, `converged_`, `n_iter_`."""

    name = "glad"

    def __init__(
        self,
        labels: list[str] | None = None,
        max_iter: int = 100,
        tol: float = 1e-6,
        m_step_iter: int = 3,
        learn_priors: bool = False,
        clamp_gold: bool = False,
        random_state: int = 0,
    ) -> None:
        super().__init__(labels, random_state)
        self.max_iter = max_iter
        self.tol = tol
        self.m_step_iter = m_step_iter
        self.learn_priors = learn_priors
        self.clamp_gold = clamp_gold

    def _m_step(self, codes: Codes, posteriors: FloatArray, x: FloatArray) -> FloatArray:
        """Block Newton steps on Q: abilities with difficulties fixed, then the reverse.

        Fisher scoring (the expected curvature, always negative) makes each block step an
        ascent step of the concave per-block objective; a few per EM iteration is a
        generalised EM, far cheaper than a full optimiser run over N + A parameters.
        """
        n, a, _ = codes.shape
        q = posteriors[codes.items, codes.labels]  # P(annotation j is right)
        ann, itm = codes.annotators, codes.items
        alpha, log_beta = x[:a].copy(), x[a:].copy()
        for _ in range(self.m_step_iter):
            beta = np.exp(log_beta)[itm]
            s = 1.0 / (1.0 + np.exp(-alpha[ann] * beta))
            grad = np.bincount(ann, weights=(q - s) * beta, minlength=a) - (alpha - 1.0)
            curve = np.bincount(ann, weights=s * (1 - s) * beta**2, minlength=a) + 1.0
            alpha += np.clip(grad / curve, -STEP, STEP)
            ab = alpha[ann] * np.exp(log_beta)[itm]
            s = 1.0 / (1.0 + np.exp(-ab))
            grad = np.bincount(itm, weights=(q - s) * ab, minlength=n) - log_beta
            curve = np.bincount(itm, weights=s * (1 - s) * ab**2, minlength=n) + 1.0
            log_beta = np.clip(
                log_beta + np.clip(grad / curve, -STEP, STEP), -LOG_BETA_BOUND, LOG_BETA_BOUND
            )
        return np.concatenate([alpha, log_beta])

    def _fit(self, codes: Codes) -> FloatArray:
        n, a, k = codes.shape
        posteriors = clamp_gold(codes, vote_shares(codes), self.clamp_gold)
        x = np.concatenate([np.ones(a), np.zeros(n)])
        history: list[float] = []
        self.converged_ = False
        self.n_iter_ = 0
        for iteration in range(1, self.max_iter + 1):
            x = self._m_step(codes, posteriors, x)
            # Uniform class priors by default, as Whitehill et al. and crowd-kit: learned
            # priors let the symmetric error model drift towards a class (d_Duck_Identification
            # 0.574 learned, 0.722 uniform; vcrowd_ZenCrowd_us 0.801 and 0.878).
            counts = posteriors.sum(axis=0) + 1e-6
            priors = counts / counts.sum() if self.learn_priors else np.full(k, 1.0 / k)
            alpha, log_beta = x[:a], x[a:]
            z = alpha[codes.annotators] * np.exp(log_beta[codes.items])
            posteriors, loglik = coin_posteriors(codes, 1.0 / (1.0 + np.exp(-z)), np.log(priors))
            posteriors = clamp_gold(codes, posteriors, self.clamp_gold)
            penalty = 0.5 * ((alpha - 1.0) ** 2).sum() + 0.5 * (log_beta**2).sum()
            history.append(-(loglik - penalty) / max(n, 1))
            self.n_iter_ = iteration
            if len(history) > 1 and abs(history[-2] - history[-1]) < self.tol:
                self.converged_ = True
                break
        self.loss_history_ = history
        self.alphas_ = x[:a]
        self.betas_ = np.exp(x[a:])
        self.priors_ = priors
        return posteriors
