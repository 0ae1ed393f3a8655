"""`labelgate assign` at scale: plan 1e5 items over 500 annotators, k = 3, 6 labels.

Usage: .venv/bin/python benchmarks/bench_assign.py [--items 100000] [--annotators 500]
    [--repeats 3] [--out FILE]

Synthetic team: capacities 500-900 items (room for every slot), per-label accuracies uniform
in [0.6, 0.99]; items' likely labels drawn uniformly among the 6 labels and "unknown"; 5% gold
items. Times `analysis.assignment.plan_assignments` (what the command calls after reading its
files), the best of --repeats runs, and checks the plan: k distinct annotators per item,
nobody over capacity.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

from labelgate.analysis.assignment import UNKNOWN, Team, plan_assignments

ROOT = Path(__file__).resolve().parents[1]
LABELS = [f"label{i}" for i in range(6)]


def run(n_items: int, n_annotators: int, repeats: int) -> tuple[float, dict[str, object]]:
    """(best wall seconds, the plan's summary)."""
    rng = np.random.default_rng(0)
    team = Team(
        ids=np.array([f"w{i:04d}" for i in range(n_annotators)], dtype=object),
        capacity=rng.integers(500, 900, n_annotators),
        skill=rng.uniform(0.6, 0.99, (n_annotators, len(LABELS))),
        skill_source=np.array(["confusion"] * n_annotators),
        labels=LABELS,
    )
    items = np.array([f"i{j:07d}" for j in range(n_items)], dtype=object)
    likely = rng.choice(np.array([*LABELS, UNKNOWN], dtype=object), n_items)
    is_gold = rng.random(n_items) < 0.05
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        plan = plan_assignments(items, likely, is_gold, team, 3, np.random.default_rng(1))
        best = min(best, time.perf_counter() - start)
    table = plan.table
    per_item = table.groupby("item_id")["annotator_id"].nunique()
    assert (per_item == 3).all()
    assert len(per_item) == n_items
    load = table["annotator_id"].value_counts().reindex(team.ids).fillna(0).to_numpy()
    assert (load <= team.capacity).all()
    return best, plan.summary


def main() -> None:
    """Time the plan and write the results as Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--annotators", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/assign.md")
    args = parser.parse_args()
    seconds, summary = run(args.items, args.annotators, args.repeats)
    text = (
        "# Assignment plans at scale\n\n"
        "`benchmarks/bench_assign.py`: `analysis.assignment.plan_assignments` (what "
        "`labelgate assign` runs after reading the pool, roster and build), synthetic team "
        "and items as described in the script.\n\n"
        "| items | annotators | k | labels | assignments | annotators used | best of "
        f"{args.repeats} (s) |\n|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| {args.items:,} | {args.annotators:,} | 3 | {len(LABELS)} + unknown | "
        f"{summary['n_assignments']:,} | {summary['n_annotators_used']} | {seconds:.2f} |\n\n"
        f"Every item got 3 distinct annotators and nobody exceeded capacity (checked). "
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}.\n"
    )
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
