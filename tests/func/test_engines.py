"""`engine: dask` writes the bytes the local engine writes: partitions, sums and outputs agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ProjectFactory, cli

pytest.importorskip("distributed")

OUTPUTS = ("agreement.json", "agreement_pairs.csv", "final_labels.parquet", "aggregate.json")


def _stage(root: Path, name: str, *extra: str) -> None:
    result = cli("stage", name, "--dataset", "example", "-C", root, *extra)
    assert result.returncode == 0, result.stderr


def _outputs(root: Path) -> dict[str, bytes]:
    out = root / "build" / "example"
    return {name: (out / name).read_bytes() for name in OUTPUTS}


def test_agreement_and_aggregate_on_dask_equal_the_local_engine(
    make_project: ProjectFactory,
) -> None:
    root = make_project()
    pipeline = root / "pipelines" / "default.yaml"
    pipeline.write_text(
        pipeline.read_text(encoding="utf-8").replace(
            "method: majority_vote", "method: dawid_skene"
        ),
        encoding="utf-8",
    )
    # 36 annotations in partitions of about 10: the partitioned path, not one partition;
    # the dask settings (one worker) stay params.yaml's under --engine.
    overrides = ("engine=dask", "engine.partition_rows=10", "engine.workers=1")
    assert cli("compose", *overrides, "-C", root).returncode == 0
    for name in ("config", "ingest", "agreement", "aggregate"):
        _stage(root, name, "--engine", "local")
    local = _outputs(root)
    for name in ("agreement", "aggregate"):
        _stage(root, name)  # params.yaml's engine: dask
    assert _outputs(root) == local


def test_engine_dask_without_dask_installed_says_how_to_install(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    root = make_project()
    for name in ("config", "ingest"):
        _stage(root, name)
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    result = cli("stage", "agreement", "--dataset", "example", "-C", root, "--engine", "dask")
    assert result.returncode == 3
    assert "pip install 'labelgate[dask]'" in result.stderr


def test_file_commands_on_dask_print_what_they_print_in_process(tmp_path: Path) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    rows = ["item,worker,label"]
    for item in range(200):
        for worker in rng.choice(12, 3, replace=False):
            rows.append(f"i{item},w{worker},{rng.choice(['a', 'b', 'c'])}")
    export = tmp_path / "export.csv"
    export.write_text("\n".join(rows) + "\n", encoding="utf-8")
    columns = ("--item-col", "item", "--annotator-col", "worker")
    agreement = ("agreement", export, *columns, "--format", "json")
    aggregate = ("aggregate", export, *columns, "--method", "dawid_skene")
    for command in (agreement, aggregate):
        local = cli(*command)
        remote = cli(*command, "--engine", "dask")
        assert local.returncode == remote.returncode == 0, remote.stderr
        assert remote.stdout == local.stdout


def test_labelgate_run_on_dask_builds_what_the_local_engine_builds(tmp_path: Path) -> None:
    from tests.conftest import init_repo

    builds = {}
    for engine in ("local", "dask"):
        root = init_repo(tmp_path / engine)
        pipeline = root / "pipelines" / "default.yaml"
        pipeline.write_text(
            pipeline.read_text(encoding="utf-8").replace(
                "method: majority_vote", "method: dawid_skene"
            ),
            encoding="utf-8",
        )
        overrides = (
            ["engine.partition_rows=10"]
            if engine == "local"
            else ["engine=dask", "engine.partition_rows=10", "engine.workers=1"]
        )
        done = cli("run", *overrides, cwd=root)
        assert done.returncode == 0, done.stdout + done.stderr
        out = root / "build" / "example"
        builds[engine] = {
            name: (out / name).read_bytes()
            for name in ("agreement.json", "final_labels.parquet", "metrics.json", "gate.json")
        }
    assert builds["dask"] == builds["local"]
