"""Process benchmark: `labelgate agreement` and `labelgate aggregate` against the peer scripts.

Usage: .venv-bench/bin/python benchmarks/bench_processes.py [--annotations 1e6]
       [--annotators 200] [--iters 20] [--repeat 3] [--peer-repeat 2] [--pair-budget 20000]
       [--loo-sample 20] [--only {agreement,dawid_skene}] [--keep DIR]
(`make bench` builds .venv-bench with crowd-kit; peers are never runtime dependencies.
`--only agreement` skips the Dawid-Skene comparison.)

Every measurement is a new process reading the same seeded CSV export (string ids and
labels, columns task/worker/label) from a temporary folder, timed by wall clock from start
to exit: import, read, compute and write all count. Ours is the best of --repeat runs, each
peer the best of --peer-repeat, all taking turns. Compared side by side:
  (3) `labelgate agreement FILE --format json` on the data of bench_agreement.py (3 ratings
      per item, 5 labels), with --bootstrap 0 (the same point estimates as the peer) and with
      the default 1000 resamples, against benchmarks/peers/agreement_peer.py in two modes:
      - `--report full`, the same report with the peer libraries (the target is judged on
        it): pandas; Krippendorff's alpha from the `krippendorff` package on the reliability
        matrix, overall, one-vs-rest per label and without each annotator (leave-one-out);
        statsmodels' Fleiss' kappa (overall and per label) and Brennan-Prediger (Randolph);
        percent agreement from the count table; scikit-learn's cohen_kappa_score over every
        annotator pair, and from those pairs the mean pairwise kappa and each annotator's
        mean kappa and agreement with others. Gwet's AC1 has no peer in these libraries and
        is left out, as are our diagnostics. Per-label and leave-one-out alphas feed the
        krippendorff package count tables (`value_counts`, its fastest documented input, so
        the ratio is a conservative one). The leave-one-out alphas (one call per annotator) are
        timed on a seeded sample of --loo-sample annotators and
        scaled to all annotators, and pairs past --pair-budget likewise; scaled seconds are
        marked ~.
      - `--report core`, the subset the peer started with (alpha, Fleiss, pairs only),
        printed next to it for transparency.
      Alpha and Fleiss' kappa must agree to 1e-6, and so must the per-label alpha and Fleiss'
      kappa and the leave-one-out alphas of the sampled annotators; the other values of the
      full report (Brennan-Prediger, percent agreement, mean kappas, agreement with others)
      are held to 1e-6 too, and each pair's kappa is compared.
  (4) `labelgate aggregate FILE --method dawid_skene -o OUT` on the data of
      bench_aggregation.py (200 annotators with their own confusion matrices), against
      benchmarks/peers/dawid_skene_crowdkit.py: pandas and crowd-kit's DawidSkene. Both stop
      after exactly --iters iterations (tol 0; smoothing 0 on our side, as bench_aggregation.py
      sets it); the share of items given the same label is compared.
Targets at 1e6 annotations: (3) >= 15x faster than the peer script producing the full report
(at --bootstrap 0); (4) >= 5x faster than crowd-kit, with >= 0.999 of labels identical.
x = peer / ours.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench_aggregation import make_data
from bench_agreement import data as agreement_data

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
LABELS = np.array(["positive", "negative", "neutral", "mixed", "off_topic"])
AGREEMENT_TARGET = 15.0
DAWID_SKENE_TARGET = 5.0
SAME_LABELS_TARGET = 0.999
COLUMNS = ["--item-col", "task", "--annotator-col", "worker", "--label-col", "label"]


def write_export(path: Path, items: np.ndarray, workers: np.ndarray, labels: np.ndarray) -> None:
    """An export as a labelling tool writes it: string ids and label names."""
    pd.DataFrame(
        {
            "task": np.char.add("t", items.astype(str)),
            "worker": np.char.add("w", workers.astype(str)),
            "label": LABELS[labels],
        }
    ).to_csv(path, index=False)


def bench_env() -> dict[str, str]:
    """This environment's bin folder first on PATH, so `labelgate` resolves to it."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def timed(argv: Sequence[str], env: Mapping[str, str]) -> tuple[float, str]:
    """Wall seconds and stdout of one process; a failure stops the benchmark."""
    start = time.perf_counter()
    done = subprocess.run(list(argv), env=dict(env), capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def best(
    runs: Mapping[str, tuple[Sequence[str], int]], env: Mapping[str, str]
) -> dict[str, tuple[float, str]]:
    """For each name, (argv, repeat) -> the fastest run's seconds and stdout.

    The commands take turns (ours, peer, ours, ...), so a slow spell of the machine falls on
    both sides of a ratio rather than on one.
    """
    results: dict[str, list[tuple[float, str]]] = {name: [] for name in runs}
    for i in range(max(repeat for _, repeat in runs.values())):
        for name, (argv, repeat) in runs.items():
            if i < repeat:
                results[name].append(timed(argv, env))
    return {name: min(found, key=lambda r: r[0]) for name, found in results.items()}


def verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def phases(seconds: Mapping[str, float]) -> str:
    return "  ".join(f"{k} {v:.2f}" for k, v in seconds.items())


# --- (3) agreement ---------------------------------------------------------------------------


def difference(ours: float | None, theirs: float | None) -> float:
    """|ours - theirs|; 0 when both are undefined (None), infinite when only one is."""
    if ours is None or theirs is None:
        return 0.0 if ours is None and theirs is None else float("inf")
    return abs(ours - theirs)


def peer_seconds(wall: float, theirs: Mapping[str, Any], phases: Mapping[str, float]) -> float:
    """Wall seconds plus the time of the pairs and leave-one-out alphas not timed (sampled)."""
    seconds = wall + phases["pairs"] * (1 - theirs["pairs_timed"] / theirs["pairs_total"])
    if "leave_one_out" in phases:
        seconds += phases["leave_one_out"] * (1 - theirs["loo_timed"] / theirs["loo_total"])
    return seconds


def full_differences(report: Mapping[str, Any], theirs: Mapping[str, Any]) -> dict[str, float]:
    """Max |ours - peer| of the values only the full report has, by group."""
    labels = report["per_label"]
    annotators = report["per_annotator"]
    peer_labels = theirs["per_label"]
    peer_annotators = theirs["per_annotator"]
    out = {
        "per_label_alpha": max(
            difference(labels[k]["krippendorff_alpha"], v["krippendorff_alpha"])
            for k, v in peer_labels.items()
        ),
        "per_label_fleiss": max(
            difference(labels[k]["fleiss_kappa"], v["fleiss_kappa"]) for k, v in peer_labels.items()
        ),
        "leave_one_out": max(
            difference(annotators[k]["krippendorff_alpha_without"], v)
            for k, v in theirs["krippendorff_alpha_without"].items()
        ),
    }
    coefficients = report["coefficients"]
    # Values from the pair loop are only comparable when every pair was computed.
    from_pairs = not theirs["pairs_estimated"]
    names = ["brennan_prediger", "percent_agreement"]
    keys = ["n_annotations"]
    if from_pairs:
        names.append("mean_pairwise_cohen_kappa")
        keys += ["percent_agreement_with_others", "mean_cohen_kappa"]
    other = [difference(coefficients[name]["value"], theirs[name]) for name in names]
    other += [
        difference(labels[k]["percent_agreement"], v["percent_agreement"])
        for k, v in peer_labels.items()
    ]
    other += [
        difference(annotators[k][key], v[key]) for k, v in peer_annotators.items() for key in keys
    ]
    out["other"] = max(other)
    # Every label and annotator of ours must be in the peer's report.
    if labels.keys() != peer_labels.keys() or annotators.keys() != peer_annotators.keys():
        out["other"] = float("inf")
    return out


def agreement(
    export: Path, workdir: Path, env: Mapping[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    """Time ours (no bootstrap and default bootstrap) and the peer script (full and core)."""
    ours_cmd = ["labelgate", "agreement", str(export), "--format", "json", *COLUMNS]

    def peer_cmd(report: str) -> list[str]:
        return [
            sys.executable,
            str(HERE / "peers/agreement_peer.py"),
            str(export),
            "-o",
            str(workdir / f"agreement_peer_{report}.json"),
            "--report",
            report,
            "--pair-budget",
            str(args.pair_budget),
            "--loo-sample",
            str(args.loo_sample),
        ]

    found = best(
        {
            "ours": ([*ours_cmd, "--bootstrap", "0"], args.repeat),
            "peer_full": (peer_cmd("full"), args.peer_repeat),
            "boot": (ours_cmd, args.repeat),
            "peer_core": (peer_cmd("core"), args.peer_repeat),
        },
        env,
    )
    no_boot, report_text = found["ours"]
    report = json.loads(report_text)
    peers = {}
    for mode in ("full", "core"):
        wall, stdout = found[f"peer_{mode}"]
        theirs = json.loads((workdir / f"agreement_peer_{mode}.json").read_text(encoding="utf-8"))
        peer_phases = json.loads(stdout.strip().splitlines()[-1])
        peers[mode] = {
            "seconds": peer_seconds(wall, theirs, peer_phases),
            "estimated": theirs["pairs_estimated"] or theirs.get("loo_estimated", False),
            "phases": peer_phases,
            "values": theirs,
        }
    theirs = peers["core"]["values"]
    ours_kappa = {
        f"{p['annotator_a']}\t{p['annotator_b']}": p["cohen_kappa"]
        for p in report["pairs"]
        if p["cohen_kappa"] is not None
    }
    common = ours_kappa.keys() & theirs["cohen_kappa"].keys()
    full = peers["full"]["values"]
    return {
        "ours": no_boot,
        "ours_boot": found["boot"][0],
        "resamples": 1000,
        "peers": peers,
        "loo": (full["loo_timed"], full["loo_total"]),
        "alpha": (
            report["coefficients"]["krippendorff_alpha"]["value"],
            theirs["krippendorff_alpha"],
        ),
        "fleiss": (report["coefficients"]["fleiss_kappa"]["value"], theirs["fleiss_kappa"]),
        "pairs_compared": len(common),
        "pairs_ours": len(ours_kappa),
        "pairs_peer": len(theirs["cohen_kappa"]),
        "kappa_diff": max(
            (abs(ours_kappa[k] - theirs["cohen_kappa"][k]) for k in common), default=float("nan")
        ),
        "full_diff": full_differences(report, full),
        "shape": (report["n_annotations"], report["n_items"], report["n_annotators"]),
    }


def print_agreement(r: Mapping[str, Any], args: argparse.Namespace) -> bool:
    n, items, annotators = r["shape"]
    full, core = r["peers"]["full"], r["peers"]["core"]
    print(
        f"## (3) agreement report: {n:,} annotations, {items:,} items, {annotators} annotators, "
        f"CSV; ours best of {args.repeat}, each peer best of {args.peer_repeat} (wall seconds)"
    )
    width = 68
    print(f"{'process':<{width}} {'seconds':>8} {'x full':>8} {'x core':>7}")
    marks = {mode: "~" if p["estimated"] else "" for mode, p in r["peers"].items()}
    ours_rows = [
        ("labelgate agreement --format json --bootstrap 0", r["ours"]),
        (f"labelgate agreement --format json ({r['resamples']} resamples)", r["ours_boot"]),
    ]
    for name, seconds in ours_rows:
        x_full = f"{marks['full']}{full['seconds'] / seconds:.1f}x"
        x_core = f"{marks['core']}{core['seconds'] / seconds:.1f}x"
        print(f"{name:<{width}} {seconds:8.2f} {x_full:>8} {x_core:>7}")
    loo_timed, loo_total = r["loo"]
    for mode, name in (
        ("full", "peer script --report full (same report, with the peer libraries)"),
        ("core", "peer script --report core (core subset: alpha, Fleiss, pairs only)"),
    ):
        seconds = f"{marks[mode]}{r['peers'][mode]['seconds']:.2f}"
        print(f"{name:<{width}} {seconds:>8}")
    scaled = []
    if full["values"]["loo_estimated"]:
        scaled.append(f"leave-one-out timed on {loo_timed} of {loo_total} annotators and scaled")
    if full["values"]["pairs_estimated"]:
        scaled.append("pairs scaled from a sample")
    print(f"  peer phases, full: {phases(full['phases'])}")
    if scaled:
        print(f"    ({'; '.join(scaled)})")
    print(
        f"  peer phases, core: {phases(core['phases'])}"
        f"{'  (pairs scaled from a sample)' if marks['core'] else ''}"
    )
    alpha_diff = abs(r["alpha"][0] - r["alpha"][1])
    fleiss_diff = abs(r["fleiss"][0] - r["fleiss"][1])
    print(
        f"values: alpha {r['alpha'][0]:.8f} vs {r['alpha'][1]:.8f} (|diff| {alpha_diff:.1e}); "
        f"Fleiss {r['fleiss'][0]:.8f} vs {r['fleiss'][1]:.8f} (|diff| {fleiss_diff:.1e}); "
        f"Cohen's kappa of {r['pairs_compared']} pairs in both (ours {r['pairs_ours']}, peer "
        f"{r['pairs_peer']}): max |diff| {r['kappa_diff']:.1e}"
    )
    d = r["full_diff"]
    print(
        f"values, full report: per-label alpha max |diff| {d['per_label_alpha']:.1e}; per-label "
        f"Fleiss max |diff| {d['per_label_fleiss']:.1e}; alpha without each of {loo_timed} "
        f"annotators (of {loo_total}) max |diff| {d['leave_one_out']:.1e}; the rest "
        f"(Brennan-Prediger, percent agreement overall and per label, per-annotator annotations"
        + (
            ""
            if full["values"]["pairs_estimated"]
            else ", mean pairwise kappa, per-annotator agreement with others and mean kappa"
        )
        + f") max |diff| {d['other']:.1e}"
        + (
            "; pair-derived values not compared (pairs sampled)"
            if full["values"]["pairs_estimated"]
            else ""
        )
    )
    same = alpha_diff <= 1e-6 and fleiss_diff <= 1e-6
    loo_same = max(d["per_label_alpha"], d["per_label_fleiss"], d["leave_one_out"]) <= 1e-6
    rest_same = d["other"] <= 1e-6
    fast = full["seconds"] / r["ours"] >= AGREEMENT_TARGET
    print(f"target: alpha and Fleiss' kappa agree to 1e-6: {verdict(same)}")
    print(
        "target: per-label alpha and Fleiss' kappa and leave-one-out alpha agree to 1e-6: "
        f"{verdict(loo_same)}"
    )
    print(f"check: the rest of the full report agrees to 1e-6: {verdict(rest_same)}")
    print(
        f"target: >= {AGREEMENT_TARGET:.0f}x the peer script, full report (--bootstrap 0): "
        f"{marks['full']}{full['seconds'] / r['ours']:.1f}x, {verdict(fast)}"
    )
    print(
        f"  (core subset: alpha, Fleiss, pairs only: {marks['core']}"
        f"{core['seconds'] / r['ours']:.1f}x; shown for transparency, not the target)"
    )
    return same and loo_same and rest_same and fast


# --- (4) Dawid-Skene -------------------------------------------------------------------------


def dawid_skene(
    export: Path, workdir: Path, env: Mapping[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    """Time ours and crowd-kit's, same iterations and tol; compare their labels."""
    ours_out = workdir / "labelgate_ds.parquet"
    ours_cmd = [
        "labelgate",
        "aggregate",
        str(export),
        "--method",
        "dawid_skene",
        *COLUMNS,
        "--param",
        f"max_iter={args.iters}",
        "--param",
        "tol=0",
        "--param",
        "smoothing=0",
        "-o",
        str(ours_out),
    ]
    peer_out = workdir / "crowdkit_ds.parquet"
    peer_cmd = [
        sys.executable,
        str(HERE / "peers/dawid_skene_crowdkit.py"),
        str(export),
        "-o",
        str(peer_out),
        "--iters",
        str(args.iters),
        "--tol",
        "0",
    ]
    found = best({"ours": (ours_cmd, args.repeat), "peer": (peer_cmd, args.peer_repeat)}, env)
    (ours, _), (peer, peer_stdout) = found.values()
    mine = pd.read_parquet(ours_out)
    theirs = pd.read_parquet(peer_out)
    a = pd.Series(mine["label"].astype(str).to_numpy(), index=mine["item_id"].astype(str))
    b = pd.Series(theirs["label"].astype(str).to_numpy(), index=theirs["task"].astype(str))
    common = a.index.intersection(b.index)
    return {
        "ours": ours,
        "peer": peer,
        "peer_phases": json.loads(peer_stdout.strip().splitlines()[-1]),
        "same": float((a[common] == b[common]).mean()),
        "items": (len(a), len(b), len(common)),
    }


def print_dawid_skene(r: Mapping[str, Any], args: argparse.Namespace) -> bool:
    ours_items, peer_items, common = r["items"]
    print(
        f"\n## (4) Dawid-Skene, {args.iters} iterations, tol 0: {r['rows']:,} annotations, "
        f"CSV in, Parquet out; ours best of {args.repeat}, crowd-kit best of {args.peer_repeat} (wall seconds)"
    )
    print(f"{'process':<58} {'seconds':>8} {'x':>6}")
    print(
        f"{'labelgate aggregate --method dawid_skene -o OUT':<58} {r['ours']:8.2f} {r['peer'] / r['ours']:5.1f}x"
    )
    print(f"{'crowd-kit script (pandas, DawidSkene)':<58} {r['peer']:8.2f}")
    print(f"  crowd-kit phases: {phases(r['peer_phases'])}")
    print(
        f"labels: {common:,} items in both (ours {ours_items:,}, crowd-kit {peer_items:,}), {r['same']:.5f} identical"
    )
    fast = r["peer"] / r["ours"] >= DAWID_SKENE_TARGET
    same = r["same"] >= SAME_LABELS_TARGET and common == ours_items == peer_items
    print(f"target: >= {SAME_LABELS_TARGET} identical labels: {verdict(same)}")
    print(
        f"target: >= {DAWID_SKENE_TARGET:.0f}x crowd-kit: {r['peer'] / r['ours']:.1f}x, {verdict(fast)}"
    )
    return fast and same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=float, default=1e6)
    parser.add_argument("--annotators", type=int, default=200, help="pool for the agreement data")
    parser.add_argument("--iters", type=int, default=20, help="Dawid-Skene iterations (both)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours (best kept)")
    parser.add_argument("--peer-repeat", type=int, default=2, help="runs of each peer (best kept)")
    parser.add_argument(
        "--pair-budget", type=int, default=20_000, help="peer pairs timed before scaling"
    )
    parser.add_argument(
        "--loo-sample",
        type=int,
        default=20,
        help="annotators the full peer leaves out (timed, then scaled to all; 0: all)",
    )
    parser.add_argument("--keep", type=Path, help="write the data and outputs here and keep them")
    parser.add_argument(
        "--only",
        choices=("agreement", "dawid_skene"),
        help="run one comparison (agreement: skip Dawid-Skene)",
    )
    args = parser.parse_args()
    args.annotations = int(args.annotations)
    if shutil.which("labelgate", path=str(BIN)) is None:
        sys.exit(
            f"no `labelgate` in {BIN}: run this with the interpreter of an environment that has it"
        )
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="labelgate-bench-processes-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = bench_env()
    ok = True
    try:
        if args.only in (None, "agreement"):
            export = workdir / "agreement.csv"
            write_export(export, *agreement_data(args.annotations, args.annotators, seed=0))
            ok &= print_agreement(agreement(export, workdir, env, args), args)
        if args.only in (None, "dawid_skene"):
            export = workdir / "crowd.csv"
            frame = make_data(args.annotations, seed=0)
            write_export(export, *(frame[c].to_numpy() for c in ("task", "worker", "label")))
            result = dawid_skene(export, workdir, env, args)
            ok &= print_dawid_skene({**result, "rows": len(frame)}, args)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nall targets {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
