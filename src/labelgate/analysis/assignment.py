"""Assignment plans: k distinct annotators per item, within capacity, by measured skill.

Two vectorised steps, no loop over items:

1. Capacity to labels. Items are grouped by their likely label (the model's prediction, the
   gold label, or unknown). (annotator, label) pairs are taken best score first; each takes
   min(the annotator's capacity left, the label's slots left, the label's item count): an
   annotator cannot annotate one item twice, so never more slots of a label than its items.
2. Slots to items. Within a label, the chosen annotators' slots are laid end to end (best
   first) and slot j goes to item j mod n. An annotator's slots are contiguous and at most n,
   so they land on distinct items; every item gets k slots when the label's quota is full,
   else the items at the end of the (seeded) order get fewer: the shortfall.

With k >= 2 every item is annotated by several people, so agreement can be measured; with
k = 1 a share OVERLAP_SHARE of the items gets a second annotator for the same purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

OVERLAP_SHARE = 0.1
UNKNOWN = ""  # the likely label of an item without a prediction
PLAN_COLUMNS = ("item_id", "annotator_id", "reason")


@dataclass(frozen=True)
class Team:
    """The annotators who can take work.

    ids : shape (A,), annotator ids.
    capacity : shape (A,), items each may take in this plan (>= 0).
    skill : shape (A, L), measured accuracy per label in [0, 1] (the labels of `labels`).
    skill_source : shape (A,), where the measure came from (`confusion`, `gold`, `none`).
    labels : shape (L,), label ids.
    """

    ids: np.ndarray
    capacity: np.ndarray
    skill: np.ndarray
    skill_source: np.ndarray
    labels: list[str]


@dataclass(frozen=True)
class Plan:
    """The plan (PLAN_COLUMNS; unassigned slots have an empty annotator_id) and its summary."""

    table: pd.DataFrame
    summary: dict[str, Any]


def gold_sample(
    gold: pd.DataFrame, pool_ids: np.ndarray, share: float, rng: np.random.Generator
) -> pd.DataFrame:
    """Gold items (item_id, label) not in the pool, enough for `share` of the plan's items:
    round(share x n / (1 - share)), at most the gold available; a seeded sample."""
    if share <= 0 or gold.empty:
        return gold.iloc[:0]
    candidates = gold[~gold["item_id"].isin(pool_ids)].drop_duplicates("item_id")
    candidates = candidates.sort_values("item_id", kind="stable")
    wanted = min(round(share * len(pool_ids) / (1 - share)), len(candidates))
    picked = np.sort(rng.choice(len(candidates), size=wanted, replace=False))
    return candidates.iloc[picked].reset_index(drop=True)


def _scores(team: Team, skills: list[set[str]] | None) -> np.ndarray:
    """(A, L + 1): measured skill per label, + 0.05 for a label in the roster's skills; the
    last column (unknown label) is each annotator's mean skill."""
    score = team.skill.copy()
    if skills is not None:
        for a, names in enumerate(skills):
            for name in names:
                if name in team.labels:
                    score[a, team.labels.index(name)] += 0.05
    return np.column_stack([score, team.skill.mean(axis=1)])


def _quotas(
    score: np.ndarray, capacity: np.ndarray, n_items: np.ndarray, slots: np.ndarray
) -> np.ndarray:
    """(A, G) slots of each group given to each annotator, best (annotator, group) first."""
    order = np.lexsort((np.arange(score.size), -score.ravel()))
    left = capacity.astype(np.int64).copy()
    need = slots.astype(np.int64).copy()
    quota = np.zeros(score.shape, dtype=np.int64)
    groups = score.shape[1]
    # One step per (annotator, group) pair: A x G steps (3,000 for 500 people and 6 labels).
    for flat in order:
        a, g = divmod(int(flat), groups)
        take = min(left[a], need[g], n_items[g])
        if take > 0:
            quota[a, g] = take
            left[a] -= take
            need[g] -= take
    return quota


def plan_assignments(
    item_ids: np.ndarray,
    likely: np.ndarray,
    is_gold: np.ndarray,
    team: Team,
    k: int,
    rng: np.random.Generator,
    skills: list[set[str]] | None = None,
) -> Plan:
    """Assign every item k distinct annotators.

    item_ids : shape (N,), the pool and the gold items mixed in.
    likely : shape (N,), each item's likely label (a label id, or UNKNOWN).
    is_gold : shape (N,), bool.
    """
    n = len(item_ids)
    groups = [*team.labels, UNKNOWN]
    group_of = pd.Categorical(likely, categories=groups).codes.astype(np.int64)
    group_of[group_of < 0] = len(groups) - 1
    # Per-item demand: k, or for k = 1 a seeded OVERLAP_SHARE of items get 2.
    per_item = np.full(n, k, dtype=np.int64)
    if k == 1 and len(team.ids) > 1:
        per_item[rng.random(n) < OVERLAP_SHARE] = 2
    score = _scores(team, skills)
    # Ties between equally skilled annotators are broken by the seed, not by id order.
    jitter = rng.random(len(team.ids)) * 1e-9
    score = score + jitter[:, None]
    order = rng.permutation(n)  # the seeded order of items within a label
    rows_item: list[np.ndarray] = []
    rows_who: list[np.ndarray] = []
    short_items: list[np.ndarray] = []
    short_missing: list[np.ndarray] = []
    sizes = np.bincount(group_of, minlength=len(groups))
    # Items with demand 2 (overlap) are placed first so they get their second slot.
    order = order[np.argsort(-per_item[order], kind="stable")]
    # Each group's slots: sum of per-item demand; at most n_g per annotator.
    need = np.bincount(group_of, weights=per_item, minlength=len(groups)).astype(np.int64)
    quota = _quotas(score, team.capacity, sizes, need)
    for g in range(len(groups)):
        members = order[group_of[order] == g]
        m = len(members)
        if m == 0:
            continue
        who = np.argsort(-score[:, g], kind="stable")
        who = who[quota[who, g] > 0]
        slots = np.repeat(who, quota[who, g])
        target = np.arange(len(slots)) % m
        # Drop slots beyond an item's demand (only with mixed demands: k = 1 plus overlap).
        rank = np.arange(len(slots)) // m
        keep = rank < per_item[members[target]]
        rows_item.append(members[target[keep]])
        rows_who.append(slots[keep])
        got = np.bincount(target[keep], minlength=m)
        missing = per_item[members] - got
        short_items.append(members[missing > 0])
        short_missing.append(missing[missing > 0])
    item_index = np.concatenate(rows_item) if rows_item else np.zeros(0, np.int64)
    who_index = np.concatenate(rows_who) if rows_who else np.zeros(0, np.int64)
    short = np.concatenate(short_items) if short_items else np.zeros(0, np.int64)
    missing = np.concatenate(short_missing) if short_missing else np.zeros(0, np.int64)
    table = _table(item_ids, likely, is_gold, team, score, item_index, who_index, short, missing)
    summary = _summary(n, is_gold, per_item, team, who_index, missing, k)
    return Plan(table, summary)


def _table(
    item_ids: np.ndarray,
    likely: np.ndarray,
    is_gold: np.ndarray,
    team: Team,
    score: np.ndarray,
    item_index: np.ndarray,
    who_index: np.ndarray,
    short: np.ndarray,
    missing: np.ndarray,
) -> pd.DataFrame:
    label = likely[item_index].astype(str)
    skill = np.where(
        label == UNKNOWN,
        team.skill.mean(axis=1)[who_index] if len(who_index) else np.zeros(0),
        0.0,
    )
    known = label != UNKNOWN
    if known.any():
        codes = pd.Categorical(label[known], categories=team.labels).codes
        skill[known] = team.skill[who_index[known], codes]
    source = team.skill_source[who_index].astype(str)
    what = np.where(known, "likely " + np.char.add(label, ""), "label unknown")
    reason = np.char.add(
        np.char.add(np.where(is_gold[item_index], "gold; ", ""), what.astype(str)),
        np.char.add(
            np.where(source == "none", "; skill not measured", "; skill "),
            np.where(
                source == "none",
                "",
                np.char.add(
                    np.char.mod("%.2f", skill), np.char.add(" (", np.char.add(source, ")"))
                ),
            ),
        ),
    )
    assigned = pd.DataFrame(
        {
            "item_id": item_ids[item_index].astype(str),
            "annotator_id": team.ids[who_index].astype(str),
            "reason": reason.astype(str),
        }
    )
    unassigned = pd.DataFrame(
        {
            "item_id": np.repeat(item_ids[short].astype(str), missing),
            "annotator_id": "",
            "reason": "unassigned: capacity short",
        }
    )
    table = pd.concat([assigned, unassigned], ignore_index=True)
    return table.sort_values(["item_id", "annotator_id"], kind="stable").reset_index(drop=True)


def _summary(
    n: int,
    is_gold: np.ndarray,
    per_item: np.ndarray,
    team: Team,
    who_index: np.ndarray,
    missing: np.ndarray,
    k: int,
) -> dict[str, Any]:
    load = np.bincount(who_index, minlength=len(team.ids))
    needed = int(per_item.sum())
    return {
        "k": k,
        "n_items": n,
        "n_gold_items": int(is_gold.sum()),
        "n_items_with_overlap": int((per_item >= 2).sum()),
        "n_assignments": len(who_index),
        "slots_needed": needed,
        "capacity": int(team.capacity.sum()),
        "n_unassigned_slots": int(missing.sum()),
        "n_items_short": len(missing),
        # Slots no one could take: the capacity missing (annotators can take an item once).
        "capacity_short_by": int(missing.sum()),
        "n_annotators_used": int((load > 0).sum()),
        "max_load_share": round(float((load / np.maximum(team.capacity, 1)).max()), 6)
        if len(load)
        else 0.0,
    }
