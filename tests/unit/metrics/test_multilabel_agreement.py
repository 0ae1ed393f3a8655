"""Multi-label agreement: set alpha against nltk and a naive pairwise reference, worked examples,
invariances, edge cases and two real multi-label datasets."""

from __future__ import annotations

import importlib
import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest

from labelgate.metrics.agreement import multilabel as ml
from labelgate.metrics.agreement.multilabel import (
    exact_match_rate,
    jaccard_alpha,
    masi_alpha,
    pair_distances,
    per_label_alpha,
    set_codes,
)
from tests.conftest import SHARED

REAL = SHARED / "data/real"
Distance = Callable[[frozenset[int], frozenset[int]], float]


# --- independent references, written from the definitions --------------------------------------


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    union = len(a | b)
    return 0.0 if union == 0 else 1.0 - len(a & b) / union


def masi(a: frozenset[int], b: frozenset[int]) -> float:
    """Passonneau (2006): 1 - J * M, M = 1 equal, 2/3 subset, 1/3 overlap, 0 disjoint."""
    union = len(a | b)
    if union == 0:
        return 0.0
    inter = len(a & b)
    if a == b:
        m = 1.0
    elif a <= b or b <= a:
        m = 2 / 3
    elif inter:
        m = 1 / 3
    else:
        m = 0.0
    return 1.0 - inter / union * m


def dkpro_set(a: frozenset[int], b: frozenset[int]) -> float:
    """DKPro Statistics' SetAnnotationDistanceFunction (Passonneau 2004): 0, 1/3, 2/3, 1."""
    if a == b:
        return 0.0
    if a <= b or b <= a:
        return 1 / 3
    return 2 / 3 if a & b else 1.0


def dkpro_masi(a: frozenset[int], b: frozenset[int]) -> float:
    """DKPro's MASISetAnnotationDistanceFunction: (1 - J) times the set distance above."""
    union = len(a | b)
    return (1.0 if union == 0 else 1.0 - len(a & b) / union) * dkpro_set(a, b)


def naive_alpha(rows: Sequence[tuple[int, int, frozenset[int]]], distance: Distance) -> float:
    """Krippendorff's alpha by pairs: Do over within-item ordered pairs weighted 1/(m_u - 1),
    De over all ordered pairs of pairable values (via value counts, as the pooled pairs)."""
    by_item: dict[int, list[frozenset[int]]] = {}
    for item, _, labels in rows:
        by_item.setdefault(item, []).append(labels)
    pooled: Counter[frozenset[int]] = Counter()
    observed = 0.0
    for values in by_item.values():
        m = len(values)
        if m < 2:
            continue
        pooled.update(values)
        observed += sum(
            distance(a, b) for i, a in enumerate(values) for j, b in enumerate(values) if i != j
        ) / (m - 1)
    n = sum(pooled.values())
    expected = sum(na * nb * distance(a, b) for a, na in pooled.items() for b, nb in pooled.items())
    return 1.0 - (n - 1) * observed / expected


def naive_exact(rows: Sequence[tuple[int, int, frozenset[int]]]) -> float:
    by_item: dict[int, list[frozenset[int]]] = {}
    for item, _, labels in rows:
        by_item.setdefault(item, []).append(labels)
    same = total = 0
    for values in by_item.values():
        for i in range(len(values)):
            for j in range(i + 1, len(values)):
                total += 1
                same += values[i] == values[j]
    return same / total


def to_rows(
    items: np.ndarray, annotators: np.ndarray, present: np.ndarray
) -> list[tuple[int, int, frozenset[int]]]:
    return [
        (int(i), int(a), frozenset(np.flatnonzero(p).tolist()))
        for i, a, p in zip(items, annotators, present, strict=True)
    ]


def from_sets(sets: Sequence[Sequence[Sequence[str]]], labels: str) -> tuple[np.ndarray, ...]:
    """Items given as lists of label sets (one per annotator) to codes and an indicator matrix."""
    items, annotators, present = [], [], []
    for item, answers in enumerate(sets):
        for annotator, answer in enumerate(answers):
            items.append(item)
            annotators.append(annotator)
            present.append([label in answer for label in labels])
    return (
        np.array(items),
        np.array(annotators),
        np.array(present, dtype=bool).reshape(-1, len(labels)),
    )


def random_data(
    seed: int, n_items: int = 60, n_annotators: int = 7, n_labels: int = 6, flip: float = 0.2
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Items with 1..n_annotators annotations; each answer is a noisy copy of a true set,
    so empty sets, singletons and items with one annotation all occur."""
    rng = np.random.default_rng(seed)
    items, annotators, present = [], [], []
    for item in range(n_items):
        truth = rng.random(n_labels) < 0.25
        for annotator in rng.choice(n_annotators, rng.integers(1, n_annotators + 1), replace=False):
            items.append(item)
            annotators.append(int(annotator))
            present.append(truth ^ (rng.random(n_labels) < flip))
    return np.array(items), np.array(annotators), np.array(present)


# --- distances ------------------------------------------------------------------------------------


def test_distances_match_nltk_doctest_values() -> None:
    # nltk metrics.doctest: jaccard({1,2,3,4}, {3,4,5}) = 0.6, masi = 0.8666...;
    # masi_distance docstring: masi({1,2}, {1,2,3,4}) = 0.666... (Passonneau 2006: subset).
    sets = np.array(
        [[1, 1, 1, 1, 0], [0, 0, 1, 1, 1], [1, 1, 0, 0, 0], [0, 0, 0, 0, 0]], dtype=bool
    )
    a, b = np.array([0, 2, 3, 3, 0]), np.array([1, 0, 3, 0, 0])
    np.testing.assert_allclose(pair_distances(sets, a[:1], b[:1], "jaccard"), [0.6])
    masi_values = pair_distances(sets, a, b, "masi")
    # equal -> 0; empty vs empty -> 0 (nltk divides by zero); empty vs {..} -> 1.
    np.testing.assert_allclose(masi_values, [0.8666666666666667, 0.6666666666666667, 0, 1, 0])


def test_distances_equal_reference_on_all_pairs_of_small_sets() -> None:
    sets = np.array([[(k >> bit) & 1 for bit in range(4)] for k in range(16)], dtype=bool)
    a, b = np.divmod(np.arange(256), 16)
    frozen = [frozenset(np.flatnonzero(s).tolist()) for s in sets]
    metrics: tuple[tuple[ml.SetMetric, Distance], ...] = (("masi", masi), ("jaccard", jaccard))
    for metric, reference in metrics:
        ours = pair_distances(sets, a, b, metric)
        expected = np.array([reference(frozen[i], frozen[j]) for i, j in zip(a, b, strict=True)])
        np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-15)
        whole = ml.set_distance_matrix(sets, metric).ravel()
        np.testing.assert_allclose(whole, expected, rtol=0, atol=1e-15)


# --- worked examples ----------------------------------------------------------------------------


def test_hand_computed_example() -> None:
    # Item 1: {a} vs {a,b}; item 2: {b} vs {b}. n = 4 pairable values: {a}:1, {a,b}:1, {b}:2.
    # Jaccard: d({a},{a,b}) = 1/2, d({a},{b}) = 1, d({a,b},{b}) = 1/2.
    #   sum o*d = 2 * 1/2 = 1 -> Do = 1/4; sum n_c n_k d = 2 (1/2 + 2 + 1) = 7 -> De = 7/12;
    #   alpha = 1 - (4 - 1) * 1 / 7 = 4/7.
    # MASI: d({a},{a,b}) = 1 - 1/2 * 2/3 = 2/3, d({a},{b}) = 1, d({a,b},{b}) = 2/3.
    #   sum o*d = 4/3; sum n_c n_k d = 2 (2/3 + 2 + 4/3) = 8; alpha = 1 - 3 (4/3) / 8 = 1/2.
    # Exact match: 1 identical pair of 2.
    items, annotators, present = from_sets([["a", "ab"], ["b", "b"]], "ab")
    assert jaccard_alpha(items, annotators, present).value == pytest.approx(4 / 7, abs=1e-12)
    assert masi_alpha(items, annotators, present).value == pytest.approx(1 / 2, abs=1e-12)
    assert exact_match_rate(items, annotators, present).value == pytest.approx(1 / 2)


# DKPro Statistics, SetAnnotationsTest (Meyer et al. 2014; dkpro/dkpro-statistics): 2 raters x 9
# items. Published there: set distance alpha 0.186 (Do 0.333, De 0.409), DKPro-MASI alpha 0.252,
# percentage agreement 0.333. DKPro's "MASI" is (1 - J) * d_set, not Passonneau's 1 - J * M, so
# the naive reference reproduces those with DKPro's distances, and our MASI value is checked
# against the same reference with Passonneau's distance.
DKPRO = [["", ""], ["A", ""], ["A", "A"], ["A", "B"], ["AB", "A"], ["AB", "AC"], ["ABC", "ABC"],
         ["C", "AC"], ["C", "AC"]]  # fmt: skip


def test_dkpro_published_example() -> None:
    items, annotators, present = from_sets(DKPRO, "ABC")
    rows = to_rows(items, annotators, present)
    # DKPro asserts to +-0.001; its own values are 0.18617 and 0.25295 unrounded.
    assert naive_alpha(rows, dkpro_set) == pytest.approx(0.186, abs=1e-3)
    assert naive_alpha(rows, dkpro_masi) == pytest.approx(0.252, abs=1e-3)
    assert exact_match_rate(items, annotators, present).value == pytest.approx(0.333, abs=5e-4)
    assert masi_alpha(items, annotators, present).value == pytest.approx(
        naive_alpha(rows, masi), abs=1e-12
    )
    assert jaccard_alpha(items, annotators, present).value == pytest.approx(
        naive_alpha(rows, jaccard), abs=1e-12
    )


# --- equality with nltk and with the naive path -------------------------------------------------


def nltk_alpha(rows: Sequence[tuple[int, int, frozenset[int]]], distance: Distance) -> float:
    agreement = pytest.importorskip("nltk.metrics.agreement")
    # nltk's own masi_distance/jaccard_distance divide by zero on two empty sets: guard that.
    distances = importlib.import_module("nltk.metrics.distance")  # untyped: import as Any
    base = distances.masi_distance if distance is masi else distances.jaccard_distance

    def guarded(a: frozenset[int], b: frozenset[int]) -> float:
        return 0.0 if not a and not b else float(base(a, b))

    data = [(annotator, item, labels) for item, annotator, labels in rows]
    return float(agreement.AnnotationTask(data, distance=guarded).alpha())


@pytest.mark.parametrize("seed", range(8))
def test_equals_nltk_on_random_data(seed: int) -> None:
    items, annotators, present = random_data(seed)
    rows = to_rows(items, annotators, present)
    assert masi_alpha(items, annotators, present).value == pytest.approx(
        nltk_alpha(rows, masi), abs=1e-9
    )
    assert jaccard_alpha(items, annotators, present).value == pytest.approx(
        nltk_alpha(rows, jaccard), abs=1e-9
    )


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n_labels", [3, 70])
def test_set_code_path_equals_naive_path(
    seed: int, n_labels: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 70 labels exercises the packbits factorisation; small blocks and no dense matrix
    # exercise the blocked expected disagreement.
    items, annotators, present = random_data(seed, n_labels=n_labels, flip=0.05)
    rows = to_rows(items, annotators, present)
    for dense_limit, block in ((ml.DENSE_LIMIT, ml.BLOCK), (0, 7)):
        monkeypatch.setattr(ml, "DENSE_LIMIT", dense_limit)
        monkeypatch.setattr(ml, "BLOCK", block)
        assert masi_alpha(items, annotators, present).value == pytest.approx(
            naive_alpha(rows, masi), abs=1e-12
        )
        assert jaccard_alpha(items, annotators, present).value == pytest.approx(
            naive_alpha(rows, jaccard), abs=1e-12
        )
    assert exact_match_rate(items, annotators, present).value == pytest.approx(naive_exact(rows))


def test_set_codes_round_trip() -> None:
    for n_labels in (5, 64, 100):
        present = np.random.default_rng(n_labels).random((300, n_labels)) < 0.02
        codes = set_codes(present)
        np.testing.assert_array_equal(codes.sets[codes.codes], present)
        assert len(np.unique(codes.sets, axis=0)) == len(codes.sets)


# --- invariances and edge cases -----------------------------------------------------------------


def test_invariances() -> None:
    items, annotators, present = random_data(3, n_labels=8)
    rng = np.random.default_rng(0)
    base = [
        f(items, annotators, present).value for f in (masi_alpha, jaccard_alpha, exact_match_rate)
    ]
    per_label = per_label_alpha(items, annotators, present).value
    labels = rng.permutation(present.shape[1])
    relabel = rng.permutation(annotators.max() + 1)
    item_map = rng.permutation(items.max() + 1)
    order = rng.permutation(len(items))
    variants = [
        (items, annotators, present[:, labels]),  # label permutation
        (items, relabel[annotators], present),  # annotator relabelling
        (item_map[items], annotators, present),  # item relabelling
        (items[order], annotators[order], present[order]),  # row order
    ]
    for index, (i, a, p) in enumerate(variants):
        got = [f(i, a, p).value for f in (masi_alpha, jaccard_alpha, exact_match_rate)]
        np.testing.assert_allclose(got, base, rtol=0, atol=1e-12)
        expected = per_label[labels] if index == 0 else per_label
        np.testing.assert_allclose(per_label_alpha(i, a, p).value, expected, atol=1e-12)


def test_items_with_one_annotation_do_not_count() -> None:
    items, annotators, present = random_data(4)
    single = items.max() + 1 + np.arange(5)
    more_present = np.vstack([present, np.eye(5, present.shape[1], dtype=bool)])
    more_items, more_annotators = (
        np.concatenate([items, single]),
        np.concatenate([annotators, single * 0]),
    )
    for f in (masi_alpha, jaccard_alpha, exact_match_rate):
        before, after = f(items, annotators, present), f(more_items, more_annotators, more_present)
        assert after.value == pytest.approx(before.value, abs=1e-12)
        assert after.n_items == before.n_items + 5
        assert after.n_pairable_items == before.n_pairable_items


def test_empty_sets_and_degenerate_data() -> None:
    # All answers the empty set: one value, De = 0, alpha undefined (nltk returns 1 here).
    items, annotators, present = from_sets([["", ""], ["", "", ""]], "ab")
    assert np.isnan(masi_alpha(items, annotators, present).value)
    assert exact_match_rate(items, annotators, present).value == 1.0
    # Empty set against any non-empty set is distance 1, so this is perfect disagreement structure.
    items, annotators, present = from_sets([["", "a"], ["", ""], ["a", "a"]], "ab")
    rows = to_rows(items, annotators, present)
    assert masi_alpha(items, annotators, present).value == pytest.approx(naive_alpha(rows, masi))
    # No pairable item at all.
    items, annotators, present = from_sets([["a"], ["b"]], "ab")
    result = masi_alpha(items, annotators, present)
    assert np.isnan(result.value)
    assert result.n_pairable_items == 0
    assert np.isnan(exact_match_rate(items, annotators, present).value)
    # No rows.
    empty = np.zeros(0, np.int64)
    assert np.isnan(jaccard_alpha(empty, empty, np.zeros((0, 3), bool)).value)


def test_duplicate_annotation_is_rejected() -> None:
    with pytest.raises(ValueError, match="more than one annotation"):
        masi_alpha(np.array([0, 0]), np.array([1, 1]), np.ones((2, 2), bool))


# --- per-label alpha and bootstrap --------------------------------------------------------------


def test_per_label_alpha_equals_krippendorff_package() -> None:
    krippendorff = pytest.importorskip("krippendorff")
    items, annotators, present = random_data(5)
    result = per_label_alpha(items, annotators, present)
    for label in range(present.shape[1]):
        matrix = np.full((annotators.max() + 1, items.max() + 1), np.nan)
        matrix[annotators, items] = present[:, label]
        expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
        assert result.value[label] == pytest.approx(expected, abs=1e-12)
    # The vectorised form used for the bootstrap gives the same point values.
    n_codes = items.max() + 1
    m = np.bincount(items, minlength=n_codes).astype(float)
    positives = np.zeros((n_codes, present.shape[1]))
    np.add.at(positives, items, present.astype(float))
    np.testing.assert_allclose(
        ml._binary_alpha(positives, m, np.ones((1, n_codes)))[0], result.value, atol=1e-12
    )


def test_per_label_alpha_is_nan_for_constant_label() -> None:
    items, annotators, present = random_data(6)
    present[:, 0] = False
    assert np.isnan(per_label_alpha(items, annotators, present, resamples=20).value[0])


def test_bootstrap_is_seeded_and_brackets_the_value() -> None:
    items, annotators, present = random_data(7, n_items=150)
    for f in (masi_alpha, jaccard_alpha, exact_match_rate):
        a = f(items, annotators, present, resamples=300, seed=1)
        b = f(items, annotators, present, resamples=300, seed=1)
        assert (a.low, a.high) == (b.low, b.high)
        assert a.low < a.value < a.high
        assert np.isnan(f(items, annotators, present).low)
    labels = per_label_alpha(items, annotators, present, resamples=300, seed=1)
    assert np.all((labels.low < labels.value) & (labels.value < labels.high))


# --- real data ----------------------------------------------------------------------------------

GOEMOTIONS = REAL / "goemotions_raw_subset/goemotions_1_head_complete_rows.csv"
RELEX = REAL / "crowdtruth_medical_relex_multilabel/RelEx_raw_all_batches.csv.gz"


def load_goemotions() -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Raw GoEmotions rows; rows marked example_very_unclear carry no emotion: the empty set."""
    df = pd.read_csv(GOEMOTIONS)
    first = list(df.columns).index("example_very_unclear") + 1
    labels = list(df.columns[first:])
    items = pd.factorize(df["id"])[0]
    annotators = pd.factorize(df["rater_id"])[0]
    return items, annotators, df[labels].to_numpy().astype(bool), labels


def load_relex() -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """CrowdTruth RelEx: `relations` like "[TREATS] [CAUSES]"; NONE is a label like the others;
    the first of 7 repeated (unit, worker) rows is kept."""
    df = pd.read_csv(RELEX, usecols=["_unit_id", "_worker_id", "relations"])
    df = df.drop_duplicates(["_unit_id", "_worker_id"], keep="first")
    chosen = [re.findall(r"\[([A-Z_]+)\]", text) for text in df["relations"]]
    labels = sorted({label for row in chosen for label in row})
    present = np.array([[label in row for label in labels] for row in chosen], dtype=bool)
    items = pd.factorize(df["_unit_id"])[0]
    annotators = pd.factorize(df["_worker_id"])[0]
    return items, annotators, present, labels


@pytest.mark.shared
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # krippendorff on "pride"
@pytest.mark.parametrize("loader", [load_goemotions, load_relex], ids=["goemotions", "relex"])
def test_real_multilabel_data(loader: Callable[[], tuple[np.ndarray, ...]]) -> None:
    if not REAL.is_dir():
        pytest.skip("../shared/data/real is absent")
    items, annotators, present, labels = loader()
    rows = to_rows(items, annotators, present)
    ours = {
        "masi": masi_alpha(items, annotators, present).value,
        "jaccard": jaccard_alpha(items, annotators, present).value,
    }
    assert ours["masi"] == pytest.approx(naive_alpha(rows, masi), abs=1e-9)
    assert ours["jaccard"] == pytest.approx(naive_alpha(rows, jaccard), abs=1e-9)
    assert exact_match_rate(items, annotators, present).value == pytest.approx(naive_exact(rows))
    krippendorff = pytest.importorskip("krippendorff")
    per_label = per_label_alpha(items, annotators, present).value
    matrix = np.full((annotators.max() + 1, items.max() + 1), np.nan)
    for label in range(len(labels)):
        matrix[annotators, items] = present[:, label]
        expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
        assert per_label[label] == pytest.approx(expected, abs=1e-9, nan_ok=True)


@pytest.mark.shared
# RelEx (51k rows) takes nltk 4 s; test_real_multilabel_data checks it against a naive
# pairwise alpha instead, which equals nltk's (as the random-data tests show).
@pytest.mark.parametrize("loader", [load_goemotions], ids=["goemotions"])
def test_real_multilabel_data_equals_nltk(loader: Callable[[], tuple[np.ndarray, ...]]) -> None:
    if not REAL.is_dir():
        pytest.skip("../shared/data/real is absent")
    items, annotators, present, _ = loader()
    rows = to_rows(items, annotators, present)
    assert masi_alpha(items, annotators, present).value == pytest.approx(
        nltk_alpha(rows, masi), abs=1e-9
    )
    assert jaccard_alpha(items, annotators, present).value == pytest.approx(
        nltk_alpha(rows, jaccard), abs=1e-9
    )
