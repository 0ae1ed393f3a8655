"""Agreement reports of multi-label and span datasets, in the shape of the single-label report."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from labelgate.config import columns as col
from labelgate.metrics.agreement import multilabel, spans


def _num(value: float) -> float | None:
    """A JSON number, rounded as the single-label report rounds; None for NaN."""
    return None if value is None or math.isnan(value) else round(float(value), 10)


def _entry(value: float, low: float, high: float) -> dict[str, float | None]:
    return {"value": _num(value), "ci_low": _num(low), "ci_high": _num(high)}


def _bootstrap(resamples: int, seed: int, confidence: float) -> dict[str, Any]:
    return {
        "resamples": resamples,
        "seed": seed,
        "confidence": confidence,
        "interval": "percentile",
        "unit": "item",
    }


def indicator(labels: Sequence[Sequence[str]], label_ids: Sequence[str]) -> np.ndarray:
    """A bool (annotations, labels) matrix: which of `label_ids` each label set holds."""
    position = {label: k for k, label in enumerate(label_ids)}
    present = np.zeros((len(labels), len(label_ids)), dtype=bool)
    for row, chosen in enumerate(labels):
        for label in chosen:
            present[row, position[label]] = True
    return present


def multilabel_agreement(
    annotations: pd.DataFrame,
    label_ids: Sequence[str],
    resamples: int,
    seed: int,
    confidence: float,
) -> dict[str, Any]:
    """masi_alpha, jaccard_alpha and exact_match_rate with item-bootstrap intervals, per-label
    alpha (present/absent) with prevalence, and counts. `annotations` has item_id,
    annotator_id and `labels` (one list per annotation; its first per item and annotator
    counts)."""
    frame = annotations.drop_duplicates([col.ITEM_ID, col.ANNOTATOR_ID], keep="first")
    items, item_ids = pd.factorize(frame[col.ITEM_ID], sort=True)
    annotators, annotator_ids = pd.factorize(frame[col.ANNOTATOR_ID], sort=True)
    present = indicator(list(frame["labels"]), label_ids)
    boot = {"resamples": resamples, "seed": seed}
    estimates = {
        "masi_alpha": multilabel.masi_alpha(
            items, annotators, present, **boot, confidence=confidence
        ),
        "jaccard_alpha": multilabel.jaccard_alpha(
            items, annotators, present, **boot, confidence=confidence
        ),
        "exact_match_rate": multilabel.exact_match_rate(
            items, annotators, present, **boot, confidence=confidence
        ),
    }
    per_label = multilabel.per_label_alpha(
        items, annotators, present, **boot, confidence=confidence
    )
    masi = estimates["masi_alpha"]
    return {
        "task": "multi_label",
        "n_items": len(item_ids),
        "n_pairable_items": masi.n_pairable_items,
        "n_annotators": len(annotator_ids),
        "n_annotations": len(frame),
        "bootstrap": _bootstrap(resamples, seed, confidence) if resamples else None,
        "coefficients": {name: _entry(e.value, e.low, e.high) for name, e in estimates.items()},
        "per_label": [
            {
                "label": label,
                "prevalence": _num(per_label.prevalence[k]),
                "alpha": _num(per_label.value[k]),
                "ci_low": _num(per_label.low[k]),
                "ci_high": _num(per_label.high[k]),
            }
            for k, label in enumerate(label_ids)
        ],
        "diagnostics": _diagnostics(masi.n_pairable_items, len(item_ids)),
    }


def _diagnostics(pairable: int, n_items: int) -> list[dict[str, str]]:
    if pairable >= 30:
        return []
    return [
        {
            "code": "few_items",
            "message": f"only {pairable} of {n_items} items have two or more annotations.",
            "meaning": "the coefficients and their intervals are rough.",
        }
    ]


def span_table(
    annotations: pd.DataFrame, span_rows: pd.DataFrame, label_ids: Sequence[str]
) -> tuple[spans.SpanTable, pd.Index, pd.Index]:
    """Annotations (one row per item and annotator) and spans as codes, with the id tables."""
    frame = annotations.drop_duplicates([col.ITEM_ID, col.ANNOTATOR_ID], keep="first")
    item_ids = pd.Index(sorted(set(frame[col.ITEM_ID]) | set(span_rows[col.ITEM_ID])))
    annotator_ids = pd.Index(
        sorted(set(frame[col.ANNOTATOR_ID]) | set(span_rows[col.ANNOTATOR_ID]))
    )
    position = {label: k for k, label in enumerate(label_ids)}
    valid = span_rows[span_rows["start"] < span_rows["end"]]
    table = spans.SpanTable(
        ann_items=item_ids.get_indexer(frame[col.ITEM_ID]).astype(np.int64),
        ann_annotators=annotator_ids.get_indexer(frame[col.ANNOTATOR_ID]).astype(np.int64),
        items=item_ids.get_indexer(valid[col.ITEM_ID]).astype(np.int64),
        annotators=annotator_ids.get_indexer(valid[col.ANNOTATOR_ID]).astype(np.int64),
        starts=valid["start"].to_numpy(dtype=np.int64),
        ends=valid["end"].to_numpy(dtype=np.int64),
        labels=np.asarray([position[label] for label in valid[col.LABEL]], dtype=np.int64),
        n_labels=len(label_ids),
    )
    return table, item_ids, annotator_ids


def span_agreement(
    annotations: pd.DataFrame,
    span_rows: pd.DataFrame,
    texts: dict[str, str] | None,
    label_ids: Sequence[str],
    resamples: int,
    seed: int,
    confidence: float,
) -> dict[str, Any]:
    """span_f1_strict, span_f1_overlap (pooled over annotator pairs) and token_alpha, with
    item-bootstrap intervals; per pair and per label F1; counts. `texts` (item -> text)
    gives token_alpha its tokens; without it, characters are the units."""
    table, item_ids, annotator_ids = span_table(annotations, span_rows, label_ids)
    tokens = None
    if texts is not None:
        tokens = spans.tokenize_items([texts.get(str(item), "") for item in item_ids])
    strict, overlap = spans.span_f1_strict(table), spans.span_f1_overlap(table)
    boot = {"resamples": resamples, "seed": seed}
    nan = (float("nan"), float("nan"), 0)
    strict_ci = spans.f1_intervals(strict, **boot, confidence=confidence) if resamples else {}
    overlap_ci = spans.f1_intervals(overlap, **boot, confidence=confidence) if resamples else {}
    alpha = spans.token_alpha(table, tokens)
    alpha_ci = (
        spans.token_alpha_interval(table, tokens, **boot, confidence=confidence)
        if resamples
        else nan
    )
    coefficients = {
        "span_f1_strict": _entry(strict.pooled_f1(), *strict_ci.get("f1", nan)[:2]),
        "span_f1_overlap": _entry(overlap.pooled_f1(), *overlap_ci.get("f1", nan)[:2]),
        "token_alpha": _entry(alpha, *alpha_ci[:2]),
    }
    pairs = [
        {
            "annotator_a": str(annotator_ids[a]),
            "annotator_b": str(annotator_ids[b]),
            "shared_items": int(shared),
            "both_found_nothing": int(empty),
            "span_f1_strict": _num(f1_strict),
            "span_f1_overlap": _num(f1_overlap),
        }
        for a, b, shared, empty, f1_strict, f1_overlap in zip(
            strict.a,
            strict.b,
            strict.shared_items,
            strict.both_empty,
            strict.pair_f1(),
            overlap.pair_f1(),
            strict=True,
        )
    ]
    per_label = [
        {
            "label": label,
            "spans": int(strict.item_spans[:, k].sum()),
            "span_f1_strict": _num(strict.label_f1()[k]),
            "span_f1_overlap": _num(overlap.label_f1()[k]),
        }
        for k, label in enumerate(label_ids)
    ]
    looked = annotations.drop_duplicates([col.ITEM_ID, col.ANNOTATOR_ID])
    per_item = looked.groupby(col.ITEM_ID).size()
    return {
        "task": "spans",
        "n_items": len(item_ids),
        "n_pairable_items": int((per_item >= 2).sum()),
        "n_annotators": len(annotator_ids),
        "n_annotations": len(looked),
        "n_spans": len(span_rows),
        "token_units": "tokens" if tokens is not None else "characters",
        "bootstrap": _bootstrap(resamples, seed, confidence) if resamples else None,
        "coefficients": coefficients,
        "pairs": pairs,
        "per_label": per_label,
        "diagnostics": _diagnostics(int((per_item >= 2).sum()), len(item_ids)),
    }
