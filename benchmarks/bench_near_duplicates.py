"""Near-duplicate items: speed and recall on planted near-copies, datasketch as a peer, IMDB.

Usage: python benchmarks/bench_near_duplicates.py [--sizes 100000 1000000] [--peer 100000]
       [--imdb PATH] [--workers 2]

Synthetic data: texts of 8 to 20 words (~85 characters) drawn from 5,000 random words; 5% of
them get a planted copy: the same text re-cased and re-spaced (an exact duplicate after
normalising), or with 1 to 3 words replaced, inserted or dropped. Recall counts the planted
pairs whose exact Jaccard (5-character shingles) is >= 0.8, precision the reported pairs that
were planted. The peer is datasketch's MinHash (`MinHash.bulk`, 128 permutations) and
MinHashLSH at the same threshold, which reports candidates by estimated similarity. The IMDB
part runs the defaults on the 25,000 test reviews (skipped when the file is absent). The
crowded part times 10,000 identical copies and 10,000 texts that differ in one number.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from labelgate.analysis.near_duplicates import (
    conflicting_duplicates,
    near_duplicate_pairs,
    with_item_ids,
)

THRESHOLD = 0.8
NGRAM = 5
# The shared real data sits beside the repository checkout (skipped when absent).
IMDB = (
    Path(__file__).resolve().parents[2]
    / "shared/data/real/imdb_label_errors_cleanlab/imdb_test_with_cleanlab_mturk.csv.gz"
)


def timed(name: str, call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = call()
    seconds = time.perf_counter() - start
    print(f"  {name:<44} {seconds:8.2f} s")
    return out, seconds


def shingles(text: str) -> set[str]:
    norm = " ".join(text.lower().split())
    if len(norm) < NGRAM:
        return {norm}
    return {norm[i : i + NGRAM] for i in range(len(norm) - NGRAM + 1)}


def jaccard(a: str, b: str) -> float:
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y)


def _edit(rng: np.random.Generator, words: list[str], vocabulary: np.ndarray) -> list[str]:
    words = list(words)
    for _ in range(int(rng.integers(1, 4))):
        kind, at = int(rng.integers(0, 3)), int(rng.integers(0, len(words)))
        if kind == 0 and len(words) > 2:
            del words[at]
        elif kind == 1:
            words.insert(at, str(vocabulary[rng.integers(0, len(vocabulary))]))
        else:
            words[at] = str(vocabulary[rng.integers(0, len(vocabulary))])
    return words


def synthetic(n: int, seed: int = 0) -> tuple[list[str], list[tuple[int, int]]]:
    """n texts and the planted (original, copy) pairs, original < copy."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocabulary = np.array(
        ["".join(rng.choice(letters, int(rng.integers(2, 9)))) for _ in range(5000)]
    )
    n_words = rng.integers(8, 21, n)
    drawn = vocabulary[rng.integers(0, len(vocabulary), (n, 20))]
    texts = [" ".join(row[:k]) for row, k in zip(drawn, n_words, strict=True)]
    copies = rng.choice(n, size=n // 20, replace=False)
    originals = rng.choice(np.setdiff1d(np.arange(n), copies), size=len(copies), replace=False)
    planted = []
    for original, copy in zip(originals.tolist(), copies.tolist(), strict=True):
        words = texts[original].split()
        if rng.random() < 0.2:
            texts[copy] = "  ".join(w.upper() if rng.random() < 0.5 else w for w in words)
        else:
            texts[copy] = " ".join(_edit(rng, words, vocabulary))
        planted.append((min(original, copy), max(original, copy)))
    return texts, planted


def score(texts: list[str], planted: list[tuple[int, int]], found: set[tuple[int, int]]) -> str:
    eligible = {p for p in planted if jaccard(texts[p[0]], texts[p[1]]) >= THRESHOLD}
    high = {p for p in eligible if jaccard(texts[p[0]], texts[p[1]]) >= 0.9}
    recall = len(eligible & found) / max(len(eligible), 1)
    recall_high = len(high & found) / max(len(high), 1)
    precision = len(found & set(planted)) / max(len(found), 1)
    return (
        f"planted >= {THRESHOLD}: {len(eligible)}, recall {recall:.4f} "
        f"(>= 0.9: {len(high)}, recall {recall_high:.4f}); reported {len(found)}, "
        f"precision vs planted {precision:.4f}"
    )


def ours(texts: list[str], planted: list[tuple[int, int]], workers: int) -> float:
    pairs, seconds = timed(
        f"labelgate near_duplicate_pairs ({len(texts):,})",
        lambda: near_duplicate_pairs(texts, threshold=THRESHOLD, workers=workers),
    )
    found = set(zip(pairs["item_index_a"].tolist(), pairs["item_index_b"].tolist(), strict=True))
    print("   ", score(texts, planted, found))
    return float(seconds)


def datasketch_peer(texts: list[str], planted: list[tuple[int, int]]) -> float | None:
    try:
        from datasketch import MinHash, MinHashLSH  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        print("  datasketch is not installed: skipped")
        return None

    def run() -> set[tuple[int, int]]:
        sets = [[s.encode("utf-8") for s in shingles(t)] for t in texts]
        hashes = MinHash.bulk(sets, num_perm=128)
        lsh = MinHashLSH(threshold=THRESHOLD, num_perm=128)
        with lsh.insertion_session() as session:
            for i, m in enumerate(hashes):
                session.insert(i, m)
        found: set[tuple[int, int]] = set()
        for i, m in enumerate(hashes):
            found.update((min(i, j), max(i, j)) for j in lsh.query(m) if j != i)
        return found

    found, seconds = timed(f"datasketch MinHash.bulk + MinHashLSH ({len(texts):,})", run)
    print("   ", score(texts, planted, found), "(candidates, not verified)")
    return float(seconds)


def crowded(workers: int) -> None:
    """Candidate blow-up: identical copies are grouped; near-identical texts hit the window."""
    print("crowded buckets")
    copies = ["the same review, copied again and again"] * 10_000
    pairs, _ = timed("10,000 identical copies", lambda: near_duplicate_pairs(copies))
    print(f"    pairs: {len(pairs):,} (a star on the first copy)")
    stem = "your order has shipped and should arrive within five business days, thank you "
    template = [f"{stem}{k:05d} for shopping with us" for k in range(10_000)]
    pairs, _ = timed(
        "10,000 texts differing in one number",
        lambda: near_duplicate_pairs(template, workers=workers),
    )
    items = len(set(pairs["item_index_a"]) | set(pairs["item_index_b"]))
    print(f"    pairs: {len(pairs):,} of {10_000 * 9_999 // 2:,}; items in a pair: {items:,}")


def imdb(path: Path, workers: int) -> None:
    if not path.exists():
        print(f"IMDB: {path} is absent: skipped")
        return
    frame = pd.read_csv(path, usecols=["review_id", "filename", "given_label_name", "text"])
    print(f"IMDB test reviews: {len(frame):,}")
    pairs, _ = timed(
        "labelgate near_duplicate_pairs (IMDB)",
        lambda: near_duplicate_pairs(frame["text"], threshold=THRESHOLD, workers=workers),
    )
    exact = int((pairs["similarity"] == 1.0).sum())
    print(f"    pairs >= {THRESHOLD}: {len(pairs)} ({exact} exact after normalising)")
    named = with_item_ids(pairs, frame["filename"])
    for row in named.sort_values("similarity").head(3).itertuples(index=False):
        print(f"    e.g. {row.item_id_a} ~ {row.item_id_b}: Jaccard {row.similarity:.3f}")
    labels = frame[["filename", "given_label_name"]].set_axis(["item_id", "label"], axis=1)
    conflicts = conflicting_duplicates(named, labels)
    print(f"    pairs whose given labels differ: {len(conflicts)}")
    for row in conflicts.head(3).itertuples(index=False):
        print(
            f"    e.g. {row.item_id_a} ({row.label_a}) ~ {row.item_id_b} ({row.label_b}): "
            f"Jaccard {row.similarity:.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--peer", type=int, default=100_000, help="texts for datasketch; 0: none")
    parser.add_argument("--imdb", type=Path, default=IMDB)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    for n in args.sizes:
        print(f"synthetic, {n:,} texts")
        texts, planted = synthetic(n)
        mine = ours(texts, planted, args.workers)
        if n == args.peer:
            peer = datasketch_peer(texts, planted)
            if peer is not None:
                print(f"    datasketch / labelgate time: {peer / mine:.1f}x")
    crowded(args.workers)
    imdb(args.imdb, args.workers)


if __name__ == "__main__":
    main()
