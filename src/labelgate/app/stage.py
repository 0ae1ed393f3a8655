"""Run one pipeline stage for one dataset, as `dvc.yaml` asks: `labelgate stage NAME --dataset D`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from labelgate.backends.memory_pool import use_lean_pool
from labelgate.config.params import Engine
from labelgate.project.context import dataset_context
from labelgate.project.engine_settings import read_engine
from labelgate.project.loader import Project
from labelgate.stages.base import StageResult
from labelgate.stages.registry import stage_function


def run_stage(
    root: Path,
    name: str,
    dataset: str,
    project: Project | None = None,
    engine: Engine | None = None,
) -> StageResult:
    """Load (or reuse) the project, check the dataset, run stage `name` on it with `engine`
    (default: params.yaml's)."""
    use_lean_pool()
    ctx = dataset_context(root, dataset, project)
    ctx = dataclasses.replace(ctx, engine=engine or read_engine(root))
    return stage_function(name)(ctx)
