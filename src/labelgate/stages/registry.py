"""The stages by name, in pipeline order."""

from __future__ import annotations

from collections.abc import Callable

from labelgate.project.context import DatasetContext
from labelgate.stages import aggregate, agreement, audit, config, gate, ingest, report, validate
from labelgate.stages.base import StageResult

STAGES: dict[str, Callable[[DatasetContext], StageResult]] = {
    "config": config.run,
    "ingest": ingest.run,
    "validate": validate.run,
    "agreement": agreement.run,
    "aggregate": aggregate.run,
    "audit": audit.run,
    "report": report.run,
    "gate": gate.run,
}
