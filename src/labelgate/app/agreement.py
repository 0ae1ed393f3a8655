"""Agreement of a standalone export: read it, map its columns, take labels from a schema or the data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labelgate.analysis.agreement import (
    agreement_json,
    default_weights,
    label_values,
    schema_values,
)
from labelgate.config import columns as col
from labelgate.errors import ConfigError, UsageError
from labelgate.io.canonical import read_export
from labelgate.metrics.agreement.report import Options
from labelgate.metrics.counts import FloatArray
from labelgate.problems import Problem, did_you_mean
from labelgate.project.layout import find_root


def agreement_for_file(
    path: Path,
    columns: dict[str, str],
    level: str | None,
    schema_name: str | None,
    weights: str,
    resamples: int,
    seed: int,
    confidence: float,
    min_pair_items: int,
    file_format: str | None = None,
) -> dict[str, Any]:
    """The agreement JSON of one export; rows with an empty id or label are skipped and counted."""
    if not 0.5 < confidence < 1.0:
        raise UsageError(f"--confidence must be between 0.5 and 1, got {confidence}.")
    if resamples < 0 or min_pair_items < 1:
        raise UsageError("--bootstrap must be >= 0 and --min-pair-items >= 1.")
    display = str(path)
    frame, skipped = read_export(path, columns, col.ANNOTATION_REQUIRED, file_format)
    if schema_name:
        level, label_ids, values = schema_labels(path, schema_name, level)
    else:
        level = level or "nominal"
        label_ids, values = label_values(frame[col.LABEL], level, display)
    options = Options(
        level=level,
        weights=default_weights(level) if weights == "auto" else weights,
        resamples=resamples,
        seed=seed,
        confidence=confidence,
        min_pair_items=min_pair_items,
    )
    report = agreement_json(frame, label_ids, values, options, display)
    return {
        "source": display,
        "n_rows_skipped": sum(skipped.values()),
        "skipped_reasons": skipped,
        **report,
    }


def schema_labels(
    path: Path, schema_name: str, level: str | None
) -> tuple[str, list[str], FloatArray]:
    """Level, label ids and values from a schema of the project holding `path`."""
    # Only with --schema: loading a project costs its pydantic models' import.
    from labelgate.project.loader import load_project

    root = find_root(path.parent)
    project = load_project(root)
    doc = project.schemas.get(schema_name)
    if doc is None:
        raise ConfigError(
            [
                Problem(
                    f"schemas/{schema_name}.yaml",
                    message=f"schema '{schema_name}' does not exist in {root}/schemas.",
                    fix=did_you_mean(schema_name, project.schemas),
                )
            ]
        )
    schema = doc.model
    if level and level != schema.level:
        raise UsageError(
            f"--level {level} contradicts schema '{schema_name}', whose level is {schema.level}."
        )
    values = schema_values(schema.level, [label.value for label in schema.labels])
    return schema.level, list(schema.label_ids), values
