"""`labelgate assign`: plan who annotates which pool items, from a built dataset's measured skill."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from labelgate.analysis.assignment import UNKNOWN, Plan, Team, gold_sample, plan_assignments
from labelgate.analysis.model_inputs import probability_matrix
from labelgate.config import columns as col
from labelgate.config.roster import Roster
from labelgate.errors import InputError, UsageError
from labelgate.io.readers import infer_format, read_source
from labelgate.io.writers import read_parquet
from labelgate.problems import Problem
from labelgate.project import build_files
from labelgate.project.context import DatasetContext, dataset_context
from labelgate.project.roster import load_roster

DEFAULT_SKILL = 0.5  # an annotator nobody has measured, when nobody has been


@dataclass
class AssignResult:
    """The plan and the lines for the person running it."""

    plan: Plan
    messages: list[str] = field(default_factory=list)


def read_pool(path: Path, item_col: str) -> np.ndarray:
    """The pool's item ids (CSV, JSONL or Parquet), in file order, duplicates dropped."""
    display = str(path)
    raw = read_source(path, infer_format(path, None, display), display)
    if item_col not in raw.frame.columns:
        columns = [c for c in raw.frame.columns if c != "_row"]
        raise InputError(
            [
                Problem(
                    display,
                    message=f"expected an item column '{item_col}', but got {columns} instead.",
                    fix="Name the column with --item-col.",
                )
            ]
        )
    ids = raw.frame[item_col].astype(str).str.strip()
    ids = ids[ids != ""].drop_duplicates()
    if ids.empty:
        raise InputError([Problem(display, message="the pool has no items.", fix="")])
    return ids.to_numpy(dtype=object)


def measured_skill(out: Path, ids: list[str], labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(A, L) accuracy per label and (A,) its source: the diagonal of annotator_confusion.json
    (`confusion`), else gold accuracy from annotators.csv (`gold`, the same for every label);
    annotators measured by neither get the mean of the others (`none`)."""
    skill = np.full((len(ids), len(labels)), np.nan)
    source = np.array(["none"] * len(ids), dtype=object)
    confusion_path = out / build_files.ANNOTATOR_CONFUSION
    confusion = json.loads(confusion_path.read_text("utf-8")) if confusion_path.exists() else {}
    annotators_path = out / build_files.ANNOTATORS
    gold: dict[str, float] = {}
    if annotators_path.exists():
        table = pd.read_csv(annotators_path, dtype={"annotator_id": str})
        measured = table.dropna(subset=["gold_accuracy"])
        gold = dict(
            zip(measured["annotator_id"], measured["gold_accuracy"].astype(float), strict=True)
        )
    for a, who in enumerate(ids):
        if who in confusion:
            rows = confusion[who]
            skill[a] = [float(rows.get(label, {}).get(label, np.nan)) for label in labels]
            source[a] = "confusion"
        elif who in gold:
            skill[a] = gold[who]
            source[a] = "gold"
    known = np.isfinite(skill)
    fill = np.where(known.any(axis=0), np.nanmean(np.where(known, skill, np.nan), axis=0), np.nan)
    fill = np.where(np.isfinite(fill), fill, DEFAULT_SKILL)
    skill = np.where(known, skill, fill[None, :])
    return skill, source


def likely_labels(ctx: DatasetContext, items: np.ndarray, labels: list[str]) -> np.ndarray:
    """Each item's predicted label (argmax of predictions.parquet) when the pipeline has a
    model and predicted it, else UNKNOWN."""
    path = ctx.out / build_files.PREDICTIONS
    out = np.full(len(items), UNKNOWN, dtype=object)
    if ctx.pipeline.model is None or not path.exists():
        return out
    predictions = read_parquet(path)
    if predictions.empty or not set(labels) <= set(predictions.columns):
        return out
    probabilities, has = probability_matrix(predictions, [str(i) for i in items], labels)
    out[has] = np.asarray(labels, dtype=object)[probabilities[has].argmax(axis=1)]
    return out


def default_k(ctx: DatasetContext) -> int:
    """The annotations per item the dataset has (the median over items), from the build."""
    path = ctx.out / build_files.ANNOTATIONS
    if not path.exists():
        raise UsageError(
            f"dataset '{ctx.name}' is not built, so its annotations per item are unknown: "
            "run 'labelgate run' first, or give -k"
        )
    counts = read_parquet(path).groupby(col.ITEM_ID).size()
    return max(int(np.median(counts)), 1) if len(counts) else 1


def _team(roster: Roster, ctx: DatasetContext, labels: list[str]) -> tuple[Team, list[set[str]]]:
    active = [a for a in roster.annotators if a.active]
    if not active:
        raise UsageError("the roster has no active annotator: set 'active: true' on some")
    ids = [a.annotator_id for a in active]
    skill, source = measured_skill(ctx.out, ids, labels)
    team = Team(
        ids=np.asarray(ids, dtype=object),
        capacity=np.asarray([a.capacity for a in active], dtype=np.int64),
        skill=skill,
        skill_source=source.astype(str),
        labels=labels,
    )
    return team, [set(a.skills) for a in active]


def assign(
    root: Path,
    dataset: str,
    pool_path: Path,
    roster_path: Path,
    k: int | None = None,
    seed: int = 0,
    item_col: str = col.ITEM_ID,
) -> AssignResult:
    """Plan k distinct annotators per pool item (and the gold share of ops.gold_share),
    within the roster's capacities, preferring measured skill on each item's likely label."""
    if k is not None and k < 1:
        raise UsageError(f"-k must be at least 1, but got {k} instead")
    ctx = dataset_context(root, dataset)
    roster = load_roster(roster_path, str(roster_path))
    labels = list(ctx.schema.label_ids)
    pool = read_pool(pool_path, item_col)
    k = k if k is not None else default_k(ctx)
    team, skills = _team(roster, ctx, labels)
    if k > len(team.ids):
        raise UsageError(
            f"-k {k} needs {k} distinct annotators, but the roster has {len(team.ids)} active"
        )
    rng = np.random.default_rng(seed)
    gold_path = ctx.out / build_files.GOLD
    gold = (
        read_parquet(gold_path)
        if gold_path.exists()
        else pd.DataFrame(columns=["item_id", "label"])
    )
    mixed = gold_sample(gold.astype(str), pool, ctx.dataset.ops.gold_share, rng)
    items = np.concatenate([pool, mixed[col.ITEM_ID].to_numpy(dtype=object)])
    likely = likely_labels(ctx, items, labels)
    is_gold = np.zeros(len(items), dtype=bool)
    is_gold[len(pool) :] = True
    likely[len(pool) :] = mixed[col.LABEL].to_numpy(dtype=object)
    plan = plan_assignments(items, likely, is_gold, team, k, rng, skills)
    return AssignResult(plan, _messages(plan.summary, team, ctx, likely))


def _messages(
    summary: dict[str, Any], team: Team, ctx: DatasetContext, likely: np.ndarray
) -> list[str]:
    lines = [
        f"{summary['n_assignments']} assignments of {summary['n_items']} items "
        f"({summary['n_gold_items']} gold) to {summary['n_annotators_used']} annotators, "
        f"k={summary['k']}; capacity {summary['capacity']} for {summary['slots_needed']} slots"
    ]
    unmeasured = int((team.skill_source == "none").sum())
    if unmeasured:
        lines.append(
            f"{unmeasured} of {len(team.ids)} annotators have no measured skill in "
            f"build/{ctx.name} (new, or not built): they get the team's mean"
        )
    n_unknown = int((likely == UNKNOWN).sum())
    if n_unknown:
        lines.append(f"{n_unknown} items have no predicted label: skill over all labels used")
    if summary["n_unassigned_slots"]:
        lines.append(
            f"WARNING: capacity short by {summary['capacity_short_by']} slots: "
            f"{summary['n_items_short']} items have fewer than k annotators (rows with an empty "
            "annotator_id)"
        )
    return lines
