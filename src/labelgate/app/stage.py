"""Run one pipeline stage for one dataset, as `dvc.yaml` asks: `labelgate stage NAME --dataset D`."""

from __future__ import annotations

from pathlib import Path

from labelgate.project.context import dataset_context
from labelgate.project.loader import Project
from labelgate.stages.base import StageResult
from labelgate.stages.registry import stage_function


def run_stage(root: Path, name: str, dataset: str, project: Project | None = None) -> StageResult:
    """Load (or reuse) the project, check the dataset, run stage `name` on it."""
    ctx = dataset_context(root, dataset, project)
    return stage_function(name)(ctx)
