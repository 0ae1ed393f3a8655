"""Choose what to annotate next: read labelled items and a pool, fit the model, run a strategy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from labelgate.analysis.active_learning import (
    EXPLORATION,
    PoolView,
    cold_start,
    is_guarded,
    select,
    select_for_reannotation,
)
from labelgate.config import columns as col
from labelgate.errors import InputError, UsageError
from labelgate.io.canonical import read_export, rename_columns
from labelgate.io.readers import infer_format, read_source
from labelgate.models.text_classifier import TextModelSettings, model_identity

TEXT = "text"
SELECTION_COLUMNS = ("item_id", "rank", "score", "strategy", "reason")


@dataclass(frozen=True)
class Columns:
    """Where the files keep the item id, annotator, label, text and numeric features."""

    item: str = "item_id"
    annotator: str = "annotator_id"
    label: str = "label"
    text: str | None = None
    features: tuple[str, ...] = ()


@dataclass
class Labelled:
    """Labelled items: ids, vote counts (n, K), consensus codes, the item fields."""

    item_ids: list[str]
    class_names: list[str]
    votes: np.ndarray
    fields: pd.DataFrame  # item_id + text and/or feature columns, one row per item


@dataclass
class SelectResult:
    """The selection table (SELECTION_COLUMNS) and lines for the person running it."""

    table: pd.DataFrame
    messages: list[str] = field(default_factory=list)


def _field_names(columns: Columns) -> tuple[str, ...]:
    return ((TEXT,) if columns.text else ()) + columns.features


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
        (col.ANNOTATOR_ID, *_field_names(columns)),
    )
    fmt = infer_format(path, file_format, str(path))
    if columns.text and TEXT not in frame.columns and fmt not in ("csv", "jsonl", "parquet"):
        items = _tool_items(path, fmt, columns, control)
        if TEXT in items.columns:
            frame = frame.merge(items[[col.ITEM_ID, TEXT]], on=col.ITEM_ID, how="left")
    _require_fields(frame, columns, path)
    if frame.empty:
        raise InputError(f"{path}: no labelled rows (check --item-col and --label-col).")
    counts = pd.crosstab(frame[col.ITEM_ID], frame[col.LABEL]).sort_index()
    fields = frame.drop_duplicates(col.ITEM_ID).set_index(col.ITEM_ID)
    names = [f for f in _field_names(columns) if f in fields.columns]
    fields = fields.reindex(counts.index)[names].reset_index()
    return Labelled(
        item_ids=[str(i) for i in counts.index],
        class_names=[str(c) for c in counts.columns],
        votes=counts.to_numpy(dtype=np.float64),
        fields=fields,
    )


def read_pool(
    path: Path, columns: Columns, file_format: str | None = None, control: str | None = None
) -> pd.DataFrame:
    """Pool items: item_id + text and/or feature columns, one row per item (the first)."""
    display = str(path)
    fmt = infer_format(path, file_format, display)
    if fmt in ("csv", "jsonl", "parquet"):
        raw = read_source(path, fmt, display, control)
        frame = rename_columns(
            raw, _mapping(columns), (col.ITEM_ID,), _field_names(columns), display
        )
    else:
        frame = _tool_items(path, fmt, columns, control)
    _require_fields(frame, columns, path)
    frame = frame[frame[col.ITEM_ID].astype(str) != ""].drop_duplicates(col.ITEM_ID)
    names = [f for f in _field_names(columns) if f in frame.columns]
    return frame[[col.ITEM_ID, *names]].reset_index(drop=True)


def _require_fields(frame: pd.DataFrame, columns: Columns, path: Path) -> None:
    if columns.text and TEXT not in frame.columns:
        raise UsageError(f"--text-col '{columns.text}' is not a column of {path}.")
    missing = [f for f in columns.features if f not in frame.columns]
    if missing:
        raise UsageError(f"--feature-cols '{missing[0]}' is not a column of {path}.")
    if not columns.text and not columns.features:
        raise UsageError("give --text-col (the item's text) or --feature-cols (numeric columns).")


def feature_matrices(
    labelled: pd.DataFrame, pool: pd.DataFrame, columns: Columns, settings: TextModelSettings
) -> tuple[Any, Any]:
    """(labelled features, pool features): TF-IDF of the text (vocabulary over both), or the
    standardised numeric columns."""
    from labelgate.models.features import numeric_matrix, text_matrix

    if columns.text:
        texts = [*labelled[TEXT].tolist(), *pool[TEXT].tolist()]
        x = text_matrix(texts, settings)
    else:
        both = pd.concat([labelled, pool], ignore_index=True)
        x = numeric_matrix({f: both[f].tolist() for f in columns.features})
    return x[: len(labelled)], x[len(labelled) :]


def consensus_codes(votes: np.ndarray) -> np.ndarray:
    """The most-voted label code per item (ties to the first label in sorted order)."""
    codes: np.ndarray = votes.argmax(axis=1).astype(np.int64)
    return codes


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
    """Rank pool items (or, for `disagreement`, labelled ones) and keep the best `budget`;
    `exploration` is the share of the batch drawn at random (analysis.active_learning)."""
    settings = TextModelSettings(seed=seed)
    labelled = read_labelled(labelled_path, columns, file_format, control)
    codes = consensus_codes(labelled.votes)
    n_classes = len(labelled.class_names)
    if n_classes < 2:
        raise InputError(f"{labelled_path}: only {n_classes} label used; a model needs 2.")
    if strategy == "disagreement":
        from labelgate.models.features import out_of_fold_matrix

        x_lab, _ = feature_matrices(labelled.fields, labelled.fields.iloc[:0], columns, settings)
        oof = out_of_fold_matrix(x_lab, codes, n_classes, settings) if len(codes) >= 4 else None
        chosen = select_for_reannotation(labelled.votes, oof, labelled.class_names, budget, seed)
        ids: Sequence[str] = labelled.item_ids
        messages = [f"{len(chosen.index)} of {len(ids)} labelled items for re-annotation"]
    else:
        if pool_path is None:
            raise UsageError(f"--pool is required for strategy '{strategy}'.")
        pool = read_pool(pool_path, columns, file_format, control)
        pool = pool[~pool[col.ITEM_ID].isin(set(labelled.item_ids))].reset_index(drop=True)
        view = pool_view(labelled, codes, pool, columns, settings, strategy, weights)
        chosen = select(strategy, view, budget, seed, weights, exploration)
        ids = pool[col.ITEM_ID].astype(str).tolist()
        messages = [
            f"{len(chosen.index)} of {len(ids)} pool items by {strategy} (seed {seed}; "
            f"model {model_identity(settings).model_version} on {len(codes)} labelled items)"
        ]
        why = cold_start(view) if is_guarded(strategy, weights) else None
        if why is not None:
            messages.append(f"cold start: {why}; the batch represents the pool instead")
    table = pd.DataFrame(
        {
            "item_id": [ids[i] for i in chosen.index],
            "rank": np.arange(1, len(chosen.index) + 1, dtype=np.int64),
            "score": np.round(chosen.score.astype(np.float64), 6),
            "strategy": strategy,
            "reason": chosen.reason,
        },
        columns=list(SELECTION_COLUMNS),
    )
    return SelectResult(table, messages)


def pool_view(
    labelled: Labelled,
    codes: np.ndarray,
    pool: pd.DataFrame,
    columns: Columns,
    settings: TextModelSettings,
    strategy: str,
    weights: Mapping[str, float] | None,
) -> PoolView:
    """Pool probabilities from the model fit on the labelled items, and embeddings when the
    strategy needs them."""
    from labelgate.models.features import embed, fit_predict_matrix

    n_classes = len(labelled.class_names)
    x_lab, x_pool = feature_matrices(labelled.fields, pool, columns, settings)
    probabilities = fit_predict_matrix(x_lab, codes, x_pool, n_classes, settings)
    needs = {strategy} | set(weights or {})
    pool_embedding = labelled_embedding = None
    counts = np.bincount(codes, minlength=n_classes)
    if is_guarded(strategy, weights) and len(pool):
        # A cold start picks one item per k-means cluster, which needs the embedding.
        probe = PoolView(probabilities, labelled.class_names, counts)
        if cold_start(probe) is not None:
            needs.add("diversity")
    if needs & {"novelty", "diversity"}:
        from scipy.sparse import issparse, vstack

        stacked = vstack([x_lab, x_pool]) if issparse(x_lab) else np.vstack([x_lab, x_pool])
        dense = embed(stacked, seed=settings.seed)
        labelled_embedding, pool_embedding = dense[: len(codes)], dense[len(codes) :]
    return PoolView(
        probabilities=probabilities,
        class_names=labelled.class_names,
        labelled_counts=counts,
        pool_embedding=pool_embedding,
        labelled_embedding=labelled_embedding,
    )
