"""Split annotations into partitions by item: every annotation of an item in one partition."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from labelgate.metrics.counts import stable_order

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class ItemRange:
    """Items `start <= code < stop` and the positions of their annotations (input order)."""

    start: int
    stop: int
    rows: IntArray

    @property
    def n_items(self) -> int:
        """Item codes in the range (some may have no annotation)."""
        return self.stop - self.start


def by_item(items: IntArray, n_items: int, partition_rows: int) -> list[ItemRange]:
    """Contiguous item-code ranges holding about `partition_rows` annotations each.

    items : item code of each annotation, shape (A,), codes in [0, n_items). The ranges depend
    on the data and `partition_rows` only, so every engine cuts the same partitions. Within a
    partition annotations keep their input order: one partition is the whole input, as is.
    """
    if partition_rows < 1:
        raise ValueError(f"partition_rows must be at least 1, got {partition_rows}")
    n_rows = len(items)
    if n_rows <= partition_rows or n_items <= 1:
        return [ItemRange(0, n_items, np.arange(n_rows, dtype=np.int64))]
    per_item = np.bincount(items, minlength=n_items)
    cumulative = np.cumsum(per_item)
    # Cut after the item at which each multiple of partition_rows is reached.
    targets = np.arange(partition_rows, n_rows, partition_rows)
    cuts = np.unique(np.searchsorted(cumulative, targets, side="left") + 1)
    bounds = np.concatenate([[0], cuts[cuts < n_items], [n_items]]).astype(np.int64)
    part_of_item = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    part = part_of_item[items]
    # Stable: input order within a partition (few partitions: a radix sort on small ints).
    order = stable_order(part, len(bounds))
    edges = np.searchsorted(part[order], np.arange(len(bounds)))
    return [
        ItemRange(
            int(bounds[p]), int(bounds[p + 1]), order[edges[p] : edges[p + 1]].astype(np.int64)
        )
        for p in range(len(bounds) - 1)
    ]
