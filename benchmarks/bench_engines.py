"""Local engine against the Dask engine on the partitioned analyses, side by side in one run.

Usage: .venv/bin/python benchmarks/bench_engines.py [--sizes 1e6 1e7] [--workers 2]

For each size, one seeded crowd (3 annotations per item, 200 annotators with their own
confusion matrices, 5 labels) is encoded once; then, on the local engine and on a Dask
LocalCluster (worker processes), it times the agreement report (every coefficient, 1,000-
resample BCa intervals, per annotator and per label) and a Dawid-Skene fit (50 EM iterations,
tol 0 so both run the same count). Both engines cut the same partitions
(`--partition-rows`), so the table checks they are identical: the largest difference of any
coefficient, interval bound or posterior, and the share of equal labels. At the first size
the `krippendorff` package computes alpha as the peer. It also prints the per-partition cost
(seconds and MB of the partition's codes and incidence matrices) that docs/scaling.md projects
from.
"""

from __future__ import annotations

import argparse
import resource
import time
from typing import Any

import numpy as np
import pandas as pd

from labelgate.aggregation.base import Codes
from labelgate.aggregation.dawid_skene import DawidSkene
from labelgate.analysis.agreement import Encoded, partitioned_report
from labelgate.backends.engines import open_executor
from labelgate.backends.executor import Executor, LocalExecutor
from labelgate.config.params import Engine
from labelgate.metrics.agreement.report import Options, Report

K = 5
N_ANNOTATORS = 200
ITERS = 50


def crowd(n_annotations: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Item, annotator and label codes; items in order, three distinct annotators each.

    Drawn a block of items at a time (1e8 annotations fit in memory as codes, not as the
    per-annotation probability rows)."""
    rng = np.random.default_rng(seed)
    n_items = n_annotations // 3
    skill = rng.uniform(0.5, 0.95, N_ANNOTATORS)
    confusion = np.empty((N_ANNOTATORS, K, K))
    for a in range(N_ANNOTATORS):
        confusion[a] = (1 - skill[a]) / (K - 1)
        np.fill_diagonal(confusion[a], skill[a])
    cumulative = confusion.cumsum(axis=2)
    items = np.repeat(np.arange(n_items, dtype=np.int64), 3)
    annotators = np.empty(3 * n_items, dtype=np.int64)
    labels = np.empty(3 * n_items, dtype=np.int64)
    block = 1_000_000
    for start in range(0, n_items, block):
        stop = min(start + block, n_items)
        truth = rng.integers(0, K, stop - start)
        first = rng.integers(0, N_ANNOTATORS, stop - start)
        who = ((first[:, None] + np.array([0, 67, 134])[None, :]) % N_ANNOTATORS).ravel()
        given = np.repeat(truth, 3)
        draw = rng.random(len(who))
        answer = (draw[:, None] > cumulative[who, given]).sum(axis=1).clip(0, K - 1)
        annotators[3 * start : 3 * stop] = who
        labels[3 * start : 3 * stop] = answer
    return items, annotators, labels


def crowd_codes(items: np.ndarray, annotators: np.ndarray, labels: np.ndarray) -> Codes:
    """A crowd's codes as aggregators take them (ids are the codes; no gold)."""
    n_items = int(items.max()) + 1
    return Codes(
        items,
        annotators,
        labels,
        pd.RangeIndex(n_items),
        pd.RangeIndex(N_ANNOTATORS),
        [str(k) for k in range(K)],
        np.full(n_items, -1, np.int64),
    )


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class FitOnCodes(DawidSkene):
    """Dawid-Skene on codes already made (the stage encodes once; so does this benchmark)."""

    def fit_codes(self, codes: Codes) -> np.ndarray:
        return self._fit(codes)


def run_engine(
    executor: Executor, codes: Codes, encoded: Encoded, options: Options
) -> tuple[Report, np.ndarray, float, float]:
    values = np.arange(K, dtype=np.float64)
    started = time.perf_counter()
    report = partitioned_report(encoded, K, values, options, executor)
    agreement_s = time.perf_counter() - started
    started = time.perf_counter()
    model = FitOnCodes(max_iter=ITERS, tol=0.0)
    model.use_engine(executor)
    probas = model.fit_codes(codes)
    ds_s = time.perf_counter() - started
    return report, probas, agreement_s, ds_s


def largest_difference(a: Report, b: Report) -> float:
    worst = 0.0
    for name, (value, low, high) in a.coefficients.items():
        other = b.coefficients[name]
        for x, y in zip((value, low, high), other, strict=True):
            if x is not None and y is not None and np.isfinite(x):
                worst = max(worst, abs(x - y))
    return worst


def per_partition_cost(codes: Codes, rows: int) -> dict[str, float]:
    """Seconds of one agreement partial and one EM step on one partition, and its memory."""
    from labelgate.aggregation import em_partitions as em
    from labelgate.metrics.agreement.report import agreement_partials

    items, annotators, labels = codes.items[:rows], codes.annotators[:rows], codes.labels[:rows]
    started = time.perf_counter()
    agreement_partials(items, annotators, labels, K, N_ANNOTATORS)
    agreement_s = time.perf_counter() - started
    part_codes = Codes(
        items,
        annotators,
        labels,
        codes.item_ids[: items.max() + 1],
        codes.annotator_ids,
        codes.label_ids,
        codes.gold[: items.max() + 1],
    )
    executor = LocalExecutor(rows)
    refs = em.place(part_codes, executor)
    part = refs[0]
    log_errors = np.log(np.full((N_ANNOTATORS, K, K), 1.0 / K))
    started = time.perf_counter()
    em.em_stats(executor, refs, np.log(np.full(K, 1.0 / K)), log_errors, False)
    step_s = time.perf_counter() - started
    nbytes = (
        part.s.data.nbytes
        + part.s.indices.nbytes
        + part.s.indptr.nbytes
        + part.st.data.nbytes
        + part.st.indices.nbytes
        + part.st.indptr.nbytes
        + part.items.nbytes
        + part.annotators.nbytes
        + part.labels.nbytes
    )
    return {"agreement_s": agreement_s, "em_step_s": step_s, "partition_mb": nbytes / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e6, 1e7])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--partition-rows", type=int, default=2_000_000)
    parser.add_argument("--iters", type=int, default=50, help="Dawid-Skene EM iterations")
    args = parser.parse_args()
    global ITERS
    ITERS = args.iters
    options = Options(level="nominal", weights="identity", resamples=1000, seed=0, interval="bca")
    rows: list[dict[str, Any]] = []
    for index, size in enumerate(args.sizes):
        n = int(size)
        items, annotators, labels = crowd(n)
        codes = crowd_codes(items, annotators, labels)
        encoded = Encoded(items, annotators, labels, [str(a) for a in range(N_ANNOTATORS)], 0, None)
        results = {}
        for name in ("local", "dask"):
            engine = Engine(name=name, workers=args.workers, partition_rows=args.partition_rows)
            started = time.perf_counter()
            with open_executor(engine) as executor:
                opened = time.perf_counter() - started
                results[name] = (*run_engine(executor, codes, encoded, options), opened)
        (lr, lp, la, ld, _), (dr, dp, da, dd, dopen) = results["local"], results["dask"]
        same_labels = float((lp.argmax(axis=1) == dp.argmax(axis=1)).mean())
        row = {
            "annotations": n,
            "partitions": -(-n // args.partition_rows),
            "local agreement s": la,
            "dask agreement s": da,
            f"local DS s ({ITERS} it)": ld,
            f"dask DS s ({ITERS} it)": dd,
            "dask / local (both)": (da + dd) / (la + ld),
            "cluster start s": dopen,
            "max |coef diff|": largest_difference(lr, dr),
            "max |posterior diff|": float(np.abs(lp - dp).max()),
            "equal labels": same_labels,
            "driver peak RSS MB": rss_mb(),
        }
        if index == 0 and n <= 2_000_000:  # the peer builds an annotators x items matrix
            import krippendorff

            matrix = np.full((N_ANNOTATORS, len(codes.item_ids)), np.nan)
            matrix[annotators, items] = labels
            started = time.perf_counter()
            peer = krippendorff.alpha(
                reliability_data=matrix, level_of_measurement="nominal", value_domain=list(range(K))
            )
            row["krippendorff pkg s (alpha only)"] = time.perf_counter() - started
            row["|alpha - krippendorff pkg|"] = abs(lr.coefficients["krippendorff_alpha"][0] - peer)
            del matrix
        rows.append(row)
        print(pd.Series(row).to_string(), flush=True)
    cost = per_partition_cost(codes, min(args.partition_rows, len(codes.items)))
    print("\nper partition of", args.partition_rows, "annotations:", cost)
    print("\n" + pd.DataFrame(rows).set_index("annotations").T.to_markdown(floatfmt=".4g"))


if __name__ == "__main__":
    main()
