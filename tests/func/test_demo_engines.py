"""The repository's demo datasets (single-label, multi-label and spans) give the same agreement
and aggregation bytes on the Dask engine as on the local one, in many small partitions."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from labelgate.config.params import Engine
from tests.conftest import REPO_ROOT

pytest.importorskip("distributed")

PROJECT_PARTS = ("conf", "datasets", "guidelines", "pipelines", "qa_rules", "schemas")
DATASETS = ("tickets", "toxicity", "emotions", "entities")
# The outputs of the two stages that run on the engine.
OUTPUTS = (
    "agreement.json",
    "agreement_pairs.csv",
    "plots/agreement_by_group.csv",
    "plots/agreement_by_label.csv",
    "final_labels.parquet",
    "aggregate.json",
    "adjudication_queue.csv",
)
PARTITION_ROWS = 400


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo project with its tables ingested (config and ingest run once)."""
    from tests.conftest import run_stages

    root = tmp_path_factory.mktemp("demo")
    for part in PROJECT_PARTS:
        shutil.copytree(REPO_ROOT / part, root / part)
    shutil.copy(REPO_ROOT / "params.yaml", root / "params.yaml")
    for name in DATASETS:
        run_stages(root, name, ("config", "ingest"))
    return root


def build(
    root: Path, executor: Any | None, partition_rows: int = PARTITION_ROWS
) -> dict[str, bytes]:
    """agreement and aggregate of every demo dataset on `executor` (None: the local engine),
    in partitions of `partition_rows` annotations: every output's bytes."""
    from labelgate.project.context import dataset_context
    from labelgate.stages import aggregate, agreement

    @contextlib.contextmanager
    def on_executor(settings: Engine | None = None) -> Iterator[Any]:
        yield executor

    out: dict[str, bytes] = {}
    with pytest.MonkeyPatch.context() as patch:
        if executor is not None:
            patch.setattr(agreement, "open_executor", on_executor)
            patch.setattr(aggregate, "open_executor", on_executor)
        for name in DATASETS:
            ctx = dataset_context(root, name)
            ctx = dataclasses.replace(ctx, engine=Engine(partition_rows=partition_rows))
            agreement.run(ctx)
            aggregate.run(ctx)
            for output in OUTPUTS:
                path = ctx.out / output
                if path.exists():
                    out[f"{name}/{output}"] = path.read_bytes()
    return out


def test_the_demo_builds_the_same_bytes_on_dask_and_locally(demo: Path, dask_client: Any) -> None:
    from labelgate.backends.dask_executor import DaskExecutor

    local = build(demo, None)
    remote = build(demo, DaskExecutor(dask_client, PARTITION_ROWS))
    assert sorted(local) == sorted(remote)
    assert {f"{name}/agreement.json" for name in DATASETS} <= set(local)
    assert [name for name in local if local[name] != remote[name]] == []
    # The datasets hold more than one partition each: the sums really add partitions up.
    for name in DATASETS:
        report = json.loads(local[f"{name}/agreement.json"])
        assert report["n_annotations"] > 2 * PARTITION_ROWS


def close(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two JSON values differ: numbers by more than 1e-9, anything else at all."""
    if isinstance(a, dict) and isinstance(b, dict):
        if sorted(a) != sorted(b):
            return [path]
        return [w for key in a for w in close(a[key], b[key], f"{path}.{key}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [path]
        return [
            w
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for w in close(x, y, f"{path}[{i}]")
        ]
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool):
        return [] if abs(a - b) <= 1e-9 else [path]
    return [] if a == b else [path]


def test_partitions_change_no_number_by_more_than_1e9_and_no_final_label(demo: Path) -> None:
    import io

    import pandas as pd

    many = build(demo, None)
    one = build(demo, None, partition_rows=2_000_000)
    for name in DATASETS:
        for output in ("agreement.json", "aggregate.json"):
            key = f"{name}/{output}"
            assert close(json.loads(one[key]), json.loads(many[key])) == [], key
        key = f"{name}/final_labels.parquet"
        labels = [pd.read_parquet(io.BytesIO(b)) for b in (one[key], many[key])]
        assert labels[0]["item_id"].tolist() == labels[1]["item_id"].tolist()
        assert labels[0]["label"].tolist() == labels[1]["label"].tolist()
