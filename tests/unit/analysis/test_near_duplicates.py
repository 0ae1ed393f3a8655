"""Near-duplicate texts: MinHash LSH finds the pairs, exact Jaccard decides them."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from labelgate.analysis.near_duplicates import (
    CONFLICT_COLUMNS,
    PAIR_COLUMNS,
    conflicting_duplicates,
    lsh_bands,
    near_duplicate_groups,
    near_duplicate_pairs,
    with_item_ids,
)

# CJK ideographs: lower-casing leaves them alone and every 5-gram of distinct ones is distinct,
# so the Jaccard similarity of two constructed texts is known exactly.
_BASE = 0x4E00


def _distinct(start: int, n: int) -> str:
    return "".join(chr(_BASE + start + k) for k in range(n))


def _pair(start: int, shingles: int, changed: int) -> tuple[str, str, float]:
    """Two texts of `shingles` 5-grams each that differ in their last `changed` characters:
    Jaccard (shingles - changed) / (shingles + changed)."""
    a = _distinct(start, shingles + 4)
    b = a[:-changed] + _distinct(start + shingles + 4, changed)
    return a, b, (shingles - changed) / (shingles + changed)


def _shingles(text: str, n: int = 5) -> set[str]:
    norm = " ".join(text.lower().split())
    return {norm} if len(norm) < n else {norm[i : i + n] for i in range(len(norm) - n + 1)}


def _pairs(frame: pd.DataFrame) -> list[tuple[int, int, float]]:
    return [(int(a), int(b), round(float(s), 12)) for a, b, s in frame.itertuples(index=False)]


def test_pairs_at_095_are_always_found_and_at_03_never() -> None:
    texts: list[str] = []
    for k in range(100):
        a, b, jaccard = _pair(k * 100, shingles=39, changed=1)
        assert jaccard == 0.95
        texts += [a, b]
    for k in range(100, 150):
        a, b, jaccard = _pair(k * 100, shingles=13, changed=7)
        assert jaccard == 0.3
        texts += [a, b]
    for seed in (0, 1, 2):
        found = near_duplicate_pairs(texts, seed=seed)
        assert list(found.columns) == list(PAIR_COLUMNS)
        assert _pairs(found) == [(2 * k, 2 * k + 1, 0.95) for k in range(100)]


def test_exact_duplicates_are_a_star_on_the_first_item() -> None:
    texts = ["Hello  World", "other text entirely", "hello world", None, "", "  ", "HELLO world"]
    found = near_duplicate_pairs(texts)
    assert _pairs(found) == [(0, 2, 1.0), (0, 6, 1.0)]
    groups = near_duplicate_groups(found, len(texts))
    assert groups.tolist() == [0, -1, 0, -1, -1, -1, 0]


def test_short_texts_are_one_shingle() -> None:
    found = near_duplicate_pairs(["ab", "AB ", "abc", "abd", "x"], ngram=5)
    assert _pairs(found) == [(0, 1, 1.0)]
    # With 2-grams, "abc" and "abd" share one of three shingles.
    found = near_duplicate_pairs(["abc", "abd"], ngram=2, threshold=0.3)
    assert _pairs(found) == [(0, 1, round(1 / 3, 12))]


def test_unicode_is_compared_by_code_point() -> None:
    texts = [
        "ÉCOLE été 🙂 naïve café — Straße",
        "école été 🙂 naïve café — straße",
        "école été 🙃 naïve café — straße",
        "\ud800 lone surrogate is kept",
        "\ud800 lone surrogate is kept!",
    ]
    found = near_duplicate_pairs(texts, threshold=0.6)
    got = {(a, b): s for a, b, s in _pairs(found)}
    assert got[(0, 1)] == 1.0  # case folded beyond ASCII
    one, two = _shingles(texts[1]), _shingles(texts[2])
    assert got[(0, 2)] == round(len(one & two) / len(one | two), 12)  # the group's first item
    assert got[(3, 4)] > 0.9


def test_deterministic_and_independent_of_item_order() -> None:
    rng = np.random.default_rng(5)
    texts = []
    for k in range(60):
        a, b, _ = _pair(k * 100, shingles=30, changed=int(rng.integers(1, 4)))
        texts += [a, b]
    first = near_duplicate_pairs(texts)
    assert first.equals(near_duplicate_pairs(texts))
    perm = rng.permutation(len(texts))
    shuffled = near_duplicate_pairs([texts[i] for i in perm])
    back = {(min(perm[a], perm[b]), max(perm[a], perm[b]), s) for a, b, s in _pairs(shuffled)}
    assert back == set(_pairs(first))


def test_ten_thousand_copies_stay_linear() -> None:
    texts = ["the same review, copied again and again"] * 10_000 + ["something else"]
    start = time.perf_counter()
    found = near_duplicate_pairs(texts)
    assert time.perf_counter() - start < 1.0
    assert len(found) == 9_999
    assert (found["item_index_a"] == 0).all()
    assert (found["similarity"] == 1.0).all()


def test_a_crowded_bucket_still_reports_every_item() -> None:
    # 1,000 distinct texts that differ in one number: buckets far larger than the window.
    stem = "your order has shipped and should arrive within five business days, thank you "
    texts = [f"{stem}{k:05d} for shopping with us" for k in range(1_000)]
    start = time.perf_counter()
    found = near_duplicate_pairs(texts)
    assert time.perf_counter() - start < 1.0
    assert (found["similarity"] >= 0.8).all()
    items = set(found["item_index_a"]) | set(found["item_index_b"])
    assert items == set(range(len(texts)))
    assert (near_duplicate_groups(found, len(texts)) == 0).all()


def _random_texts(rng: np.random.Generator, n: int) -> list[str]:
    words = ["".join(rng.choice(list("abcdefghij"), int(rng.integers(2, 7)))) for _ in range(300)]
    texts = [" ".join(rng.choice(words, int(rng.integers(8, 40)))) for _ in range(n)]
    for i in range(0, n - 1, 3):  # near copies: a word dropped, added or changed
        tokens = texts[i].split()
        for _ in range(int(rng.integers(1, 3))):
            edit, at = int(rng.integers(0, 3)), int(rng.integers(0, len(tokens)))
            if edit == 0:
                del tokens[at]
            elif edit == 1:
                tokens.insert(at, str(rng.choice(words)))
            else:
                tokens[at] = str(rng.choice(words))
        texts[i + 1] = " ".join(tokens)
    return list(dict.fromkeys(texts))  # no exact copies: they would be a star, not all pairs


def test_against_brute_force_jaccard() -> None:
    texts = _random_texts(np.random.default_rng(11), 300)
    # Brute force: every pair's exact Jaccard from a texts x shingles incidence matrix.
    sets = [_shingles(t) for t in texts]
    vocabulary = {s: k for k, s in enumerate(set().union(*sets))}
    incidence = np.zeros((len(texts), len(vocabulary)), dtype=np.float32)
    for i, shingles in enumerate(sets):
        incidence[i, [vocabulary[s] for s in shingles]] = 1
    inter = incidence @ incidence.T
    sizes = incidence.sum(axis=1)
    brute = inter / (sizes[:, None] + sizes[None, :] - inter)
    lo, hi = np.triu_indices(len(texts), k=1)
    above = {(int(a), int(b)) for a, b in zip(lo, hi, strict=True) if brute[a, b] >= 0.9}
    found = near_duplicate_pairs(texts)
    reported = {(a, b): s for a, b, s in _pairs(found)}
    assert len(above) > 25
    assert above <= set(reported)  # LSH recall
    assert all(s >= 0.8 for s in reported.values())  # never below the threshold
    assert all(abs(reported[a, b] - brute[a, b]) < 1e-6 for a, b in reported)  # exact


def test_lsh_bands_meet_the_recall_at_the_threshold() -> None:
    assert lsh_bands(0.8, 128) == (18, 7)
    for threshold in (0.5, 0.8, 0.9, 0.99):
        bands, rows = lsh_bands(threshold, 128)
        assert 1 - (1 - threshold**rows) ** bands >= 0.95
        assert bands * rows <= 128


def test_conflicting_duplicates_keep_pairs_whose_labels_differ() -> None:
    pairs = pd.DataFrame(
        {
            "item_id_a": ["i1", "i1", "i3", "i5"],
            "item_id_b": ["i2", "i3", "i4", "i6"],
            "similarity": [0.9, 0.85, 1.0, 0.95],
        }
    )
    labels = pd.DataFrame({"item_id": ["i1", "i2", "i3", "i4", "i5"], "label": list("abaab")})
    got = conflicting_duplicates(pairs, labels)
    assert list(got.columns) == list(CONFLICT_COLUMNS)
    assert got.values.tolist() == [["i1", "i2", 0.9, "a", "b"]]  # i6 has no final label


def test_pairs_with_item_ids_feed_the_conflicts() -> None:
    texts = ["Same words here", "same words here", "something else", "SAME WORDS HERE"]
    named = with_item_ids(near_duplicate_pairs(texts), pd.Series(["x", "y", "z", "w"]))
    assert named.values.tolist() == [["x", "y", 1.0], ["x", "w", 1.0]]
    labels = pd.DataFrame({"item_id": ["x", "y", "w"], "label": ["pos", "pos", "neg"]})
    assert conflicting_duplicates(named, labels)["item_id_b"].tolist() == ["w"]


def test_empty_inputs() -> None:
    assert near_duplicate_pairs([]).empty
    assert near_duplicate_pairs(pd.Series([None, "", float("nan"), "only one"])).empty


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"threshold": 0.0}, r"threshold must be in \(0, 1\], got 0.0"),
        ({"threshold": float("nan")}, r"threshold must be in \(0, 1\], got nan"),
        ({"bands": 200}, r"bands must be between 1 and num_perm \(128\), got 200"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        near_duplicate_pairs(["a", "b"], **settings)  # type: ignore[arg-type]


def test_explicit_bands() -> None:
    a, b, _ = _pair(0, shingles=39, changed=1)
    found = near_duplicate_pairs([a, b, "x"], bands=32, num_perm=128)
    assert _pairs(found) == [(0, 1, 0.95)]
