"""Agreement benchmark: our engine against krippendorff, scikit-learn and statsmodels.

Usage: python benchmarks/bench_agreement.py [--sizes 1e5 1e6 1e7] [--annotators 200 500]

Synthetic data: 5 labels, 3 ratings per item, annotators drawn per item. For each size and
pool it prints seconds (and peak traced memory for ours):
  report        ours: every coefficient, every pair, per label, per annotator (no bootstrap)
  +boot         ours: 1000 bootstrap resamples of the interval coefficients, on top
  alpha         ours: long-format codes to Krippendorff's alpha (what the krippendorff columns do)
  pairs         ours: Cohen's kappa of every annotator pair (what the scikit-learn loop does)
  kripp matrix  krippendorff.alpha fed the reliability matrix (annotators x items), as its docs show
  kripp counts  krippendorff.alpha fed value counts
  sklearn pairs cohen_kappa_score over every annotator pair (timed on a sample of pairs and
                scaled to all pairs when there are many; marked ~)
  statsmodels   fleiss_kappa on the item x label count table
Targets at 1e6 (issue 4): report < 3 s; +1000 resamples < 5 s more; >= 10x the krippendorff
matrix path; >= 50x the scikit-learn pair loop; 1e7 under 2 GB peak. x = peer / ours.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa

from labelgate.metrics.agreement.krippendorff import krippendorff_alpha
from labelgate.metrics.agreement.pairwise import cohen_kappas, pair_tables
from labelgate.metrics.agreement.report import Options, agreement_report
from labelgate.metrics.agreement.weights import weight_matrix
from labelgate.metrics.counts import item_value_counts

K = 5


def data(
    n_annotations: int, n_annotators: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_items = n_annotations // 3
    truth = rng.integers(0, K, n_items)
    items = np.repeat(np.arange(n_items), 3)
    # Three distinct annotators per item: a random start and two fixed offsets.
    start = rng.integers(0, n_annotators, n_items)
    offsets = np.array([0, n_annotators // 3, 2 * n_annotators // 3])
    annotators = ((start[:, None] + offsets[None, :]) % n_annotators).ravel()
    labels = np.where(rng.random(len(items)) < 0.8, truth[items], rng.integers(0, K, len(items)))
    return items, annotators, labels


def timed(fn: Callable[[], Any], trace: bool = False) -> tuple[float, float]:
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else float("nan")
    if trace:
        tracemalloc.stop()
    return seconds, peak


def sklearn_pairs(
    items: np.ndarray,
    annotators: np.ndarray,
    labels: np.ndarray,
    n_annotators: int,
    budget_pairs: int,
) -> tuple[float, bool]:
    """Seconds for the pair loop (scaled from a sample when there are more pairs than the budget)."""
    order = np.argsort(annotators, kind="stable")
    bounds = np.searchsorted(annotators[order], np.arange(n_annotators + 1))
    by_annotator = [
        dict(
            zip(
                items[order[bounds[a] : bounds[a + 1]]].tolist(),
                labels[order[bounds[a] : bounds[a + 1]]].tolist(),
                strict=True,
            )
        )
        for a in range(n_annotators)
    ]
    pairs = [(a, b) for a in range(n_annotators) for b in range(a + 1, n_annotators)]
    sample = (
        pairs
        if len(pairs) <= budget_pairs
        else [
            pairs[i]
            for i in np.random.default_rng(0).choice(len(pairs), budget_pairs, replace=False)
        ]
    )
    start = time.perf_counter()
    for a, b in sample:
        shared = by_annotator[a].keys() & by_annotator[b].keys()
        if len(shared) >= 2:
            cohen_kappa_score(
                [by_annotator[a][i] for i in shared], [by_annotator[b][i] for i in shared]
            )
    seconds = time.perf_counter() - start
    return seconds * len(pairs) / len(sample), len(sample) < len(pairs)


def run(n_annotations: int, n_annotators: int) -> dict[str, Any]:
    items, annotators, labels = data(n_annotations, n_annotators)
    values = np.arange(K, dtype=np.float64)
    row: dict[str, Any] = {"n": n_annotations, "annotators": n_annotators}
    row["ours"], row["ours_mb"] = timed(
        lambda: agreement_report(items, annotators, labels, K, values, Options()), trace=True
    )
    boot, row["boot_mb"] = timed(
        lambda: agreement_report(items, annotators, labels, K, values, Options(resamples=1000)),
        trace=True,
    )
    row["boot"] = boot - row["ours"]
    n_items = int(items.max()) + 1
    row["ours_alpha"], _ = timed(
        lambda: krippendorff_alpha(item_value_counts(items, labels, n_items, K), "nominal", values)
    )
    row["ours_pairs"], _ = timed(
        lambda: cohen_kappas(
            pair_tables(items, annotators, labels, K).tables, weight_matrix("identity", values)
        )
    )
    counts = item_value_counts(items, labels, int(items.max()) + 1, K)
    matrix_gb = n_annotators * (int(items.max()) + 1) * 8 / 2**30
    if matrix_gb <= 1.5:
        matrix = np.full((n_annotators, int(items.max()) + 1), np.nan)
        matrix[annotators, items] = labels
        row["kripp_matrix"], _ = timed(
            lambda: krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
        )
        del matrix
    else:
        row["kripp_matrix"] = None
        row["kripp_note"] = f"matrix would need {matrix_gb:.1f} GB"
    row["kripp_counts"], _ = timed(
        lambda: krippendorff.alpha(value_counts=counts, level_of_measurement="nominal")
    )
    row["sklearn"], row["sklearn_scaled"] = sklearn_pairs(
        items, annotators, labels, n_annotators, budget_pairs=3000
    )
    row["statsmodels"], _ = timed(lambda: fleiss_kappa(counts, method="fleiss"))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1e5, 1e6, 1e7])
    parser.add_argument("--annotators", type=int, nargs="+", default=[200, 500])
    args = parser.parse_args()
    head = f"{'annotations':>11} {'annot':>5} | {'report s':>8} {'peak MB':>8} | {'+boot s':>7} | {'alpha s':>7} {'kripp matrix':>12} {'x':>5} {'kripp counts':>12} | {'pairs s':>7} {'sklearn loop':>12} {'x':>6} | {'statsmodels':>11}"
    print(head)
    print("-" * len(head))
    for size in args.sizes:
        for pool in args.annotators:
            r = run(int(size), pool)
            km = f"{r['kripp_matrix']:12.2f}" if r["kripp_matrix"] is not None else f"{'n/a':>12}"
            kx = (
                f"{r['kripp_matrix'] / r['ours_alpha']:5.0f}"
                if r["kripp_matrix"] is not None
                else f"{'':>5}"
            )
            sk = f"{'~' if r['sklearn_scaled'] else ''}{r['sklearn']:.1f}"
            print(
                f"{r['n']:>11,} {pool:>5} | {r['ours']:8.2f} {max(r['ours_mb'], r['boot_mb']):8.0f} | {r['boot']:7.2f} | {r['ours_alpha']:7.3f} {km} {kx} {r['kripp_counts']:12.3f} | {r['ours_pairs']:7.3f} {sk:>12} {r['sklearn'] / r['ours_pairs']:6.0f} | {r['statsmodels']:11.3f}"
            )
            if r.get("kripp_note"):
                print(f"{'':>19}kripp matrix: {r['kripp_note']}")


if __name__ == "__main__":
    main()
