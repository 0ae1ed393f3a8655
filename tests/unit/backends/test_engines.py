"""Both engines give the same numbers: partitioned agreement and EM equal the whole-data ones,
and the Dask engine equals the local engine bit for bit on the same partitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelgate.aggregation.dawid_skene import DawidSkene, OneCoinDawidSkene
from labelgate.analysis.agreement import encode, partitioned_report
from labelgate.backends.dask_executor import DaskExecutor
from labelgate.backends.engines import open_executor
from labelgate.backends.executor import LocalExecutor
from labelgate.cli.options import ENGINES
from labelgate.config.params import Engine
from labelgate.metrics.agreement.report import Options, Report, agreement_report

distributed = pytest.importorskip("distributed")

LABELS = ["a", "b", "c", "d"]


def crowd(seed: int, n_items: int = 1500, n_annotators: int = 30) -> pd.DataFrame:
    """Items with 1-5 annotations from annotators of mixed accuracy; a few repeats."""
    rng = np.random.default_rng(seed)
    per_item = rng.integers(1, 6, n_items)
    items = np.repeat(np.arange(n_items), per_item)
    truth = rng.integers(0, len(LABELS), n_items)
    skill = rng.uniform(0.4, 0.95, n_annotators)
    annotators = rng.integers(0, n_annotators, len(items))
    right = rng.random(len(items)) < skill[annotators]
    labels = np.where(right, truth[items], rng.integers(0, len(LABELS), len(items)))
    order = rng.permutation(len(items))  # rows in no particular item order
    return pd.DataFrame(
        {
            "item_id": [f"i{i:05d}" for i in items[order]],
            "annotator_id": [f"w{a:03d}" for a in annotators[order]],
            "label": [LABELS[k] for k in labels[order]],
        }
    )


def _report(frame: pd.DataFrame, executor: object, level: str = "nominal") -> Report:
    codes = encode(frame, LABELS)
    options = Options(level=level, weights="identity", resamples=200, seed=7, interval="bca")
    values = np.arange(len(LABELS), dtype=np.float64)
    return partitioned_report(codes, len(LABELS), values, options, executor)  # type: ignore[arg-type]


def test_partitioned_agreement_equals_the_whole_data_report() -> None:
    frame = crowd(1)
    codes = encode(frame, LABELS)
    options = Options(level="ordinal", weights="identity", resamples=200, seed=7, interval="bca")
    values = np.arange(len(LABELS), dtype=np.float64)
    whole = agreement_report(codes.items, codes.annotators, codes.labels, 4, values, options)
    parts = partitioned_report(codes, 4, values, options, LocalExecutor(partition_rows=400))
    # Patterns and pair tables are integer counts: identical, so are the coefficients and
    # their bootstrap intervals.
    assert parts.coefficients == whole.coefficients
    assert (parts.n_items, parts.n_pairable_items, parts.n_annotators, parts.n_annotations) == (
        whole.n_items,
        whole.n_pairable_items,
        whole.n_annotators,
        whole.n_annotations,
    )
    np.testing.assert_array_equal(parts.pairs.tables, whole.pairs.tables)
    np.testing.assert_array_equal(parts.pairs.a, whole.pairs.a)
    for name, column in whole.per_label.items():
        np.testing.assert_array_equal(parts.per_label[name], column)
    # Leave-one-out alpha adds floating coincidences over partitions: equal to rounding.
    for name, column in whole.per_annotator.items():
        np.testing.assert_allclose(parts.per_annotator[name], column, rtol=0, atol=1e-12)


def test_dask_agreement_is_bit_identical_to_local(dask_client: object) -> None:
    frame = crowd(2)
    local = _report(frame, LocalExecutor(partition_rows=500))
    remote = _report(frame, DaskExecutor(dask_client, partition_rows=500))
    assert remote.coefficients == local.coefficients
    for name, column in local.per_annotator.items():
        np.testing.assert_array_equal(remote.per_annotator[name], column)


@pytest.mark.parametrize("model", [DawidSkene, OneCoinDawidSkene])
@pytest.mark.parametrize("clamp", [False, True])
def test_partitioned_em_equals_whole_data_em(model: type, clamp: bool) -> None:
    frame = crowd(3)
    gold = pd.Series(["a", "b", "c"], index=["i00000", "i00001", "i00002"])
    whole = model(labels=LABELS, clamp_gold=clamp).fit(frame, gold)
    parts = model(labels=LABELS, clamp_gold=clamp).use_engine(LocalExecutor(500)).fit(frame, gold)
    assert parts.n_iter_ == whole.n_iter_
    pd.testing.assert_series_equal(parts.labels_, whole.labels_)
    np.testing.assert_allclose(parts.probas_.to_numpy(), whole.probas_.to_numpy(), atol=1e-9)
    np.testing.assert_allclose(parts.loss_history_, whole.loss_history_, rtol=1e-12)


@pytest.mark.parametrize("model", [DawidSkene, OneCoinDawidSkene])
def test_dask_em_is_bit_identical_to_local(model: type, dask_client: object) -> None:
    frame = crowd(4)
    local = model(labels=LABELS).use_engine(LocalExecutor(600)).fit(frame)
    remote = model(labels=LABELS).use_engine(DaskExecutor(dask_client, 600)).fit(frame)
    assert remote.loss_history_ == local.loss_history_
    np.testing.assert_array_equal(remote.probas_.to_numpy(), local.probas_.to_numpy())


def test_a_local_cluster_of_processes_gives_the_local_numbers() -> None:
    # The real path of engine=dask without an address: worker processes, pickled kernels.
    frame = crowd(5, n_items=600)
    with open_executor(Engine(name="dask", workers=2, partition_rows=300)) as executor:
        assert executor.name == "dask"
        remote = DawidSkene(labels=LABELS).use_engine(executor).fit(frame)
        report = _report(frame, executor)
    local = DawidSkene(labels=LABELS).use_engine(LocalExecutor(300)).fit(frame)
    np.testing.assert_array_equal(remote.probas_.to_numpy(), local.probas_.to_numpy())
    assert report.coefficients == _report(frame, LocalExecutor(300)).coefficients


def test_an_unreachable_scheduler_is_a_config_error_naming_the_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from labelgate.backends import dask_executor
    from labelgate.errors import ConfigError

    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT", "1s")
    engine = Engine(name="dask", address="tcp://127.0.0.1:9")
    with pytest.raises(ConfigError, match=r"127\.0\.0\.1:9.*"), open_executor(engine):
        pass


def test_the_command_line_offers_the_engines_the_config_accepts() -> None:
    accepted = Engine.model_fields["name"].annotation.__args__  # type: ignore[union-attr]
    assert accepted == ENGINES
