"""Span agreement: hand examples, symmetry, order invariance, naive re-implementations,
token alpha against the krippendorff package, and the doccano two-user export."""

from __future__ import annotations

import itertools
import re
from collections import Counter

import krippendorff
import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from labelgate.metrics.agreement.spans import (
    SpanF1,
    SpanTable,
    Tokens,
    character_tokens,
    f1_intervals,
    span_f1_overlap,
    span_f1_strict,
    token_alpha,
    token_alpha_interval,
    token_counts,
    tokenize_items,
    tokenize_offsets,
)
from tests.conftest import SHARED

DOCCANO = (
    SHARED / "data/real/tool_exports/doccano/doccano_transformer_tests/labeling_labeling.jsonl"
)


def arr(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


# "Barack Obama visited Paris ." (item 0) and "Nothing here" (item 1).
# Annotator 0: [0,12) PER, [21,26) LOC. Annotator 1: [0,12) PER, [21,26) ORG.
# Annotator 2: [7,12) PER ("Obama"). Item 1: annotators 0 and 1 looked, marked nothing.
HAND = SpanTable(
    ann_items=arr(0, 0, 0, 1, 1),
    ann_annotators=arr(0, 1, 2, 0, 1),
    items=arr(0, 0, 0, 0, 0),
    annotators=arr(0, 0, 1, 1, 2),
    starts=arr(0, 21, 0, 21, 7),
    ends=arr(12, 26, 12, 26, 12),
    labels=arr(0, 1, 0, 2, 0),
    n_labels=3,
)
HAND_TEXTS = ["Barack Obama visited Paris .", "Nothing here"]


def test_strict_hand_example() -> None:
    r = span_f1_strict(HAND)
    assert r.a.tolist() == [0, 0, 1]
    assert r.b.tolist() == [1, 2, 2]
    # (0,1): only PER matches, 2 spans each: 2*1/(2+2). (0,2), (1,2): nothing equal.
    np.testing.assert_allclose(r.pair_f1(), [0.5, 0.0, 0.0])
    # Pooled: 2*1 / (4 + 3 + 3).
    assert r.pooled_f1() == pytest.approx(0.2)
    # PER: 1 match, PER spans per pair 2+2+2 -> 2/6; LOC and ORG never match.
    np.testing.assert_allclose(r.label_f1(), [1 / 3, 0.0, 0.0])
    assert r.shared_items.tolist() == [2, 1, 1]
    assert r.both_empty.tolist() == [1, 0, 0]  # item 1: both looked, neither marked


def test_overlap_hand_example() -> None:
    r = span_f1_overlap(HAND)
    # "Obama" [7,12) overlaps "Barack Obama" [0,12) with the same label: (0,2) and (1,2)
    # each match 1 of 2+1 spans -> 2/3; (0,1) as strict.
    np.testing.assert_allclose(r.pair_f1(), [0.5, 2 / 3, 2 / 3])
    assert r.pooled_f1() == pytest.approx(6 / 10)
    np.testing.assert_allclose(r.label_f1(), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(r.pair_precision(), [0.5, 0.5, 0.5])
    np.testing.assert_allclose(r.pair_recall(), [0.5, 1.0, 1.0])


def test_overlap_is_a_maximum_matching_not_greedy() -> None:
    # A1=[0,10) overlaps B1=[5,20) by 5 and B2=[0,3) by 3; A2=[15,18) overlaps only B1.
    # Greedy by largest overlap takes A1-B1 and leaves A2 alone (1 match); the maximum
    # matching is A1-B2, A2-B1 (2 matches).
    t = SpanTable(
        ann_items=arr(0, 0),
        ann_annotators=arr(0, 1),
        items=arr(0, 0, 0, 0),
        annotators=arr(0, 0, 1, 1),
        starts=arr(0, 15, 5, 0),
        ends=arr(10, 18, 20, 3),
        labels=arr(0, 0, 0, 0),
        n_labels=1,
    )
    assert span_f1_overlap(t).tp.tolist() == [[2]]
    assert span_f1_strict(t).tp.tolist() == [[0]]


def test_no_spans_is_nan_not_perfect() -> None:
    t = SpanTable(arr(0, 0), arr(0, 1), arr(), arr(), arr(), arr(), arr(), n_labels=2)
    r = span_f1_strict(t)
    assert np.isnan(r.pooled_f1())
    assert r.both_empty.tolist() == [1]
    assert np.isnan(token_alpha(t, tokenize_items(["a b"])))  # only "O": undefined


def test_a_span_implies_its_annotation_row() -> None:
    without_rows = SpanTable(
        arr(), arr(), arr(0, 0), arr(0, 1), arr(0, 0), arr(3, 3), arr(0, 0), n_labels=1
    )
    assert span_f1_strict(without_rows).pooled_f1() == 1.0


def test_duplicates_count_as_a_multiset() -> None:
    t = SpanTable(
        arr(0, 0),
        arr(0, 1),
        arr(0, 0, 0),
        arr(0, 0, 1),
        arr(0, 0, 0),
        arr(2, 2, 2),
        arr(0, 0, 0),
        1,
    )
    for f in (span_f1_strict, span_f1_overlap):
        r = f(t)
        assert (r.tp.tolist(), r.n_a.tolist(), r.n_b.tolist()) == ([[1]], [[2]], [[1]])


def test_invalid_spans_are_refused() -> None:
    with pytest.raises(ValueError, match="start < end"):
        SpanTable(arr(), arr(), arr(0), arr(0), arr(3), arr(3), arr(0), 1)
    with pytest.raises(ValueError, match="codes"):
        SpanTable(arr(), arr(), arr(0), arr(0), arr(0), arr(3), arr(1), 1)


def test_tokenizer() -> None:
    text = "U.S. troops, 3 km-long!"
    starts, ends = tokenize_offsets(text)
    assert [text[s:e] for s, e in zip(starts, ends, strict=True)] == [
        "U", ".", "S", ".", "troops", ",", "3", "km", "-", "long", "!",
    ]  # fmt: skip
    assert tokenize_offsets("   ")[0].tolist() == []
    chars = character_tokens(arr(2, 0, 1))
    assert (chars.items.tolist(), chars.starts.tolist()) == ([0, 0, 2], [0, 1, 0])


# --- random data and naive reference implementations ------------------------------------


def random_table(
    seed: int, n_items: int = 40, n_annotators: int = 4, n_labels: int = 3
) -> SpanTable:
    rng = np.random.default_rng(seed)
    rows, spans = [], []
    for item in range(n_items):
        for annotator in range(n_annotators):
            if rng.random() < 0.25:
                continue
            rows.append((item, annotator))
            for _ in range(rng.integers(0, 4)):
                start = int(rng.integers(0, 30))
                # Some copies of a shared "truth" so that matches happen.
                if rng.random() < 0.5:
                    start = int(rng.integers(0, 3)) * 10
                    end = start + 5
                else:
                    end = start + int(rng.integers(1, 8))
                spans.append((item, annotator, start, end, int(rng.integers(0, n_labels))))
    r = np.array(rows, dtype=np.int64).reshape(-1, 2)
    s = np.array(spans, dtype=np.int64).reshape(-1, 5)
    return SpanTable(r[:, 0], r[:, 1], s[:, 0], s[:, 1], s[:, 2], s[:, 3], s[:, 4], n_labels)


def shuffled(t: SpanTable, seed: int) -> SpanTable:
    rng = np.random.default_rng(seed)
    p, q = rng.permutation(len(t.items)), rng.permutation(len(t.ann_items))
    return SpanTable(
        t.ann_items[q], t.ann_annotators[q], t.items[p], t.annotators[p], t.starts[p],
        t.ends[p], t.labels[p], t.n_labels,
    )  # fmt: skip


def naive_counts(t: SpanTable, overlap: bool) -> dict[tuple[int, int], tuple[int, int, int]]:
    """(a, b) -> (tp, |A|, |B|) over shared items, by loops; overlap by an assignment."""
    looked: dict[int, set[int]] = {}
    for i, a in [
        *zip(t.ann_items, t.ann_annotators, strict=True),
        *zip(t.items, t.annotators, strict=True),
    ]:
        looked.setdefault(int(i), set()).add(int(a))
    spans: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for i, a, s, e, lab in zip(t.items, t.annotators, t.starts, t.ends, t.labels, strict=True):
        spans.setdefault((int(i), int(a)), []).append((int(s), int(e), int(lab)))
    out: dict[tuple[int, int], tuple[int, int, int]] = {}
    for item, who in looked.items():
        for a, b in itertools.combinations(sorted(who), 2):
            sa, sb = spans.get((item, a), []), spans.get((item, b), [])
            if overlap:
                adj = np.array(
                    [[x[2] == y[2] and x[0] < y[1] and y[0] < x[1] for y in sb] for x in sa],
                    dtype=float,
                ).reshape(len(sa), len(sb))
                rows, cols = linear_sum_assignment(-adj)
                tp = int(adj[rows, cols].sum())
            else:
                tp = sum((Counter(sa) & Counter(sb)).values())
            old = out.get((a, b), (0, 0, 0))
            out[(a, b)] = (old[0] + tp, old[1] + len(sa), old[2] + len(sb))
    return out


def as_dict(r: SpanF1) -> dict[tuple[int, int], tuple[int, int, int]]:
    return {
        (int(a), int(b)): (int(tp), int(na), int(nb))
        for a, b, tp, na, nb in zip(
            r.a, r.b, r.tp.sum(axis=1), r.n_a.sum(axis=1), r.n_b.sum(axis=1), strict=True
        )
    }


@pytest.mark.parametrize("seed", range(6))
def test_strict_and_overlap_equal_naive_counts(seed: int) -> None:
    t = random_table(seed)
    assert as_dict(span_f1_strict(t)) == naive_counts(t, overlap=False)
    assert as_dict(span_f1_overlap(t)) == naive_counts(t, overlap=True)


@pytest.mark.parametrize("seed", range(3))
def test_invariant_to_order_and_symmetric(seed: int) -> None:
    t = random_table(seed)
    for f in (span_f1_strict, span_f1_overlap):
        r, s = f(t), f(shuffled(t, seed))
        for name in ("a", "b", "tp", "n_a", "n_b", "shared_items", "both_empty", "item_tp"):
            np.testing.assert_array_equal(getattr(r, name), getattr(s, name))
        # Swapping the annotator codes swaps a and b of every pair: F1 is unchanged.
        top = int(t.annotators.max())
        flipped = SpanTable(
            t.ann_items, top - t.ann_annotators, t.items, top - t.annotators, t.starts,
            t.ends, t.labels, t.n_labels,
        )  # fmt: skip
        g = f(flipped)
        mine = dict(zip(zip(r.a.tolist(), r.b.tolist(), strict=True), r.pair_f1(), strict=True))
        theirs = dict(
            zip(
                zip((top - g.b).tolist(), (top - g.a).tolist(), strict=True),
                g.pair_f1(),
                strict=True,
            )
        )
        assert mine.keys() == theirs.keys()
        for key, value in mine.items():
            assert value == pytest.approx(theirs[key], nan_ok=True)
    strict, loose = span_f1_strict(t), span_f1_overlap(t)
    assert (strict.tp <= loose.tp).all()


def naive_reliability(t: SpanTable, tokens: Tokens) -> np.ndarray:
    """annotators x tokens matrix: the label of the longest covering span (ties: earliest,
    then lowest label), n_labels for "O", NaN where the annotator did not look."""
    n_annotators = int(max(t.ann_annotators.max(), t.annotators.max())) + 1
    matrix = np.full((n_annotators, len(tokens.items)), np.nan)
    looked = {(int(i), int(a)) for i, a in zip(t.ann_items, t.ann_annotators, strict=True)}
    looked |= {(int(i), int(a)) for i, a in zip(t.items, t.annotators, strict=True)}
    for k, (item, ts, te) in enumerate(zip(tokens.items, tokens.starts, tokens.ends, strict=True)):
        for a in range(n_annotators):
            if (int(item), a) not in looked:
                continue
            covering = [
                (-(e - s), s, lab)
                for i, who, s, e, lab in zip(
                    t.items, t.annotators, t.starts, t.ends, t.labels, strict=True
                )
                if i == item and who == a and s < te and ts < e
            ]
            matrix[a, k] = min(covering)[2] if covering else t.n_labels
    return matrix


def random_tokens(seed: int, n_items: int) -> tuple[Tokens, list[str]]:
    rng = np.random.default_rng(seed)
    words = ["a", "bb", "ccc", ",", "dddd", "."]
    texts = [" ".join(rng.choice(words, size=int(rng.integers(3, 14)))) for _ in range(n_items)]
    return tokenize_items(texts), texts


@pytest.mark.parametrize("seed", range(4))
def test_token_alpha_equals_krippendorff_package(seed: int) -> None:
    t = random_table(seed, n_items=25)
    tokens, _ = random_tokens(seed, 25)
    matrix = naive_reliability(t, tokens)
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    assert token_alpha(t, tokens) == pytest.approx(expected, abs=1e-9)
    assert token_alpha(shuffled(t, seed), tokens) == pytest.approx(expected, abs=1e-9)
    # Counts agree token by token, not only in the coefficient.
    counts = token_counts(t, tokens)
    for k in range(len(tokens.items)):
        column = matrix[:, k]
        found = Counter(column[~np.isnan(column)].astype(int).tolist())
        assert dict(found) == {v: int(c) for v, c in enumerate(counts[k]) if c}


def test_character_level_alpha_without_text() -> None:
    t = random_table(7, n_items=20)
    lengths = np.zeros(t.n_items, np.int64)
    np.maximum.at(lengths, t.items, t.ends)
    chars = character_tokens(lengths)
    expected = krippendorff.alpha(
        reliability_data=naive_reliability(t, chars), level_of_measurement="nominal"
    )
    assert token_alpha(t) == pytest.approx(expected, abs=1e-9)


def test_hand_token_alpha() -> None:
    tokens = tokenize_items(HAND_TEXTS)
    # Tokens: Barack, Obama, visited, Paris, "." | Nothing, here. Values (annotators 0,1,2):
    # Barack PER,PER,O; Obama PER,PER,PER; visited O,O,O; Paris LOC,ORG,O; . O,O,O;
    # Nothing O,O; here O,O.
    counts = token_counts(HAND, tokens)
    assert counts.tolist() == [
        [2, 0, 0, 1], [3, 0, 0, 0], [0, 0, 0, 3], [0, 1, 1, 1], [0, 0, 0, 3], [0, 0, 0, 2],
        [0, 0, 0, 2],
    ]  # fmt: skip
    matrix = np.array(
        [[0, 0, 3, 1, 3, 3, 3], [0, 0, 3, 2, 3, 3, 3], [3, 0, 3, 3, 3, np.nan, np.nan]]
    )
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    assert token_alpha(HAND, tokens) == pytest.approx(expected, abs=1e-12)


def test_intervals_are_seeded_and_bracket_the_estimate() -> None:
    t = random_table(3, n_items=60)
    tokens, _ = random_tokens(3, 60)
    r = span_f1_overlap(t)
    first, again = f1_intervals(r, 300, seed=5), f1_intervals(r, 300, seed=5)
    assert first == again
    low, high, nans = first["f1"]
    assert low <= r.pooled_f1() <= high
    assert nans == 0
    assert set(first) == {"f1", "f1_label_0", "f1_label_1", "f1_label_2"}
    a_low, a_high, _ = token_alpha_interval(t, tokens, 300, seed=5)
    assert a_low <= token_alpha(t, tokens) <= a_high
    assert token_alpha_interval(t, tokens, 300, seed=5) == (a_low, a_high, 0)


# --- real data ---------------------------------------------------------------------------


@pytest.mark.skipif(not DOCCANO.exists(), reason="needs ../shared real data")
def test_doccano_two_users() -> None:
    """doccano-transformer's labeling_labeling.jsonl: users 1 and 2 on item 2578 (both mark
    the same 5 spans), user 2 alone on 2580. Independent check: the per-user CoNLL files the
    same project wrote from this export, fed to the krippendorff package. No other stored
    export has two annotators on one text (Label Studio fixtures: one annotator, no text
    spans; Prodigy sets: no or a single annotator id, no input shared between files)."""
    from labelgate.io.importers import doccano

    imported = doccano.read(DOCCANO, "labeling_labeling.jsonl")
    item_ids = sorted(set(imported.annotations["item_id"]))
    users = sorted(set(imported.annotations["annotator_id"]))
    label_ids = sorted(set(imported.spans["label"]))
    code = {v: k for k, v in enumerate(item_ids)}
    who = {v: k for k, v in enumerate(users)}
    lab = {v: k for k, v in enumerate(label_ids)}
    s = imported.spans
    table = SpanTable(
        np.array([code[v] for v in imported.annotations["item_id"]], np.int64),
        np.array([who[v] for v in imported.annotations["annotator_id"]], np.int64),
        np.array([code[v] for v in s["item_id"]], np.int64),
        np.array([who[v] for v in s["annotator_id"]], np.int64),
        s["start"].to_numpy(np.int64),
        s["end"].to_numpy(np.int64),
        np.array([lab[v] for v in s["label"]], np.int64),
        len(label_ids),
    )
    strict, loose = span_f1_strict(table), span_f1_overlap(table)
    assert (users, strict.shared_items.tolist()) == (["1", "2"], [1])
    assert strict.tp.sum() == loose.tp.sum() == 5
    assert strict.pooled_f1() == loose.pooled_f1() == 1.0

    # Token alpha on CoNLL's whitespace tokens, against the CoNLL files' own tags.
    texts = dict(zip(imported.items["item_id"], imported.items["text"], strict=True))
    bounds = [[(m.start(), m.end()) for m in re.finditer(r"\S+", texts[i])] for i in item_ids]
    tokens = Tokens(
        np.array([k for k, b in enumerate(bounds) for _ in b], np.int64),
        np.array([s for b in bounds for s, _ in b], np.int64),
        np.array([e for b in bounds for _, e in b], np.int64),
    )
    conll: dict[str, list[list[str]]] = {}
    for user in users:
        docs = DOCCANO.with_name(f"labeling_labeling.conll2003.user{user}").read_text()
        conll[user] = [
            [line.split()[-1].split("-", 1)[-1] for line in doc.splitlines() if line.strip()]
            for doc in docs.split("-DOCSTART- -X- -X- O")[1:]
        ]
    values = {v: k for k, v in enumerate([*label_ids, "O"])}
    matrix = np.full((2, len(tokens.items)), np.nan)
    for row, user in enumerate(users):
        # The user's documents, in export order, are the items they annotated.
        mine = [i for i in item_ids if (i, user) in set(zip(imported.annotations["item_id"], imported.annotations["annotator_id"], strict=True))]  # fmt: skip
        for item, tags in zip(mine, conll[user], strict=True):
            columns = np.flatnonzero(tokens.items == code[item])
            assert len(columns) == len(tags)
            matrix[row, columns] = [values[tag] for tag in tags]
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    assert token_alpha(table, tokens) == pytest.approx(expected, abs=1e-9)
    assert expected == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(3))
def test_bootstrap_statistic_reproduces_the_estimate(seed: int) -> None:
    """The per-item sums the interval resamples give token alpha back on the full sample,
    with tokens and in (weighted) character mode."""
    from labelgate.metrics.agreement.spans import (
        _default_tokens,
        _item_alpha_rows,
        _nominal_alpha_batch,
    )

    t = random_table(seed, n_items=30)
    tokens, _ = random_tokens(seed, 30)
    for units in (tokens, None):
        rows = _item_alpha_rows(t, _default_tokens(t, units))
        value = _nominal_alpha_batch(rows.sum(axis=0)[None, :])[0]
        assert value == pytest.approx(token_alpha(t, units), abs=1e-12)


def test_tokenize_items_equals_per_item_offsets() -> None:
    rng = np.random.default_rng(0)
    alphabet = list("ab_1 ,.-\n\t\u00a0\u2003é\u0301ß\u4e2d😀\u200b'\"")
    texts = ["Hello, world!", "", "  a-b  ", "naïve café.", "\ud800x"]
    texts += ["".join(rng.choice(alphabet, size=int(rng.integers(0, 30)))) for _ in range(200)]
    tokens = tokenize_items(texts)
    for code, text in enumerate(texts):
        starts, ends = tokenize_offsets(text)
        mine = tokens.items == code
        assert tokens.starts[mine].tolist() == starts.tolist()
        assert tokens.ends[mine].tolist() == ends.tolist()
