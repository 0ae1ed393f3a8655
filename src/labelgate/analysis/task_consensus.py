"""Consensus for multi-label and span datasets, behind the single-label estimator contract.

A label set (or an item's spans) is written as compact JSON text in the canonical `label`
column, so equal answers are equal strings: gold accuracy, agreement with consensus,
adjudications and statuses work on them unchanged. These models decide per label (multi-label)
or per span (spans) and expose the estimator contract (`labels_`, `probas_`, `codes_`,
`ties_`) over the distinct answers, with the chosen answer's confidence as its probability.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from labelgate.aggregation.base import encode
from labelgate.aggregation.multilabel import aggregate_multilabel
from labelgate.aggregation.spans import aggregate_spans
from labelgate.config import columns as col
from labelgate.config.tasks import TASK_METHODS, TASK_PARAMS

MULTI_LABEL_METHODS = TASK_METHODS["multi_label"]
SPAN_METHODS = TASK_METHODS["spans"]


def set_text(labels: list[str]) -> str:
    """A label set as the canonical `label` text: compact JSON in schema order."""
    return json.dumps(labels, ensure_ascii=False, separators=(",", ":"))


def spans_text(rows: list[tuple[int, int, str]]) -> str:
    """An item's spans as the canonical `label` text: `[[start,end,"LABEL"],...]`, sorted."""
    return json.dumps(sorted(rows), ensure_ascii=False, separators=(",", ":"))


class _AnswerModel:
    """What a task model shares: the estimator attributes over distinct answer strings."""

    task = "multi_label"  # which TASK_PARAMS apply

    def __init__(self, method: str, label_ids: list[str], params: dict[str, Any]) -> None:
        self.method = method
        self.label_ids = label_ids
        known = TASK_PARAMS[self.task].get(method, {})
        unknown = sorted(set(params) - set(known))
        if unknown:  # `labelgate check` refuses these in a pipeline; this guards the rest
            raise ValueError(
                f"{method} for {self.task} takes {', '.join(known)}; not {', '.join(unknown)}"
            )
        self.params = params

    def get_params(self) -> dict[str, Any]:
        """The settings lineage records."""
        return {"method": self.method, **self.params}

    def _finish(
        self, df: pd.DataFrame, items: pd.Index, chosen: list[str], confidence: np.ndarray
    ) -> None:
        """Set labels_, probas_ (the chosen answer's confidence; 0 elsewhere) and codes_."""
        answers = sorted(set(df[col.LABEL]) | set(chosen))
        self.codes_ = encode(df, answers, None)
        self.labels_ = pd.Series(chosen, index=items, dtype="str")
        probas = np.zeros((len(items), len(answers)))
        position = {answer: k for k, answer in enumerate(answers)}
        probas[np.arange(len(items)), [position[c] for c in chosen]] = confidence
        self.probas_ = pd.DataFrame(probas, index=items, columns=answers)


class MultiLabelModel(_AnswerModel):
    """Label sets decided label by label (majority or binary Dawid-Skene per label); an item's
    confidence is the product of its per-label confidences; a per-label tie leaves it
    unresolved."""

    def fit(self, df: pd.DataFrame, gold: pd.Series | None = None) -> MultiLabelModel:
        """Fit on annotations whose `label` is a set's JSON text; gold likewise."""
        df = df.drop_duplicates([col.ITEM_ID, col.ANNOTATOR_ID], keep="first")
        items, item_ids = pd.factorize(df[col.ITEM_ID], sort=True)
        annotators, _ = pd.factorize(df[col.ANNOTATOR_ID], sort=True)
        position = {label: k for k, label in enumerate(self.label_ids)}
        sets = {text: json.loads(text) for text in df[col.LABEL].unique()}
        present = np.zeros((len(df), len(self.label_ids)), dtype=bool)
        for row, text in enumerate(df[col.LABEL]):
            present[row, [position[label] for label in sets[text]]] = True
        gold_cells = None
        if gold is not None and len(gold):
            gold_cells = np.full((len(item_ids), len(self.label_ids)), -1, dtype=np.int8)
            rows = pd.Index(item_ids).get_indexer(pd.Index(gold.index))
            for where, text in zip(rows, gold.to_numpy(), strict=True):
                if where >= 0:
                    gold_cells[where] = 0
                    gold_cells[where, [position[label] for label in json.loads(text)]] = 1
        options = {k: v for k, v in self.params.items() if k != "random_state"}
        result = aggregate_multilabel(
            items, annotators, present, self.label_ids, self.method, gold_cells, **options
        )
        names = np.asarray(self.label_ids, dtype=object)
        chosen = [set_text(list(names[row])) for row in result.decisions]
        self.ties_ = result.ties.any(axis=1)
        self.label_confidence_ = pd.DataFrame(
            result.confidence, index=pd.Index(item_ids), columns=self.label_ids
        )
        self.converged_ = bool(getattr(result, "converged", True))
        self._finish(df, pd.Index(item_ids), chosen, result.item_confidence)
        return self


class SpanModel(_AnswerModel):
    """An item's final spans: those marked by more than half of its annotators (exact match,
    or the `overlap` rule); confidence is the lowest agreeing share among them (the share that
    found nothing when none is kept); a tie leaves the item unresolved."""

    task = "spans"

    def __init__(
        self,
        method: str,
        label_ids: list[str],
        params: dict[str, Any],
        spans: pd.DataFrame,
        items: pd.DataFrame | None = None,
    ) -> None:
        super().__init__(method, label_ids, params)
        self.spans = spans
        self.items = items

    def fit(self, df: pd.DataFrame, gold: pd.Series | None = None) -> SpanModel:
        """Fit on one annotation row per item and annotator (their `label` is the item's
        spans as JSON text, see `answers_as_text`); gold is not used."""
        del gold
        df = df.drop_duplicates([col.ITEM_ID, col.ANNOTATOR_ID], keep="first")
        rule = self.params.get("rule", "exact")
        result = aggregate_spans(df, self.spans, self.items, rule)
        item_ids = pd.Index(sorted(df[col.ITEM_ID].unique()))
        final = result.spans
        by_item = {
            item: list(zip(group["start"], group["end"], group[col.LABEL], strict=True))
            for item, group in final.groupby(col.ITEM_ID, sort=True)
        }
        chosen = [
            spans_text([(int(s), int(e), str(lab)) for s, e, lab in by_item.get(i, [])])
            for i in item_ids
        ]
        lowest = (
            final.groupby(col.ITEM_ID)["confidence"].min() if len(final) else pd.Series(dtype=float)
        )
        status = result.items.set_index(col.ITEM_ID).reindex(item_ids)
        confidence = lowest.reindex(item_ids).to_numpy(dtype=float).copy()
        # No span kept: the confidence is the share of annotators who marked nothing.
        marked = self.spans.groupby(col.ITEM_ID)[col.ANNOTATOR_ID].nunique()
        looked = status["n_annotators"].to_numpy(dtype=float)
        nothing = 1.0 - marked.reindex(item_ids).fillna(0).to_numpy(dtype=float) / looked
        empty = np.isnan(confidence)
        confidence[empty] = nothing[empty]
        self.ties_ = (status["status"] == "unresolved").to_numpy(dtype=bool)
        self.final_spans_ = final
        self.converged_ = True
        self._finish(df, item_ids, chosen, np.nan_to_num(confidence, nan=1.0))
        return self


def answers_as_text(annotations: pd.DataFrame, spans: pd.DataFrame) -> pd.DataFrame:
    """Span annotations with each annotator's spans of the item as JSON text in `label`, so
    equal answers compare equal (and 'found nothing' is `[]`)."""
    marks: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
    for item, annotator, start, end, label in zip(
        spans[col.ITEM_ID],
        spans[col.ANNOTATOR_ID],
        spans["start"],
        spans["end"],
        spans[col.LABEL],
        strict=True,
    ):
        marks.setdefault((str(item), str(annotator)), []).append((int(start), int(end), str(label)))
    keys = zip(annotations[col.ITEM_ID], annotations[col.ANNOTATOR_ID], strict=True)
    text = [spans_text(marks.get((str(i), str(a)), [])) for i, a in keys]
    return annotations.assign(**{col.LABEL: pd.Series(text, index=annotations.index, dtype="str")})
