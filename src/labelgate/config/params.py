"""The composed `conf/` (Hydra) that `labelgate compose` writes to `params.yaml`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from labelgate.config.base import FormatVersion, Name, StrictModel


class Engine(StrictModel):
    """The compute engine; only the in-process engine (pandas and NumPy) exists today."""

    name: Literal["local"] = Field("local", description="The in-process engine.")


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
