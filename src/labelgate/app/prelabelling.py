"""Pre-label a pool: fit the model on labelled items, suggest labels, write a tool's import file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from labelgate.analysis.prelabels import THRESHOLDS, precision_at_coverage, suggest
from labelgate.app.selecting import (
    Columns,
    consensus_codes,
    feature_matrices,
    read_labelled,
    read_pool,
)
from labelgate.config import columns as col
from labelgate.errors import InputError, UsageError
from labelgate.io.exporters.prelabels import PRELABEL_FORMATS, write_prelabels
from labelgate.models.text_classifier import TextModelSettings, model_identity


@dataclass
class PrelabelResult:
    """The suggestions (item_id, suggested_label, suggestion_score), the precision-at-coverage
    table from cross-validation on the labelled items, and lines for the person running it."""

    suggestions: pd.DataFrame
    coverage: pd.DataFrame
    model_version: str
    messages: list[str] = field(default_factory=list)


def prelabel(
    labelled_path: Path,
    pool_path: Path,
    columns: Columns,
    output: Path,
    file_format: str = "labelstudio",
    min_confidence: float = 0.0,
    from_name: str = "label",
    to_name: str = "text",
    seed: int = 0,
    source_format: str | None = None,
    control: str | None = None,
) -> PrelabelResult:
    """Suggest a label for every pool item (none below `min_confidence`) and write `output`."""
    from labelgate.models.features import fit_predict_matrix, out_of_fold_matrix

    if file_format not in PRELABEL_FORMATS:
        raise UsageError(f"--format must be one of {', '.join(PRELABEL_FORMATS)}.")
    if not 0.0 <= min_confidence <= 1.0:
        raise UsageError(f"--min-confidence must be in [0, 1]; got {min_confidence}.")
    settings = TextModelSettings(seed=seed)
    labelled = read_labelled(labelled_path, columns, source_format, control)
    codes = consensus_codes(labelled.votes)
    if len(labelled.class_names) < 2:
        raise InputError(f"{labelled_path}: only one label used; a model needs 2.")
    pool = read_pool(pool_path, columns, source_format, control)
    pool = pool[~pool[col.ITEM_ID].isin(set(labelled.item_ids))].reset_index(drop=True)
    x_lab, x_pool = feature_matrices(labelled.fields, pool, columns, settings)
    n_classes = len(labelled.class_names)
    probabilities = fit_predict_matrix(x_lab, codes, x_pool, n_classes, settings)
    suggestions = suggest(
        pool[col.ITEM_ID].tolist(), probabilities, labelled.class_names, min_confidence
    )
    oof = out_of_fold_matrix(x_lab, codes, n_classes, settings)
    coverage = precision_at_coverage(oof, codes, (*THRESHOLDS, min_confidence))
    version = model_identity(settings).model_version
    write_prelabels(
        output, file_format, suggestions, pool, labelled.class_names, version, from_name, to_name
    )
    n = int((suggestions["suggested_label"] != "").sum())
    messages = [
        f"{n} of {len(suggestions)} pool items pre-labelled (min confidence {min_confidence:g}; "
        f"model {version} on {len(codes)} labelled items) -> {output} ({file_format})"
    ]
    return PrelabelResult(suggestions, coverage, version, messages)


def coverage_lines(coverage: pd.DataFrame) -> list[str]:
    """The precision-at-coverage table as aligned text lines."""
    lines = ["min_confidence  coverage  precision  n_suggested / n_items (cross-validated)"]
    for row in coverage.to_dict("records"):
        value = float(row["precision"])
        precision = "-" if value != value else f"{value:.3f}"
        lines.append(
            f"{float(row['min_confidence']):>14.2f}  {float(row['coverage']):>8.3f}  "
            f"{precision:>9}  {int(row['n_suggested'])} / {int(row['n_items'])}"
        )
    return lines
