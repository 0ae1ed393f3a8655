"""The composed `conf/` (Hydra) that `labelgate compose` writes to `params.yaml`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from labelgate.config.base import FormatVersion, Name, StrictModel


class Engine(StrictModel):
    """Where the partitioned analyses run: in process (local) or on a Dask cluster (dask).

    Both engines cut the same partitions (by item, `partition_rows` annotations each) and add
    their partial statistics in the same order, so they give identical results; the engine is
    therefore no DVC parameter: switching it re-runs nothing.
    """

    name: Literal["local", "dask"] = Field(
        "local",
        description="local: in process (pandas and NumPy). dask: the partitioned analyses run "
        "on a Dask cluster (install labelgate[dask]).",
    )
    partition_rows: int = Field(
        2_000_000,
        ge=1,
        description="Annotations per partition (all annotations of an item stay together). "
        "The same on every engine, so results do not depend on the engine.",
    )
    chunk_rows: int = Field(
        1_000_000,
        ge=1,
        description="Records of an annotation export ingest checks at a time: its working "
        "copies stay the size of a chunk. Outputs do not depend on it.",
    )
    address: str | None = Field(
        None,
        description="dask: the scheduler's address (tcp://host:8786). Unset: a LocalCluster "
        "on this machine for the length of each stage.",
    )
    workers: int | None = Field(
        None, ge=1, description="dask LocalCluster: worker processes (unset: one per core)."
    )
    threads_per_worker: int = Field(1, ge=1, description="dask LocalCluster: threads each.")
    memory_limit: str = Field(
        "auto",
        min_length=1,
        description="dask LocalCluster: memory per worker ('4GB'; 'auto' shares the machine's "
        "memory among the workers). Above it workers spill partitions to local_directory.",
    )
    local_directory: str | None = Field(
        None,
        description="dask LocalCluster: where workers spill to disk (unset: the system's "
        "temporary folder).",
    )


class Output(StrictModel):
    """Where and how outputs are written."""

    dir: Literal["build"] = Field("build", description="Outputs go to build/<dataset>/.")


class Params(StrictModel):
    """The run's knobs, as DVC reads them from params.yaml."""

    kind: Literal["conf"]
    format_version: FormatVersion
    datasets: list[Name] = Field(min_length=1, description="Datasets the pipeline runs.")
    engine: Engine = Field(default_factory=Engine)
    output: Output = Field(default_factory=Output)
