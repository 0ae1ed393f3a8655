"""Automation bias: how often annotators accept a model's suggestion, and wrong ones on gold."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from labelgate.config import columns as col
from labelgate.metrics.proportions import wilson_interval


def _rate(hits: int, n: int) -> float | None:
    return hits / n if n else None


def _interval(hits: int, n: int) -> list[float] | None:
    return list(wilson_interval(hits, n)) if n else None


def _median(values: pd.Series) -> float | None:
    finite = values.dropna()
    return float(np.median(finite)) if len(finite) else None


def _text(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        return pd.Series("", index=frame.index, dtype="str")
    return frame[name].astype("str").fillna("").replace({"nan": "", "None": "", "<NA>": ""})


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
    frame = annotations[[col.ITEM_ID, col.ANNOTATOR_ID, col.LABEL]].copy()
    suggested = _text(annotations, "suggested_label").str.strip()
    # Ingest keeps one gold row per item: get_indexer then hashes the ids once (mapping a dict
    # over Arrow strings walks them in Python). Repeated ids keep the dict's rule (the last).
    gold_ids = pd.Index(gold[col.ITEM_ID].astype(str))
    gold_labels = gold[col.LABEL].astype(str).to_numpy(dtype=object)
    where = (
        gold_ids.get_indexer_for(pd.Index(frame[col.ITEM_ID].astype(str)))
        if gold_ids.is_unique
        else None
    )
    if where is None:
        truth = dict(zip(gold_ids, gold_labels, strict=False))
        gold_label = frame[col.ITEM_ID].astype(str).map(truth).astype(object)
    else:
        found = np.append(gold_labels, np.array([None], dtype=object))[
            np.where(where >= 0, where, len(gold_labels))
        ]
        gold_label = pd.Series(found, index=frame.index, dtype=object)
    frame["has"] = (suggested != "").to_numpy()
    frame["accepted"] = (frame["has"] & (frame[col.LABEL].astype(str) == suggested)).to_numpy()
    frame["on_gold"] = gold_label.notna().to_numpy()
    frame["wrong"] = (frame["on_gold"] & (suggested != gold_label.fillna(""))).to_numpy()
    frame["correct"] = (frame[col.LABEL].astype(str) == gold_label).to_numpy()
    if "duration_s" in annotations and pd.api.types.is_numeric_dtype(annotations["duration_s"]):
        frame["duration"] = annotations["duration_s"].to_numpy(dtype=np.float64)
    else:  # seconds as text (a file command's export)
        duration = _text(annotations, "duration_s")
        frame["duration"] = pd.to_numeric(duration, errors="coerce").to_numpy(dtype=np.float64)
    versions = sorted({v for v in _text(annotations, "model_version")[frame["has"]] if v})
    summary = _counts(frame)
    summary["model_versions"] = versions
    summary["with_suggestion"] = _arm(frame[frame["has"]])
    summary["without_suggestion"] = _arm(frame[~frame["has"]])
    summary["annotators"] = _per_annotator(frame)
    return summary
