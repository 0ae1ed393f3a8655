"""Multi-label agreement on the partition engine: per-item statistics by item range, joined."""

from __future__ import annotations

from labelgate.backends.executor import Executor, LocalExecutor, map_gather
from labelgate.backends.partitions import by_item
from labelgate.metrics.agreement import multilabel
from labelgate.metrics.agreement.multilabel import BoolArray, ItemStats, MultiLabelAgreement
from labelgate.metrics.counts import IntArray

# Item codes local to the partition, annotator codes, label sets, item codes in the range.
Chunk = tuple[IntArray, IntArray, BoolArray, int]


def _item_stats(chunk: Chunk) -> ItemStats:
    return multilabel.item_stats(*chunk)


def partitioned_multilabel(
    items: IntArray,
    annotators: IntArray,
    present: BoolArray,
    *,
    resamples: int,
    seed: int,
    confidence: float,
    executor: Executor | None = None,
) -> MultiLabelAgreement:
    """Every multi-label coefficient, with per-item statistics computed by item partition
    where `executor` runs them (default: here).

    The bootstrap resamples items over the whole data, so partitions return statistics per
    item, not sums; their item ranges are contiguous and ascending, so joined in partition
    order they are the whole data's arrays, and the numbers are those of one partition on
    every engine and for any partition size.
    """
    executor = executor or LocalExecutor()
    n_items = int(items.max()) + 1 if len(items) else 0
    chunks: list[Chunk] = [
        (items[part.rows] - part.start, annotators[part.rows], present[part.rows], part.n_items)
        for part in by_item(items, n_items, executor.partition_rows)
    ]
    refs = executor.scatter(chunks)
    stats = multilabel.concat_stats(map_gather(executor, _item_stats, refs))
    return multilabel.agreement_from_stats(
        stats, resamples=resamples, seed=seed, confidence=confidence
    )
