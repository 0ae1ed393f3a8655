"""Item partitions: every annotation once, an item never split, the same cut on every engine."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from labelgate.backends.executor import LocalExecutor, add_in_order, map_gather
from labelgate.backends.partitions import by_item


def test_partitions_cover_every_annotation_once_and_never_split_an_item() -> None:
    rng = np.random.default_rng(3)
    items = rng.integers(0, 500, 4000)
    parts = by_item(items, 500, partition_rows=700)
    rows = np.concatenate([p.rows for p in parts])
    assert sorted(rows.tolist()) == list(range(4000))
    assert (parts[0].start, parts[-1].stop) == (0, 500)
    for before, after in itertools.pairwise(parts):
        assert before.stop == after.start  # contiguous item ranges
    for part in parts:
        assert ((items[part.rows] >= part.start) & (items[part.rows] < part.stop)).all()
        assert np.all(np.diff(part.rows) > 0)  # input order kept within a partition
    sizes = [len(p.rows) for p in parts]
    assert len(parts) == pytest.approx(4000 / 700, abs=1)
    assert max(sizes) < 700 + 30  # at most one item's annotations over the target


def test_one_partition_is_the_input_as_it_is() -> None:
    items = np.array([4, 0, 2, 2, 1, 4])
    (part,) = by_item(items, 5, partition_rows=100)
    assert (part.start, part.stop) == (0, 5)
    assert part.rows.tolist() == [0, 1, 2, 3, 4, 5]


def test_an_item_with_more_annotations_than_a_partition_stays_whole() -> None:
    items = np.array([0] * 10 + [1] * 2 + [2] * 2)
    parts = by_item(items, 3, partition_rows=3)
    assert len(parts[0].rows) == 10
    assert sum(len(p.rows) for p in parts) == 14


def test_partition_rows_must_be_positive() -> None:
    with pytest.raises(ValueError, match="partition_rows"):
        by_item(np.array([0, 1]), 2, partition_rows=0)


def test_local_executor_keeps_partition_order_and_adds_left_to_right() -> None:
    executor = LocalExecutor(partition_rows=10)
    refs = executor.scatter([np.array([1.0]), np.array([2.0]), np.array([3.0])])
    assert map_gather(executor, lambda part, factor: part * factor, refs, 10.0) == [
        np.array([10.0]),
        np.array([20.0]),
        np.array([30.0]),
    ]
    single = np.array([0.1, 0.2])
    assert add_in_order([single]) is single  # one partition: the value itself
    with pytest.raises(ValueError, match="no partitions"):
        add_in_order([])
