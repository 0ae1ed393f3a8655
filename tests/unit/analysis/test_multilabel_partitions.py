"""Multi-label agreement by item partition: every partition size and both engines give the
numbers of the one-partition computation bit for bit, intervals included."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest

from labelgate.analysis.multilabel_partitions import partitioned_multilabel
from labelgate.analysis.task_agreement import indicator, multilabel_agreement
from labelgate.backends.dask_executor import DaskExecutor
from labelgate.backends.executor import Executor, LocalExecutor
from labelgate.backends.partitions import by_item
from labelgate.metrics.agreement import multilabel as ml

SEEDS = range(12)
# One annotation a partition, a few, and everything in one.
PARTITION_ROWS = (1, 3, 7, 10**9)


def crowd(seed: int) -> tuple[pd.DataFrame, list[str], int]:
    """Items with a true label set that annotators copy or replace (empty sets included),
    missing annotations, items with one annotation, a few repeated (item, annotator) rows,
    in no item order; 70 labels in some cases (sets keyed by bytes, not one integer)."""
    rng = np.random.default_rng(seed)
    n_items, n_annotators = int(rng.integers(1, 60)), int(rng.integers(2, 8))
    n_labels = int(rng.choice([1, 3, 10, 70]))
    label_ids = [f"L{j}" for j in range(n_labels)]
    # About as many labels a set whatever the number of labels, so sets repeat across items.
    density = rng.uniform(0, 0.4) * min(1.0, 4 / n_labels)
    coverage, agree = rng.uniform(0.2, 1), rng.uniform(0, 1)
    rows = []
    for item in range(n_items):
        truth = rng.random(n_labels) < density
        for annotator in range(n_annotators):
            if rng.random() > coverage:
                continue
            chosen = truth if rng.random() < agree else rng.random(n_labels) < density
            rows.append(
                (f"i{item:03d}", f"a{annotator}", [label_ids[j] for j in np.flatnonzero(chosen)])
            )
    rows += [rows[i] for i in rng.integers(0, len(rows), 3)] if rows else []
    order = rng.permutation(len(rows))
    frame = pd.DataFrame([rows[i] for i in order], columns=["item_id", "annotator_id", "labels"])
    return frame, label_ids, int(rng.choice([0, 20, 60]))


def codes(frame: pd.DataFrame, label_ids: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    first = frame.drop_duplicates(["item_id", "annotator_id"], keep="first")
    items, _ = pd.factorize(first["item_id"], sort=True)
    annotators, _ = pd.factorize(first["annotator_id"], sort=True)
    return items, annotators, indicator(list(first["labels"]), label_ids)


def bits(value: Any) -> Any:
    """A value as its dtypes, shapes and bytes: equal only when bit-identical (NaN too)."""
    if dataclasses.is_dataclass(value):
        return tuple(bits(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return {key: bits(v) for key, v in value.items()}
    array = np.asarray(value)
    return array.dtype.str, array.shape, array.tobytes()


def partitioned(
    items: np.ndarray,
    annotators: np.ndarray,
    present: np.ndarray,
    resamples: int,
    executor: Executor,
) -> ml.MultiLabelAgreement:
    """The partitioned path with `one_partition`'s bootstrap settings."""
    return partitioned_multilabel(
        items, annotators, present, resamples=resamples, seed=11, confidence=0.9, executor=executor
    )


def one_partition(
    items: np.ndarray, annotators: np.ndarray, present: np.ndarray, resamples: int
) -> ml.MultiLabelAgreement:
    """The one-coefficient functions on the whole data, each drawing its own resamples."""
    boot = {"resamples": resamples, "seed": 11, "confidence": 0.9}
    return ml.MultiLabelAgreement(
        ml.masi_alpha(items, annotators, present, **boot),
        ml.jaccard_alpha(items, annotators, present, **boot),
        ml.exact_match_rate(items, annotators, present, **boot),
        ml.per_label_alpha(items, annotators, present, **boot),
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_item_statistics_of_partitions_join_into_the_whole_data_ones(seed: int) -> None:
    items, annotators, present = codes(*crowd(seed)[:2])
    n_items = int(items.max()) + 1
    parts = by_item(items, n_items, 2)
    assert len(parts) > 1 or len(items) <= 2
    joined = ml.concat_stats(
        [
            ml.item_stats(items[p.rows] - p.start, annotators[p.rows], present[p.rows], p.n_items)
            for p in parts
        ]
    )
    # Set codes renumbered to the whole data's, entries in the same order: the same arrays.
    assert bits(joined) == bits(ml.item_stats(items, annotators, present))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("partition_rows", PARTITION_ROWS)
def test_every_partition_size_gives_the_one_partition_numbers(
    seed: int, partition_rows: int
) -> None:
    frame, label_ids, resamples = crowd(seed)
    items, annotators, present = codes(frame, label_ids)
    got = partitioned(items, annotators, present, resamples, LocalExecutor(partition_rows))
    assert bits(got) == bits(one_partition(items, annotators, present, resamples))


def test_the_blocked_expected_disagreement_gives_the_same_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without the dense k x k matrix the expected disagreement runs in row blocks.
    monkeypatch.setattr(ml, "DENSE_LIMIT", 0)
    items, annotators, present = codes(*crowd(3)[:2])
    got = partitioned(items, annotators, present, 30, LocalExecutor(2))
    assert bits(got) == bits(one_partition(items, annotators, present, 30))


def test_data_without_pairable_items_gives_nan_everywhere() -> None:
    items = np.arange(5)
    present = np.eye(5, 3, dtype=bool)
    got = partitioned_multilabel(
        items, items % 2, present, resamples=20, seed=1, confidence=0.9, executor=LocalExecutor(2)
    )
    assert bits(got) == bits(one_partition(items, items % 2, present, 20))
    assert np.isnan([got.masi.value, got.jaccard.value, got.exact_match.value]).all()
    assert got.masi.n_items == 5
    assert got.masi.n_pairable_items == 0


def test_the_dask_engine_gives_the_one_partition_numbers(dask_client: object) -> None:
    for seed in (0, 1, 5):
        frame, label_ids, resamples = crowd(seed)
        items, annotators, present = codes(frame, label_ids)
        expected = bits(one_partition(items, annotators, present, resamples))
        for partition_rows in (3, 10**9):
            executor = DaskExecutor(dask_client, partition_rows)
            got = partitioned(items, annotators, present, resamples, executor)
            assert bits(got) == expected


def test_the_report_is_the_same_on_every_engine_and_partition_size(dask_client: object) -> None:
    frame, label_ids, _ = crowd(2)
    whole = multilabel_agreement(frame, label_ids, 40, 5, 0.95)
    assert whole["n_annotations"] == len(frame.drop_duplicates(["item_id", "annotator_id"]))
    assert whole["coefficients"]["masi_alpha"]["ci_low"] is not None
    for partition_rows in PARTITION_ROWS:
        local = LocalExecutor(partition_rows)
        assert multilabel_agreement(frame, label_ids, 40, 5, 0.95, local) == whole
    for partition_rows in (1, 7):
        remote = DaskExecutor(dask_client, partition_rows)
        assert multilabel_agreement(frame, label_ids, 40, 5, 0.95, remote) == whole


def test_indicator_marks_the_chosen_labels() -> None:
    labels = [["b"], [], ["a", "c", "b"], np.array(["c"]), ["a", "a"]]
    expected = np.array([[0, 1, 0], [0, 0, 0], [1, 1, 1], [0, 0, 1], [1, 0, 0]], dtype=bool)
    np.testing.assert_array_equal(indicator(labels, ["a", "b", "c"]), expected)
    assert indicator([], ["a"]).shape == (0, 1)
    with pytest.raises(KeyError, match="z"):
        indicator([["a"], ["z"]], ["a", "b"])
