"""Span agreement by item partition: every partition size and the Dask engine give the report
of one partition bit for bit, and the joined statistics equal those of all items at once."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from labelgate.analysis.span_partitions import partitioned_span_statistics, split
from labelgate.analysis.task_agreement import span_agreement, span_table
from labelgate.backends.executor import LocalExecutor
from labelgate.metrics.agreement import spans

LABELS = ["PER", "LOC", "ORG"]
WORDS = ["a", "bb", "ccc", ",", "dddd", ".", "U.S.", "naïve", "x-y"]
SIZES = [1, 2, 5, 10**9]  # rows per partition: one item each ... one partition


def random_case(seed: int, with_texts: bool, n_items: int = 30) -> dict[str, Any]:
    """Items with 2-4 annotators; nested, overlapping, duplicate and invalid spans; annotators
    who looked and marked nothing; spans with no annotation row; items with no text."""
    rng = np.random.default_rng(seed)
    rows, marked = [], []
    for item in range(n_items):
        for annotator in range(int(rng.integers(2, 5))):
            name, who = f"it{item:03d}", f"ann{annotator}"
            if rng.random() < 0.85:  # else: spans only, the row is implied
                rows.append((name, who))
            for _ in range(int(rng.integers(0, 5)) if rng.random() < 0.75 else 0):
                if rng.random() < 0.5:  # a shared "truth" so that matches happen
                    start = int(rng.integers(0, 3)) * 10
                    end = start + 5
                else:
                    start = int(rng.integers(0, 30))
                    end = start + int(rng.integers(-1, 12))  # start >= end: invalid
                marked.append((name, who, start, end, LABELS[int(rng.integers(0, 3))]))
                if rng.random() < 0.1:
                    marked.append(marked[-1])  # a duplicate span
    # Items whose only span is invalid (an id with no row and no valid span), amid and last.
    marked += [(f"it{n_items // 2:03d}x", "ann0", 4, 4, "PER"), ("zz", "ann1", 9, 2, "LOC")]
    annotations = pd.DataFrame(rows, columns=["item_id", "annotator_id"]).sample(
        frac=1.0, random_state=seed
    )
    span_rows = pd.DataFrame(marked, columns=["item_id", "annotator_id", "start", "end", "label"])
    texts = None
    if with_texts:
        texts = {
            f"it{item:03d}": " ".join(rng.choice(WORDS, size=int(rng.integers(0, 16))))
            for item in range(n_items)
            if rng.random() < 0.9  # some items have no text
        }
    return {
        "annotations": annotations,
        "span_rows": span_rows.sample(frac=1.0, random_state=seed),
        "texts": texts,
        "label_ids": LABELS,
        "resamples": 200,
        "seed": seed,
        "confidence": 0.9,
    }


def report(case: dict[str, Any], executor: Any = None) -> dict[str, Any]:
    return span_agreement(**case, executor=executor)


CASES = [(seed, seed % 2 == 0) for seed in range(6)]


@pytest.mark.parametrize(("seed", "with_texts"), CASES)
@pytest.mark.parametrize("rows", SIZES)
def test_every_partition_size_gives_the_one_partition_report(
    seed: int, with_texts: bool, rows: int
) -> None:
    case = random_case(seed, with_texts)
    whole = report(case)
    assert whole["bootstrap"] is not None
    assert whole["coefficients"]["token_alpha"]["ci_low"] is not None
    assert report(case, LocalExecutor(rows)) == whole


def assert_same_statistics(mine: spans.SpanStatistics, theirs: spans.SpanStatistics) -> None:
    for name in ("strict", "overlap"):
        joined, whole = getattr(mine, name), getattr(theirs, name)
        for field in whole.__dataclass_fields__:
            np.testing.assert_array_equal(getattr(joined, field), getattr(whole, field))
    np.testing.assert_array_equal(mine.alpha_rows, theirs.alpha_rows)


def whole_statistics(case: dict[str, Any]) -> tuple[Any, list[str] | None, Any, float]:
    """The table, the texts by item code, the statistics of all items at once and alpha."""
    table, item_ids, _ = span_table(case["annotations"], case["span_rows"], LABELS)
    texts = None if case["texts"] is None else [case["texts"].get(i, "") for i in item_ids]
    tokens = None if texts is None else spans.tokenize_items(texts)
    whole = spans.span_statistics(table, tokens)
    assert len(whole.alpha_rows) == len(whole.strict.item_tp) == len(item_ids)
    return table, texts, whole, spans.token_alpha(table, tokens)


@pytest.mark.parametrize(("seed", "with_texts"), CASES[:4])
def test_joined_statistics_equal_those_of_all_items(seed: int, with_texts: bool) -> None:
    """Array by array, not only through the rounded report: pair counts added, per-item rows
    stacked in item order, token rows of texts tokenised per partition."""
    table, texts, whole, alpha = whole_statistics(random_case(seed, with_texts))
    for rows in (1, 3, 10**9):
        joined = partitioned_span_statistics(table, texts, LocalExecutor(rows))
        assert_same_statistics(joined, whole)
        assert spans.alpha_from_item_rows(joined.alpha_rows) == alpha


def test_the_default_engine_is_one_partition_and_small_sizes_split() -> None:
    case = random_case(0, True)
    table, item_ids, _ = span_table(case["annotations"], case["span_rows"], LABELS)
    texts = [case["texts"].get(i, "") for i in item_ids]
    assert len(split(table, texts, LocalExecutor().partition_rows)) == 1
    parts = split(table, texts, 2)
    # Consecutive ranges covering every item, each with its items' texts.
    assert sum(p.table.n_items for p in parts) == len(item_ids)
    assert [t for p in parts for t in (p.texts or [])] == texts
    assert sum(len(p.table.items) for p in parts) == len(table.items)


@pytest.mark.parametrize(("seed", "with_texts"), CASES[:2])
def test_dask_engine_equals_local_engine(seed: int, with_texts: bool, dask_client: Any) -> None:
    from labelgate.backends.dask_executor import DaskExecutor

    case = random_case(seed, with_texts)
    whole = report(case)
    table, texts, statistics, _ = whole_statistics(case)
    for rows in (1, 5, 10**9):
        assert report(case, DaskExecutor(dask_client, rows)) == whole
        assert_same_statistics(
            partitioned_span_statistics(table, texts, DaskExecutor(dask_client, rows)), statistics
        )


def test_no_pairs_and_no_spans() -> None:
    """One annotator per item, nothing marked: F1 and alpha undefined on every engine."""
    annotations = pd.DataFrame({"item_id": ["a", "b", "c"], "annotator_id": ["x", "y", "x"]})
    empty = pd.DataFrame(columns=["item_id", "annotator_id", "start", "end", "label"])
    args = (annotations, empty, {"a": "one two"}, LABELS, 50, 0, 0.95)
    whole = span_agreement(*args)
    assert whole["pairs"] == []
    assert whole["coefficients"]["token_alpha"]["value"] is None
    assert span_agreement(*args, executor=LocalExecutor(1)) == whole
