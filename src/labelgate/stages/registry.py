"""The stages by name, in pipeline order; a stage's module is imported only when it runs."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labelgate.project.context import DatasetContext
    from labelgate.stages.base import StageResult

StageFunction = Callable[["DatasetContext"], "StageResult"]

# The order of dvc.yaml. Names only, so the command line can list them without importing pandas.
STAGE_NAMES = (
    "config",
    "ingest",
    "validate",
    "agreement",
    "aggregate",
    "predict",
    "label_issues",
    "audit",
    "feedback",
    "next_batch",
    "ops",
    "report",
    "gate",
)


def stage_function(name: str) -> StageFunction:
    """The `run(ctx)` of stage `name` (one of STAGE_NAMES)."""
    if name not in STAGE_NAMES:
        raise KeyError(name)
    module = importlib.import_module(f"labelgate.stages.{name}")
    run: StageFunction = module.run
    return run
