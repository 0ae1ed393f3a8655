"""Choose the next batch from frames: fit the model on labelled items, score a pool, rank."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
from labelgate.errors import InputError
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


def field_names(columns: Columns) -> tuple[str, ...]:
    """The item columns the model reads: `text` and/or the numeric features."""
    return ((TEXT,) if columns.text else ()) + columns.features


def labelled_from_votes(frame: pd.DataFrame, columns: Columns) -> Labelled:
    """Labelled items from one row per annotation (item_id, label and the item fields): vote
    counts per label, labels in sorted order, items in sorted order."""
    counts = pd.crosstab(frame[col.ITEM_ID], frame[col.LABEL]).sort_index()
    fields = frame.drop_duplicates(col.ITEM_ID).set_index(col.ITEM_ID)
    names = [f for f in field_names(columns) if f in fields.columns]
    fields = fields.reindex(counts.index)[names].reset_index()
    return Labelled(
        item_ids=[str(i) for i in counts.index],
        class_names=[str(c) for c in counts.columns],
        votes=counts.to_numpy(dtype=np.float64),
        fields=fields,
    )


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


def choose(
    labelled: Labelled,
    pool: pd.DataFrame | None,
    columns: Columns,
    strategy: str,
    budget: int,
    seed: int = 0,
    weights: Mapping[str, float] | None = None,
    exploration: float = EXPLORATION,
    source: str = "the labelled items",
) -> SelectResult:
    """Rank pool items (or, for `disagreement`, labelled ones) and keep the best `budget`;
    `exploration` is the share of the batch drawn at random (analysis.active_learning).
    Pool items that are labelled are left out."""
    settings = TextModelSettings(seed=seed)
    codes = consensus_codes(labelled.votes)
    n_classes = len(labelled.class_names)
    if n_classes < 2:
        raise InputError(f"{source}: only {n_classes} label used; a model needs 2.")
    if strategy == "disagreement":
        from labelgate.models.features import out_of_fold_matrix

        x_lab, _ = feature_matrices(labelled.fields, labelled.fields.iloc[:0], columns, settings)
        oof = out_of_fold_matrix(x_lab, codes, n_classes, settings) if len(codes) >= 4 else None
        chosen = select_for_reannotation(labelled.votes, oof, labelled.class_names, budget, seed)
        ids: Sequence[str] = labelled.item_ids
        messages = [f"{len(chosen.index)} of {len(ids)} labelled items for re-annotation"]
    else:
        if pool is None:
            raise InputError(f"a pool of items is required for strategy '{strategy}'.")
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
