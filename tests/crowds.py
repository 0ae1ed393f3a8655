"""Seeded synthetic crowds for the aggregation and engine tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def synthetic_crowd(
    seed: int,
    labels: Sequence[str],
    n_items: int,
    n_annotators: int,
    *,
    most_per_item: int = 5,
    skill: tuple[float, float] = (0.2, 0.95),
    class_shares: Sequence[float] | None = None,
    varied_difficulty: bool = False,
) -> tuple[pd.DataFrame, np.ndarray]:
    """(annotations, true label code per item): 1 to `most_per_item` annotations per item by
    annotators of uniform random skill, right with that probability (times the item's ease
    when `varied_difficulty`, plus 0.1), else a uniform label; rows in no item order, ids
    zero-padded (i00000, w000)."""
    rng = np.random.default_rng(seed)
    items = np.repeat(np.arange(n_items), rng.integers(1, most_per_item + 1, n_items))
    truth = rng.choice(len(labels), n_items, p=class_shares)
    ease = rng.uniform(0.2, 1.0, n_items) if varied_difficulty else None
    skills = rng.uniform(*skill, n_annotators)
    annotators = rng.integers(0, n_annotators, len(items))
    chance = skills[annotators] if ease is None else skills[annotators] * ease[items] + 0.1
    right = rng.random(len(items)) < chance
    codes = np.where(right, truth[items], rng.integers(0, len(labels), len(items)))
    order = rng.permutation(len(items))
    frame = pd.DataFrame(
        {
            "item_id": [f"i{i:05d}" for i in items[order]],
            "annotator_id": [f"w{a:03d}" for a in annotators[order]],
            "label": [labels[k] for k in codes[order]],
        }
    )
    return frame, truth
