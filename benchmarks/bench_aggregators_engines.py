"""Every partitioned aggregator on the local engine and on a Dask LocalCluster, side by side.

Usage: .venv/bin/python benchmarks/bench_aggregators_engines.py [--size 1e7] [--workers 2]

One seeded crowd (`bench_engines.crowd`: 3 annotations per item, 200 annotators, 5 labels)
is encoded once. Each method (Dawid-Skene, one-coin, MACE, GLAD, Wawa, ZBS) is fitted with a
fixed iteration count (tol 0, so both engines run as many steps) on: the local engine with one
partition (the whole-array numbers), the local engine with `--partition-rows` partitions, and
a Dask LocalCluster of worker processes with the same partitions. It prints seconds, the
Dask/local ratio, and the largest posterior difference between the engines (0: the same bits)
and from one partition (rounding only).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench_engines import crowd, crowd_codes
from labelgate.aggregation.base import Aggregator, Codes
from labelgate.aggregation.dawid_skene import DawidSkene, OneCoinDawidSkene
from labelgate.aggregation.glad import Glad
from labelgate.aggregation.mace import Mace
from labelgate.aggregation.wawa import Wawa, ZeroBasedSkill
from labelgate.backends.engines import open_executor
from labelgate.backends.executor import Executor, LocalExecutor
from labelgate.config.params import Engine


def methods(iters: int) -> dict[str, Aggregator]:
    """Fresh models, each with `iters` iterations and no early stop."""
    return {
        "dawid_skene": DawidSkene(max_iter=iters, tol=0.0),
        "one_coin_dawid_skene": OneCoinDawidSkene(max_iter=iters, tol=0.0),
        "mace": Mace(max_iter=iters, tol=0.0),
        "glad": Glad(max_iter=iters, tol=0.0),
        "wawa": Wawa(),
        "zbs": ZeroBasedSkill(max_iter=iters),
    }


def fit(name: str, codes: Codes, executor: Executor, iters: int) -> tuple[np.ndarray, float]:
    model = methods(iters)[name]
    model.use_engine(executor)
    started = time.perf_counter()
    posteriors = model._fit(codes)  # codes made once, as the stage makes them once
    return posteriors, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=1e7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--partition-rows", type=int, default=2_000_000)
    parser.add_argument("--iters", type=int, default=20)
    args = parser.parse_args()
    items, annotators, labels = crowd(int(args.size))
    codes = crowd_codes(items, annotators, labels)
    parts = -(-len(items) // args.partition_rows)
    print(f"{len(items):,} annotations, {parts} partitions, {args.iters} iterations")
    print(
        f"{'method':<22} {'1 part s':>9} {'local s':>9} {'dask s':>9} {'dask/local':>10} "
        f"{'|dask-local|':>13} {'|parts-1|':>10}"
    )
    whole = LocalExecutor(partition_rows=len(items) + 1)
    local = LocalExecutor(partition_rows=args.partition_rows)
    engine = Engine(name="dask", workers=args.workers, partition_rows=args.partition_rows)
    with open_executor(engine) as dask:
        for name in methods(args.iters):
            one, one_s = fit(name, codes, whole, args.iters)
            mine, local_s = fit(name, codes, local, args.iters)
            remote, dask_s = fit(name, codes, dask, args.iters)
            print(
                f"{name:<22} {one_s:9.2f} {local_s:9.2f} {dask_s:9.2f} {dask_s / local_s:10.2f} "
                f"{np.abs(remote - mine).max():13.1e} {np.abs(mine - one).max():10.1e}"
            )


if __name__ == "__main__":
    main()
