"""Active learning: learning curves of each `labelgate select` strategy vs random, and the time
to select from a 1e6-item pool.

Usage: .venv/bin/python benchmarks/bench_active_learning.py [--seeds 3] [--out FILE]
    [--datasets rte imdb md] [--start 20] [--exploration 0.3] [--scale-only | --no-scale]

Data (skipped when absent), each with trusted labels:
- RTE (Snow et al. 2008; CrowdTruth's copy with the texts): 800 text/hypothesis pairs with
  their gold entailment label (`gold`); the text is "text || hypothesis".
- IMDB test reviews (cleanlab's label-error copy): a seeded sample of 6,000 reviews with their
  `given_label`.
- MD-Agreement (Le-Wi-Di 2023; Leonardelli et al. 2021): the 6,592 English tweets of the train
  split with their offensiveness label by majority of 5 annotators (`hard_label`; 30% offensive).
  Not used to choose the defaults of the cold-start guard or the exploration share.

For each dataset and seed: a seeded 30% test split; the rest is the pool; 20 random pool items
start labelled; then R rounds each label B more items chosen by the strategy (the same
`analysis.active_learning.select` as the command, the built-in TF-IDF + logistic regression
model refit every round). The number is the test accuracy of the model trained on what was
labelled so far. TF-IDF features are fit once per dataset on every text (no label involved),
as `labelgate select` fits them on labelled + pool texts.

Scale: `select` on a synthetic 1e6-item pool (3 classes, Dirichlet probabilities, 50-d unit
embeddings, 5,000 labelled embeddings), budget 1,000, wall time per strategy, and once more for
`uncertainty` at a cold start (60 labelled items: k-means cluster representatives). Fitting TF-IDF
and the model on a million texts is the model layer's cost, timed separately in model_oof.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from labelgate.analysis.active_learning import (
    COLD_START_PER_CLASS,
    EXPLORATION,
    PoolView,
    select,
)
from labelgate.models.features import embed, fit_predict_matrix, text_matrix

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared/data/real"
RTE = REAL / "snow2008_mturk/crowdtruth_rte_with_text/rte.standardized.csv"
IMDB = REAL / "imdb_label_errors_cleanlab/imdb_test_with_cleanlab_mturk.csv.gz"
MD = REAL / "lewidi2023/MD-Agreement/MD-Agreement_train.json"
STRATEGIES = (
    "random",
    "uncertainty",
    "margin",
    "entropy",
    "rare",
    "novelty",
    "diversity",
    "mix",
)
MIX = {"uncertainty": 0.7, "novelty": 0.3}
START = 20


def load(name: str) -> tuple[list[str], np.ndarray, int, int] | None:
    """(texts, label codes, round budget, rounds) of a dataset, or None when absent."""
    if name == "rte" and RTE.exists():
        frame = pd.read_csv(RTE).drop_duplicates("orig_id")
        texts = (frame["text"] + " || " + frame["hypothesis"]).tolist()
        return texts, frame["gold"].to_numpy(dtype=np.int64), 25, 8
    if name == "imdb" and IMDB.exists():
        frame = pd.read_csv(IMDB).sample(6000, random_state=0)
        return frame["text"].tolist(), frame["given_label"].to_numpy(dtype=np.int64), 50, 8
    if name == "md" and MD.exists():
        records = pd.read_json(MD, orient="index").sort_index()
        labels = records["hard_label"].astype(np.int64).to_numpy()
        return records["text"].astype(str).tolist(), labels, 50, 8
    return None


def curve(
    x: object,
    emb: np.ndarray,
    y: np.ndarray,
    strategy: str,
    seed: int,
    budget: int,
    rounds: int,
    start: int = START,
    exploration: float = EXPLORATION,
    balanced: bool = False,
) -> list[float]:
    """Test accuracy after the start set and after each round."""
    rng = np.random.default_rng(seed)
    n = len(y)
    order = rng.permutation(n)
    test, pool = order[: int(0.3 * n)], order[int(0.3 * n) :]
    labelled = list(pool[:start])
    remaining = np.array(pool[start:])
    k = int(y.max()) + 1
    accuracies = []
    for step in range(rounds + 1):
        lab = np.array(labelled)
        p_test = fit_predict_matrix(x[lab], y[lab], x[test], k)  # type: ignore[index]
        right = p_test.argmax(axis=1) == y[test]
        if balanced:  # the mean of per-class recalls: a majority-class model scores 1/K
            recalls = [right[y[test] == c].mean() for c in range(k) if (y[test] == c).any()]
            accuracies.append(float(np.mean(recalls)))
        else:
            accuracies.append(float(right.mean()))
        if step == rounds:
            break
        p_pool = fit_predict_matrix(x[lab], y[lab], x[remaining], k)  # type: ignore[index]
        view = PoolView(
            p_pool,
            [str(c) for c in range(k)],
            np.bincount(y[lab], minlength=k),
            emb[remaining],
            emb[lab],
        )
        chosen = select(strategy, view, budget, seed * 1000 + step, MIX, exploration)
        labelled += remaining[chosen.index].tolist()
        remaining = np.delete(remaining, chosen.index)
    return accuracies


def learning_curves(
    name: str,
    seeds: int,
    start: int = START,
    exploration: float = EXPLORATION,
    balanced: bool = False,
) -> list[str]:
    """A Markdown table: mean test accuracy per strategy and round, and the area gain."""
    loaded = load(name)
    if loaded is None:
        return [f"{name}: data absent, skipped", ""]
    texts, y, budget, rounds = loaded
    x = text_matrix(texts)
    emb = embed(x, seed=0)
    sizes = [start + budget * r for r in range(rounds + 1)]
    results: dict[str, np.ndarray] = {}
    started = time.perf_counter()
    for strategy in STRATEGIES:
        per_seed = [
            curve(x, emb, y, strategy, s, budget, rounds, start, exploration, balanced)
            for s in range(seeds)
        ]
        results[strategy] = np.array(per_seed)
    elapsed = time.perf_counter() - started
    lines = [
        f"### {name}: {len(y)} items, {seeds} seeds, {rounds} rounds of {budget} "
        f"(start {start} random), test 30%, exploration {exploration}"
        + (", balanced accuracy" if balanced else "")
        + f" ({elapsed:.0f} s)",
        "",
        "| strategy | "
        + " | ".join(str(s) for s in sizes)
        + " | mean | vs random | rounds >= random |",
        "|---|" + "---|" * (len(sizes) + 3),
    ]
    base = results["random"].mean(axis=0)
    for strategy, runs in results.items():
        mean = runs.mean(axis=0)
        cells = " | ".join(f"{v:.3f}" for v in mean)
        gain = mean[1:].mean() - base[1:].mean()
        wins = int((mean[1:] >= base[1:] - 1e-12).sum())
        lines.append(
            f"| {strategy} | {cells} | {mean[1:].mean():.3f} | {gain:+.3f} | {wins}/{rounds} |"
        )
    spread = results["uncertainty"][:, -1].std()
    lines += ["", f"Std over seeds of uncertainty's last-round accuracy: {spread:.3f}.", ""]
    return lines


def scale() -> list[str]:
    """Wall time of select on a 1e6-item synthetic pool, per strategy."""
    rng = np.random.default_rng(0)
    n, d = 1_000_000, 50
    p = rng.dirichlet(np.ones(3), size=n)
    pool = rng.standard_normal((n, d))
    pool /= np.linalg.norm(pool, axis=1, keepdims=True)
    lab = rng.standard_normal((5000, d))
    lab /= np.linalg.norm(lab, axis=1, keepdims=True)
    view = PoolView(p, ["a", "b", "c"], np.array([3000, 1500, 500]), pool, lab)
    lines = [
        "| strategy | seconds (1e6 pool, budget 1,000) |",
        "|---|---|",
    ]
    for strategy in STRATEGIES:
        started = time.perf_counter()
        chosen = select(strategy, view, 1000, 0, MIX)
        assert len(chosen.index) == 1000
        lines.append(f"| {strategy} | {time.perf_counter() - started:.1f} |")
    # A cold start (60 labelled items): one random member of each of 1,000 k-means clusters.
    cold = PoolView(p, ["a", "b", "c"], np.array([30, 20, 10]), pool, lab[:60])
    started = time.perf_counter()
    chosen = select("uncertainty", cold, 1000, 0)
    assert chosen.reason[0].startswith("cold start")
    lines.append(f"| uncertainty, cold start | {time.perf_counter() - started:.1f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--datasets", nargs="+", default=["rte", "imdb", "md"])
    parser.add_argument("--scale-only", action="store_true")
    parser.add_argument("--start", type=int, default=START, help="random items labelled first")
    parser.add_argument("--exploration", type=float, default=EXPLORATION)
    parser.add_argument(
        "--balanced", action="store_true", help="balanced accuracy (mean per-class recall)"
    )
    parser.add_argument("--no-scale", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    lines = [
        "# Active learning: learning curves and selection time",
        "",
        f"`benchmarks/bench_active_learning.py --seeds {args.seeds}` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}. Accuracy: the built-in "
        "model's test accuracy after training on the items labelled so far (mean over seeds); "
        "columns are the number of labelled items. `mix` = 0.7 uncertainty + 0.3 novelty "
        "(ranks). uncertainty, margin, entropy, diversity and mix take representative items "
        f"while fewer than {COLD_START_PER_CLASS} per class are labelled (cold start), and "
        "uncertainty, margin, "
        f"entropy and mix then draw {args.exploration:.0%} of each batch at random "
        "(exploration). 'vs random': mean accuracy over the rounds after the start, minus "
        "random's.",
        "",
    ]
    if not args.scale_only:
        for name in args.datasets:
            lines += learning_curves(name, args.seeds, args.start, args.exploration, args.balanced)
            print("\n".join(lines[-14:]), flush=True)
    if not args.no_scale:
        lines += ["## Selection from a 1e6-item pool", ""]
        lines += scale()
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
