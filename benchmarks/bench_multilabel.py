"""Multi-label benchmark: set alpha, per-label alpha, exact match and aggregation at 1e6 annotations.

Usage: python benchmarks/bench_multilabel.py [--items 200000] [--annotators 5] [--labels 28]
       [--pool 80] [--nltk-size 10000] [--resamples 0]

Synthetic data shaped like GoEmotions: 28 labels, each item has a true set of 1-3 labels
(mostly one, like the raw data), every annotator drops each true label with probability 0.2
and adds one random label with probability 0.25. It prints seconds per step and the number
of distinct label sets k (the expected disagreement costs O(k^2 L)). nltk's
`AnnotationTask(distance=masi_distance).alpha()` runs on the first --nltk-size annotations
(whole items) and on the same rows with ours, for the peer ratio.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from labelgate.aggregation.multilabel import aggregate_multilabel
from labelgate.metrics.agreement.multilabel import (
    exact_match_rate,
    jaccard_alpha,
    masi_alpha,
    per_label_alpha,
    set_codes,
)


def data(
    n_items: int, per_item: int, n_labels: int, pool: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = rng.choice([1, 2, 3], n_items, p=[0.8, 0.16, 0.04])
    # Skewed label frequencies, like emotions (neutral and admiration common, grief rare).
    weights = 1.0 / np.arange(1, n_labels + 1)
    weights /= weights.sum()
    truth = np.zeros((n_items, n_labels), bool)
    for size in (1, 2, 3):
        rows = np.flatnonzero(sizes == size)
        keys = rng.random((len(rows), n_labels)) ** (1.0 / weights)  # weighted sampling w/o repl.
        top = np.argsort(-keys, axis=1)[:, :size]
        truth[rows[:, None], top] = True
    items = np.repeat(np.arange(n_items), per_item)
    start = rng.integers(0, pool, n_items)
    offsets = np.arange(per_item) * (pool // per_item)
    annotators = ((start[:, None] + offsets[None, :]) % pool).ravel()
    present = truth[items] & (rng.random((len(items), n_labels)) > 0.2)
    add = rng.random(len(items)) < 0.25
    present[np.flatnonzero(add), rng.choice(n_labels, int(add.sum()), p=weights)] = True
    return items, annotators, present


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def nltk_alpha(items: np.ndarray, annotators: np.ndarray, present: np.ndarray) -> float:
    # nltk ships no type information: import it as Any.
    agreement = importlib.import_module("nltk.metrics.agreement")
    masi_distance = importlib.import_module("nltk.metrics.distance").masi_distance

    def distance(a: frozenset[int], b: frozenset[int]) -> float:
        # nltk's masi_distance divides by zero on two empty sets.
        return 0.0 if not a and not b else float(masi_distance(a, b))

    rows = [
        (int(a), int(i), frozenset(np.flatnonzero(p).tolist()))
        for i, a, p in zip(items, annotators, present, strict=True)
    ]
    return float(agreement.AnnotationTask(rows, distance=distance).alpha())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--annotators", type=int, default=5, help="annotations per item")
    parser.add_argument("--labels", type=int, default=28)
    parser.add_argument("--pool", type=int, default=80, help="distinct annotators")
    parser.add_argument("--nltk-size", type=int, default=10_000)
    parser.add_argument("--resamples", type=int, default=0, help="bootstrap resamples, on top")
    args = parser.parse_args()

    items, annotators, present = data(args.items, args.annotators, args.labels, args.pool)
    k = len(set_codes(present).sets)
    print(
        f"{len(items):,} annotations, {args.items:,} items x {args.annotators}, "
        f"{args.labels} labels, {args.pool} annotators, k = {k:,} distinct sets"
    )
    boot = {"resamples": args.resamples, "seed": 0}
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("masi_alpha", lambda: masi_alpha(items, annotators, present, **boot).value),
        ("jaccard_alpha", lambda: jaccard_alpha(items, annotators, present, **boot).value),
        ("exact_match_rate", lambda: exact_match_rate(items, annotators, present, **boot).value),
        ("per_label_alpha", lambda: per_label_alpha(items, annotators, present, **boot).value),
        (
            "aggregate majority_vote",
            lambda: aggregate_multilabel(
                items, annotators, present, [str(i) for i in range(args.labels)]
            ),
        ),
        (
            "aggregate dawid_skene",
            lambda: aggregate_multilabel(
                items,
                annotators,
                present,
                [str(i) for i in range(args.labels)],
                method="dawid_skene",
            ),
        ),
    ]
    for name, fn in steps:
        seconds, out = timed(fn)
        if name == "per_label_alpha":
            shown = f"labels 0-2: {np.round(out[:3], 4).tolist()}"
        elif name.startswith("aggregate"):
            shown = f"n_iter {out.n_iter}, mean item confidence {out.item_confidence.mean():.4f}"
        else:
            shown = f"{out:.6f}"
        print(f"  {name:<24} {seconds:8.3f} s   {shown}")

    if args.nltk_size:
        if importlib.util.find_spec("nltk") is None:
            print("nltk not installed: peer ratio skipped")
            return
        n = args.nltk_size - args.nltk_size % args.annotators  # whole items only
        sub = items[:n], annotators[:n], present[:n]
        ours_s, ours = timed(lambda: masi_alpha(*sub).value)
        peer_s, peer = timed(lambda: nltk_alpha(*sub))
        print(
            f"peer, {n:,} annotations: nltk masi alpha {peer_s:.3f} s = {peer:.12f}; "
            f"ours {ours_s:.4f} s = {ours:.12f}; |diff| {abs(peer - ours):.1e}; "
            f"x = {peer_s / ours_s:,.0f}"
        )


if __name__ == "__main__":
    main()
