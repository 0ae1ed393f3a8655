"""Aggregation on real crowds with trusted labels: our methods and `auto` against crowd-kit's.

Usage: .venv-bench/bin/python benchmarks/bench_aggregation_real.py [--only NAME ...]
       [--no-peer] [--out benchmarks/results/aggregation_real.md] [--rows LOG ...]
       [--peers-from benchmarks/results/aggregation_real.md]
(--rows: build the table from the ROW lines of earlier runs, e.g. two halves run in parallel;
rows of one dataset merge, later files winning. --peers-from: with --rows, keep the crowd-kit
columns of an earlier results table, so that our methods can be rerun alone with --no-peer.)

Data: ../shared/data/real (see its SOURCES.md): every categorical dataset with
item/worker/label answers and gold labels. Duplicate (item, worker) answers keep the first,
for both libraries. Accuracy is over gold items that have answers; ECE is the expected
calibration error of our posterior confidence (max posterior) over gold, 10 equal bins.
No method sees the gold (auto selects on held-out annotations), except the "auto+gold"
run: auto given a seeded 20% of the gold, scored on the other 80% against majority vote and
Dawid-Skene on the same 80% (a difference in points). crowd-kit (1.4.2 in
.venv-bench) runs with its defaults, except GLAD's iterations (capped, see GLAD_ITER).
Prints a Markdown table and writes it to --out.
"""

from __future__ import annotations

import argparse
import json
import signal
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from labelgate.aggregation.catalog import make

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared/data/real"
# crowd-kit's GLAD, ZBS and MACE are pandas-based and slow (about 3, 1.5 and 5 ms per answer
# at their defaults): their iterations are capped to keep the run under ~30 min on 2 CPUs,
# more on the sets with over BIG answers. MACE runs one restart (its default is 10).
GLAD_ITER, GLAD_ITER_BIG = 10, 5
ZBS_ITER_BIG = 20
BIG = 30_000
# Each crowd-kit fit gets at most this many seconds (wall clock, SIGALRM); a stopped fit shows
# as "nan" in the table. The machine is shared: this keeps the whole run near 20 minutes.
PEER_SECONDS = 45


LEGEND = f"""# Aggregation on 23 real crowds with gold (benchmarks/bench_aggregation_real.py)

Accuracy over gold items with answers. Ours: MV, DS (smoothed, alpha_prior 2), 1coin, GLAD,
Wawa, ZBS, MACE, auto (no gold: held-out annotations, margin 0.06, and the isolated-drift
fallback to MV; see docs/aggregation.md), `auto pick` its choice; ECE: expected calibration
error of the max posterior over gold (10 bins); `auto+gold - max(MV,DS) @80%`: auto given a
seeded 20% of gold, minus the better of MV and DS, both scored on the other 80% (`pick+gold`
its choice); `DS a=0`: maximum-likelihood DS (the old default); `our s`: seconds for all our
fits. `ck *`: crowd-kit 1.4.2 defaults, except GLAD {GLAD_ITER} iterations
({GLAD_ITER_BIG} over {BIG:,} answers), ZBS {ZBS_ITER_BIG} iterations over {BIG:,} answers,
MACE one restart; `nan` = stopped after {PEER_SECONDS} s. Duplicate (item, worker) answers keep
the first, for both. d_Duck_Identification = spectral_em_bluebird, s4_Dog_data =
spectral_em_dog and snow2008_mace_rte = spectral_em_rte (same data, other files)."""


class PeerTimeout(Exception):
    """A crowd-kit fit ran past PEER_SECONDS."""


def _stop(signum: int, frame: object) -> None:
    raise PeerTimeout


signal.signal(signal.SIGALRM, _stop)
# Share of gold items given to `auto` in its gold-aware run.
GOLD_SHARE = 0.2

CSV_SETS = [
    "d_Duck_Identification",
    "d_jn_product",
    "d_sentiment",
    "s4_Dog_data",
    "s4_Face_Sentiment_Identification",
    "s4_Relevance",
    "s5_AdultContent",
    "snow2008_mace_rte",
    "snow2008_mace_temporal",
    "snow2008_mace_wsd",
    "vcrowd_CF",
    "vcrowd_CF_amt",
    "vcrowd_MS",
    "vcrowd_SP",
    "vcrowd_SP_amt",
    "vcrowd_ZenCrowd_all",
    "vcrowd_ZenCrowd_in",
    "vcrowd_ZenCrowd_us",
]
TXT_SETS = ["bluebird", "dog", "rte", "trec", "web"]
OURS = [
    "majority_vote",
    "dawid_skene",
    "one_coin_dawid_skene",
    "glad",
    "wawa",
    "zbs",
    "mace",
    "auto",
]
SHORT = {
    "majority_vote": "MV",
    "dawid_skene": "DS",
    "one_coin_dawid_skene": "1coin",
    "glad": "GLAD",
    "wawa": "Wawa",
    "zbs": "ZBS",
    "mace": "MACE",
    "auto": "auto",
}


def load(name: str) -> tuple[pd.DataFrame, pd.Series]:
    """(answers with item_id, annotator_id, label; gold by item_id), all strings."""
    if name.startswith("spectral_em_"):
        short = name.removeprefix("spectral_em_")
        folder = DATA / name
        answers = pd.read_csv(folder / f"{short}_crowd.txt", sep=r"\s+", header=None, dtype=str)
        truth = pd.read_csv(folder / f"{short}_truth.txt", sep=r"\s+", header=None, dtype=str)
    else:
        answers = pd.read_csv(DATA / name / "answer.csv", dtype=str)
        truth = pd.read_csv(DATA / name / "truth.csv", dtype=str)
    answers = answers.iloc[:, :3]
    answers.columns = ["item_id", "annotator_id", "label"]
    answers = answers.drop_duplicates(["item_id", "annotator_id"], keep="first")
    truth = truth.iloc[:, :2].drop_duplicates(truth.columns[0])
    gold = truth.set_index(truth.columns[0])[truth.columns[1]]
    gold = gold[gold.index.isin(answers["item_id"])]
    return answers.reset_index(drop=True), gold


def datasets() -> list[str]:
    return CSV_SETS + [f"spectral_em_{s}" for s in TXT_SETS]


def ece(probas: pd.DataFrame, labels: pd.Series, gold: pd.Series, bins: int = 10) -> float:
    """Expected calibration error of the max posterior over gold items, equal-width bins."""
    common = gold.index.intersection(labels.index)
    confidence = probas.loc[common].to_numpy().max(axis=1)
    right = (labels[common] == gold[common]).to_numpy().astype(float)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(right[mask].mean() - confidence[mask].mean())
    return total


def accuracy(labels: pd.Series, gold: pd.Series) -> float:
    common = gold.index.intersection(labels.index)
    return float((labels[common].astype(str) == gold[common]).mean())


def peers(big: bool) -> dict[str, Callable[[pd.DataFrame], pd.Series]]:
    import crowdkit.aggregation.classification.wawa as ck_wawa
    import crowdkit.aggregation.classification.zero_based_skill as ck_zbs
    from crowdkit.aggregation import (
        GLAD,
        MACE,
        DawidSkene,
        MajorityVote,
        OneCoinDawidSkene,
        Wawa,
        ZeroBasedSkill,
    )

    # crowd-kit 1.4.2's Wawa and ZBS call sklearn's check_is_fitted, which newer scikit-learn
    # refuses on non-sklearn classes; the check guards nothing here (we fit right before).
    ck_wawa.check_is_fitted = ck_zbs.check_is_fitted = lambda *args, **kwargs: None
    return {
        "MV": lambda d: MajorityVote().fit_predict(d),
        "DS": lambda d: DawidSkene(n_iter=100).fit_predict(d),
        "1coin": lambda d: OneCoinDawidSkene(n_iter=100).fit_predict(d),
        "GLAD": lambda d: GLAD(n_iter=GLAD_ITER_BIG if big else GLAD_ITER).fit_predict(d),
        "Wawa": lambda d: Wawa().fit_predict(d),
        "ZBS": lambda d: ZeroBasedSkill(n_iter=ZBS_ITER_BIG if big else 100).fit_predict(d),
        "MACE": lambda d: MACE(n_restarts=1, n_iter=50, random_state=0).fit_predict(d),
    }


def run(name: str, with_peer: bool) -> dict[str, object]:
    answers, gold = load(name)
    labels = sorted(set(answers["label"]) | set(gold))
    row: dict[str, object] = {
        "dataset": name,
        "items": answers["item_id"].nunique(),
        "workers": answers["annotator_id"].nunique(),
        "answers": len(answers),
        "gold": len(gold),
        "med/worker": float(answers.groupby("annotator_id").size().median()),
    }
    seconds: dict[str, float] = {}
    for method in OURS:
        start = time.perf_counter()
        model = make(method, labels, {}).fit(answers)
        seconds[method] = time.perf_counter() - start
        row[SHORT[method]] = accuracy(model.labels_, gold)
        if method == "dawid_skene":
            row["ECE DS"] = ece(model.probas_, model.labels_, gold)
        if method == "auto":
            row["auto pick"] = SHORT[model.selection_["method"]]
            row["ECE auto"] = ece(model.probas_, model.labels_, gold)
    # auto given 20% of the gold (seeded), scored on the other 80%, next to MV and DS there.
    given = np.random.default_rng(0).random(len(gold)) < GOLD_SHARE
    rest = gold[~given]
    with_gold = make("auto", labels, {}).fit(answers, gold[given])
    mv80 = accuracy(make("majority_vote", labels, {}).fit_predict(answers, gold[given]), rest)
    ds80 = accuracy(make("dawid_skene", labels, {}).fit_predict(answers, gold[given]), rest)
    row["auto+gold - max(MV,DS) @80%"] = accuracy(with_gold.labels_, rest) - max(mv80, ds80)
    row["pick+gold"] = SHORT[with_gold.selection_["method"]]
    row["DS a=0"] = accuracy(
        make("dawid_skene", labels, {"alpha_prior": 0.0}).fit_predict(answers), gold
    )
    row["our s"] = round(sum(seconds.values()), 1)
    if with_peer:
        frame = answers.rename(columns={"item_id": "task", "annotator_id": "worker"})
        start = time.perf_counter()
        for key, fit in peers(len(answers) > BIG).items():
            try:
                began = time.perf_counter()
                signal.alarm(PEER_SECONDS)
                row[f"ck {key}"] = accuracy(fit(frame), gold)
                print(f"  crowd-kit {key}: {time.perf_counter() - began:.1f} s", flush=True)
            except PeerTimeout:
                row[f"ck {key}"] = float("nan")
                print(f"{name}: crowd-kit {key} stopped after {PEER_SECONDS} s", flush=True)
            except Exception as exc:  # a peer failing is a result, not a crash
                row[f"ck {key}"] = float("nan")
                print(f"{name}: crowd-kit {key} failed: {exc}")
            finally:
                signal.alarm(0)
        row["ck s"] = round(time.perf_counter() - start, 1)
    return row


def to_markdown(table: pd.DataFrame) -> str:
    shown = table.copy()
    for c in shown.columns:
        if shown[c].dtype == float and c not in ("med/worker", "our s", "ck s"):
            shown[c] = shown[c].map(lambda v: f"{v:.3f}")
    header = "| " + " | ".join(shown.columns) + " |"
    rule = "|" + "|".join("---" for _ in shown.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in r) + " |" for r in shown.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def peer_rows(path: str) -> dict[str, dict[str, object]]:
    """The crowd-kit columns (`ck *`) of an earlier Markdown results table, by dataset."""
    lines = [x for x in Path(path).read_text().splitlines() if x.startswith("| ")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows: dict[str, dict[str, object]] = {}
    for line in lines[1:]:
        values = dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True))
        rows[values["dataset"]] = {k: float(v) for k, v in values.items() if k.startswith("ck ")}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/aggregation_real.md"))
    parser.add_argument(
        "--rows", nargs="*", help="build the table from ROW lines printed by earlier runs"
    )
    parser.add_argument("--peers-from", help="keep the crowd-kit columns of this earlier table")
    args = parser.parse_args()
    rows = []
    if args.rows:
        # Rows of one dataset merge, later files winning: a --no-peer rerun of our methods
        # keeps the crowd-kit columns of an earlier full run.
        peers_kept = peer_rows(args.peers_from) if args.peers_from else {}
        merged: dict[str, dict[str, object]] = {}
        for path in args.rows:
            for line in Path(path).read_text().splitlines():
                if line.startswith("ROW "):
                    row = json.loads(line[4:])
                    merged.setdefault(str(row["dataset"]), {}).update(row)
        for name, row in merged.items():
            row.update(peers_kept.get(name, {}))
        order = {name: i for i, name in enumerate(datasets())}
        rows = sorted(merged.values(), key=lambda r: order.get(str(r["dataset"]), len(order)))
    for name in [] if args.rows else args.only or datasets():
        row = run(name, not args.no_peer)
        print("ROW", json.dumps(row, default=float), flush=True)
        rows.append(row)
    table = pd.DataFrame(rows)
    ours = [SHORT[m] for m in OURS]
    mean = {
        c: table[c].mean()
        for c in table.columns
        if c in ours or c.startswith(("ck ", "ECE", "DS a", "auto+"))
    }
    text = LEGEND + "\n\n" + to_markdown(table)
    text += "\n\nMeans: " + ", ".join(f"{k} {v:.4f}" for k, v in mean.items())
    best_mv_ds = table[["MV", "DS"]].max(axis=1)
    text += (
        f"\n\nauto - max(MV, DS) without gold: worst {(table['auto'] - best_mv_ds).min():+.4f}; "
        "auto+gold - max(MV, DS) (20% gold, scored on the other 80%): worst "
        f"{table['auto+gold - max(MV,DS) @80%'].min():+.4f}"
    )
    if any(c.startswith("ck ") for c in table.columns):
        peer_cols = [c for c in table.columns if c.startswith("ck ") and c != "ck s"]
        best_peer = table[peer_cols].max(axis=1)
        text += f"; auto - best crowd-kit: worst {(table['auto'] - best_peer).min():+.4f}"

    print(text)
    if not args.only or args.rows:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
