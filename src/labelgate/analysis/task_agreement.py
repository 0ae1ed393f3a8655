"""Agreement reports of multi-label and span datasets, in the shape of the single-label report."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from labelgate.analysis.encoding import first_votes
from labelgate.analysis.multilabel_partitions import partitioned_multilabel
from labelgate.analysis.span_partitions import partitioned_span_statistics
from labelgate.backends.executor import Executor
from labelgate.config import columns as col
from labelgate.metrics.agreement import spans


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
    sizes = np.fromiter(map(len, labels), dtype=np.int64, count=len(labels))
    # One dict look-up per chosen label (a KeyError for one outside `label_ids`).
    chosen = itertools.chain.from_iterable(labels)
    cols = np.fromiter(map(position.__getitem__, chosen), dtype=np.int64, count=int(sizes.sum()))
    present = np.zeros((len(labels), len(label_ids)), dtype=bool)
    present[np.repeat(np.arange(len(labels)), sizes), cols] = True
    return present


def multilabel_agreement(
    annotations: pd.DataFrame,
    label_ids: Sequence[str],
    resamples: int,
    seed: int,
    confidence: float,
    executor: Executor | None = None,
) -> dict[str, Any]:
    """masi_alpha, jaccard_alpha and exact_match_rate with item-bootstrap intervals, per-label
    alpha (present/absent) with prevalence, and counts. `annotations` has item_id,
    annotator_id and `labels` (one list per annotation; its first per item and annotator
    counts). The statistics are computed by item partition where `executor` runs them
    (default: here); the numbers are the same on every engine."""
    # Codes of all rows (a repeat never holds an id its first lacks), then the first votes.
    items, item_ids = pd.factorize(annotations[col.ITEM_ID], sort=True)
    annotators, annotator_ids = pd.factorize(annotations[col.ANNOTATOR_ID], sort=True)
    first = first_votes(items, annotators)
    items, annotators = items[first].astype(np.int64), annotators[first].astype(np.int64)
    present = indicator(annotations["labels"].to_numpy()[first], label_ids)
    result = partitioned_multilabel(
        items,
        annotators,
        present,
        resamples=resamples,
        seed=seed,
        confidence=confidence,
        executor=executor,
    )
    estimates = {
        "masi_alpha": result.masi,
        "jaccard_alpha": result.jaccard,
        "exact_match_rate": result.exact_match,
    }
    per_label = result.per_label
    masi = result.masi
    return {
        "task": "multi_label",
        "n_items": len(item_ids),
        "n_pairable_items": masi.n_pairable_items,
        "n_annotators": len(annotator_ids),
        "n_annotations": len(items),
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
    # Sets of the NumPy values: iterating an Arrow-backed column is far slower.
    item_ids = pd.Index(
        sorted(set(frame[col.ITEM_ID].to_numpy()) | set(span_rows[col.ITEM_ID].to_numpy()))
    )
    annotator_ids = pd.Index(
        sorted(
            set(frame[col.ANNOTATOR_ID].to_numpy()) | set(span_rows[col.ANNOTATOR_ID].to_numpy())
        )
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
        labels=np.asarray([position[v] for v in valid[col.LABEL].to_numpy()], dtype=np.int64),
        n_labels=len(label_ids),
        # Every item counts, also one whose only spans were invalid (no row, no valid span).
        item_count=len(item_ids),
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
    executor: Executor | None = None,
) -> dict[str, Any]:
    """span_f1_strict, span_f1_overlap (pooled over annotator pairs) and token_alpha, with
    item-bootstrap intervals; per pair and per label F1; counts. `texts` (item -> text)
    gives token_alpha its tokens; without it, characters are the units. The per-pair and
    per-item statistics are computed by item partition where `executor` runs them (default:
    here); the numbers are the same on every engine and for every partition size."""
    table, item_ids, annotator_ids = span_table(annotations, span_rows, label_ids)
    item_texts = None if texts is None else [texts.get(str(item), "") for item in item_ids]
    stats = partitioned_span_statistics(table, item_texts, executor)
    strict, overlap = stats.strict, stats.overlap
    boot = {"resamples": resamples, "seed": seed}
    nan = (float("nan"), float("nan"), 0)
    strict_ci = spans.f1_intervals(strict, **boot, confidence=confidence) if resamples else {}
    overlap_ci = spans.f1_intervals(overlap, **boot, confidence=confidence) if resamples else {}
    alpha = spans.alpha_from_item_rows(stats.alpha_rows)
    alpha_ci = (
        spans.alpha_interval_from_item_rows(stats.alpha_rows, **boot, confidence=confidence)
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
        "token_units": "tokens" if texts is not None else "characters",
        "bootstrap": _bootstrap(resamples, seed, confidence) if resamples else None,
        "coefficients": coefficients,
        "pairs": pairs,
        "per_label": per_label,
        "diagnostics": _diagnostics(int((per_item >= 2).sum()), len(item_ids)),
    }
