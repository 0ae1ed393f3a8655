"""Choose what to annotate next: read labelled items and a pool, fit the model, run a strategy."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from labelgate.analysis.active_learning import EXPLORATION
from labelgate.analysis.batch_selection import (
    SELECTION_COLUMNS,
    TEXT,
    Columns,
    Labelled,
    SelectResult,
    choose,
    consensus_codes,
    feature_matrices,
    field_names,
    labelled_from_votes,
)
from labelgate.config import columns as col
from labelgate.errors import InputError, UsageError
from labelgate.io.canonical import read_export, rename_columns
from labelgate.io.readers import infer_format, read_source

__all__ = [
    "SELECTION_COLUMNS",
    "Columns",
    "Labelled",
    "SelectResult",
    "consensus_codes",
    "feature_matrices",
    "load_rules",
    "parse_weights",
    "read_labelled",
    "read_pool",
    "select_items",
]


def _mapping(columns: Columns) -> dict[str, str]:
    mapping = {col.ITEM_ID: columns.item, col.ANNOTATOR_ID: columns.annotator}
    mapping[col.LABEL] = columns.label
    if columns.text:
        mapping[TEXT] = columns.text
    return mapping | {f: f for f in columns.features}


def _tool_items(path: Path, fmt: str, columns: Columns, control: str | None) -> pd.DataFrame:
    """A tool export's items table with the text and feature columns renamed."""
    from labelgate.io.importers import import_file

    items = import_file(path, fmt, str(path), control).items
    if columns.text and columns.text in items.columns:
        items = items.rename(columns={columns.text: TEXT})
    return items


def read_labelled(
    path: Path, columns: Columns, file_format: str | None = None, control: str | None = None
) -> Labelled:
    """Labelled items of any export (one row per annotation, or per item without an
    annotator column): vote counts per label and the items' text or features."""
    frame, _ = read_export(
        path,
        _mapping(columns),
        (col.ITEM_ID, col.LABEL),
        file_format,
        control,
        (col.ANNOTATOR_ID, *field_names(columns)),
    )
    fmt = infer_format(path, file_format, str(path))
    if columns.text and TEXT not in frame.columns and fmt not in ("csv", "jsonl", "parquet"):
        items = _tool_items(path, fmt, columns, control)
        if TEXT in items.columns:
            frame = frame.merge(items[[col.ITEM_ID, TEXT]], on=col.ITEM_ID, how="left")
    _require_fields(frame, columns, path)
    if frame.empty:
        raise InputError(f"{path}: no labelled rows (check --item-col and --label-col).")
    return labelled_from_votes(frame, columns)


def read_pool(
    path: Path, columns: Columns, file_format: str | None = None, control: str | None = None
) -> pd.DataFrame:
    """Pool items: item_id + text and/or feature columns, one row per item (the first)."""
    display = str(path)
    fmt = infer_format(path, file_format, display)
    if fmt in ("csv", "jsonl", "parquet"):
        raw = read_source(path, fmt, display, control)
        frame = rename_columns(
            raw, _mapping(columns), (col.ITEM_ID,), field_names(columns), display
        )
    else:
        frame = _tool_items(path, fmt, columns, control)
    _require_fields(frame, columns, path)
    frame = frame[frame[col.ITEM_ID].astype(str) != ""].drop_duplicates(col.ITEM_ID)
    names = [f for f in field_names(columns) if f in frame.columns]
    return frame[[col.ITEM_ID, *names]].reset_index(drop=True)


def _require_fields(frame: pd.DataFrame, columns: Columns, path: Path) -> None:
    if columns.text and TEXT not in frame.columns:
        raise UsageError(f"--text-col '{columns.text}' is not a column of {path}.")
    missing = [f for f in columns.features if f not in frame.columns]
    if missing:
        raise UsageError(f"--feature-cols '{missing[0]}' is not a column of {path}.")
    if not columns.text and not columns.features:
        raise UsageError("give --text-col (the item's text) or --feature-cols (numeric columns).")


def parse_weights(text: str | None, path: Path | None) -> dict[str, float]:
    """Mix weights from `--weights uncertainty=0.7,novelty=0.3` or a YAML file (a mapping,
    or one under `weights:`)."""
    weights: dict[str, Any] = {}
    if path is not None:
        import yaml

        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if isinstance(loaded, dict) and isinstance(loaded.get("weights"), dict):
            loaded = loaded["weights"]
        if not isinstance(loaded, dict):
            raise UsageError(f"{path}: expected a mapping of strategy: weight.")
        weights.update(loaded)
    for part in (text or "").split(","):
        if part.strip():
            name, _, value = part.partition("=")
            weights[name.strip()] = value
    try:
        return {str(k): float(v) for k, v in weights.items()}
    except (TypeError, ValueError):
        raise UsageError(f"mix weights must be numbers; got {weights}.") from None


def load_rules(path: Path) -> Any:
    """The `next_batch:` block of a sampling-rules YAML file (config.sampling.NextBatch);
    ConfigError with the file, line and key for a bad one."""
    from labelgate.config.sampling import SamplingRules
    from labelgate.config.validation import validate
    from labelgate.config.yaml_loader import load_yaml

    return validate(SamplingRules, load_yaml(path)).next_batch


def select_items(
    labelled_path: Path,
    pool_path: Path | None,
    columns: Columns,
    strategy: str,
    budget: int,
    seed: int = 0,
    weights: Mapping[str, float] | None = None,
    file_format: str | None = None,
    control: str | None = None,
    exploration: float = EXPLORATION,
) -> SelectResult:
    """`choose` on files: the labelled export and the pool (not read for `disagreement`)."""
    labelled = read_labelled(labelled_path, columns, file_format, control)
    if strategy != "disagreement" and pool_path is None:
        raise UsageError(f"--pool is required for strategy '{strategy}'.")
    pool = (
        read_pool(pool_path, columns, file_format, control)
        if strategy != "disagreement" and pool_path is not None
        else None
    )
    return choose(
        labelled, pool, columns, strategy, budget, seed, weights, exploration, str(labelled_path)
    )
