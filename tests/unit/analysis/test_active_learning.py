"""Active-learning strategies: hand-checked scores, ties, budgets, determinism, the cold-start
guard and the exploration share."""

from __future__ import annotations

import numpy as np
import pytest

from labelgate.analysis import active_learning as al
from labelgate.errors import UsageError

P = np.array([[0.5, 0.3, 0.2], [0.9, 0.05, 0.05], [0.4, 0.4, 0.2], [1 / 3, 1 / 3, 1 / 3]])
# P and two confident items of classes b and c: a model past the cold start (with WARM counts).
PW = np.vstack([P, [[0.1, 0.8, 0.1], [0.1, 0.1, 0.8]]])
WARM = np.array([60, 50, 40])


def view(p: np.ndarray = P, **kwargs: object) -> al.PoolView:
    return al.PoolView(p, ["a", "b", "c"], np.array([10, 5, 0]), **kwargs)  # type: ignore[arg-type]


def warm(p: np.ndarray = PW, **kwargs: object) -> al.PoolView:
    return al.PoolView(p, ["a", "b", "c"], WARM, **kwargs)  # type: ignore[arg-type]


def test_uncertainty_margin_entropy_by_hand() -> None:
    np.testing.assert_allclose(al.least_confidence(P), [0.5, 0.1, 0.6, 2 / 3])
    np.testing.assert_allclose(al.margin(P), [0.8, 0.15, 1.0, 1.0])
    # Uniform over 3 classes has entropy log 3, i.e. 1 after dividing by log 3.
    h = al.entropy(P)
    assert h[3] == pytest.approx(1.0)
    expected = -(0.5 * np.log(0.5) + 0.3 * np.log(0.3) + 0.2 * np.log(0.2)) / np.log(3)
    assert h[0] == pytest.approx(expected)


def test_rarity_weights_classes_by_inverse_count() -> None:
    # weights 1/11, 1/6, 1/1 scaled by the largest (class c, no labelled item) -> 1/11, 1/6, 1
    scores = al.rarity(
        np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]), np.array([10, 5, 0])
    )
    np.testing.assert_allclose(scores, [1.0, 1 / 11, 0.5 / 11 + 0.5 / 6])


def test_novelty_is_one_minus_best_cosine() -> None:
    pool = np.array([[1.0, 0.0], [0.0, 1.0], [np.sqrt(0.5), np.sqrt(0.5)]])
    labelled = np.array([[1.0, 0.0]])
    np.testing.assert_allclose(al.novelty(pool, labelled), [0.0, 1.0, 1 - np.sqrt(0.5)])
    np.testing.assert_allclose(al.novelty(pool, labelled[:0]), [1.0, 1.0, 1.0])


def test_vote_disagreement() -> None:
    votes = np.array([[3, 0], [2, 1], [1, 1], [1, 0]])
    np.testing.assert_allclose(al.vote_disagreement(votes), [0.0, 1 / 3, 0.5, 0.0])


def test_ties_are_broken_by_the_seed_and_reproducibly() -> None:
    scores = np.zeros(50)
    first = al.order(scores, 1)
    assert np.array_equal(first, al.order(scores, 1))
    assert not np.array_equal(first, al.order(scores, 2))
    assert sorted(first) == list(range(50))
    # Score first, ties second: the highest always leads.
    assert al.order(np.array([0.1, 0.9, 0.1]), 3)[0] == 1


def test_select_ranks_by_score_and_explains() -> None:
    chosen = al.select("uncertainty", warm(), 2, seed=0, exploration=0)
    assert list(chosen.index) == [3, 2]
    assert chosen.reason[1] == "top class 'a' has only p=0.400"
    margin = al.select("margin", warm(), 6, seed=0, exploration=0)
    assert set(margin.index[:2]) == {2, 3}  # both margins are 0
    assert margin.index[2] == 0
    assert margin.index[5] == 1


def test_budget_larger_than_pool_and_zero() -> None:
    assert len(al.select("entropy", view(), 100).index) == 4
    assert len(al.select("entropy", view(), 0).index) == 0
    with pytest.raises(UsageError, match="budget must be >= 0"):
        al.select("entropy", view(), -1)


def test_random_is_deterministic_per_seed() -> None:
    p = np.full((200, 3), 1 / 3)
    a, b = al.select("random", view(p), 10, seed=5), al.select("random", view(p), 10, seed=5)
    assert np.array_equal(a.index, b.index)
    assert not np.array_equal(a.index, al.select("random", view(p), 10, seed=6).index)


def test_diversity_takes_one_item_per_cluster() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    emb = np.repeat(centres, 20, axis=0) + rng.normal(0, 0.01, (60, 3))
    top = np.linspace(0.5, 0.99, 60)
    p = np.column_stack([top, 1 - top])
    p[1::2] = p[1::2, ::-1]  # half predicted y: the model is not degenerate
    v = al.PoolView(p, ["x", "y"], np.array([50, 50]), emb, emb[:1])
    chosen = al.select("diversity", v, 3, seed=0)
    assert sorted(i // 20 for i in chosen.index) == [0, 1, 2]
    assert chosen.index[0] == 0  # the most uncertain item of all leads
    again = al.select("diversity", v, 3, seed=0)
    assert np.array_equal(chosen.index, again.index)
    # Budget above the number of items: every item, each once.
    assert sorted(al.select("diversity", v, 100, seed=0).index) == list(range(60))


def test_mix_weights_ranks_and_refuses_unknown_names() -> None:
    pool = np.eye(3)[[0, 1, 2, 0]]
    pool = np.eye(3)[[0, 1, 2, 0, 1, 2]]
    v = warm(pool_embedding=pool, labelled_embedding=np.eye(3)[:1])
    only = al.select("mix", v, 4, 0, {"uncertainty": 1.0}, exploration=0)
    assert list(only.index[:2]) == [3, 2]
    assert only.reason[0].startswith("mix: uncertainty 0.667")
    with pytest.raises(UsageError, match="is not a strategy that can be mixed"):
        al.select("mix", v, 2, 0, {"diversity": 1.0})
    with pytest.raises(UsageError, match="not all 0"):
        al.select("mix", v, 2, 0, {"uncertainty": 0.0})


def test_novelty_without_features_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="novelty needs item features"):
        al.select("novelty", view(), 2)


def test_rank_normalise_averages_ties() -> None:
    np.testing.assert_allclose(
        al.rank_normalise(np.array([3.0, 1.0, 1.0, 2.0])), [1, 1 / 6, 1 / 6, 2 / 3]
    )


def test_reannotation_takes_the_larger_disagreement() -> None:
    votes = np.array([[3, 0], [2, 1], [2, 0]])
    oof = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9]])
    chosen = al.select_for_reannotation(votes, oof, ["x", "y"], 3, 0)
    # scores: max(0, 0.1) = 0.1; max(1/3, 0.2) = 1/3; max(0, 0.9) = 0.9
    assert list(chosen.index) == [2, 1, 0]
    np.testing.assert_allclose(chosen.score, [0.9, 1 / 3, 0.1])
    assert chosen.reason[0] == "2 of 2 votes for 'x'; the model gives 'x' p=0.100"


def _clustered(n_per: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three tight clusters of n_per unit-ish embeddings, and balanced probabilities whose
    uncertain items all sit in the first cluster."""
    rng = np.random.default_rng(seed)
    emb = np.repeat(np.eye(3), n_per, axis=0) + rng.normal(0, 0.01, (3 * n_per, 3))
    top = np.where(np.arange(3 * n_per) < n_per, 0.55, 0.95)
    p = np.column_stack([top, 1 - top])
    p[1::2] = p[1::2, ::-1]
    return emb, p


def test_cold_start_with_few_labels_picks_one_item_per_cluster() -> None:
    emb, p = _clustered()
    few = al.PoolView(p, ["x", "y"], np.array([12, 7]), emb, emb[:2])
    assert al.cold_start(few) == "19 labelled items, fewer than 50 per class"
    for strategy in ("uncertainty", "margin", "entropy", "diversity"):
        chosen = al.select(strategy, few, 3, seed=4)
        # Not three uncertain items of cluster 0: one item of each cluster.
        assert sorted(i // 30 for i in chosen.index) == [0, 1, 2], strategy
        assert all(
            r.startswith("cold start (19 labelled items, fewer than 50 per class): a random member")
            for r in chosen.reason
        )
    # Without an embedding the cold-start batch is a seeded random draw.
    bare = al.PoolView(p, ["x", "y"], np.array([12, 7]))
    drawn = al.select("uncertainty", bare, 10, seed=4)
    assert len(set(drawn.index)) == 10
    assert drawn.reason[0].endswith("): a random draw")
    assert np.array_equal(drawn.index, al.select("uncertainty", bare, 10, seed=4).index)
    assert not np.array_equal(drawn.index, al.select("uncertainty", bare, 10, seed=5).index)


def test_no_cold_start_from_50_labelled_items_per_class_on_average() -> None:
    emb, p = _clustered()
    assert al.cold_start(al.PoolView(p, ["x", "y"], np.array([50, 49]))) is not None
    assert al.cold_start(al.PoolView(p, ["x", "y"], np.array([50, 50]))) is None
    # The average, not the rarest class: a class that stays rare must not keep the guard on.
    assert al.cold_start(al.PoolView(p, ["x", "y"], np.array([99, 1]))) is None
    # A model predicting one class nearly everywhere is no trigger (exploration covers it).
    one_class = np.column_stack([np.full(90, 0.6), np.full(90, 0.4)])
    assert al.cold_start(al.PoolView(one_class, ["x", "y"], np.array([50, 50]))) is None
    # Past the cold start the scores rank: the uncertain items of cluster 0 lead.
    v = al.PoolView(p, ["x", "y"], np.array([50, 50]), emb, emb[:2])
    chosen = al.select("uncertainty", v, 3, seed=0, exploration=0)
    assert all(i < 30 for i in chosen.index)
    assert all(r.endswith("has only p=0.550") for r in chosen.reason)


def test_strategies_that_do_not_use_confidence_ignore_the_guard() -> None:
    emb, p = _clustered()
    few = al.PoolView(p, ["x", "y"], np.array([12, 7]), emb, emb[:2])
    for strategy in ("rare", "novelty", "random"):
        assert not al.select(strategy, few, 5, seed=0).reason[0].startswith("cold start")
    assert not al.select("mix", few, 5, 0, {"rare": 1.0}).reason[0].startswith("cold start")
    assert al.select("mix", few, 5, 0, {"rare": 1, "margin": 1}).reason[0].startswith("cold")


def test_exploration_draws_its_share_at_random_spread_over_the_batch() -> None:
    emb, p = _clustered(n_per=100)
    v = al.PoolView(p, ["x", "y"], np.array([50, 50]), emb, emb[:2])
    chosen = al.select("uncertainty", v, 20, seed=3, exploration=0.3)
    drawn = [r.startswith("exploration (30% of the batch at random); ") for r in chosen.reason]
    assert sum(drawn) == 6
    best = set(al.select("uncertainty", v, 14, seed=3, exploration=0).index)
    # The 14 others are the 14 best by score; the 6 drawn come from the rest of the pool.
    assert {i for i, d in zip(chosen.index, drawn, strict=True) if not d} == best
    assert not best & {i for i, d in zip(chosen.index, drawn, strict=True) if d}
    assert len(set(chosen.index)) == 20
    # Spread evenly: any prefix of the table keeps about the share (3 of the first 10).
    assert sum(drawn[:10]) == 3
    # The same seed, the same batch; another seed draws other items.
    assert np.array_equal(chosen.index, al.select("uncertainty", v, 20, 3, exploration=0.3).index)
    other = al.select("uncertainty", v, 20, seed=4, exploration=0.3)
    assert set(other.index) != set(chosen.index)
    # Edges: none, all, and a share rounded to whole items.
    assert not any(
        r.startswith("exploration") for r in al.select("entropy", v, 20, 3, exploration=0).reason
    )
    assert all(
        r.startswith("exploration (100%")
        for r in al.select("entropy", v, 5, 3, exploration=1).reason
    )
    assert (
        sum(
            r.startswith("exploration")
            for r in al.select("margin", v, 5, 3, exploration=0.3).reason
        )
        == 2
    )
    # Strategies that explore on their own are not changed.
    assert not any(r.startswith("exploration") for r in al.select("random", v, 20, 3).reason)
    with pytest.raises(UsageError, match="between 0 and 1"):
        al.select("uncertainty", v, 5, exploration=1.5)


def test_the_command_line_and_the_yaml_name_the_same_strategies() -> None:
    # Kept literal in cli/ (no NumPy for --help) and config/ (no NumPy in config models).
    from typing import get_args

    from labelgate.analysis.active_learning import STRATEGIES
    from labelgate.cli.select_cmd import STRATEGIES as CLI_STRATEGIES
    from labelgate.config.sampling import Strategy

    assert CLI_STRATEGIES == STRATEGIES
    assert get_args(Strategy) == STRATEGIES
    from labelgate.cli.select_cmd import EXPLORATION as CLI_EXPLORATION
    from labelgate.config.sampling import NextBatch

    assert CLI_EXPLORATION == al.EXPLORATION == NextBatch.model_fields["exploration"].default
