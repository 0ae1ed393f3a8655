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

from labelgate.aggregation.base import Aggregator, Codes
from labelgate.aggregation.majority_vote import vote_shares
from labelgate.aggregation.registry import register
from labelgate.metrics.counts import FloatArray


def accuracy_against(codes: Codes, shares: FloatArray) -> FloatArray:
    """Each annotator's share of labels equal to the reference: gold, else the vote's argmax."""
    _, a, _ = codes.shape
    reference = np.where(codes.gold >= 0, codes.gold, shares.argmax(axis=1))[codes.items]
    right = np.bincount(codes.annotators, weights=codes.labels == reference, minlength=a)
    seen = np.bincount(codes.annotators, minlength=a)
    accuracy: FloatArray = right / np.maximum(seen, 1)
    return accuracy


def _weighted(codes: Codes, skills: FloatArray) -> FloatArray:
    # A tiny floor: an item whose only annotators have skill 0 keeps their plain vote.
    return vote_shares(codes, np.maximum(skills, 0.0) + 1e-9)


@register("wawa")
class Wawa(Aggregator):
    """Votes weighted by each annotator's agreement with the majority vote (or gold).
    Learned: `skills_` (A,)."""

    name = "wawa"

    def _fit(self, codes: Codes) -> FloatArray:
        self.skills_ = accuracy_against(codes, vote_shares(codes))
        return _weighted(codes, self.skills_)


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
        skills = np.full(a, 1.0 / k + 1e-5)
        rate = self.lr_init
        self.converged_ = False
        self.n_iter_ = 0
        for iteration in range(1, self.max_iter + 1):
            if iteration % self.lr_steps_to_reduce == 0:
                rate *= self.lr_reduce_factor
            step = rate * (accuracy_against(codes, _weighted(codes, skills)) - skills)
            skills = skills + step
            self.n_iter_ = iteration
            if np.abs(step).max(initial=0.0) < 1e-9:
                self.converged_ = True
                break
        self.skills_ = skills
        return _weighted(codes, skills)
