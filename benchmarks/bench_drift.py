"""Feedback and drift: our statistics against peers, and the stage's analyses at scale.

Usage: python benchmarks/bench_drift.py [--annotations 1000000] [--seed 7]

1. Peers, same inputs, one run: Jensen-Shannon divergence against scipy's
   `jensenshannon(p, q, base=2) ** 2` on 1,000 random pairs; ROC AUC against scikit-learn's
   `roc_auc_score` on 1e6 tied scores; each window's Krippendorff alpha (as drift_report
   computes it) against the `krippendorff` package on the same window. Max differences and
   time ratios are printed.
2. Real data: the d_sentiment qualification test (20 questions, 85 workers; Zheng et al.'s
   D_PosSent, ../shared/data/real/d_sentiment) scored by `qualification_scores` and by plain
   pandas; skipped when the files are absent.
3. Scale: N annotations (3 per item, 200 annotators, 6 labels, two batches whose second has
   a shifted label mix and new words), 5% gold, 10% of annotations reviewed; the time of each
   analysis the feedback stage runs (windows, drift, confused pairs, reviews, annotator
   feedback) and their total.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from labelgate.analysis.annotator_feedback import annotator_feedback
from labelgate.analysis.confusion_pairs import confusion_pairs
from labelgate.analysis.drift import drift_report
from labelgate.analysis.qualification import qualification_scores
from labelgate.analysis.reviews import review_summary
from labelgate.analysis.windows import assign_windows
from labelgate.config.guideline import Guideline
from labelgate.guidelines.parser import parse_guideline
from labelgate.metrics.drift import jensen_shannon_divergence, roc_auc

D_SENTIMENT = Path(__file__).resolve().parents[2] / "shared/data/real/d_sentiment"
LABELS = ["billing", "technical", "account", "shipping", "refund", "other"]
WORDS_A = [f"w{i}" for i in range(400)]
WORDS_B = [f"v{i}" for i in range(80)]
GUIDELINE = """---
kind: guideline
format_version: 1
schema: bench
version: "1.0.0"
---

# Bench

""" + "".join(f"## Label: {label}\n\n{label} things.\n\n" for label in LABELS)


def timed(call: Callable[[], Any], repeat: int = 1) -> tuple[Any, float]:
    """The call's result and its best time over `repeat` runs."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return result, best


def drift(
    annotations: pd.DataFrame,
    items: pd.DataFrame,
    final: pd.DataFrame,
    windows: Any,
    max_items: int,
    resamples: int,
) -> dict[str, Any]:
    """drift_report as the feedback stage calls it on a text task."""
    return drift_report(
        annotations,
        items,
        final,
        windows,
        labels=LABELS,
        level="nominal",
        text_fields=["text"],
        feature_fields=[],
        min_window_items=30,
        seed=0,
        folds=5,
        max_items_per_window=max_items,
        resamples=resamples,
        values=list(range(len(LABELS))),
    )


def peers(seed: int) -> None:
    """JSD vs scipy, AUC vs scikit-learn, per-window alpha vs krippendorff."""
    from scipy.spatial.distance import jensenshannon
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    pairs = rng.integers(0, 50, size=(1000, 2, 6)).astype(float) + 1
    ours, t_ours = timed(lambda: [jensen_shannon_divergence(p, q) for p, q in pairs])
    theirs, t_theirs = timed(lambda: [float(jensenshannon(p, q, base=2) ** 2) for p, q in pairs])
    gap = max(abs(a - b) for a, b in zip(ours, theirs, strict=True))
    print(
        f"JSD, 1,000 pairs: max |ours - scipy| = {gap:.1e}; scipy/ours time {t_theirs / t_ours:.1f}"
    )

    scores = rng.integers(0, 1000, 1_000_000) / 1000.0  # many ties
    positive = rng.random(1_000_000) < scores * 0.3 + 0.35
    auc, t_ours = timed(lambda: roc_auc(scores, positive), 3)
    ref, t_theirs = timed(lambda: roc_auc_score(positive, scores), 3)
    print(
        f"AUC, 1e6 tied scores: ours {auc:.12f}, scikit-learn {ref:.12f}, "
        f"|diff| {abs(auc - ref):.1e}; sklearn/ours time {t_theirs / t_ours:.2f} "
        f"({t_ours:.3f} s vs {t_theirs:.3f} s)"
    )

    try:
        import krippendorff
    except ImportError:
        print("alpha per window: the krippendorff package is not installed; skipped")
        return
    annotations, items, final, _, _ = synthetic(60_000, seed)
    report = drift(annotations, items, final, assign_windows(annotations, "batch"), 2000, 0)
    for window in report["windows"]:
        part = annotations[annotations["batch"] == window["window"]]
        part = part.drop_duplicates(["item_id", "annotator_id"])  # the first vote counts
        table = part.pivot(index="annotator_id", columns="item_id", values="label")
        codes = table.apply(lambda c: c.map({k: i for i, k in enumerate(LABELS)}))
        ref = krippendorff.alpha(
            reliability_data=codes.to_numpy(dtype=float), level_of_measurement="nominal"
        )
        print(
            f"alpha, window {window['window']} ({window['n_items']:,} items): ours "
            f"{window['alpha']:.10f}, krippendorff {ref:.10f}, |diff| {abs(window['alpha'] - ref):.1e}"
        )


def synthetic(
    n_annotations: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(annotations, items, final labels, gold, reviews) of a two-batch single-label task."""
    rng = np.random.default_rng(seed)
    n_items = n_annotations // 3
    half = n_items // 2
    shares = np.array([[0.22, 0.24, 0.14, 0.16, 0.14, 0.10], [0.15, 0.30, 0.14, 0.16, 0.10, 0.15]])
    truth = np.concatenate(
        [rng.choice(6, half, p=shares[0]), rng.choice(6, n_items - half, p=shares[1])]
    )
    words = np.array(WORDS_A + WORDS_B)
    first = rng.integers(0, len(WORDS_A), size=(n_items, 8))
    late = rng.random((n_items, 8)) < 0.3
    first[half:][late[half:]] = len(WORDS_A) + rng.integers(0, len(WORDS_B), late[half:].sum())
    texts = [" ".join(row) for row in words[first]]
    item_ids = np.char.add("i", np.arange(n_items).astype(str))
    item = np.repeat(np.arange(n_items), 3)
    who = (rng.integers(0, 200, len(item)) + np.tile([0, 67, 134], n_items)) % 200
    right = rng.random(len(item)) < 0.85
    label = np.where(right, truth[item], rng.integers(0, 6, len(item)))
    batch = np.where(item < half, "b1", "b2")
    annotations = pd.DataFrame(
        {
            "item_id": item_ids[item],
            "annotator_id": np.char.add("a", who.astype(str)),
            "label": np.array(LABELS)[label],
            "batch": batch,
            "guideline_version": np.where(item < half, "1.0.0", "1.1.0"),
            "annotated_at": "",
            "duration_s": rng.lognormal(2.6, 0.4, len(item)).round(1),
        }
    )
    items = pd.DataFrame({"item_id": item_ids, "text": texts})
    votes = np.zeros((n_items, 6), dtype=np.int64)
    np.add.at(votes, (item, label), 1)
    final = pd.DataFrame(
        {
            "item_id": item_ids,
            "label": np.array(LABELS)[votes.argmax(axis=1)],
            "status": "aggregated",
            "confidence": votes.max(axis=1) / 3,
        }
    )
    gold_items = rng.choice(n_items, n_items // 20, replace=False)
    gold = pd.DataFrame(
        {"item_id": item_ids[gold_items], "label": np.array(LABELS)[truth[gold_items]]}
    )
    reviewed = rng.random(len(item)) < 0.1
    wrong = label != truth[item]
    reviews = pd.DataFrame(
        {
            "item_id": item_ids[item[reviewed]],
            "annotator_id": annotations["annotator_id"].to_numpy()[reviewed],
            "reviewer_id": "r1",
            "verdict": np.where(wrong[reviewed], "reject", "accept"),
            "reason": np.where(wrong[reviewed], "wrong intent", ""),
            "reviewed_at": pd.NaT,
        }
    )
    return annotations, items, final, gold, reviews


def guideline() -> Guideline:
    return parse_guideline(GUIDELINE, "guidelines/bench.md")[0]


def scale(n_annotations: int, seed: int) -> None:
    """Each analysis of the feedback stage on N annotations."""
    annotations, items, final, gold, reviews = synthetic(n_annotations, seed)
    guide = guideline()
    steps: list[tuple[str, Callable[[], Any]]] = []
    windows_box: dict[str, Any] = {}

    def windows() -> Any:
        windows_box["w"] = assign_windows(annotations, "batch")
        return windows_box["w"]

    steps.append(("windows", windows))
    steps.append(
        (
            "drift (alpha per window with 200 resamples, classifier on 5,000 items a side)",
            lambda: drift(annotations, items, final, windows_box["w"], 5000, 200),
        )
    )
    steps.append(
        (
            "confused pairs",
            lambda: confusion_pairs(annotations, final, LABELS, guide, items, text_field="text"),
        )
    )
    steps.append(("reviews", lambda: review_summary(reviews, annotations)))
    steps.append(
        (
            "annotator feedback (200 annotators)",
            lambda: annotator_feedback(
                annotations, final, gold, LABELS, guide, items, reviews, {}, {}, text_field="text"
            ),
        )
    )
    total = 0.0
    print(f"\n{n_annotations:,} annotations, {len(items):,} items")
    for name, call in steps:
        result, seconds = timed(call)
        total += seconds
        print(f"  {name:<80} {seconds:6.2f} s")
        if name.startswith("drift"):
            print(
                f"    label_shift_jsd {result['label_shift_jsd']:.4f}, item_drift_auc "
                f"{result['item_drift_auc']:.3f}, agreement_drop {result['agreement_drop']:.4f}"
            )
    print(f"  {'total':<80} {total:6.2f} s")


def qualification() -> None:
    """d_sentiment's qualification test: our scores against a plain pandas count."""
    answers_path, key_path = D_SENTIMENT / "quali.csv", D_SENTIMENT / "quali_truth.csv"
    if not answers_path.exists():
        print(f"\nqualification: {answers_path} is absent; skipped")
        return
    raw = pd.read_csv(answers_path, dtype=str)
    answers = raw.rename(columns={"id": "item_id", "worker": "annotator_id", "answer": "label"})
    key = pd.read_csv(key_path, dtype=str).rename(columns={"q": "item_id", "truth": "label"})
    scores, seconds = timed(
        lambda: qualification_scores(answers, key, pass_mark=0.7, min_questions=10)
    )
    truth = dict(zip(key["item_id"], key["label"], strict=True))
    once = answers.drop_duplicates(["annotator_id", "item_id"])
    right = (once["label"] == once["item_id"].map(truth)).groupby(once["annotator_id"]).mean()
    gap = max(abs(scores[a]["score"] - right[a]) for a in right.index)
    passed = sum(bool(s["passed"]) for s in scores.values())
    print(
        f"\nqualification, d_sentiment: {len(scores)} takers, {passed} pass at 0.7; "
        f"max |ours - pandas| {gap:.1e}; {seconds * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    peers(args.seed)
    qualification()
    for n in args.annotations:
        scale(n, args.seed)


if __name__ == "__main__":
    main()
