"""Span agreement statistics by item partition, where the engine runs them, joined in item order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labelgate.backends.executor import Executor, LocalExecutor, map_gather
from labelgate.backends.partitions import by_item
from labelgate.metrics.agreement import spans


@dataclass(frozen=True)
class SpanPart:
    """One item range: its annotation rows and spans (item codes from 0 at the range's first
    item, annotator codes global) and its items' texts (None: characters are the units)."""

    table: spans.SpanTable
    texts: list[str] | None


def split(table: spans.SpanTable, texts: list[str] | None, partition_rows: int) -> list[SpanPart]:
    """Contiguous item ranges of about `partition_rows` annotation rows and spans together
    (spans and tokens are the work); rows keep their input order within a range.

    texts : one per item code (None: characters are the units)."""
    n_rows = len(table.ann_items)
    rows_items = np.concatenate([table.ann_items, table.items])
    parts = []
    for part in by_item(rows_items, table.n_items, partition_rows):
        ann = part.rows[part.rows < n_rows]
        span = part.rows[part.rows >= n_rows] - n_rows
        local = spans.SpanTable(
            ann_items=table.ann_items[ann] - part.start,
            ann_annotators=table.ann_annotators[ann],
            items=table.items[span] - part.start,
            annotators=table.annotators[span],
            starts=table.starts[span],
            ends=table.ends[span],
            labels=table.labels[span],
            n_labels=table.n_labels,
            # Every item of the range has its row in the per-item statistics, even one with
            # no annotation row or span, so the ranges' rows stack to all items' rows.
            item_count=part.n_items,
        )
        parts.append(SpanPart(local, None if texts is None else texts[part.start : part.stop]))
    return parts


def _statistics(part: SpanPart) -> spans.SpanStatistics:
    # Tokenising is the costly step at scale: it runs where the partition's texts live.
    tokens = None if part.texts is None else spans.tokenize_items(part.texts)
    return spans.span_statistics(part.table, tokens)


def partitioned_span_statistics(
    table: spans.SpanTable, texts: list[str] | None, executor: Executor | None = None
) -> spans.SpanStatistics:
    """The statistics of all the items of `table`, computed per item partition where
    `executor` runs them (default: here) and joined in item order: the same bits for any
    engine and any partition size (texts: one per item code; None: characters)."""
    executor = executor or LocalExecutor()
    refs = executor.scatter(split(table, texts, executor.partition_rows))
    return spans.merge_statistics(map_gather(executor, _statistics, refs))
