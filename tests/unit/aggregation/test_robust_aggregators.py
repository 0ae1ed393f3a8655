"""Aggregation you can trust: smoothed Dawid-Skene, one-coin, GLAD, Wawa, ZBS and `auto`.

Planted-confusion recovery, the sparse-worker collapse that smoothing prevents, determinism,
gold clamping, auto's recorded rule, and a fast check on two small real crowds.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from labelgate.aggregation.auto import CANDIDATES, MAX_ISOLATED_DRIFT, MAX_SHIFT, Auto
from labelgate.aggregation.catalog import make
from labelgate.aggregation.dawid_skene import DawidSkene, OneCoinDawidSkene
from labelgate.aggregation.glad import Glad
from labelgate.aggregation.majority_vote import MajorityVote
from labelgate.aggregation.wawa import Wawa, ZeroBasedSkill
from tests.conftest import SHARED
from tests.unit.aggregation.test_aggregators import synthetic

LABELS3 = ["0", "1", "2"]


def accuracy(labels: pd.Series, truth: pd.Series) -> float:
    return float((labels == truth[labels.index]).mean())


def sparse_crowd(seed: int = 0, n_items: int = 400, k: int = 4) -> tuple[pd.DataFrame, pd.Series]:
    """Two labels per item from four prolific annotators who confuse t with t + 1, and three
    from a crowd of ~600 annotators with 1-3 labels each (the shape of vcrowd_CF)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n_items)
    rows = []
    worker, left = 0, 0
    for i in range(n_items):
        for _ in range(2):
            label = truth[i] if rng.random() < 0.7 else (truth[i] + 1) % k
            rows.append((f"i{i}", f"core{rng.integers(0, 4)}", str(label)))
        for _ in range(3):
            if left == 0:
                worker, left = worker + 1, int(rng.integers(1, 4))
            left -= 1
            label = truth[i] if rng.random() < 0.6 else rng.integers(0, k)
            rows.append((f"i{i}", f"w{worker}", str(label)))
    df = pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])
    df = df.drop_duplicates(["item_id", "annotator_id"])
    return df, pd.Series(truth.astype(str), index=[f"i{i}" for i in range(n_items)])


def test_smoothed_dawid_skene_recovers_planted_confusions() -> None:
    df, truth, errors = synthetic()
    ds = DawidSkene(labels=LABELS3).fit(df)
    order = [int(a[1:]) for a in ds.codes_.annotator_ids]
    assert np.abs(ds.errors_ - errors[order]).max() < 0.1
    assert accuracy(ds.labels_, truth) > accuracy(
        MajorityVote(labels=LABELS3).fit_predict(df), truth
    )
    assert (np.diff(ds.loss_history_) <= 1e-9).all()  # MAP-EM: the penalised loss never rises


def test_one_coin_recovers_planted_accuracies() -> None:
    df, _, _ = synthetic()
    honest = df[df["annotator_id"] != "a4"]  # a4 always says "0": not a one-coin annotator
    model = OneCoinDawidSkene(labels=LABELS3).fit(honest)
    skills = dict(zip(model.codes_.annotator_ids, model.skills_, strict=True))
    for annotator, planted in {"a0": 0.9, "a1": 0.8, "a2": 0.7, "a3": 0.6}.items():
        assert skills[annotator] == pytest.approx(planted, abs=0.04)
    assert (np.diff(model.loss_history_) <= 1e-9).all()


def test_glad_and_skill_votes_beat_majority_vote_on_planted_data() -> None:
    df, truth, _ = synthetic()
    mv = accuracy(MajorityVote(labels=LABELS3).fit_predict(df), truth)
    glad = Glad(labels=LABELS3).fit(df)
    assert accuracy(glad.labels_, truth) > mv + 0.02
    abilities = dict(zip(glad.codes_.annotator_ids, glad.alphas_, strict=True))
    assert abilities["a0"] > abilities["a3"] > abilities["a4"]
    for model in (Wawa(labels=LABELS3), ZeroBasedSkill(labels=LABELS3)):
        model.fit(df)
        assert accuracy(model.labels_, truth) > mv, model.name
        skills = dict(zip(model.codes_.annotator_ids, model.skills_, strict=True))
        assert skills["a0"] > skills["a3"], model.name


def test_smoothing_prevents_the_sparse_worker_collapse() -> None:
    df, truth = sparse_crowd()
    labels = ["0", "1", "2", "3"]
    mv = accuracy(MajorityVote(labels=labels).fit_predict(df), truth)
    smoothed = accuracy(DawidSkene(labels=labels).fit_predict(df), truth)
    plain = accuracy(DawidSkene(labels=labels, alpha_prior=0.0).fit_predict(df), truth)
    assert smoothed >= mv
    assert smoothed > plain + 0.03  # maximum likelihood trusts one-label annotators absolutely


@pytest.mark.parametrize("name", ["glad", "zbs", "wawa", "one_coin_dawid_skene", "auto"])
def test_same_seed_same_result(name: str) -> None:
    df, _, _ = synthetic(n_items=300)
    first = make(name, LABELS3, {"random_state": 7}).fit(df)
    second = make(name, LABELS3, {"random_state": 7}).fit(df)
    pd.testing.assert_frame_equal(first.probas_, second.probas_)
    if name == "auto":
        assert first.selection_ == second.selection_


@pytest.mark.parametrize("name", ["dawid_skene", "one_coin_dawid_skene", "glad"])
def test_clamped_gold_keeps_its_label(name: str) -> None:
    df, truth, _ = synthetic(n_items=300)
    flipped = truth.iloc[:50].map({"0": "1", "1": "2", "2": "0"})
    clamped = make(name, LABELS3, {"clamp_gold": True}).fit(df, flipped)
    assert (clamped.labels_[flipped.index] == flipped).all()
    free = make(name, LABELS3, {}).fit(df, flipped)
    assert free.labels_.equals(make(name, LABELS3, {}).fit(df).labels_)  # gold unused


def test_skill_votes_measure_annotators_on_gold_where_known() -> None:
    rows = []
    for g in range(4):  # on gold the lone annotator is right, the pair wrong
        right, wrong = ("x", "y") if g % 2 == 0 else ("y", "x")
        rows += [(f"g{g}", "good", right), (f"g{g}", "bad1", wrong), (f"g{g}", "bad2", wrong)]
    rows += [("q", "good", "x"), ("q", "bad1", "y"), ("q", "bad2", "y")]
    df = pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])
    gold = pd.Series({f"g{g}": "x" if g % 2 == 0 else "y" for g in range(4)})
    for cls in (Wawa, ZeroBasedSkill):
        assert cls(labels=["x", "y"]).fit_predict(df)["q"] == "y"
        assert cls(labels=["x", "y"]).fit_predict(df, gold)["q"] == "x"


def test_auto_records_its_rule_and_scores_without_gold() -> None:
    df, truth = sparse_crowd()
    model = make("auto", ["0", "1", "2", "3"], {}).fit(df)
    selection = json.loads(json.dumps(model.selection_))  # JSON-able for lineage
    assert selection["rule"] == "heldout_annotations"
    assert selection["method"] in CANDIDATES
    assert set(selection["scores"]) == set(CANDIDATES)
    assert all("log_likelihood" in s and "label_shift" in s for s in selection["scores"].values())
    assert selection["share_annotators_with_3_or_fewer"] > 0.9
    assert all(selection["scores"][c]["label_shift"] <= MAX_SHIFT for c in selection["eligible"])
    # The chosen fit is the one returned, and it is not worse than majority vote here.
    assert np.allclose(model.probas_.to_numpy(), model.chosen_._fit(model.codes_))
    mv = accuracy(MajorityVote(labels=["0", "1", "2", "3"]).fit_predict(df), truth)
    assert accuracy(model.labels_, truth) >= mv


def test_auto_uses_gold_when_there_is_enough() -> None:
    df, truth, _ = synthetic(n_items=600)
    model = make("auto", LABELS3, {}).fit(df, truth.iloc[:120])
    selection = model.selection_
    assert selection["n_gold_items"] == 120
    assert selection["rule"].startswith(("gold_cv", "heldout_annotations (gold_cv"))
    assert {"gold_best", "wins", "losses"} <= set(selection["gold_test"])
    assert all("gold_accuracy" in selection["scores"][c] for c in selection["eligible"])
    # The final fit does not clamp gold by default: gold accuracy still measures something.
    assert selection["params"].get("clamp_gold", False) is False


def clique_crowd(seed: int = 0, n_items: int = 400) -> tuple[pd.DataFrame, pd.Series]:
    """Dawid-Skene drifting alone: 20% of items are 1; seven of 400 sparse annotators per item
    are right 80% of the time, and a clique of three copies one answer that is always 1 on
    class 1 and 1 on 30% of class 0. Dawid-Skene reads the clique as three perfect detectors
    of class 1 and moves the shares towards 1; one-coin and Wawa stay with the vote."""
    rng = np.random.default_rng(seed)
    truth = (rng.random(n_items) < 0.2).astype(int)
    rows = []
    for i in range(n_items):
        for j in rng.choice(400, 7, replace=False):
            label = truth[i] if rng.random() < 0.8 else 1 - truth[i]
            rows.append((f"i{i}", f"w{j}", str(label)))
        shared = 1 if truth[i] == 1 else int(rng.random() < 0.3)
        rows += [(f"i{i}", f"clique{c}", str(shared)) for c in range(3)]
    df = pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])
    return df, pd.Series(truth.astype(str), index=[f"i{i}" for i in range(n_items)])


def shared_bias_crowd(seed: int = 0, n_items: int = 400) -> tuple[pd.DataFrame, pd.Series]:
    """Dawid-Skene right: 20 annotators (100 labels each) all say 1 on 40% of class 0 and 90%
    of class 1. Only full confusion matrices see the bias; the symmetric models follow the vote."""
    rng = np.random.default_rng(seed)
    truth = (rng.random(n_items) < 0.5).astype(int)
    rows = [
        (f"i{i}", f"w{j}", str(int(rng.random() < (0.9 if truth[i] else 0.4))))
        for i in range(n_items)
        for j in rng.choice(20, 5, replace=False)
    ]
    df = pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])
    return df, pd.Series(truth.astype(str), index=[f"i{i}" for i in range(n_items)])


def test_auto_falls_back_to_the_vote_when_dawid_skene_drifts_alone() -> None:
    df, truth = clique_crowd()
    model = Auto(labels=["0", "1"])
    model.fit(df)
    selection = json.loads(json.dumps(model.selection_))
    drift = selection["isolated_drift"]
    assert selection["method"] == "majority_vote"
    assert selection["rule"] == "isolated_drift"
    assert drift["fell_back"]
    assert drift["thin_confusions"]
    assert drift["excess"] > MAX_ISOLATED_DRIFT == drift["max_excess"]
    assert drift["excess"] == pytest.approx(
        drift["dawid_skene_drift"] - drift["peer_median_drift"], abs=1e-5
    )
    ds = accuracy(DawidSkene(labels=["0", "1"]).fit_predict(df), truth)
    assert accuracy(model.labels_, truth) > ds + 0.1
    # With enough gold the drift is only recorded: the gold sign test arbitrates.
    with_gold = Auto(labels=["0", "1"])
    with_gold.fit(df, truth.iloc[:100])
    gold = with_gold.selection_
    assert gold["isolated_drift"]["flagged"]
    assert not gold["isolated_drift"]["fell_back"]
    assert not gold["rule"].startswith("isolated_drift")


def test_auto_keeps_dawid_skene_on_a_shared_bias_measured_by_many_labels() -> None:
    df, truth = shared_bias_crowd()
    model = Auto(labels=["0", "1"])
    model.fit(df)
    drift = model.selection_["isolated_drift"]
    assert model.selection_["method"] == "dawid_skene"
    assert model.selection_["rule"] == "heldout_annotations"
    # Dawid-Skene does drift alone here, but 100 labels per annotator measure its matrices.
    assert drift["excess"] > MAX_ISOLATED_DRIFT
    assert not drift["thin_confusions"]
    assert not drift["fell_back"]
    mv = accuracy(MajorityVote(labels=["0", "1"]).fit_predict(df), truth)
    assert accuracy(model.labels_, truth) > mv + 0.05


DATA = SHARED / "data/real"


def load(name: str) -> tuple[pd.DataFrame, pd.Series]:
    answers = pd.read_csv(DATA / name / "answer.csv", dtype=str).iloc[:, :3]
    answers.columns = ["item_id", "annotator_id", "label"]
    answers = answers.drop_duplicates(["item_id", "annotator_id"])
    truth = pd.read_csv(DATA / name / "truth.csv", dtype=str)
    return answers, truth.set_index(truth.columns[0])[truth.columns[1]]


@pytest.mark.shared
@pytest.mark.skipif(not DATA.is_dir(), reason="../shared is absent")
def test_real_sparse_crowd_no_longer_collapses() -> None:
    """vcrowd_CF: 461 workers, median 2 labels each. Maximum-likelihood Dawid-Skene gives 0.777
    against majority vote's 0.900; the smoothed default 0.890; auto keeps majority vote."""
    answers, truth = load("vcrowd_CF")
    labels = sorted(set(answers["label"]) | set(truth))
    common = truth.index
    scores = {
        name: (make(name, labels, params).fit_predict(answers)[common] == truth).mean()
        for name, params in [
            ("majority_vote", {}),
            ("dawid_skene", {}),
            ("auto", {}),
        ]
    }
    plain = make("dawid_skene", labels, {"alpha_prior": 0.0}).fit_predict(answers)[common] == truth
    assert plain.mean() < 0.8
    assert scores["dawid_skene"] >= 0.885
    assert scores["auto"] >= scores["majority_vote"] - 0.005


@pytest.mark.shared
@pytest.mark.skipif(not DATA.is_dir(), reason="../shared is absent")
def test_real_biased_crowd_auto_keeps_dawid_skene() -> None:
    """d_Duck_Identification (39 workers, 108 labels each, biased): Dawid-Skene 0.898 against
    majority vote's 0.759; one-coin and GLAD label-switch (0.58) and must not be chosen."""
    answers, truth = load("d_Duck_Identification")
    labels = sorted(set(answers["label"]) | set(truth))
    model = make("auto", labels, {}).fit(answers)
    assert model.selection_["method"] == "dawid_skene"
    assert (model.labels_[truth.index] == truth).mean() >= 0.89
    # GLAD with uniform class priors (its default, as crowd-kit) does not drift: 0.722.
    glad = make("glad", labels, {}).fit_predict(answers)
    assert (glad[truth.index] == truth).mean() >= 0.72
