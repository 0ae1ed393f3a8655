"""Does ranking by label quality find wrong consensus labels before ranking by vote share?

Usage: .venv/bin/python benchmarks/bench_label_issues_crowd.py [--seeds 0 1 2 3 4]

Real crowd data with text from ../shared/data/real (skipped when absent):
- Snow et al. 2008 RTE (800 text/hypothesis pairs x 10 MTurk workers, expert gold). The
  consensus is the majority vote of k workers per item drawn at random (k = 3, 5; and all
  10), wrong when it differs from gold.
- Le-Wi-Di 2023 MD-Agreement (offensive tweets, 5 annotators) and HS-Brexit (hate speech, 6):
  no expert labels, so the consensus of 3 annotators is checked against the majority of the
  held-out others (items where they tie are left out): a proxy for "trusted".
For each, the items are ranked by four scores, most-likely-wrong first, and the table gives
the average precision (AUPRC) of finding the wrong consensus labels: label_quality (CROWDLAB,
annotators weighted by quality plus the out-of-fold TF-IDF model: what `labelgate
label-issues` ranks by), the vote share of the consensus label, the Dawid-Skene posterior of
the consensus label, and the model alone (self-confidence). Also: how many of the flagged
items are wrong (precision) and how many wrong ones are flagged (recall). Mean over seeds.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from labelgate.aggregation.catalog import make
from labelgate.analysis.label_issues import vote_share
from labelgate.app.label_issues import label_issues_of_votes
from labelgate.config.pipeline import LabelIssuesStep, ModelStep
from labelgate.metrics.ranking import average_precision

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


def rte() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """(annotations, text by item, gold by item) of Snow et al.'s RTE."""
    raw = pd.read_csv(REAL / "snow2008_mturk/crowdtruth_rte_with_text/rte.standardized.csv")
    frame = pd.DataFrame(
        {
            "item_id": raw["orig_id"].astype(str),
            "annotator_id": raw["!amt_worker_ids"].astype(str),
            "label": raw["response"].map({0: "no", 1: "yes"}),
        }
    )
    first = raw.drop_duplicates("orig_id").set_index(raw["orig_id"].drop_duplicates().astype(str))
    text = first["text"].astype(str) + " || " + first["hypothesis"].astype(str)
    gold = first["gold"].map({0: "no", 1: "yes"})
    return frame, text, gold


def lewidi(name: str) -> tuple[pd.DataFrame, pd.Series]:
    """(annotations, text by item) of a Le-Wi-Di 2023 dataset, every split."""
    rows, texts = [], {}
    for split in ("train", "dev", "test"):
        data = json.loads((REAL / f"lewidi2023/{name}/{name}_{split}.json").read_text())
        for key, record in data.items():
            item = f"{split}-{key}"
            texts[item] = record["text"]
            labels = record["annotations"].split(",")
            for annotator, label in zip(record["annotators"].split(","), labels, strict=True):
                rows.append((item, annotator.strip(), "yes" if label.strip() == "1" else "no"))
    return pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"]), pd.Series(texts)


def subsample(frame: pd.DataFrame, k: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(k random annotations per item, the rest)."""
    rng = np.random.default_rng(seed)
    order = frame.assign(_r=rng.random(len(frame))).sort_values(["item_id", "_r"])
    taken = order.groupby("item_id").cumcount() < k
    return order[taken].drop(columns="_r"), order[~taken].drop(columns="_r")


def held_out_truth(rest: pd.DataFrame) -> pd.Series:
    """The majority of the held-out annotations per item; ties are dropped."""
    counts = pd.crosstab(rest["item_id"], rest["label"])
    top = counts.max(axis=1)
    clear = (counts.eq(top, axis=0)).sum(axis=1) == 1
    return counts[clear].idxmax(axis=1)


def ds_posterior(votes: pd.DataFrame, given: pd.Series) -> pd.Series:
    """Dawid-Skene's posterior of each item's given label."""
    model = make("dawid_skene", sorted(votes["label"].unique()), {"random_state": 0}, "bench")
    model.fit(votes, None)
    probas = model.probas_.reindex(given.index)
    return pd.Series(
        probas.to_numpy()[np.arange(len(given)), probas.columns.get_indexer(given.to_numpy())],
        index=given.index,
    )


def evaluate(votes: pd.DataFrame, texts: pd.Series, truth: pd.Series, seed: int) -> dict:
    """AUPRC of each ranking and the flags' precision and recall, on items with a truth."""
    start = time.perf_counter()
    result = label_issues_of_votes(votes, texts, ModelStep(seed=seed), LabelIssuesStep())
    seconds = time.perf_counter() - start
    table = result.table.set_index("item_id")
    table = table[table.index.isin(truth.index)]
    wrong = (table["given_label"] != truth.reindex(table.index)).to_numpy()
    given = table["given_label"]
    share = vote_share(votes, given.rename("label").rename_axis("item_id").reset_index())
    share = share.reindex(table.index)
    self_conf = label_issues_of_votes(
        votes, texts, ModelStep(seed=seed), LabelIssuesStep(rank_by="self_confidence")
    ).table.set_index("item_id")["label_quality"]
    flagged = table["is_issue"].to_numpy(bool)
    return {
        "items": len(table),
        "wrong": int(wrong.sum()),
        "label_quality": average_precision(1 - table["label_quality"].to_numpy(), wrong),
        "vote_share": average_precision(1 - share.to_numpy(), wrong),
        "dawid_skene": average_precision(1 - ds_posterior(votes, given).to_numpy(), wrong),
        "model_only": average_precision(1 - self_conf.reindex(table.index).to_numpy(), wrong),
        "flagged": int(flagged.sum()),
        "precision": float(wrong[flagged].mean()) if flagged.any() else float("nan"),
        "recall": float(flagged[wrong].mean()) if wrong.any() else float("nan"),
        "model_acc": result.summary["accuracy_vs_consensus"],
        "seconds": seconds,
    }


def scenarios(seeds: list[int]) -> list[tuple[str, int, pd.DataFrame, pd.Series, pd.Series]]:
    """(name, seed, annotations, texts, truth) for every benchmark run."""
    runs = []
    frame, text, gold = rte()
    for k in (3, 5):
        for seed in seeds:
            runs.append((f"RTE, {k} of 10 workers", seed, subsample(frame, k, seed)[0], text, gold))
    runs.append(("RTE, all 10 workers", 0, frame, text, gold))
    for name in ("MD-Agreement", "HS-Brexit"):
        votes, texts = lewidi(name)
        for seed in seeds:
            taken, rest = subsample(votes, 3, seed)
            runs.append((f"{name}, 3 vs held-out", seed, taken, texts, held_out_truth(rest)))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    if not REAL.exists():
        print(f"skipped: {REAL} is absent")
        return
    rows = []
    for name, seed, votes, texts, truth in scenarios(args.seeds):
        rows.append({"data": name, "seed": seed, **evaluate(votes, texts, truth, seed)})
        print(f"  {name} seed {seed}: {rows[-1]}", flush=True)
    table = pd.DataFrame(rows).groupby("data", sort=False).mean(numeric_only=True)
    table["seeds"] = pd.DataFrame(rows).groupby("data", sort=False).size()
    columns = [
        "seeds", "items", "wrong", "label_quality", "vote_share", "dawid_skene", "model_only",
        "flagged", "precision", "recall", "model_acc", "seconds",
    ]  # fmt: skip
    print(table[columns].to_markdown(floatfmt=".3f"))


if __name__ == "__main__":
    main()
