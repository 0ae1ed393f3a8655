"""The agreement engine: pairs equal scikit-learn, invariances, and the pattern bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from labelgate.metrics.agreement.krippendorff import krippendorff_alpha
from labelgate.metrics.agreement.pairwise import cohen_kappas, pair_tables, within_item_pairs
from labelgate.metrics.agreement.patterns import compress
from labelgate.metrics.agreement.report import ALL, Options, agreement_report, point_coefficients
from labelgate.metrics.agreement.weights import weight_matrix
from labelgate.metrics.counts import item_value_counts


def random_annotations(
    seed: int, n_items: int = 300, n_annotators: int = 8, k: int = 4, per_item: int = 3
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n_items)
    items = np.repeat(np.arange(n_items), per_item)
    annotators = np.concatenate(
        [rng.choice(n_annotators, per_item, replace=False) for _ in range(n_items)]
    )
    noise = rng.random(len(items)) < 0.35
    labels = np.where(noise, rng.integers(0, k, len(items)), truth[items])
    return items, annotators, labels


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
@pytest.mark.parametrize("seed", range(4))
def test_every_pair_equals_scikit_learn(seed: int, weights: str | None) -> None:
    items, annotators, labels = random_annotations(seed)
    tables = pair_tables(items, annotators, labels, 4)
    ours = cohen_kappas(tables.tables, weight_matrix(weights or "identity", np.arange(4.0)))
    for p in range(len(tables.a)):
        a, b = tables.a[p], tables.b[p]
        shared = np.intersect1d(items[annotators == a], items[annotators == b])
        ya = [labels[(items == i) & (annotators == a)][0] for i in shared]
        yb = [labels[(items == i) & (annotators == b)][0] for i in shared]
        expected = cohen_kappa_score(ya, yb, labels=list(range(4)), weights=weights)
        assert ours[p] == pytest.approx(expected, abs=1e-9, nan_ok=True)


def test_within_item_pairs_cover_every_pair_once() -> None:
    items = np.array([5, 5, 5, 5, 7, 7, 9])
    annotators = np.array([3, 1, 2, 0, 4, 1, 2])
    left, right = within_item_pairs(items, annotators)
    pairs = sorted(
        zip(
            annotators[left].tolist(), annotators[right].tolist(), items[left].tolist(), strict=True
        )
    )
    assert pairs == [(0, 1, 5), (0, 2, 5), (0, 3, 5), (1, 2, 5), (1, 3, 5), (1, 4, 7), (2, 3, 5)]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_relabelling_categories_changes_no_nominal_coefficient(seed: int) -> None:
    items, annotators, labels = random_annotations(seed, n_items=60)
    perm = np.random.default_rng(seed).permutation(4)
    options = Options(min_pair_items=1)
    a = agreement_report(items, annotators, labels, 4, np.arange(4.0), options)
    b = agreement_report(items, annotators, perm[labels], 4, np.arange(4.0), options)
    for name in ALL:
        assert a.coefficients[name][0] == pytest.approx(b.coefficients[name][0], nan_ok=True)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["identity", "quadratic"]))
def test_permuting_items_and_annotators_changes_nothing(seed: int, weights: str) -> None:
    items, annotators, labels = random_annotations(seed, n_items=60)
    rng = np.random.default_rng(seed)
    item_perm, annotator_perm, order = (
        rng.permutation(60),
        rng.permutation(8),
        rng.permutation(len(items)),
    )
    options = Options(level="ordinal", weights=weights, min_pair_items=1)
    a = agreement_report(items, annotators, labels, 4, np.arange(4.0), options)
    b = agreement_report(
        item_perm[items][order],
        annotator_perm[annotators][order],
        labels[order],
        4,
        np.arange(4.0),
        options,
    )
    for name in ALL:
        assert a.coefficients[name][0] == pytest.approx(b.coefficients[name][0], nan_ok=True)


def test_perfect_agreement_gives_one_everywhere() -> None:
    items = np.repeat(np.arange(40), 3)
    annotators = np.tile([0, 1, 2], 40)
    labels = np.repeat(np.arange(40) % 4, 3)
    report = agreement_report(
        items, annotators, labels, 4, np.arange(4.0), Options(min_pair_items=1)
    )
    for name in ALL:
        assert report.coefficients[name][0] == pytest.approx(1.0)


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    items, annotators, labels = random_annotations(1, n_items=400)
    options = Options(resamples=300, seed=11)
    first = agreement_report(items, annotators, labels, 4, np.arange(4.0), options)
    again = agreement_report(items, annotators, labels, 4, np.arange(4.0), options)
    other = agreement_report(
        items, annotators, labels, 4, np.arange(4.0), Options(resamples=300, seed=12)
    )
    assert first.coefficients == again.coefficients
    assert first.coefficients["krippendorff_alpha"] != other.coefficients["krippendorff_alpha"]
    for name in (
        "krippendorff_alpha",
        "fleiss_kappa",
        "gwet_ac1",
        "brennan_prediger",
        "percent_agreement",
    ):
        value, low, high = first.coefficients[name]
        assert low is not None
        assert high is not None
        assert low < value < high
    assert first.coefficients["mean_pairwise_cohen_kappa"][1] is None


def test_pattern_bootstrap_matches_a_naive_item_bootstrap() -> None:
    """Multinomial draws over count patterns are item resampling; compare with the slow way."""
    items, annotators, labels = random_annotations(3, n_items=500)
    counts = item_value_counts(items, labels, 500, 4)
    options = Options(resamples=2000, seed=5, interval="percentile")
    fast = agreement_report(items, annotators, labels, 4, np.arange(4.0), options).coefficients[
        "krippendorff_alpha"
    ]
    rng = np.random.default_rng(99)
    naive = [
        krippendorff_alpha(counts[rng.integers(0, 500, 500)], "nominal", np.arange(4.0))
        for _ in range(2000)
    ]
    low, high = np.percentile(naive, [2.5, 97.5])
    assert fast[1] == pytest.approx(low, abs=0.01)
    assert fast[2] == pytest.approx(high, abs=0.01)


def test_patterns_are_few_and_exact() -> None:
    items, _, labels = random_annotations(0, n_items=5000)
    counts = item_value_counts(items, labels, 5000, 4)
    patterns = compress(counts)
    assert len(patterns.freq) <= 20  # multisets of 3 labels out of 4
    assert patterns.n_items == 5000
    values = np.arange(4.0)
    direct = krippendorff_alpha(counts, "nominal", values)
    assert point_coefficients(counts, Options(), values)["krippendorff_alpha"] == pytest.approx(
        direct, abs=1e-12
    )
