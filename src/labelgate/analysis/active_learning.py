"""Active learning: score pool items by what labelling them would teach, and pick a batch.

Every strategy scores items in [0, 1] (higher = label it sooner) from arrays: class
probabilities of the pool (n_pool, n_classes), the labelled class counts, and dense
L2-normalised embeddings of pool and labelled items. Ties are broken by a seeded random
order, so a selection is a function of its inputs and the seed.

Scores only rank well once the model has learnt something. The uncertainty strategies (and
`diversity` and `mix` built on them) therefore guard against a cold start, when too few items
are labelled for the model's confidence to mean much: the batch is then
drawn to represent the pool (one random item of each k-means cluster, or a seeded random draw)
instead of by score. After that, an `exploration` share of every batch is still a seeded random
draw, so the labelled set keeps covering the pool that the scores alone would neglect
(sampling bias of uncertainty sampling; Settles 2009, "Active Learning Literature Survey").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from labelgate.errors import UsageError

# Strategies that score each pool item on its own, and so can be mixed.
SCORE_STRATEGIES = ("uncertainty", "margin", "entropy", "rare", "novelty", "random")
STRATEGIES = (*SCORE_STRATEGIES, "diversity", "mix", "disagreement")
# Scores from the model's confidence, and the strategies built on them: they need a model
# that works (mix only with a weight on a confidence score).
CONFIDENCE = ("uncertainty", "margin", "entropy")
GUARDED = (*CONFIDENCE, "diversity", "mix")
EXPLORATION = 0.3  # share of a batch drawn at random once past the cold start (measured)
COLD_START_PER_CLASS = 50  # labelled items per class (on average) before scores are trusted
NOVELTY_REFERENCE = 2000  # labelled items novelty compares with (a seeded sample beyond)
KMEANS_SAMPLE = 20_000  # items k-means is fit on; every item is then assigned
CHUNK = 65_536  # rows per block of a pool-by-centre product


@dataclass(frozen=True)
class PoolView:
    """What strategies read about the pool.

    probabilities: (n_pool, n_classes) rows summing to 1. class_names: (n_classes,).
    labelled_counts: (n_classes,) labelled items per class. pool_embedding and
    labelled_embedding: (n_pool, d) and (n_labelled, d) L2-normalised, or None (novelty
    and diversity then refuse).
    """

    probabilities: np.ndarray
    class_names: Sequence[str]
    labelled_counts: np.ndarray
    pool_embedding: np.ndarray | None = None
    labelled_embedding: np.ndarray | None = None


@dataclass(frozen=True)
class Selection:
    """The chosen items, best first: positions in the pool, their scores and reasons."""

    index: np.ndarray
    score: np.ndarray
    reason: list[str]


def least_confidence(p: np.ndarray) -> np.ndarray:
    """1 - max_k p: (n,) in [0, 1 - 1/K]."""
    result: np.ndarray = 1.0 - p.max(axis=1)
    return result


def margin(p: np.ndarray) -> np.ndarray:
    """1 - (p_top1 - p_top2): (n,) in [0, 1]; 1 when the two best classes tie."""
    if p.shape[1] < 2:
        return np.zeros(len(p))
    top = np.partition(p, p.shape[1] - 2, axis=1)[:, -2:]
    result: np.ndarray = 1.0 - (top[:, 1] - top[:, 0])
    return result


def entropy(p: np.ndarray) -> np.ndarray:
    """Shannon entropy over log K: (n,) in [0, 1]; 1 for the uniform distribution."""
    if p.shape[1] < 2:
        return np.zeros(len(p))
    logs = np.log(np.where(p > 0, p, 1.0))
    result: np.ndarray = -(p * logs).sum(axis=1) / np.log(p.shape[1])
    return result


def rarity(p: np.ndarray, labelled_counts: np.ndarray) -> np.ndarray:
    """Expected rarity of an item's class: sum_k p_k r_k with r_k = (1/(n_k+1)) / max_j
    (1/(n_j+1)), n_k the labelled items of class k: (n,) in [0, 1]; 1 = surely the rarest."""
    weight = 1.0 / (np.asarray(labelled_counts, dtype=np.float64) + 1.0)
    result: np.ndarray = p @ (weight / weight.max())
    return result


def novelty(
    pool: np.ndarray, labelled: np.ndarray, rng: np.random.Generator | None = None
) -> np.ndarray:
    """1 - the largest cosine similarity to a labelled item: (n_pool,) in [0, 2], clipped to
    [0, 1]. Rows are L2-normalised; beyond NOVELTY_REFERENCE labelled rows a seeded sample
    of that many is the reference (a 1e6 x 2000 x 50 product takes seconds)."""
    if len(labelled) == 0:
        return np.ones(len(pool))
    if len(labelled) > NOVELTY_REFERENCE:
        rng = rng or np.random.default_rng(0)
        labelled = labelled[np.sort(rng.choice(len(labelled), NOVELTY_REFERENCE, replace=False))]
    best = np.empty(len(pool))
    for start in range(0, len(pool), CHUNK):
        best[start : start + CHUNK] = (pool[start : start + CHUNK] @ labelled.T).max(axis=1)
    result: np.ndarray = np.clip(1.0 - best, 0.0, 1.0)
    return result


def vote_disagreement(counts: np.ndarray) -> np.ndarray:
    """1 - the top label's share of an item's votes: (n,) in [0, 1 - 1/K]; 0 with one vote."""
    total = counts.sum(axis=1)
    result: np.ndarray = np.where(total > 0, 1.0 - counts.max(axis=1) / np.maximum(total, 1), 0.0)
    return result


def order(scores: np.ndarray, seed: int) -> np.ndarray:
    """Positions by score, highest first; equal scores in a seeded random order."""
    tiebreak = np.random.default_rng(seed).permutation(len(scores))
    return np.lexsort((tiebreak, -scores))


def rank_normalise(scores: np.ndarray) -> np.ndarray:
    """Each score's share of scores strictly below it, ties averaged: (n,) in [0, 1]."""
    if len(scores) < 2:
        return np.ones(len(scores))
    sorted_scores = np.sort(scores)
    below = np.searchsorted(sorted_scores, scores, side="left")
    at_or_below = np.searchsorted(sorted_scores, scores, side="right")
    result: np.ndarray = (below + at_or_below - 1) / 2.0 / (len(scores) - 1)
    return result


def kmeans(x: np.ndarray, k: int, rng: np.random.Generator, iterations: int = 15) -> np.ndarray:
    """Cluster of each row of x (n, d) by Lloyd's k-means with k-means++ starts, fit on a
    seeded sample of at most KMEANS_SAMPLE rows: (n,) int in 0..k-1."""
    n = len(x)
    k = max(1, min(k, n))
    fit = x[np.sort(rng.choice(n, KMEANS_SAMPLE, replace=False))] if n > KMEANS_SAMPLE else x
    centres = [fit[rng.integers(len(fit))]]
    nearest = ((fit - centres[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        total = nearest.sum()
        pick = rng.choice(len(fit), p=nearest / total) if total > 0 else rng.integers(len(fit))
        centres.append(fit[pick])
        nearest = np.minimum(nearest, ((fit - fit[pick]) ** 2).sum(axis=1))
    c = np.array(centres)
    for _ in range(iterations):
        labels = _assign(fit, c)
        sums = np.zeros_like(c)
        np.add.at(sums, labels, fit)
        sizes = np.bincount(labels, minlength=len(c))[:, None]
        c = np.where(sizes > 0, sums / np.maximum(sizes, 1), c)
    return _assign(x, c)


def _assign(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """The nearest centre of each row (squared Euclidean), in blocks of CHUNK rows."""
    out = np.empty(len(x), dtype=np.int64)
    c2 = (centres**2).sum(axis=1)
    for start in range(0, len(x), CHUNK):
        block = x[start : start + CHUNK]
        out[start : start + CHUNK] = (c2 - 2.0 * block @ centres.T).argmin(axis=1)
    return out


def diversity(
    embedding: np.ndarray, scores: np.ndarray, budget: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """A batch spread over the pool: k-means into `budget` clusters, the top-scoring item of
    each (clusters ordered by that score), then the best remaining items if clusters are
    fewer than the budget. Returns (positions, cluster of each position)."""
    rng = np.random.default_rng(seed)
    budget = min(budget, len(scores))
    if budget == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    cluster = kmeans(embedding, budget, rng)
    ranked = order(scores, seed)
    first = np.unique(cluster[ranked], return_index=True)[1]  # best item of each cluster
    heads = ranked[np.sort(first)]
    rest = ranked[~np.isin(ranked, heads)][: budget - len(heads)]
    chosen = np.concatenate([heads, rest])[:budget]
    return chosen, cluster[chosen]


def strategy_scores(strategy: str, view: PoolView, seed: int) -> np.ndarray:
    """The (n_pool,) scores of one SCORE_STRATEGIES strategy."""
    p = view.probabilities
    if strategy == "uncertainty":
        return least_confidence(p)
    if strategy == "margin":
        return margin(p)
    if strategy == "entropy":
        return entropy(p)
    if strategy == "rare":
        return rarity(p, view.labelled_counts)
    if strategy == "random":
        return np.random.default_rng(seed).random(len(p))
    if strategy == "novelty":
        if view.pool_embedding is None or view.labelled_embedding is None:
            raise UsageError("novelty needs item features: give --text-col or --feature-cols.")
        return novelty(view.pool_embedding, view.labelled_embedding, np.random.default_rng(seed))
    raise UsageError(
        f"strategy '{strategy}' does not score items on its own; use one of "
        f"{', '.join(SCORE_STRATEGIES)}."
    )


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Mix weights, checked: SCORE_STRATEGIES names, non-negative, not all zero."""
    unknown = [name for name in weights if name not in SCORE_STRATEGIES]
    if unknown:
        raise UsageError(
            f"mix weight '{unknown[0]}' is not a strategy that can be mixed; use "
            f"{', '.join(SCORE_STRATEGIES)}."
        )
    if any(w < 0 for w in weights.values()) or not any(w > 0 for w in weights.values()):
        raise UsageError(f"mix weights must be >= 0 and not all 0; got {dict(weights)}.")
    return {name: float(w) for name, w in weights.items() if w > 0}


def cold_start(view: PoolView) -> str | None:
    """Why the model cannot rank the pool yet, or None: fewer than COLD_START_PER_CLASS
    labelled items per class on average. (A model predicting one class for nearly the whole
    pool is no trigger: measured, replacing such batches cost more than the exploration share
    already recovers.)"""
    counts = np.asarray(view.labelled_counts, dtype=np.float64)
    total = counts.sum()
    if total < COLD_START_PER_CLASS * len(counts):
        return f"{int(total)} labelled items, fewer than {COLD_START_PER_CLASS} per class"
    return None


def representative(view: PoolView, budget: int, seed: int, why: str) -> Selection:
    """A batch that stands for the pool, not for the model: a random member of each of
    `budget` k-means clusters, or a seeded random draw without an embedding."""
    n = len(view.probabilities)
    rng = np.random.default_rng([seed, 2])  # a stream apart from ties and exploration
    if view.pool_embedding is not None:
        index, cluster = diversity(view.pool_embedding, rng.random(n), budget, seed)
        reasons = [f"cold start ({why}): a random member of cluster {c}" for c in cluster]
    else:
        index = rng.permutation(n)[: min(budget, n)]
        reasons = [f"cold start ({why}): a random draw"] * len(index)
    return Selection(index, np.zeros(len(index)), reasons)


def explore(
    scores: np.ndarray, budget: int, seed: int, exploration: float
) -> tuple[np.ndarray, np.ndarray]:
    """The best `budget` by score, but a share `exploration` of them (rounded) drawn at seeded
    random from the rest, spread evenly over the ranks so any prefix keeps the share.
    Returns (positions, whether each was drawn)."""
    budget = min(budget, len(scores))
    n_drawn = int(exploration * budget + 0.5)
    ranked = order(scores, seed)
    best, rest = ranked[: budget - n_drawn], ranked[budget - n_drawn :]
    drawn = rest[np.random.default_rng([seed, 1]).permutation(len(rest))[:n_drawn]]
    slots = np.arange(budget)
    is_drawn = (slots + 1) * n_drawn // max(budget, 1) > slots * n_drawn // max(budget, 1)
    index = np.empty(budget, dtype=np.int64)
    index[is_drawn], index[~is_drawn] = drawn, best
    return index, is_drawn


def is_guarded(strategy: str, weights: Mapping[str, float] | None) -> bool:
    """Whether `strategy` leans on the model's confidence (mix: with a weight on one)."""
    if strategy == "mix":
        return any(w > 0 for name, w in (weights or {}).items() if name in CONFIDENCE)
    return strategy in GUARDED


def select(
    strategy: str,
    view: PoolView,
    budget: int,
    seed: int = 0,
    weights: Mapping[str, float] | None = None,
    exploration: float = EXPLORATION,
) -> Selection:
    """Choose up to `budget` pool items by `strategy` (STRATEGIES but disagreement, which
    re-annotates labelled items: `select_for_reannotation`). Strategies that lean on the
    model's confidence pick representative items at a cold start, and otherwise draw a share
    `exploration` of the batch at seeded random (uncertainty, margin, entropy, mix)."""
    if budget < 0:
        raise UsageError(f"--budget must be >= 0; got {budget}.")
    if not 0.0 <= exploration <= 1.0:
        raise UsageError(f"--exploration must be between 0 and 1; got {exploration}.")
    if strategy not in STRATEGIES or strategy == "disagreement":
        valid = [s for s in STRATEGIES if s != "disagreement"]
        raise UsageError(f"unknown strategy '{strategy}'; use one of {', '.join(valid)}.")
    if strategy == "mix":
        weights = check_weights(weights or {})
    if strategy == "diversity" and view.pool_embedding is None:
        raise UsageError("diversity needs item features: give --text-col or --feature-cols.")
    guarded = is_guarded(strategy, weights)
    why = cold_start(view) if guarded else None
    if why is not None:
        return representative(view, budget, seed, why)
    if strategy == "diversity":
        return _diversity(view, budget, seed)
    if strategy == "mix":
        mixed = dict(weights or {})
        parts = {name: strategy_scores(name, view, seed) for name in mixed}
        total = sum(mixed.values())
        mix = sum((w / total) * rank_normalise(parts[name]) for name, w in mixed.items())
        scores = np.asarray(mix, dtype=np.float64)
    else:
        scores = strategy_scores(strategy, view, seed)
    index, drawn = explore(scores, budget, seed, exploration if guarded else 0.0)
    reasons = []
    for i, was_drawn in zip(index, drawn, strict=True):
        if strategy == "mix":
            text = "mix: " + ", ".join(f"{name} {parts[name][i]:.3f}" for name in mixed)
        else:
            text = _reason(strategy, view, i, scores[i])
        reasons.append(
            f"exploration ({exploration:.0%} of the batch at random); {text}" if was_drawn else text
        )
    return Selection(index, scores[index], reasons)


def _diversity(view: PoolView, budget: int, seed: int) -> Selection:
    """The most uncertain item of each of `budget` k-means clusters."""
    assert view.pool_embedding is not None
    scores = least_confidence(view.probabilities)
    index, cluster = diversity(view.pool_embedding, scores, budget, seed)
    reasons = [
        f"cluster {c}: its most uncertain item (top probability {view.probabilities[i].max():.3f})"
        for i, c in zip(index, cluster, strict=True)
    ]
    return Selection(index, scores[index], reasons)


def _top_two(p: np.ndarray, names: Sequence[str]) -> tuple[str, float, str, float]:
    order_ = np.argsort(-p, kind="stable")
    second = order_[1] if len(order_) > 1 else order_[0]
    return names[order_[0]], float(p[order_[0]]), names[second], float(p[second])


def _reason(strategy: str, view: PoolView, i: int, score: float) -> str:
    """Why item `i` was chosen, in words."""
    a, pa, b, pb = _top_two(view.probabilities[i], view.class_names)
    if strategy == "uncertainty":
        return f"top class '{a}' has only p={pa:.3f}"
    if strategy == "margin":
        return f"'{a}' {pa:.3f} vs '{b}' {pb:.3f}: margin {pa - pb:.3f}"
    if strategy == "entropy":
        return f"entropy {score:.3f} of the maximum (top '{a}' {pa:.3f})"
    if strategy == "rare":
        count = int(view.labelled_counts[list(view.class_names).index(a)])
        return f"predicted '{a}' (p={pa:.3f}), a class with {count} labelled items"
    if strategy == "novelty":
        return f"largest cosine similarity to a labelled item {1 - score:.3f}"
    return "random draw"


def select_for_reannotation(
    votes: np.ndarray, oof: np.ndarray | None, class_names: Sequence[str], budget: int, seed: int
) -> Selection:
    """Labelled items most worth a second look: the larger of annotator disagreement
    (1 - top label's vote share) and model disagreement (1 - the out-of-fold probability of
    the consensus label). votes: (n, K) counts; oof: (n, K) or None (votes only)."""
    if budget < 0:
        raise UsageError(f"--budget must be >= 0; got {budget}.")
    consensus = votes.argmax(axis=1)
    by_votes = vote_disagreement(votes)
    by_model = (
        1.0 - oof[np.arange(len(votes)), consensus] if oof is not None else np.zeros(len(votes))
    )
    scores = np.maximum(by_votes, by_model)
    index = order(scores, seed)[:budget]
    reasons = []
    for i in index:
        name = class_names[consensus[i]]
        text = f"{int(votes[i].max())} of {int(votes[i].sum())} votes for '{name}'"
        if oof is not None:
            text += f"; the model gives '{name}' p={oof[i, consensus[i]]:.3f}"
        reasons.append(text)
    return Selection(index, scores[index], reasons)
