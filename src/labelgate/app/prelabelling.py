"""Pre-label a pool: fit the model on labelled items, suggest labels, write a tool's import file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from labelgate.analysis.prelabels import THRESHOLDS, precision_at_coverage, suggest
from labelgate.app.selecting import (
    Columns,
    Labelled,
    consensus_codes,
    feature_matrices,
    read_labelled,
    read_pool,
)
from labelgate.config import columns as col
from labelgate.errors import InputError, UsageError
from labelgate.io.canonical import read_predictions_table
from labelgate.io.exporters.prelabels import PRELABEL_FORMATS, write_prelabels
from labelgate.models.provided import probabilities_from_table
from labelgate.models.text_classifier import TextModelSettings, model_identity
from labelgate.problems import Problem


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
    predictions_path: Path | None = None,
) -> PrelabelResult:
    """Suggest a label for every pool item (none below `min_confidence`) and write `output`.

    With `predictions_path`, a team's own model's probabilities (the predictions table of
    docs/model-qa.md) are the suggestions instead of the built-in model's, and the coverage
    table is measured on its predictions of the labelled items."""
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
    if predictions_path is not None:
        return _prelabel_from_table(
            predictions_path,
            labelled,
            codes,
            pool,
            output,
            file_format,
            min_confidence,
            (from_name, to_name),
        )
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


def _prelabel_from_table(
    path: Path,
    labelled: Labelled,
    codes: np.ndarray,
    pool: pd.DataFrame,
    output: Path,
    file_format: str,
    min_confidence: float,
    names: tuple[str, str],
) -> PrelabelResult:
    """Suggestions from a team's predictions table: pool items it does not score get none."""
    table = read_predictions_table(path, str(path), {})
    # The table may score labels no labelled item has yet: they come after the used ones, so
    # the labelled items' codes stay valid.
    reserved = {col.ITEM_ID, "model", "model_version", col.LABEL, "score"}
    labels = list(labelled.class_names)
    labels += sorted(c for c in table.columns if c not in reserved and c not in labels)
    pool_ids = pool[col.ITEM_ID].tolist()
    ids = [*labelled.item_ids, *pool_ids]
    got = probabilities_from_table(table, ids, labels)
    if got.problems:
        raise InputError([Problem(str(path), message=m) for m in got.problems])
    n_lab = len(labelled.item_ids)
    scored = got.has_prediction[n_lab:]
    suggestions = suggest(pool_ids, got.probabilities[n_lab:], labels, min_confidence)
    unscored = ~scored
    suggestions.loc[unscored, "suggested_label"] = ""
    suggestions.loc[unscored, "suggestion_score"] = np.nan
    on_labelled = got.has_prediction[:n_lab]
    coverage = precision_at_coverage(
        got.probabilities[:n_lab][on_labelled], codes[on_labelled], (*THRESHOLDS, min_confidence)
    )
    version = got.identity.model_version
    write_prelabels(output, file_format, suggestions, pool, labels, version, *names)
    n = int((suggestions["suggested_label"] != "").sum())
    messages = [
        f"{n} of {len(suggestions)} pool items pre-labelled (min confidence {min_confidence:g}; "
        f"{got.identity.model} {version} from {path}) -> {output} ({file_format})"
    ]
    if unscored.any():
        messages.append(f"{int(unscored.sum())} pool items have no prediction in {path}")
    messages.append(
        f"the coverage table uses its predictions of {int(on_labelled.sum())} labelled items: "
        "optimistic unless they were made out of fold"
    )
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
