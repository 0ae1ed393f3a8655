"""Assignment plans on small teams whose best plan is clear by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelgate.analysis.assignment import UNKNOWN, Team, gold_sample, plan_assignments


def _team(capacity: list[int], skill: list[list[float]]) -> Team:
    n = len(capacity)
    return Team(
        ids=np.array([f"a{i}" for i in range(n)], dtype=object),
        capacity=np.array(capacity),
        skill=np.array(skill, dtype=float),
        skill_source=np.array(["confusion"] * n),
        labels=["x", "y"],
    )


def _plan(team: Team, likely: list[str], k: int, seed: int = 0) -> pd.DataFrame:
    items = np.array([f"i{j}" for j in range(len(likely))], dtype=object)
    plan = plan_assignments(
        items,
        np.array(likely, dtype=object),
        np.zeros(len(items), bool),
        team,
        k,
        np.random.default_rng(seed),
    )
    return plan.table


def test_items_go_to_the_annotators_skilled_on_their_likely_label() -> None:
    # a0 is good at x, a1 at y; a2 is mediocre at both. Capacity 2 each, k = 1.
    team = _team([2, 2, 2], [[0.95, 0.5], [0.5, 0.95], [0.7, 0.7]])
    table = _plan(team, ["x", "x", "y", "y"], k=1)
    who = table.groupby("item_id")["annotator_id"].first()
    assert who["i0"] == who["i1"] == "a0"
    assert who["i2"] == who["i3"] == "a1"
    assert "likely x; skill 0.95 (confusion)" in table["reason"].tolist()


def test_k_distinct_annotators_per_item_and_capacity_held() -> None:
    team = _team([3, 3, 3, 3], [[0.9, 0.9], [0.8, 0.8], [0.7, 0.7], [0.6, 0.6]])
    table = _plan(team, ["x", "y", "x", "y", UNKNOWN, "x"], k=2)
    assert (table["annotator_id"] != "").all()
    per_item = table.groupby("item_id")["annotator_id"]
    assert (per_item.nunique() == 2).all()
    assert (per_item.size() == 2).all()
    assert table["annotator_id"].value_counts().max() <= 3


def test_a_capacity_shortfall_leaves_empty_slots_and_is_counted() -> None:
    # 4 items x k 2 = 8 slots, capacity 3 + 3 = 6: two slots cannot be filled.
    team = _team([3, 3], [[0.9, 0.9], [0.8, 0.8]])
    items = np.array([f"i{j}" for j in range(4)], dtype=object)
    plan = plan_assignments(
        items,
        np.array(["x"] * 4, dtype=object),
        np.zeros(4, bool),
        team,
        2,
        np.random.default_rng(0),
    )
    assert plan.summary["n_unassigned_slots"] == 2
    assert plan.summary["capacity_short_by"] == 2
    assert (plan.table["annotator_id"] == "").sum() == 2
    assigned = plan.table[plan.table["annotator_id"] != ""]
    assert not assigned.duplicated(["item_id", "annotator_id"]).any()


def test_the_same_seed_gives_the_same_plan_and_another_may_differ() -> None:
    team = _team([5] * 6, [[0.8, 0.8]] * 6)  # all equal: ties broken by the seed
    likely = ["x", "y"] * 5
    first = _plan(team, likely, k=2, seed=1)
    assert first.equals(_plan(team, likely, k=2, seed=1))
    assert any(not first.equals(_plan(team, likely, k=2, seed=s)) for s in range(2, 6))


def test_with_k_1_some_items_keep_an_overlap_for_agreement() -> None:
    team = _team([200] * 3, [[0.8, 0.8]] * 3)
    table = _plan(team, ["x"] * 200, k=1)
    sizes = table.groupby("item_id").size()
    # OVERLAP_SHARE = 0.1: about 20 of 200 items get a second annotator.
    assert 8 <= int((sizes == 2).sum()) <= 35
    assert int(sizes.max()) == 2


def test_gold_sample_is_the_configured_share_and_leaves_pool_items_out() -> None:
    gold = pd.DataFrame({"item_id": [f"g{i}" for i in range(20)] + ["p0"], "label": "x"})
    pool = np.array([f"p{i}" for i in range(90)], dtype=object)
    picked = gold_sample(gold, pool, 0.1, np.random.default_rng(0))
    assert len(picked) == 10  # 0.1 x 90 / 0.9
    assert "p0" not in set(picked["item_id"])
    assert gold_sample(gold, pool, 0.0, np.random.default_rng(0)).empty


@pytest.mark.parametrize("seed", [0, 1])
def test_a_plan_of_many_items_is_complete_when_capacity_suffices(seed: int) -> None:
    rng = np.random.default_rng(seed)
    team = Team(
        ids=np.array([f"a{i}" for i in range(30)], dtype=object),
        capacity=rng.integers(50, 120, 30),
        skill=rng.uniform(0.6, 1.0, (30, 2)),
        skill_source=np.array(["gold"] * 30),
        labels=["x", "y"],
    )
    likely = rng.choice(["x", "y", UNKNOWN], 500).tolist()
    table = _plan(team, likely, k=3, seed=seed)
    assert len(table) == 1500
    assert (table.groupby("item_id")["annotator_id"].nunique() == 3).all()
    load = table["annotator_id"].value_counts()
    capacity = dict(zip(team.ids, team.capacity, strict=True))
    assert all(load[a] <= capacity[a] for a in load.index)
