"""Span benchmark: agreement (strict/overlap F1, token alpha, intervals), aggregation and validation.

Usage: python benchmarks/bench_spans.py [--items 100000] [--annotators 3] [--resamples 1000]

Synthetic data: every item is 24 words (~140 characters) with 3 true entities (1-3 words,
4 labels); each annotator marks each entity with p = 0.9, moves one boundary by a word with
p = 0.1, flips the label with p = 0.05, and adds a stray span with p = 0.1. So ~3 spans per
(item, annotator). Prints seconds per step.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from labelgate.aggregation.spans import aggregate_spans
from labelgate.analysis.span_validation import validate_spans
from labelgate.metrics.agreement.spans import (
    SpanTable,
    Tokens,
    f1_intervals,
    span_f1_overlap,
    span_f1_strict,
    token_alpha,
    token_alpha_interval,
    tokenize_items,
)

WORDS = 24
LABELS = 4


def timed(name: str, call: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    out = call()
    print(f"  {name:<34} {time.perf_counter() - start:8.2f} s")
    return out


def synthetic(n_items: int, n_annotators: int, seed: int) -> tuple[list[str], SpanTable]:
    rng = np.random.default_rng(seed)
    vocabulary = np.array(["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"])
    words = vocabulary[rng.integers(0, len(vocabulary), (n_items, WORDS))]
    texts = [" ".join(row) for row in words]
    # Word offsets: the words have different lengths, so compute them per item, vectorised.
    lengths = np.char.str_len(words).astype(np.int64) + 1  # word + the space after it
    word_start = np.cumsum(lengths, axis=1) - lengths
    word_end = word_start + lengths - 1
    # 3 true entities per item, at words 1-3, 9-11, 17-19 (length 1-3 words).
    anchor = np.array([1, 9, 17])
    first = np.broadcast_to(anchor, (n_items, 3))
    size = rng.integers(1, 4, (n_items, 3))
    label = rng.integers(0, LABELS, (n_items, 3))
    rows = []
    for annotator in range(n_annotators):
        keep = rng.random((n_items, 3)) < 0.9
        shift = (rng.random((n_items, 3)) < 0.1) * rng.choice([-1, 1], (n_items, 3))
        flip = rng.random((n_items, 3)) < 0.05
        a_first = first + np.minimum(shift, 0)
        a_last = first + size - 1 + np.maximum(shift, 0)
        a_label = np.where(flip, (label + 1) % LABELS, label)
        item = np.broadcast_to(np.arange(n_items)[:, None], (n_items, 3))
        stray = rng.random(n_items) < 0.1
        stray_word = rng.integers(5, 8, n_items)  # between entities: never overlaps one
        rows.append(
            np.stack(
                [
                    np.r_[item[keep], np.flatnonzero(stray)],
                    np.full(int(keep.sum() + stray.sum()), annotator),
                    np.r_[
                        word_start[item[keep], a_first[keep]],
                        word_start[stray, stray_word[stray]],
                    ],
                    np.r_[
                        word_end[item[keep], a_last[keep]],
                        word_end[stray, stray_word[stray]],
                    ],
                    np.r_[a_label[keep], rng.integers(0, LABELS, int(stray.sum()))],
                ],
                axis=1,
            )
        )
    spans = np.concatenate(rows).astype(np.int64)
    ann_items = np.repeat(np.arange(n_items, dtype=np.int64), n_annotators)
    ann_annotators = np.tile(np.arange(n_annotators, dtype=np.int64), n_items)
    table = SpanTable(
        ann_items, ann_annotators, spans[:, 0], spans[:, 1], spans[:, 2], spans[:, 3], spans[:, 4],
        LABELS,
    )  # fmt: skip
    return texts, table


def frames(texts: list[str], t: SpanTable) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    item_ids = np.array([f"item{i}" for i in range(len(texts))], dtype=object)
    annotations = pd.DataFrame(
        {
            "item_id": item_ids[t.ann_items],
            "annotator_id": "w" + pd.Series(t.ann_annotators).astype(str),
        }
    )
    text = np.asarray(texts, dtype=object)[t.items]
    spans = pd.DataFrame(
        {
            "item_id": item_ids[t.items],
            "annotator_id": "w" + pd.Series(t.annotators).astype(str),
            "start": t.starts,
            "end": t.ends,
            "label": "L" + pd.Series(t.labels).astype(str),
            "text": [s[a:b] for s, a, b in zip(text, t.starts, t.ends, strict=True)],
        }
    )
    return annotations, spans, pd.DataFrame({"item_id": item_ids, "text": texts})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=float, default=1e5)
    parser.add_argument("--annotators", type=int, default=3)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    n = int(args.items)
    texts, table = synthetic(n, args.annotators, seed=0)
    print(
        f"{n:,} items x {args.annotators} annotators, {len(table.items):,} spans "
        f"({len(table.items) / n / args.annotators:.2f} per item and annotator)"
    )
    tokens: Tokens = timed("tokenize (regex, per item)", lambda: tokenize_items(texts))
    strict = timed("strict F1 (every pair, label)", lambda: span_f1_strict(table))
    loose = timed("overlap F1 (max matching)", lambda: span_f1_overlap(table))
    alpha = timed("token alpha", lambda: token_alpha(table, tokens))
    chars = timed("character alpha (no text)", lambda: token_alpha(table))
    f1_ci = timed(
        f"overlap F1 interval ({args.resamples})", lambda: f1_intervals(loose, args.resamples)
    )
    alpha_ci = timed(
        f"token alpha interval ({args.resamples})",
        lambda: token_alpha_interval(table, tokens, args.resamples),
    )
    annotations, spans, items = frames(texts, table)
    exact = timed("aggregate, exact rule", lambda: aggregate_spans(annotations, spans, items))
    timed("aggregate, overlap rule", lambda: aggregate_spans(annotations, spans, items, "overlap"))
    found = timed(
        "validate (4 rules)", lambda: validate_spans(spans, items, ["L0", "L1", "L2", "L3"])
    )
    print(
        f"strict F1 {strict.pooled_f1():.4f}, overlap F1 {loose.pooled_f1():.4f} "
        f"[{f1_ci['f1'][0]:.4f}, {f1_ci['f1'][1]:.4f}], token alpha {alpha:.4f} "
        f"[{alpha_ci[0]:.4f}, {alpha_ci[1]:.4f}], character alpha {chars:.4f}; "
        f"{len(exact.spans):,} final spans; {len(found):,} violations"
    )


if __name__ == "__main__":
    main()
