"""Skill-weighted votes: Wawa (worker agreement with aggregate) and ZBS (zero-based skill).

Wawa (as crowd-kit's): majority vote, then each annotator's accuracy against it, then a vote
weighted by those accuracies. ZBS (crowd-kit's ZeroBasedSkill): skills start at 1/K and move
towards each annotator's accuracy against the current weighted vote, with a learning rate
halved every `lr_steps_to_reduce` steps. Both are gold-aware: where an item has gold, an
annotator's accuracy is measured against gold instead of the vote. `probas_` are weighted
vote shares.
"""

from __future__ import annotations

import numpy as np

from labelgate.aggregation import em_partitions as em
from labelgate.aggregation import vote_partitions as votes
from labelgate.aggregation.base import Aggregator, Codes
from labelgate.aggregation.registry import register
from labelgate.metrics.counts import FloatArray


@register("wawa")
class Wawa(Aggregator):
    """Votes weighted by each annotator's agreement with the majority vote (or gold).
    Learned: `skills_` (A,)."""

    name = "wawa"

    def _fit(self, codes: Codes) -> FloatArray:
        # By item partition where the engine runs them: shares per item, counts per annotator.
        parts = em.place(codes, self._executor)
        self.skills_ = votes.accuracy_against(self._executor, parts, codes.shape[1])
        weights = votes.floored(self.skills_)
        return votes.weighted_shares(self._executor, parts, codes.shape[2], weights)


@register("zbs")
class ZeroBasedSkill(Aggregator):
    """Parameters: max_iter, lr_init, lr_steps_to_reduce, lr_reduce_factor, random_state
    (unused). Learned: `skills_` (A,), `n_iter_`, `converged_` (skills stopped moving)."""

    name = "zbs"

    def __init__(
        self,
        labels: list[str] | None = None,
        max_iter: int = 100,
        lr_init: float = 1.0,
        lr_steps_to_reduce: int = 20,
        lr_reduce_factor: float = 0.5,
        random_state: int = 0,
    ) -> None:
        super().__init__(labels, random_state)
        self.max_iter = max_iter
        self.lr_init = lr_init
        self.lr_steps_to_reduce = lr_steps_to_reduce
        self.lr_reduce_factor = lr_reduce_factor

    def _fit(self, codes: Codes) -> FloatArray:
        _, a, k = codes.shape
        executor = self._executor
        parts = em.place(codes, executor)  # each step: shares per item, counts per annotator
        skills = np.full(a, 1.0 / k + 1e-5)
        rate = self.lr_init
        self.converged_ = False
        self.n_iter_ = 0
        for iteration in range(1, self.max_iter + 1):
            if iteration % self.lr_steps_to_reduce == 0:
                rate *= self.lr_reduce_factor
            accuracy = votes.accuracy_against(executor, parts, a, votes.floored(skills))
            step = rate * (accuracy - skills)
            skills = skills + step
            self.n_iter_ = iteration
            if np.abs(step).max(initial=0.0) < 1e-9:
                self.converged_ = True
                break
        self.skills_ = skills
        return votes.weighted_shares(executor, parts, k, votes.floored(skills))
