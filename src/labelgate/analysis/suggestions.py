"""Automation bias: how often annotators accept a model's suggestion, and wrong ones on gold."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from labelgate.analysis.encoding import positions
from labelgate.config import columns as col
from labelgate.metrics.proportions import wilson_interval


def _rate(hits: int, n: int) -> float | None:
    return hits / n if n else None


def _interval(hits: int, n: int) -> list[float] | None:
    return list(wilson_interval(hits, n)) if n else None


def _median(values: pd.Series) -> float | None:
    finite = values.dropna()
    return float(np.median(finite)) if len(finite) else None


# Texts of a missing value, as a file's export may write them.
_EMPTY = ["nan", "None", "<NA>"]


def _text(frame: pd.DataFrame, name: str) -> pd.Series:
    """Column `name` as text, '' for a missing value (or none): on Arrow, by `isin`."""
    if name not in frame.columns:
        return pd.Series("", index=frame.index, dtype="str")
    values = frame[name].astype("str")
    return values.mask(values.isna() | values.isin(_EMPTY), "")


def _counts(frame: pd.DataFrame) -> dict[str, Any]:
    """The acceptance counts and rates of one group of annotations (columns added by
    `suggestion_bias`: has, accepted, on_gold, wrong, correct, duration)."""
    wrong = frame["has"] & frame["on_gold"] & frame["wrong"]
    return _rates(
        len(frame),
        int(frame["has"].sum()),
        int(frame["accepted"].sum()),
        int(wrong.sum()),
        int((wrong & frame["accepted"]).sum()),
    )


def _per_annotator(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """`_counts` of each annotator with a suggestion, in id order, counted by code (one pass
    of bincounts, not one sub-frame per annotator)."""
    codes, names = pd.factorize(frame[col.ANNOTATOR_ID], sort=True)
    size = len(names)

    def total(mask: pd.Series | np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=np.asarray(mask, dtype=np.float64), minlength=size)

    wrong = (frame["has"] & frame["on_gold"] & frame["wrong"]).to_numpy()
    n = np.bincount(codes, minlength=size)
    n_with, accepted = total(frame["has"]), total(frame["accepted"])
    n_wrong, wrong_accepted = total(wrong), total(wrong & frame["accepted"].to_numpy())
    return [
        {
            "annotator_id": str(names[a]),
            **_rates(
                int(n[a]),
                int(n_with[a]),
                int(accepted[a]),
                int(n_wrong[a]),
                int(wrong_accepted[a]),
            ),
        }
        for a in range(size)
        if n_with[a] > 0
    ]


def _rates(n: int, n_with: int, accepted: int, n_wrong: int, wrong_accepted: int) -> dict[str, Any]:
    """The counts with their rates and the Wilson interval of wrong suggestions accepted."""
    return {
        "n_annotations": n,
        "n_with_suggestion": n_with,
        "suggestion_share": _rate(n_with, n),
        "n_accepted": accepted,
        "acceptance_rate": _rate(accepted, n_with),
        "n_wrong_suggestions_on_gold": n_wrong,
        "n_wrong_suggestions_accepted": wrong_accepted,
        "wrong_suggestion_acceptance_rate": _rate(wrong_accepted, n_wrong),
        "wrong_suggestion_acceptance_interval": _interval(wrong_accepted, n_wrong),
    }


def _arm(frame: pd.DataFrame) -> dict[str, Any]:
    """Accuracy on gold and median duration of one arm (with or without a suggestion)."""
    gold = frame[frame["on_gold"]]
    right = int(gold["correct"].sum())
    return {
        "n_annotations": len(frame),
        "n_gold": len(gold),
        "gold_accuracy": _rate(right, len(gold)),
        "gold_accuracy_interval": _interval(right, len(gold)),
        "median_duration_s": _median(frame["duration"]),
    }


def _gold_rows(ids: pd.Series, gold: pd.DataFrame) -> tuple[np.ndarray, pd.Series]:
    """(row of `gold` labelling each id, -1: none; gold labels as text). Ingest keeps one
    gold row per item; repeated ids keep a dict's rule (the last)."""
    gold_ids = gold[col.ITEM_ID].astype(str)
    if not gold_ids.is_unique:
        last = ~gold_ids.duplicated(keep="last").to_numpy()
        gold, gold_ids = gold[last], gold_ids[last]
    # Hashed by Arrow: pandas' lookup would make each of millions of ids a Python string.
    where = positions(ids.astype(str), pd.Index(gold_ids))
    return where, gold[col.LABEL].astype(str).reset_index(drop=True)


def _on_gold(
    ids: pd.Series, label: pd.Series, suggested: pd.Series, gold: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(on_gold, wrong, correct) per annotation: its item has a gold label; its suggestion
    differs from it; its label equals it. Compared on the gold items' annotations only."""
    where, truth = _gold_rows(ids, gold)
    rows = np.flatnonzero(where >= 0)
    known = truth.iloc[where[rows]].reset_index(drop=True)
    has_gold = known.notna().to_numpy()
    on_gold = np.zeros(len(ids), dtype=bool)
    wrong, correct = on_gold.copy(), on_gold.copy()
    on_gold[rows] = has_gold
    given = suggested.iloc[rows].reset_index(drop=True)
    wrong[rows] = has_gold & (given != known.fillna("")).to_numpy()
    correct[rows] = (label.iloc[rows].reset_index(drop=True) == known).to_numpy()
    return on_gold, wrong, correct


def suggestion_bias(annotations: pd.DataFrame, gold: pd.DataFrame) -> dict[str, Any]:
    """Acceptance of model suggestions, overall and per annotator, and the with/without
    comparison on gold.

    annotations: item_id, annotator_id, label and optionally suggested_label, model_version,
    duration_s (seconds as text or numbers); an annotation has a suggestion when its
    suggested_label is not empty, and accepted it when label == suggested_label. gold:
    item_id, label. A suggestion is wrong on a gold item when it differs from the gold label;
    `wrong_suggestion_acceptance_rate` is the share of those the annotator kept (automation
    bias), with a Wilson 95% interval. Rates are None when nothing is counted.
    """
    frame = annotations[[col.ANNOTATOR_ID]].copy()
    suggested = _text(annotations, "suggested_label").str.strip()
    label = annotations[col.LABEL].astype(str)
    frame["has"] = (suggested != "").to_numpy()
    frame["accepted"] = (frame["has"] & (label == suggested)).to_numpy()
    on_gold, wrong, correct = _on_gold(annotations[col.ITEM_ID], label, suggested, gold)
    frame["on_gold"], frame["wrong"], frame["correct"] = on_gold, wrong, correct
    if "duration_s" in annotations and pd.api.types.is_numeric_dtype(annotations["duration_s"]):
        frame["duration"] = annotations["duration_s"].to_numpy(dtype=np.float64)
    else:  # seconds as text (a file command's export)
        duration = _text(annotations, "duration_s")
        frame["duration"] = pd.to_numeric(duration, errors="coerce").to_numpy(dtype=np.float64)
    versions = sorted({v for v in _text(annotations, "model_version")[frame["has"]] if v})
    summary = _counts(frame)
    summary["model_versions"] = versions
    arms = frame[["on_gold", "correct", "duration"]]
    summary["with_suggestion"] = _arm(arms[frame["has"]])
    summary["without_suggestion"] = _arm(arms[~frame["has"]])
    summary["annotators"] = _per_annotator(frame)
    return summary
