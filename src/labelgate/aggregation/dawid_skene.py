"""Dawid-Skene: EM with a confusion matrix per annotator (Dawid and Skene 1979, JRSS-C 28(1)).

With `clamp_gold`, gold items keep their known label during EM (their accuracy against gold
then says nothing; use it when gold is for calibration, not for measuring).

E-step: posterior over the true label of each item from the class priors and every
annotator's confusion row. M-step: priors and confusion matrices from the posteriors
(with additive smoothing). Starts from the majority-vote shares, or from given prior
confusion matrices.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from labelgate.aggregation.base import Aggregator, Codes, normalize_log_joint
from labelgate.aggregation.majority_vote import vote_shares
from labelgate.aggregation.registry import register
from labelgate.errors import ConfigError
from labelgate.metrics.counts import FloatArray
from labelgate.problems import Problem


def incidence(codes: Codes) -> sp.csr_matrix:
    """S[i, a * K + l] = 1 when annotator a gave item i label l; shape (N, A K), built once.

    Both EM steps are products with S: the E-step sums log-confusion rows per item
    (S @ L), the M-step sums posteriors per annotator and given label (S.T @ T).
    """
    n, a, k = codes.shape
    ones = np.ones(len(codes.items))
    return sp.csr_matrix(
        (ones, (codes.items, codes.annotators * k + codes.labels)), shape=(n, a * k)
    )


def confusion_counts(
    s: sp.csr_matrix, st: sp.csr_matrix, posteriors: FloatArray, a: int, k: int
) -> FloatArray:
    """Expected counts E[a, true t, given l]; shape (A, K, K). Sums of partial statistics."""
    by_given: FloatArray = np.asarray(st @ posteriors)  # (A K_given, K_true)
    return by_given.reshape(a, k, k).transpose(0, 2, 1)


def posteriors_and_loglik(
    s: sp.csr_matrix, log_priors: FloatArray, log_errors: FloatArray
) -> tuple[FloatArray, float]:
    """Posteriors (N, K) and the data log-likelihood, with one exp pass (log-sum-exp)."""
    a, k, _ = log_errors.shape
    rows = log_errors.transpose(0, 2, 1).reshape(a * k, k)  # (A K_given, K_true)
    joint = np.asarray(s @ rows)
    joint += log_priors
    return normalize_log_joint(joint)


@register("dawid_skene")
class DawidSkene(Aggregator):
    """Parameters: max_iter, tol (on the log-likelihood change per item), smoothing,
    initial_errors (A, K, K) prior confusion matrices or None, random_state (unused: EM is
    deterministic from the majority-vote start). Learned: `errors_` (A, K, K), `priors_`,
    `loss_history_` (negative log-likelihood per item), `converged_`, `n_iter_`."""

    name = "dawid_skene"

    def __init__(
        self,
        labels: list[str] | None = None,
        max_iter: int = 100,
        tol: float = 1e-6,
        smoothing: float = 1e-6,
        clamp_gold: bool = False,
        initial_errors: FloatArray | None = None,
        random_state: int = 0,
    ) -> None:
        super().__init__(labels, random_state)
        self.max_iter = max_iter
        self.tol = tol
        self.smoothing = smoothing
        self.clamp_gold = clamp_gold
        self.initial_errors = initial_errors

    def _clamp(self, codes: Codes, posteriors: FloatArray) -> FloatArray:
        known = codes.gold >= 0
        if self.clamp_gold and known.any():
            posteriors = posteriors.copy()
            posteriors[known] = 0.0
            posteriors[known, codes.gold[known]] = 1.0
        return posteriors

    def _m_step(self, codes: Codes, posteriors: FloatArray) -> tuple[FloatArray, FloatArray]:
        _, a, k = codes.shape
        # Smoothing goes only to labels the annotator uses: a true class they never met
        # spreads over their own labels, not over labels they never give (which would
        # make each of their answers evidence against that class). crowd-kit does the same.
        counts = (
            confusion_counts(self._s, self._st, posteriors, a, k)
            + self.smoothing * self._used[:, None, :]
        )
        errors = counts / counts.sum(axis=2, keepdims=True)
        priors = (posteriors.sum(axis=0) + self.smoothing) / (
            len(posteriors) + self.smoothing * posteriors.shape[1]
        )
        return priors, errors

    def _fit(self, codes: Codes) -> FloatArray:
        n = codes.shape[0]
        self._s = incidence(codes)
        self._st = self._s.T.tocsr()
        a, k = codes.shape[1], codes.shape[2]
        self._used = (
            np.bincount(codes.annotators * k + codes.labels, minlength=a * k) > 0
        ).reshape(a, k)
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
            priors, errors = self._m_step(codes, self._clamp(codes, vote_shares(codes)))
        history: list[float] = []
        self.converged_ = False
        posteriors = vote_shares(codes)
        for iteration in range(1, self.max_iter + 1):
            # Labels an annotator never gives have probability 0; their log is never read.
            log_errors = np.log(np.where(errors > 0, errors, 1.0))
            posteriors, loglik = posteriors_and_loglik(self._s, np.log(priors), log_errors)
            posteriors = self._clamp(codes, posteriors)
            history.append(-loglik / max(n, 1))
            self.n_iter_ = iteration
            if len(history) > 1 and abs(history[-2] - history[-1]) < self.tol:
                self.converged_ = True
                break
            priors, errors = self._m_step(codes, posteriors)
        self.loss_history_ = history
        self.errors_ = errors
        self.priors_ = priors
        return posteriors
