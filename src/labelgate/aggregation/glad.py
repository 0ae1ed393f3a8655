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

from labelgate.aggregation import em_partitions as em
from labelgate.aggregation import glad_partitions as gp
from labelgate.aggregation.base import Aggregator, Codes
from labelgate.aggregation.registry import register
from labelgate.metrics.counts import FloatArray


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

    def _fit(self, codes: Codes) -> FloatArray:
        n, a, k = codes.shape
        # Items' difficulties and posteriors stay in their partition where the engine runs
        # them (glad_partitions); the abilities move here, on per-annotator sums.
        executor = self._executor
        states = gp.start(executor, em.place(codes, executor), self.clamp_gold)
        alpha = np.ones(a)
        totals = gp.class_totals(executor, states)
        history: list[float] = []
        self.converged_ = False
        self.n_iter_ = 0
        priors = np.full(k, 1.0 / k)
        for iteration in range(1, self.max_iter + 1):
            # M-step: a few block Fisher-scoring steps on Q, abilities then difficulties.
            # Fisher scoring (the expected curvature, always negative) makes each block step
            # an ascent step of the concave per-block objective; a few per EM iteration is a
            # generalised EM, far cheaper than a full optimiser run over N + A parameters.
            for _ in range(self.m_step_iter):
                alpha = gp.ability_step(executor, states, alpha)
                states = gp.difficulty_step(executor, states, alpha)
            # Uniform class priors by default, as Whitehill et al. and crowd-kit: learned
            # priors let the symmetric error model drift towards a class (d_Duck_Identification
            # 0.574 learned, 0.722 uniform; vcrowd_ZenCrowd_us 0.801 and 0.878).
            counts = totals + 1e-6
            priors = counts / counts.sum() if self.learn_priors else np.full(k, 1.0 / k)
            states, sums = gp.e_step(executor, states, alpha, np.log(priors), self.clamp_gold)
            totals = sums.class_totals
            penalty = 0.5 * ((alpha - 1.0) ** 2).sum() + 0.5 * sums.log_beta_squares
            history.append(-(sums.loglik - penalty) / max(n, 1))
            self.n_iter_ = iteration
            if len(history) > 1 and abs(history[-2] - history[-1]) < self.tol:
                self.converged_ = True
                break
        self.loss_history_ = history
        posteriors, self.betas_ = gp.posteriors_and_betas(executor, states, k)
        self.alphas_ = alpha
        self.priors_ = priors
        return posteriors
