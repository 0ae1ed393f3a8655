"""Out-of-fold class probabilities per item, from the built-in model or a team's predictions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from labelgate.analysis.model_inputs import TRAINED_STATUSES, model_text
from labelgate.config import columns as col
from labelgate.config.pipeline import ModelStep
from labelgate.errors import InputError
from labelgate.models.identity import ModelIdentity
from labelgate.models.provided import probabilities_from_table
from labelgate.models.text_classifier import (
    TextModelSettings,
    model_identity,
    out_of_fold_probabilities,
)
from labelgate.problems import Problem

FOLD = "fold"
IDENTITY_COLUMNS = (col.ITEM_ID, "model", "model_version", FOLD)


@dataclass(frozen=True)
class Predictions:
    """Probabilities per item (`frame`: item_id, model, model_version, fold, one column per
    label id) and what the stage reports about them (`summary`)."""

    frame: pd.DataFrame
    summary: dict[str, Any]


def training_codes(
    item_ids: Sequence[str], final_labels: pd.DataFrame, label_ids: Sequence[str]
) -> np.ndarray:
    """(n_items,) label code of each item's settled final label, -1 when it has none."""
    settled = final_labels[final_labels["status"].isin(TRAINED_STATUSES)]
    code_of = {label: k for k, label in enumerate(label_ids)}
    by_item = dict(zip(settled[col.ITEM_ID], settled[col.LABEL].map(code_of), strict=True))
    codes = np.array([by_item.get(i, -1) for i in item_ids], dtype=float)
    out: np.ndarray = np.nan_to_num(codes, nan=-1.0).astype(np.int64)
    return out


def text_settings(step: ModelStep) -> TextModelSettings:
    """The pipeline's `model:` block as the built-in model's settings."""
    p = step.params
    return TextModelSettings(
        folds=step.folds,
        seed=step.seed,
        word_ngrams=p.word_ngrams,
        char_ngrams=p.char_ngrams,
        min_df=p.min_df,
        max_features=p.max_features,
        C=p.C,
        class_weight=p.class_weight,
    )


def _frame(
    item_ids: Sequence[str],
    probabilities: np.ndarray,
    fold: np.ndarray,
    identity: ModelIdentity,
    label_ids: Sequence[str],
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            col.ITEM_ID: pd.Series(list(item_ids), dtype=object),
            "model": identity.model,
            "model_version": identity.model_version,
            FOLD: fold.astype(np.int64),
        }
    )
    for k, label in enumerate(label_ids):
        frame[label] = probabilities[:, k].astype(np.float64)
    return frame


def _fit_summary(
    probabilities: np.ndarray, codes: np.ndarray, gold_codes: np.ndarray
) -> dict[str, Any]:
    """Out-of-fold accuracy and log loss against the final labels, accuracy on gold."""
    labelled = codes >= 0
    out: dict[str, Any] = {"accuracy_vs_final": None, "log_loss_vs_final": None}
    if labelled.any():
        p = probabilities[labelled]
        given = codes[labelled]
        out["accuracy_vs_final"] = float(np.mean(p.argmax(axis=1) == given))
        chosen = np.clip(p[np.arange(len(given)), given], 1e-15, 1.0)
        out["log_loss_vs_final"] = float(-np.mean(np.log(chosen)))
    on_gold = gold_codes >= 0
    out["n_gold"] = int(on_gold.sum())
    out["accuracy_vs_gold"] = (
        float(np.mean(probabilities[on_gold].argmax(axis=1) == gold_codes[on_gold]))
        if on_gold.any()
        else None
    )
    return out


def predict(
    items: pd.DataFrame,
    final_labels: pd.DataFrame,
    gold: pd.DataFrame,
    label_ids: Sequence[str],
    step: ModelStep,
    fields: Sequence[str],
    provided: pd.DataFrame | None,
    provided_where: str = "predictions",
) -> Predictions:
    """Probabilities for every item that has a final label or an items row.

    The built-in model is cross-fitted on the settled final labels (K folds over items, so no
    item is scored by a model that saw it); unresolved and unlabelled items are scored by the
    model fit on all settled ones. A `predictions` provider takes the team's table as is.
    """
    item_ids = sorted(set(items[col.ITEM_ID]) | set(final_labels[col.ITEM_ID]))
    codes = training_codes(item_ids, final_labels, label_ids)
    gold_codes = training_codes(item_ids, gold.assign(status="agreed"), label_ids)
    warnings: list[str] = []
    if step.provider == "predictions":
        got = probabilities_from_table(provided, item_ids, label_ids)  # type: ignore[arg-type]
        if got.problems:
            raise InputError([Problem(provided_where, message=m) for m in got.problems])
        probabilities, identity = got.probabilities, got.identity
        missing = int((~got.has_prediction).sum())
        if missing:
            warnings.append(
                f"{missing} items have no prediction in {provided_where}: they are not checked "
                "for label issues"
            )
        fold = np.full(len(item_ids), -1, dtype=np.int64)
        has = got.has_prediction
    else:
        text = model_text(items, fields).reindex(item_ids).fillna("")
        settings = text_settings(step)
        try:
            oof = out_of_fold_probabilities(
                list(text.to_numpy()), codes, len(label_ids), settings, class_names=label_ids
            )
        except InputError as exc:  # too few settled labels to cross-fit: skip, do not block
            return _skipped(item_ids, codes, label_ids, model_identity(settings), str(exc))
        probabilities, identity, fold = oof.probabilities, oof.identity, oof.fold
        has = np.ones(len(item_ids), dtype=bool)
        warnings += list(oof.warnings)
    frame = _frame(item_ids, probabilities, fold, identity, label_ids)[has]
    summary = {
        "enabled": True,
        "provider": step.provider,
        **identity.as_dict(),
        "fields": list(fields) if step.provider == "tfidf_logreg" else [],
        "n_items": len(item_ids),
        "n_predicted": int(has.sum()),
        "n_labelled": int((codes >= 0).sum()),
        **_fit_summary(probabilities[has], codes[has], gold_codes[has]),
        "warnings": warnings,
    }
    return Predictions(frame.reset_index(drop=True), summary)


def _skipped(
    item_ids: Sequence[str],
    codes: np.ndarray,
    label_ids: Sequence[str],
    identity: ModelIdentity,
    why: str,
) -> Predictions:
    """No predictions, and why: a young dataset with too few settled labels still gets its
    report and gate (a gate on label_issue_rate then says it was not computed)."""
    frame = disabled_predictions(label_ids).frame
    summary = {
        "enabled": True,
        "provider": "tfidf_logreg",
        **identity.as_dict(),
        "n_items": len(item_ids),
        "n_predicted": 0,
        "n_labelled": int((codes >= 0).sum()),
        "accuracy_vs_final": None,
        "log_loss_vs_final": None,
        "accuracy_vs_gold": None,
        "n_gold": 0,
        "skipped": why,
        "warnings": [f"the model was not trained: {why}"],
    }
    return Predictions(frame, summary)


def disabled_predictions(label_ids: Sequence[str]) -> Predictions:
    """The empty table and summary of a pipeline without a model."""
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in IDENTITY_COLUMNS})
    frame[FOLD] = frame[FOLD].astype(np.int64)
    for label in label_ids:
        frame[label] = pd.Series(dtype=np.float64)
    return Predictions(frame, {"enabled": False})
