"""The composed `conf/` (Hydra) that `labelgate compose` writes to `params.yaml`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from labelgate.config.base import FormatVersion, Name, StrictModel


class Engine(StrictModel):
    """The compute engine; only the in-process engine exists today."""

    name: Literal["local"] = "local"
    chunk_rows: int = Field(1_000_000, ge=1_000, description="Rows read per chunk at ingest.")


class Output(StrictModel):
    """Where and how outputs are written."""

    dir: Literal["build"] = Field("build", description="Outputs go to build/<dataset>/.")


class Params(StrictModel):
    """The run's knobs, as DVC reads them from params.yaml."""

    kind: Literal["conf"]
    format_version: FormatVersion
    datasets: list[Name] = Field(min_length=1, description="Datasets the pipeline runs.")
    engine: Engine = Field(default_factory=Engine)
    workers: int = Field(1, ge=1, le=256)
    output: Output = Field(default_factory=Output)
