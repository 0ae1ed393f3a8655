"""The peer script: an agreement report as a team writes it today with the peer libraries.

Usage: python benchmarks/peers/agreement_peer.py FILE -o OUT.json [--report {core,full}]
       [--item-col task] [--annotator-col worker] [--label-col label] [--min-pair-items 10]
       [--pair-budget 20000] [--loo-sample 20]

Reads the export with pandas and computes, for nominal labels, with `--report core`:
  - Krippendorff's alpha with the `krippendorff` package, fed the reliability matrix
    (annotators x items, NaN where an annotator did not label an item), as its docs show;
  - Fleiss' kappa with statsmodels: `aggregate_raters` turns the item x rating table into the
    item x category count table that `fleiss_kappa` takes (every item has the same number of
    ratings, as Fleiss' kappa needs);
  - Cohen's kappa of every annotator pair sharing at least 2 items, with scikit-learn's
    `cohen_kappa_score`. When there are more pairs than --pair-budget, a seeded sample of that
    many pairs is timed and the time scaled to all pairs (`pairs_estimated`).
`--report full` (the default) adds what `labelgate agreement --format json` reports besides:
  - Brennan-Prediger's kappa: statsmodels' `fleiss_kappa(table, method="randolph")` (Randolph's
    free-marginal kappa, the same coefficient for nominal labels);
  - percent agreement from the count table: over items with 2+ ratings, the mean share of
    agreeing rating pairs (NumPy, a few lines);
  - mean pairwise Cohen's kappa: the mean over the pairs sharing --min-pair-items items or more
    (10, as `labelgate agreement`), from the pair loop above;
  - per label, one-vs-rest ("this label or not"): alpha with `krippendorff` fed the 2-column
    count table as `value_counts` (its fastest documented input), Fleiss' kappa with
    statsmodels on that table, and percent agreement on it;
  - per annotator: the number of annotations; agreement with others (agreeing items over shared
    items, pooled over every pair they are in) and the mean Cohen's kappa of their pairs, both
    from the pair loop (which then also counts each pair's agreeing items); and Krippendorff's
    alpha without them (leave-one-out): `krippendorff` fed the item x category table less their
    ratings as `value_counts` (about ten times faster than the reliability matrix without their
    row, which takes seconds a call). A seeded sample of --loo-sample annotators is computed and
    its time scaled to all annotators (`loo_estimated`; 0 computes all).
Not computed: Gwet's AC1 (no implementation in pandas, krippendorff, statsmodels or
scikit-learn, so no peer exists; it is not hand-written here) and our diagnostics (advice
text, not a library computation).
Writes the values and the seconds of each phase to OUT, and prints the phases as JSON.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import argparse  # noqa: E402  (the imports are part of what this script costs; timed from START)
import json  # noqa: E402
from typing import Any  # noqa: E402

import krippendorff  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import cohen_kappa_score  # noqa: E402
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa  # noqa: E402


def percent_agreement(table: np.ndarray) -> float:
    """Mean share of agreeing rating pairs over the items (rows) with two or more ratings."""
    m = table.sum(axis=1)
    keep = m >= 2
    agreeing = (table * (table - 1)).sum(axis=1)[keep]
    return float((agreeing / (m[keep] * (m[keep] - 1))).mean())


def sample(n: int, size: int) -> list[int]:
    """All of range(n), or a seeded sorted sample of `size` of them when size is in 1..n-1."""
    if size <= 0 or size >= n:
        return list(range(n))
    return sorted(int(i) for i in np.random.default_rng(0).choice(n, size, replace=False))


def finite_mean(values: list[float]) -> float | None:
    kept = [v for v in values if np.isfinite(v)]
    return float(np.mean(kept)) if kept else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument(
        "--report", choices=("core", "full"), default="full", help="core: alpha, Fleiss, pairs"
    )
    parser.add_argument("--item-col", default="task")
    parser.add_argument("--annotator-col", default="worker")
    parser.add_argument("--label-col", default="label")
    parser.add_argument(
        "--min-pair-items",
        type=int,
        default=10,
        help="pairs sharing fewer items are left out of the mean Cohen's kappa (full)",
    )
    parser.add_argument("--pair-budget", type=int, default=20_000)
    parser.add_argument(
        "--loo-sample", type=int, default=20, help="annotators left out and timed (0: all)"
    )
    args = parser.parse_args()
    full = args.report == "full"
    seconds: dict[str, float] = {"imports": time.perf_counter() - START}
    out: dict[str, Any] = {"report": args.report}

    start = time.perf_counter()
    df = pd.read_csv(args.file, dtype=str)
    seconds["read"] = time.perf_counter() - start

    # Krippendorff's alpha: labels to numbers, then the annotators x items matrix.
    start = time.perf_counter()
    codes, label_names = pd.factorize(df[args.label_col])
    df["code"] = codes.astype(float)
    matrix = df.pivot(index=args.annotator_col, columns=args.item_col, values="code")
    reliability = matrix.to_numpy()
    out["krippendorff_alpha"] = float(
        krippendorff.alpha(reliability_data=reliability, level_of_measurement="nominal")
    )
    seconds["alpha"] = time.perf_counter() - start

    # Fleiss' kappa: items x ratings, then items x categories.
    start = time.perf_counter()
    df["rating"] = df.groupby(args.item_col).cumcount()
    wide = df.pivot(index=args.item_col, columns="rating", values="code")
    table, categories = aggregate_raters(wide.to_numpy())
    out["fleiss_kappa"] = float(fleiss_kappa(table, method="fleiss"))
    seconds["fleiss"] = time.perf_counter() - start

    if full:
        # Brennan-Prediger (Randolph's kappa) and percent agreement on the same count table.
        start = time.perf_counter()
        out["brennan_prediger"] = float(fleiss_kappa(table, method="randolph"))
        out["percent_agreement"] = percent_agreement(table)
        seconds["bp_percent"] = time.perf_counter() - start

        # One-vs-rest per label: binary reliability matrix and 2-column count table.
        start = time.perf_counter()
        per_label = {}
        for column, code in enumerate(categories):
            two = np.column_stack([table[:, column], table.sum(axis=1) - table[:, column]])
            per_label[str(label_names[int(code)])] = {
                "n_annotations": int(table[:, column].sum()),
                # value_counts: the krippendorff package's fastest documented input.
                "krippendorff_alpha": float(
                    krippendorff.alpha(value_counts=two, level_of_measurement="nominal")
                ),
                "fleiss_kappa": float(fleiss_kappa(two, method="fleiss")),
                "percent_agreement": percent_agreement(two),
            }
        out["per_label"] = per_label
        seconds["per_label"] = time.perf_counter() - start

        # Leave-one-out alpha: the reliability matrix without one annotator's row.
        start = time.perf_counter()
        names = matrix.index.tolist()
        left_out = sample(len(names), args.loo_sample)
        without = {}
        # The item x category table without one annotator's ratings, fed as value_counts
        # (ten times faster than the reliability matrix without their row; same value).
        # The pivots order items alike, so the table's rows are the matrix's columns.
        for a in left_out:
            row = reliability[a]
            rated = np.flatnonzero(~np.isnan(row))
            theirs = np.zeros_like(table)
            theirs[rated, np.searchsorted(categories, row[rated])] = 1
            without[str(names[a])] = float(
                krippendorff.alpha(value_counts=table - theirs, level_of_measurement="nominal")
            )
        timed = time.perf_counter() - start
        seconds["leave_one_out"] = timed * len(names) / len(left_out)
        out |= {
            "krippendorff_alpha_without": without,
            "loo_total": len(names),
            "loo_timed": len(left_out),
            "loo_estimated": len(left_out) < len(names),
            "loo_timed_seconds": timed,
        }

    # Cohen's kappa of every annotator pair, on the items both labelled.
    start = time.perf_counter()
    present = ~np.isnan(reliability)
    annotators = matrix.index.tolist()
    pairs = [(a, b) for a in range(len(annotators)) for b in range(a + 1, len(annotators))]
    chosen = pairs
    if len(pairs) > args.pair_budget:
        picked = np.random.default_rng(0).choice(len(pairs), args.pair_budget, replace=False)
        chosen = [pairs[i] for i in sorted(picked)]
    kappas = {}
    shared = []  # full: (a, b, shared items, agreeing items, kappa) of pairs sharing an item
    for a, b in chosen:
        both = present[a] & present[b]
        n = int(both.sum())
        kappa = float("nan")
        if n >= 2:
            kappa = float(cohen_kappa_score(reliability[a, both], reliability[b, both]))
            kappas[f"{annotators[a]}\t{annotators[b]}"] = kappa
        if full and n >= 1:
            agree = int((reliability[a, both] == reliability[b, both]).sum())
            shared.append((a, b, n, agree, kappa))
    timed = time.perf_counter() - start
    seconds["pairs"] = timed * len(pairs) / len(chosen)
    out |= {
        "cohen_kappa": kappas,
        "pairs_total": len(pairs),
        "pairs_timed": len(chosen),
        "pairs_estimated": len(chosen) < len(pairs),
        "pairs_timed_seconds": timed,
    }

    if full:
        # Per annotator, from the pair results; the mean pairwise kappa over usable pairs.
        start = time.perf_counter()
        pair_frame = pd.DataFrame(shared, columns=["a", "b", "n", "agree", "kappa"])
        usable = pair_frame[(pair_frame["n"] >= args.min_pair_items)]
        out["mean_pairwise_cohen_kappa"] = finite_mean(usable["kappa"].tolist())
        both_sides = pd.concat(
            [pair_frame.rename(columns={"a": "who"}), pair_frame.rename(columns={"b": "who"})]
        )
        pooled = both_sides.groupby("who")[["n", "agree"]].sum()
        usable_sides = both_sides[both_sides["n"] >= args.min_pair_items]
        mean_kappa = usable_sides.groupby("who")["kappa"].mean()  # NaN kappas skipped
        n_annotations = np.sum(present, axis=1)
        out["per_annotator"] = {
            str(name): {
                "n_annotations": int(n_annotations[a]),
                "percent_agreement_with_others": (
                    float(pooled.at[a, "agree"] / pooled.at[a, "n"]) if a in pooled.index else None
                ),
                "mean_cohen_kappa": (
                    float(mean_kappa[a])
                    if a in mean_kappa.index and np.isfinite(mean_kappa[a])
                    else None
                ),
            }
            for a, name in enumerate(annotators)
        }
        seconds["per_annotator"] = time.perf_counter() - start

    start = time.perf_counter()
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump({**out, "seconds": seconds}, handle)
    seconds["write"] = time.perf_counter() - start
    print(json.dumps(seconds))


if __name__ == "__main__":
    main()
