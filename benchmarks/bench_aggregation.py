"""Aggregation benchmark: our majority vote and Dawid-Skene against crowd-kit's, side by side.

Usage: .venv-bench/bin/python benchmarks/bench_aggregation.py [--sizes 1e5 1e6 1e7] [--iters 20]
(`make bench` builds .venv-bench with crowd-kit; crowd-kit is never a runtime dependency.)

Each measurement runs in a fresh process, which generates the same seeded data (5 labels,
3 annotations per item, 200 annotators with their own confusion matrices), fits once and
reports the fit's seconds and the process's peak RSS. Dawid-Skene runs with the same stopping
rule in both libraries (a fixed number of iterations, tol 0), so their labels can be
compared: the table prints the share of items where they agree. Targets (issue 5):
Dawid-Skene >= 5x faster than crowd-kit at 1e6; 1e7 under 30 s and 3 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

K = 5


def make_data(n_annotations: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_items = n_annotations // 3
    n_annotators = 200
    truth = rng.integers(0, K, n_items)
    skill = rng.uniform(0.5, 0.95, n_annotators)
    items = np.repeat(np.arange(n_items), 3)
    start = rng.integers(0, n_annotators, n_items)
    annotators = ((start[:, None] + np.array([0, 67, 134])[None, :]) % n_annotators).ravel()
    right = rng.random(len(items)) < skill[annotators]
    labels = np.where(right, truth[items], rng.integers(0, K, len(items)))
    # Integer columns: the harness's own memory stays small next to what each library uses.
    return pd.DataFrame({"task": items, "worker": annotators, "label": labels})


def child(tool: str, method: str, n: int, iters: int, out: Path) -> None:
    """Fit once in this process; write labels to `out` and print a JSON line."""
    df = make_data(n)
    start = time.perf_counter()
    if tool == "labelgate":
        from labelgate.aggregation.dawid_skene import DawidSkene
        from labelgate.aggregation.majority_vote import MajorityVote

        frame = df.rename(columns={"task": "item_id", "worker": "annotator_id"})
        model = (
            MajorityVote() if method == "mv" else DawidSkene(max_iter=iters, tol=0.0, smoothing=0.0)
        )
        labels = model.fit_predict(frame)
        ties = getattr(model, "ties_", None)
        if ties is not None:
            pd.DataFrame({"task": labels.index, "tie": ties}).to_parquet(
                out.with_suffix(".ties.parquet")
            )
    else:
        from crowdkit.aggregation import DawidSkene as CkDawidSkene
        from crowdkit.aggregation import MajorityVote as CkMajorityVote

        model = CkMajorityVote() if method == "mv" else CkDawidSkene(n_iter=iters, tol=0.0)
        labels = model.fit_predict(df)
    seconds = time.perf_counter() - start
    labels.rename("label").rename_axis("task").reset_index().to_parquet(out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak}))


def measure(tool: str, method: str, n: int, iters: int, workdir: Path) -> dict[str, float] | None:
    out = workdir / f"{tool}-{method}-{n}.parquet"
    done = subprocess.run(
        [sys.executable, __file__, "--child", tool, method, str(n), str(iters), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(
            f"  {tool} {method} at {n:,} failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}"
        )
        return None
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def agreement(workdir: Path, method: str, n: int) -> str:
    """Share of items with the same label; for majority vote, over items without a tie
    (each library documents its own tie rule, so tied items may differ by design)."""

    def read(path: Path, column: str) -> pd.Series:
        frame = pd.read_parquet(path)
        return pd.Series(frame[column].to_numpy(), index=frame["task"].astype(str).to_numpy())

    ours = read(workdir / f"labelgate-{method}-{n}.parquet", "label").astype(str)
    theirs = read(workdir / f"crowdkit-{method}-{n}.parquet", "label").astype(str)
    common = ours.index.intersection(theirs.index)
    ties_path = workdir / f"labelgate-{method}-{n}.ties.parquet"
    if ties_path.exists():
        ties = read(ties_path, "tie").reindex(common).fillna(False).to_numpy(bool)
        same = float((ours[common][~ties] == theirs[common][~ties]).mean())
        return f"{same:.4f} ({ties.mean():.1%} tied)"
    return f"{float((ours[common] == theirs[common]).mean()):.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1e5, 1e6, 1e7])
    parser.add_argument(
        "--iters", type=int, default=20, help="Dawid-Skene iterations (both libraries)"
    )
    parser.add_argument(
        "--skip-crowdkit-above",
        type=float,
        default=2e7,
        help="do not run crowd-kit above this size",
    )
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        tool, method, n, iters, out = args.child
        child(tool, method, int(n), int(iters), Path(out))
        return
    workdir = Path("build/bench-aggregation")
    workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"{'annotations':>11} {'method':>6} | {'ours s':>8} {'peak MB':>8} | {'crowd-kit s':>11} {'peak MB':>8} | {'speed-up':>8} | same labels"
    )
    for size in args.sizes:
        n = int(size)
        for method in ("mv", "ds"):
            ours = measure("labelgate", method, n, args.iters, workdir)
            theirs = (
                measure("crowdkit", method, n, args.iters, workdir)
                if n <= args.skip_crowdkit_above
                else None
            )
            if ours is None:
                continue
            if theirs is None:
                print(
                    f"{n:>11,} {method:>6} | {ours['seconds']:8.2f} {ours['peak_mb']:8.0f} | {'skipped':>11} {'':>8} | {'':>8} | {'':>11}"
                )
                continue
            same = agreement(workdir, method, n)
            print(
                f"{n:>11,} {method:>6} | {ours['seconds']:8.2f} {ours['peak_mb']:8.0f} | {theirs['seconds']:11.2f} {theirs['peak_mb']:8.0f} | {theirs['seconds'] / ours['seconds']:7.1f}x | {same}"
            )


if __name__ == "__main__":
    main()
