"""Calibration benchmark: ECE before and after calibration, and routing to a 2% target error.

Usage: .venv/bin/python benchmarks/bench_calibration.py [--items 20000] [--seeds 0 1 2]
    [--target 0.02] [--scenario hard|one_coin]

Seeded crowd data: 4 labels, 80 annotators of accuracy U(0.6, 0.95), 3 to 5 annotations per
item. `hard` (the default): a fifth of the items are hard, where every annotator's accuracy is
x 0.6, and errors go mostly to a confusable neighbour label, so the one-coin model's
assumptions do not hold; `one_coin`: errors uniform over the other labels, no hard items. 10%
of the items are gold. For each aggregator and calibration the table prints accuracy, ECE
against the simulated truth on the items that are not gold (raw and calibrated), ECE on gold
(out of sample, as aggregate.json reports it), and routing to a 2% target: share routed,
expected error among accepted labels, and their realised error against the truth. The bar
(issue 23): calibrated ECE <= 0.05 with gold, and realised error near 2%.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from labelgate.aggregation.catalog import make
from labelgate.analysis.calibration import expected_calibration_error
from labelgate.analysis.consensus import calibrate_model
from labelgate.analysis.routing import route

K = 4


def make_data(n_items: int, seed: int, scenario: str) -> tuple[pd.DataFrame, pd.Series]:
    """Annotations (item_id, annotator_id, label) and the true label by item id."""
    rng = np.random.default_rng(seed)
    n_annotators = 80
    truth = rng.integers(0, K, n_items)
    skill = rng.uniform(0.6, 0.95, n_annotators)
    hard = rng.random(n_items) < (0.2 if scenario == "hard" else 0.0)
    per = rng.integers(3, 6, n_items)
    items = np.repeat(np.arange(n_items), per)
    annotators = np.concatenate([rng.choice(n_annotators, m, replace=False) for m in per])
    right = rng.random(len(items)) < skill[annotators] * np.where(hard[items], 0.6, 1.0)
    if scenario == "hard":
        neighbour = (truth[items] + 1) % K
        other = np.where(rng.random(len(items)) < 0.6, neighbour, rng.integers(0, K, len(items)))
    else:  # one-coin: a wrong answer is any other label, uniformly
        other = (truth[items] + rng.integers(1, K, len(items))) % K
    labels = np.where(right, truth[items], other)
    ids = np.array([f"i{i:06d}" for i in range(n_items)], dtype=object)
    frame = pd.DataFrame(
        {
            "item_id": ids[items],
            "annotator_id": [f"a{a:03d}" for a in annotators],
            "label": [f"l{x}" for x in labels],
        }
    )
    return frame, pd.Series([f"l{t}" for t in truth], index=ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--target", type=float, default=0.02)
    parser.add_argument("--scenario", choices=("hard", "one_coin"), default="hard")
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        frame, truth = make_data(args.items, seed, args.scenario)
        gold_ids = truth.index[np.random.default_rng(seed + 100).random(len(truth)) < 0.1]
        gold = truth[gold_ids]
        for method in ("majority_vote", "dawid_skene", "mace"):
            model = make(method, [f"l{k}" for k in range(K)], {}, "")
            model.fit(frame, None)  # gold only calibrates: the fit never sees it
            chosen = model.probas_.columns.get_indexer(pd.Index(model.labels_))
            raw = model.probas_.to_numpy()[np.arange(len(chosen)), chosen]
            correct = (model.labels_ == truth.reindex(model.labels_.index)).to_numpy()
            other = ~model.labels_.index.isin(gold.index)
            for requested in ("gold", "agreement", "none"):
                start = time.perf_counter()
                result = calibrate_model(model, raw, gold, requested)
                seconds = time.perf_counter() - start
                everything = np.ones(len(raw), dtype=bool)
                routing = route(result.confidence, everything, everything, args.target)
                kept = ~routing.routed
                rows.append(
                    {
                        "seed": seed,
                        "method": method,
                        "calibration": result.method,
                        "accuracy": correct.mean(),
                        "ece_raw": expected_calibration_error(raw[other], correct[other]),
                        "ece_calibrated": expected_calibration_error(
                            result.confidence[other], correct[other]
                        ),
                        "ece_gold_after": result.summary["ece_after"],
                        "share_routed": routing.share_routed,
                        "expected_error": routing.expected_error,
                        "realised_error": 1 - correct[kept].mean() if kept.any() else None,
                        "seconds": seconds,
                    }
                )
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.round(4).to_string(index=False))
        print()
        print(
            table.groupby(["method", "calibration"], sort=False)[
                ["ece_raw", "ece_calibrated", "share_routed", "expected_error", "realised_error"]
            ]
            .mean()
            .round(4)
            .to_string()
        )


if __name__ == "__main__":
    main()
