"""Sampling rules: which strategy chooses the next batch to annotate, as a YAML file."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from labelgate.config.base import MAX_COUNT, StrictModel

# analysis.active_learning.STRATEGIES (kept literal: config imports no NumPy).
Strategy = Literal[
    "uncertainty",
    "margin",
    "entropy",
    "rare",
    "novelty",
    "random",
    "diversity",
    "mix",
    "disagreement",
]


class NextBatch(StrictModel):
    """The next batch: a strategy, how many items, the seed, `mix` weights by strategy, and the
    exploration share."""

    strategy: Strategy = "uncertainty"
    budget: int = Field(100, ge=0, le=MAX_COUNT, description="Items to choose.")
    seed: int = Field(0, ge=0, le=MAX_COUNT, description="Seed of folds, clusters and ties.")
    weights: dict[str, float] = Field(
        default_factory=dict, description="mix only: strategy -> weight (>= 0, not all 0)."
    )
    # analysis.active_learning.EXPLORATION, kept literal like Strategy.
    exploration: float = Field(
        0.3,
        ge=0,
        le=1,
        description="uncertainty, margin, entropy and mix: the share of each batch drawn at "
        "seeded random instead of by score once past the cold start.",
    )


class SamplingRules(StrictModel):
    """A sampling-rules file: `next_batch:` with the settings of `labelgate select`."""

    next_batch: NextBatch
