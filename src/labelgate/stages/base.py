"""What every stage returns, and the file names of build/<dataset>/."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ANNOTATIONS = "annotations.parquet"
ITEMS = "items.parquet"
GOLD = "gold.parquet"
ADJUDICATIONS = "adjudications.parquet"
AUDIT_RESULTS = "audit_results.parquet"
QUARANTINE = "quarantine.parquet"
REANNOTATION = "reannotation.csv"
INGEST_JSON = "ingest.json"
VIOLATIONS = "violations.parquet"
VALIDATION_JSON = "validation.json"
AGREEMENT_JSON = "agreement.json"
FINAL_LABELS = "final_labels.parquet"
ANNOTATORS = "annotators.csv"
ADJUDICATION_QUEUE = "adjudication_queue.csv"
AGGREGATE_JSON = "aggregate.json"
AUDIT_SAMPLE = "audit_sample.csv"
AUDIT_JSON = "audit.json"
METRICS_JSON = "metrics.json"
SUMMARY_MD = "summary.md"
GATE_JSON = "gate.json"
PLOTS = "plots"


@dataclass
class StageResult:
    """A stage's outputs and a few lines for the person running it."""

    stage: str
    dataset: str
    outputs: list[Path] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
