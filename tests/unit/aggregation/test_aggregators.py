"""Aggregators: the estimator contract, ties, Dawid-Skene EM, gold, weights, ordinal median."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelgate.aggregation.catalog import make
from labelgate.aggregation.dawid_skene import DawidSkene
from labelgate.aggregation.mace import Mace
from labelgate.aggregation.majority_vote import MajorityVote, WeightedMajorityVote
from labelgate.aggregation.ordinal import OrdinalMedian
from labelgate.aggregation.registry import AGGREGATORS
from labelgate.config.catalogue import AGGREGATORS as DOCUMENTED
from labelgate.errors import ConfigError


def frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])


def synthetic(
    seed: int = 0, n_items: int = 2000, k: int = 3
) -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    """Five annotators with planted confusion matrices; annotator 4 always says label 0."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n_items)
    errors = np.stack(
        [
            np.full((k, k), (1 - acc) / (k - 1)) + np.eye(k) * (acc - (1 - acc) / (k - 1))
            for acc in (0.9, 0.8, 0.7, 0.6)
        ]
        + [np.tile(np.eye(k)[0], (k, 1))]
    )
    rows = []
    for i in range(n_items):
        for a in rng.choice(5, 3, replace=False):
            rows.append((f"i{i}", f"a{a}", str(rng.choice(k, p=errors[a, truth[i]]))))
    return (
        frame(rows),
        pd.Series(truth.astype(str), index=[f"i{i}" for i in range(n_items)]),
        errors,
    )


def test_every_registered_method_is_documented_and_vice_versa() -> None:
    assert sorted(AGGREGATORS) == sorted(DOCUMENTED)


def test_contract_shapes_and_probabilities() -> None:
    df, _, _ = synthetic(n_items=200)
    for name in AGGREGATORS:
        model = make(name, ["0", "1", "2"], {})
        labels = model.fit_predict(df)
        assert labels.index.equals(model.probas_.index)
        assert list(model.probas_.columns) == ["0", "1", "2"]
        assert np.allclose(model.probas_.sum(axis=1), 1.0)
        assert set(labels) <= {"0", "1", "2"}


def test_unknown_parameter_gets_did_you_mean() -> None:
    with pytest.raises(
        ConfigError,
        match=r"aggregate.params.tol_: 'dawid_skene' has no parameter 'tol_'. Did you mean 'tol'\?",
    ):
        make("dawid_skene", ["a"], {"tol_": 1e-3}, "pipelines/p.yaml")
    with pytest.raises(
        ConfigError, match=r"unknown aggregator 'dawid_skeen'. Did you mean 'dawid_skene'\?"
    ):
        make("dawid_skeen", ["a"], {})


def test_dawid_skene_recovers_planted_confusions_and_beats_majority_vote() -> None:
    df, truth, errors = synthetic()
    ds = DawidSkene(labels=["0", "1", "2"]).fit(df)
    mv = MajorityVote(labels=["0", "1", "2"]).fit(df)
    ds_acc = (ds.labels_ == truth[ds.labels_.index]).mean()
    mv_acc = (mv.labels_ == truth[mv.labels_.index]).mean()
    assert ds_acc > mv_acc + 0.02
    assert ds.converged_
    order = [int(a[1:]) for a in ds.codes_.annotator_ids]
    assert np.abs(ds.errors_ - errors[order]).max() < 0.1  # 2,000 items: sampling noise
    history = np.array(ds.loss_history_)
    assert (np.diff(history) <= 1e-9).all()  # EM never increases the loss


def test_dawid_skene_clamps_gold_and_starts_from_given_confusions() -> None:
    df, truth, errors = synthetic(n_items=300)
    gold = truth.iloc[:50]
    flipped = gold.map({"0": "1", "1": "2", "2": "0"})
    clamped = DawidSkene(labels=["0", "1", "2"], clamp_gold=True).fit(df, flipped)
    assert (clamped.labels_[flipped.index] == flipped).all()
    free = DawidSkene(labels=["0", "1", "2"]).fit(df, flipped)
    assert free.labels_.equals(
        DawidSkene(labels=["0", "1", "2"]).fit(df).labels_
    )  # unclamped: gold unused
    order = [int(a[1:]) for a in free.codes_.annotator_ids]
    started = DawidSkene(labels=["0", "1", "2"], initial_errors=errors[order]).fit(df)
    assert started.converged_
    # From the true confusions EM reaches the same optimum as from majority vote.
    assert (started.labels_ == free.labels_).mean() > 0.98


def test_mace_finds_the_spammer() -> None:
    df, truth, _ = synthetic()
    mace = Mace(labels=["0", "1", "2"]).fit(df)
    competence = dict(zip(mace.codes_.annotator_ids, mace.competence_, strict=True))
    assert competence["a4"] < 0.1 < 0.5 < competence["a0"]  # a4 always answers "0"
    assert mace.spam_[list(mace.codes_.annotator_ids).index("a4"), 0] > 0.95
    mv = MajorityVote().fit_predict(df)
    assert (mace.labels_ == truth[mace.labels_.index]).mean() > (mv == truth[mv.index]).mean()


def test_non_convergence_is_reported_not_hidden() -> None:
    df, _, _ = synthetic(n_items=300)
    ds = DawidSkene(labels=["0", "1", "2"], max_iter=2, tol=0.0).fit(df)
    assert not ds.converged_
    assert len(ds.loss_history_) == 2


def test_single_annotations_and_single_label_annotators() -> None:
    df = frame([("i1", "w1", "a"), ("i2", "w1", "a"), ("i2", "w2", "b"), ("i3", "w2", "b")])
    for name in ("majority_vote", "weighted_majority_vote", "ordinal_median"):
        labels = make(name, ["a", "b"], {}).fit_predict(df)
        assert (labels["i1"], labels["i3"]) == ("a", "b"), name
    # To maximum-likelihood Dawid-Skene an annotator who only ever gives one label says
    # nothing about the truth: every item here rests on such annotators, so posteriors stay
    # at the prior.
    ds = make("dawid_skene", ["a", "b"], {"alpha_prior": 0.0}).fit(df)
    assert ds.converged_
    assert ds.probas_.loc["i3"].tolist() == pytest.approx(ds.probas_.loc["i1"].tolist())
    # With the default prior they look like the crowd until their labels say otherwise: their
    # labels count, as in majority vote.
    smoothed = make("dawid_skene", ["a", "b"], {}).fit(df)
    assert smoothed.converged_
    assert (smoothed.labels_["i1"], smoothed.labels_["i3"]) == ("a", "b")


def test_weighted_vote_trusts_annotators_who_are_right_on_gold() -> None:
    rows = [
        ("g1", "good", "x"),
        ("g1", "bad1", "y"),
        ("g1", "bad2", "y"),
        ("g2", "good", "y"),
        ("g2", "bad1", "x"),
        ("g2", "bad2", "x"),
    ]
    rows += [("q", "good", "x"), ("q", "bad1", "y"), ("q", "bad2", "y")]
    gold = pd.Series({"g1": "x", "g2": "y"})
    assert MajorityVote(labels=["x", "y"]).fit_predict(frame(rows))["q"] == "y"
    assert WeightedMajorityVote(labels=["x", "y"]).fit_predict(frame(rows), gold)["q"] == "x"


def test_ordinal_median_respects_order() -> None:
    rows = [
        ("i1", "a", "0"),
        ("i1", "b", "0"),
        ("i1", "c", "4"),
        ("i2", "a", "1"),
        ("i2", "b", "2"),
        ("i2", "c", "3"),
        ("i2", "d", "4"),
        ("i3", "a", "3"),
        ("i3", "b", "4"),
        ("i3", "c", "0"),
    ]
    model = OrdinalMedian(labels=["0", "1", "2", "3", "4"]).fit(frame(rows))
    assert model.labels_.to_dict() == {"i1": "0", "i2": "2", "i3": "3"}
    # Majority vote would say 0 for i3 (a tie broken by schema order): the median keeps the scale.
    assert model.probas_.loc["i3", "3"] == pytest.approx(1 / 3)
