"""Calibration: PAV against scikit-learn, cross-fitting out of sample, ECE by hand, the one-coin
model from agreement, and the issue's bar on simulated crowd data."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.isotonic import IsotonicRegression, isotonic_regression

from labelgate.analysis import calibration as cal


@pytest.mark.parametrize("seed", range(6))
def test_pav_and_isotonic_fit_match_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 200
    # Ties in x (as vote shares have), and both 0/1 and continuous targets.
    x = rng.integers(0, 25, n) / 24 if seed % 2 else rng.random(n)
    y = (rng.random(n) < x).astype(float) if seed < 3 else x + rng.normal(0, 0.3, n)
    w = rng.uniform(0.1, 3.0, n)
    ordered = np.sort(rng.random(n)) + rng.normal(0, 0.2, n)
    assert np.max(np.abs(cal.pav(ordered) - isotonic_regression(ordered))) < 1e-12
    assert (
        np.max(np.abs(cal.pav(ordered, w) - isotonic_regression(ordered, sample_weight=w))) < 1e-12
    )
    grid = np.concatenate([x, np.linspace(-0.2, 1.2, 301)])
    for weights in (None, w):
        ours = cal.isotonic_fit(x, y, weights).predict(grid)
        peer = IsotonicRegression(out_of_bounds="clip").fit(x, y, sample_weight=weights)
        assert np.max(np.abs(ours - peer.predict(grid))) < 1e-12


def test_pav_edge_cases() -> None:
    assert cal.pav(np.zeros(0)).shape == (0,)
    assert cal.pav(np.array([3.0, 1.0, 2.0])).tolist() == pytest.approx([2.0, 2.0, 2.0])
    assert np.isnan(cal.isotonic_fit(np.zeros(0), np.zeros(0)).predict(np.array([0.5]))).all()


def test_smoothed_fit_never_claims_certainty() -> None:
    x = np.array([0.5, 0.6, 0.9, 0.9, 0.95, 1.0])
    fit = cal.smoothed_isotonic_fit(x, np.array([0, 1, 1, 1, 1, 1]))
    # Blocks: {0.5} 0/1 -> 1/3; {0.6..1.0} 5/5 -> 6/7.
    assert fit.predict(np.array([0.5, 1.0])).tolist() == pytest.approx([1 / 3, 6 / 7])
    assert np.all(np.diff(fit.y) >= 0)


def test_cross_fitting_never_scores_a_gold_item_with_its_own_label() -> None:
    rng = np.random.default_rng(3)
    n = 40
    confidence = np.linspace(0.5, 0.99, n)
    gold = np.ones(n, dtype=bool)
    gold[::4] = False  # some items without gold
    correct = (rng.random(n) < confidence) & gold
    base = cal.crossfit_isotonic(confidence, gold, correct, seed=7)
    where = np.flatnonzero(gold)
    folds = cal.fold_of(len(where), cal.N_FOLDS, 7)
    changed_in_sample = 0
    for position, item in enumerate(where):
        flipped = correct.copy()
        flipped[item] = not flipped[item]
        again = cal.crossfit_isotonic(confidence, gold, flipped, seed=7)
        # Its own score, and those of its fold, never move with its label...
        same_fold = where[folds == folds[position]]
        assert again[same_fold] == pytest.approx(base[same_fold], abs=0)
        # ...while an in-sample fit would have moved (for most items).
        in_sample = cal.smoothed_isotonic_fit(confidence[gold], correct[gold])
        flipped_fit = cal.smoothed_isotonic_fit(confidence[gold], flipped[gold])
        at = confidence[item : item + 1]
        changed_in_sample += int(in_sample.predict(at)[0] != flipped_fit.predict(at)[0])
    assert changed_in_sample == len(where)
    # Items without gold use the fit on all gold.
    everything = cal.smoothed_isotonic_fit(confidence[gold], correct[gold])
    assert base[~gold] == pytest.approx(everything.predict(confidence[~gold]))


def test_folds_are_seeded_and_balanced() -> None:
    folds = cal.fold_of(23, 5, 1)
    assert np.bincount(folds).tolist() == [5, 5, 5, 4, 4]
    assert folds.tolist() == cal.fold_of(23, 5, 1).tolist()
    assert folds.tolist() != cal.fold_of(23, 5, 2).tolist()


CONF = np.array([0.15, 0.25, 0.85, 0.95, 0.92, 1.0])
CORRECT = np.array([0, 1, 1, 1, 0, 1], dtype=bool)


def test_ece_and_reliability_table_by_hand() -> None:
    # 10 bins: [0.1,0.2) 0.15 wrong: |0 - 0.15|; [0.2,0.3) 0.25 right: 0.75; [0.8,0.9) 0.85
    # right: 0.15; [0.9,1.0] 0.95, 0.92, 1.0 with 2 of 3 right: |2/3 - 2.87/3| = 0.29.
    expected = (0.15 + 0.75 + 0.15 + 3 * (2.87 / 3 - 2 / 3)) / 6
    assert cal.expected_calibration_error(CONF, CORRECT) == pytest.approx(expected)
    table = cal.reliability_table(CONF, CORRECT).set_index("bin")
    assert table["n"].tolist() == [0, 1, 1, 0, 0, 0, 0, 0, 1, 3]
    assert table["mean_confidence"].iloc[9] == pytest.approx(2.87 / 3)
    assert table["accuracy"].iloc[9] == pytest.approx(2 / 3)
    assert np.isnan(table["accuracy"].iloc[0])
    # 2 bins: [0, 0.5) mean 0.2, accuracy 1/2; [0.5, 1] mean 3.72/4, accuracy 3/4.
    two = (2 * abs(0.5 - 0.2) + 4 * abs(0.75 - 3.72 / 4)) / 6
    assert cal.expected_calibration_error(CONF, CORRECT, bins=2) == pytest.approx(two)
    assert np.isnan(cal.expected_calibration_error(np.zeros(0), np.zeros(0, bool)))


def test_resolve() -> None:
    assert cal.resolve("auto", cal.MIN_GOLD_AUTO - 1) == "agreement_one_coin"
    assert cal.resolve("auto", cal.MIN_GOLD_AUTO) == "gold_isotonic_crossfit"
    assert cal.resolve("gold", cal.MIN_GOLD) == "gold_isotonic_crossfit"
    assert cal.resolve("agreement", 1000) == "agreement_one_coin"
    assert cal.resolve("none", 1000) == "none"
    with pytest.raises(ValueError, match="needs at least 10 gold items"):
        cal.resolve("gold", 9)


def one_coin_crowd(
    seed: int, n: int = 4000, k: int = 3, n_annotators: int = 30, per_item: int = 4
) -> tuple[np.ndarray, ...]:
    """Votes under the one-coin model: annotator j is right with probability p_j, else picks
    one of the other labels uniformly."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(k, n, p=[0.5, 0.3, 0.2][:k] if k == 3 else None)
    accuracy = rng.uniform(0.55, 0.95, n_annotators)
    items = np.repeat(np.arange(n), per_item)
    annotators = np.concatenate(
        [rng.choice(n_annotators, per_item, replace=False) for _ in range(n)]
    )
    right = rng.random(len(items)) < accuracy[annotators]
    labels = np.where(right, truth[items], (truth[items] + rng.integers(1, k, len(items))) % k)
    return items, annotators, labels, truth, accuracy


def test_agreement_calibration_recovers_one_coin_accuracy() -> None:
    items, annotators, labels, truth, accuracy = one_coin_crowd(1)
    n, k, n_annotators = len(truth), 3, len(accuracy)
    estimated, shared = cal.one_coin_accuracy(items, annotators, labels, n_annotators, k)
    assert np.mean(np.abs(estimated - accuracy)) < 0.03
    assert np.max(np.abs(estimated - accuracy)) < 0.08
    assert (shared > 0).all()
    counts = np.zeros((n, k))
    np.add.at(counts, (items, labels), 1)
    chosen = counts.argmax(axis=1)  # majority vote, ties to the first label
    raw = counts.max(axis=1) / counts.sum(axis=1)
    correct = chosen == truth
    confidence, model = cal.agreement_confidence(
        items, annotators, labels, chosen, n, n_annotators, k
    )
    assert model.priors == pytest.approx([0.5, 0.3, 0.2], abs=0.03)
    assert cal.expected_calibration_error(raw, correct) > 0.1  # vote shares understate
    assert cal.expected_calibration_error(confidence, correct) < 0.02


def test_one_coin_without_pairs_or_votes() -> None:
    one = np.array([0])
    accuracy, shared = cal.one_coin_accuracy(one, one, one, 1, 2)
    assert shared.tolist() == [0.0]
    assert 0.5 < accuracy[0] < 1
    empty = np.zeros(0, dtype=np.int64)
    confidence, _ = cal.agreement_confidence(empty, empty, empty, empty, 0, 0, 2)
    assert confidence.shape == (0,)


def test_calibrate_summary_and_determinism() -> None:
    items, annotators, labels, truth, accuracy = one_coin_crowd(2, n=600)
    counts = np.zeros((len(truth), 3))
    np.add.at(counts, (items, labels), 1)
    chosen = counts.argmax(axis=1)
    raw = counts.max(axis=1) / counts.sum(axis=1)
    votes = (items, annotators, labels, chosen, len(accuracy), 3)
    gold = np.zeros(len(truth), dtype=bool)
    gold[:60] = True
    correct = (chosen == truth) & gold
    result = cal.calibrate("auto", raw, gold, correct, votes, seed=0)
    assert result.method == "gold_isotonic_crossfit"
    assert result.summary["n_gold"] == 60
    assert result.summary["n_folds"] == 5
    assert result.summary["ece_after"] < result.summary["ece_before"]
    assert sum(row["n"] for row in result.summary["reliability"]) == 60
    again = cal.calibrate("auto", raw, gold, correct, votes, seed=0)
    assert again.confidence.tobytes() == result.confidence.tobytes()
    assert again.summary == result.summary
    few = cal.calibrate("auto", raw, gold & (np.arange(len(truth)) < 10), correct, votes)
    assert few.method == "agreement_one_coin"
    none = cal.calibrate("none", raw, np.zeros(len(truth), bool), correct, votes)
    assert none.method == "none"
    assert none.summary["ece_before"] is None
    assert none.confidence.tolist() == raw.tolist()


def crowd(seed: int, n: int = 20000, k: int = 4, n_annotators: int = 80) -> pd.DataFrame:
    """Crowd data that breaks the one-coin model: a fifth of the items are hard (accuracy x
    0.6), errors go mostly to a confusable neighbour label; 3 to 5 annotators per item."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n)
    skill = rng.uniform(0.6, 0.95, n_annotators)
    hard = rng.random(n) < 0.2
    per = rng.integers(3, 6, n)
    items = np.repeat(np.arange(n), per)
    annotators = np.concatenate([rng.choice(n_annotators, m, replace=False) for m in per])
    right = rng.random(len(items)) < skill[annotators] * np.where(hard[items], 0.6, 1.0)
    neighbour = (truth[items] + 1) % k
    other = np.where(rng.random(len(items)) < 0.6, neighbour, rng.integers(0, k, len(items)))
    return pd.DataFrame(
        {
            "item": items,
            "annotator": annotators,
            "label": np.where(right, truth[items], other),
            "truth": truth[items],
        }
    )


def test_issue_bar_on_simulated_crowd_data_with_ten_percent_gold() -> None:
    """Issue 23: with 10% gold, calibrated ECE <= 0.05, and a 2% target keeps the realised
    error among accepted labels near 2% (majority vote; benchmarks/bench_calibration.py runs
    Dawid-Skene and MACE as well)."""
    from labelgate.analysis.routing import route

    start = time.perf_counter()
    for seed in (0, 1):
        votes = crowd(seed)
        n, k = int(votes["item"].max()) + 1, 4
        counts = np.zeros((n, k))
        np.add.at(counts, (votes["item"].to_numpy(), votes["label"].to_numpy()), 1)
        chosen = counts.argmax(axis=1)
        raw = counts.max(axis=1) / counts.sum(axis=1)
        truth = votes.groupby("item")["truth"].first().to_numpy()
        correct = chosen == truth
        gold = np.random.default_rng(seed + 100).random(n) < 0.1
        codes = (
            votes["item"].to_numpy(),
            votes["annotator"].to_numpy(),
            votes["label"].to_numpy(),
            chosen,
            80,
            k,
        )
        result = cal.calibrate("auto", raw, gold, correct & gold, codes, seed=0)
        assert result.method == "gold_isotonic_crossfit"
        assert cal.expected_calibration_error(raw, correct) > 0.09
        assert cal.expected_calibration_error(result.confidence, correct) <= 0.05
        assert result.summary["ece_after"] <= 0.05
        everything = np.ones(n, dtype=bool)
        routing = route(result.confidence, everything, everything, 0.02)
        assert routing.reachable
        assert routing.expected_error is not None
        assert routing.expected_error <= 0.02
        realised = 1 - correct[~routing.routed].mean()
        assert abs(realised - 0.02) < 0.0075
    assert time.perf_counter() - start < 5


def test_auto_without_gold_calibrates_vote_shares_by_agreement_and_keeps_model_posteriors() -> None:
    from labelgate.analysis.calibration import MIN_GOLD_AUTO, resolve

    assert resolve("auto", 0) == "agreement_one_coin"
    assert resolve("auto", 0, vote_share=False) == "none"  # Dawid-Skene, MACE: no worse
    assert resolve("auto", MIN_GOLD_AUTO, vote_share=False) == "gold_isotonic_crossfit"
    assert resolve("agreement", 0, vote_share=False) == "agreement_one_coin"
