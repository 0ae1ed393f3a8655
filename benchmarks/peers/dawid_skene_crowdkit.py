"""The peer script for Dawid-Skene: crowd-kit on an export, as a team runs it today.

Usage: python benchmarks/peers/dawid_skene_crowdkit.py FILE -o OUT.parquet [--iters 20] [--tol 0]

Reads the export with pandas (columns task, worker, label, as crowd-kit names them), fits
crowdkit.aggregation.DawidSkene(n_iter=ITERS, tol=TOL), writes one label per task to OUT
(.parquet or .csv) and prints the seconds of each phase as a JSON line.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import argparse  # noqa: E402  (the imports are part of what this script costs; timed from START)
import json  # noqa: E402

import pandas as pd  # noqa: E402
from crowdkit.aggregation import DawidSkene  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--tol", type=float, default=0.0)
    args = parser.parse_args()
    seconds = {"imports": time.perf_counter() - START}

    start = time.perf_counter()
    df = pd.read_csv(args.file, dtype=str)
    seconds["read"] = time.perf_counter() - start

    start = time.perf_counter()
    labels = DawidSkene(n_iter=args.iters, tol=args.tol).fit_predict(df)
    seconds["fit"] = time.perf_counter() - start

    start = time.perf_counter()
    table = labels.rename("label").rename_axis("task").reset_index()
    if args.output.endswith(".csv"):
        table.to_csv(args.output, index=False)
    else:
        table.to_parquet(args.output)
    seconds["write"] = time.perf_counter() - start
    print(json.dumps(seconds))


if __name__ == "__main__":
    main()
