"""Label issues of any annotation export: consensus, out-of-fold model, ranked likely errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from labelgate.analysis.encoding import unique_annotations
from labelgate.analysis.label_issues import ISSUE_COLUMNS, IssueInputs, find_issues
from labelgate.analysis.model_inputs import probability_matrix
from labelgate.analysis.model_predictions import predict
from labelgate.config import columns as col
from labelgate.config.pipeline import LabelIssuesStep, ModelStep
from labelgate.errors import InputError, UsageError
from labelgate.io.canonical import read_export, read_predictions_table
from labelgate.metrics.label_quality.crowdlab import majority_vote
from labelgate.problems import Problem

TEXT = "text"


@dataclass
class LabelIssuesResult:
    """One row per item (ISSUE_COLUMNS), the summary, and lines for the person running it."""

    table: pd.DataFrame
    summary: dict[str, Any]
    messages: list[str] = field(default_factory=list)


def vote_counts(annotations: pd.DataFrame, label_ids: list[str]) -> pd.DataFrame:
    """(items x labels) vote counts, items sorted."""
    counts = pd.crosstab(annotations[col.ITEM_ID], annotations[col.LABEL])
    return counts.reindex(columns=label_ids, fill_value=0).sort_index()


def _given(counts: pd.DataFrame, probabilities: np.ndarray | None) -> pd.DataFrame:
    """The most-voted label per item, ties broken by the model's probability (CROWDLAB's
    initial consensus), else by label order; `status` unresolved where the votes tie."""
    values = counts.to_numpy()
    tied = (values == values.max(axis=1, keepdims=True)).sum(axis=1) > 1
    probs = np.zeros(values.shape) if probabilities is None else probabilities
    codes = majority_vote(values, probs)
    return pd.DataFrame(
        {
            col.ITEM_ID: counts.index.to_numpy(dtype=object),
            col.LABEL: np.asarray(counts.columns, dtype=object)[codes],
            "status": np.where(tied, "unresolved", "agreed"),
        }
    )


def _model_probabilities(
    counts: pd.DataFrame,
    texts: pd.Series | None,
    label_ids: list[str],
    step: ModelStep,
    predictions: pd.DataFrame | None,
    where: str = "predictions",
) -> tuple[np.ndarray, dict[str, Any]]:
    """(probabilities for the sorted items, the predict summary)."""
    first = _given(counts, None)  # ties are not trained on
    items = pd.DataFrame({col.ITEM_ID: first[col.ITEM_ID]})
    if texts is not None:
        items[TEXT] = texts.reindex(items[col.ITEM_ID]).fillna("").to_numpy(dtype=object)
    gold = pd.DataFrame({col.ITEM_ID: pd.Series(dtype=object), col.LABEL: pd.Series(dtype=object)})
    result = predict(items, first, gold, label_ids, step, [TEXT], predictions, where)
    if result.summary.get("skipped"):
        n_tied = int((first["status"] == "unresolved").sum())
        raise InputError(
            [
                Problem(
                    where,
                    message=f"the built-in model cannot be trained: {result.summary['skipped']}",
                    fix=f"{n_tied} of {len(first)} items have tied votes and are not trained "
                    "on. Lower --folds, add annotations, or give --predictions.",
                )
            ]
        )
    probabilities, has = probability_matrix(result.frame, first[col.ITEM_ID].tolist(), label_ids)
    if not has.all():
        missing = first[col.ITEM_ID][~has].tolist()
        raise InputError(
            [
                Problem(
                    message=f"{len(missing)} items have no prediction, e.g. "
                    f"{', '.join(repr(i) for i in missing[:3])}.",
                    fix="Give a prediction for every item of the annotation file.",
                )
            ]
        )
    return probabilities, result.summary


def label_issues_file(
    path: Path,
    columns: dict[str, str],
    text_col: str | None,
    predictions_path: Path | None,
    step: ModelStep,
    issues_step: LabelIssuesStep,
    file_format: str | None = None,
    control: str | None = None,
) -> LabelIssuesResult:
    """Rank every item of an annotation export by the quality of its consensus label."""
    if text_col is None and predictions_path is None:
        raise UsageError("give --text-col (the built-in model reads it) or --predictions FILE.")
    wanted = {**columns, TEXT: text_col} if text_col else dict(columns)
    extra = (TEXT,) if text_col else ()
    frame, skipped = read_export(path, wanted, col.ANNOTATION_REQUIRED, file_format, control, extra)
    if text_col and TEXT not in frame.columns:
        raise UsageError(
            f"--text-col '{text_col}' is not a column of {path}. (An annotation tool's export "
            "keeps the text in its tasks: give --predictions, or a CSV with the text beside "
            "each annotation.)"
        )
    if frame.empty:
        raise InputError(
            [Problem(str(path), message="no usable annotation rows.", fix="Check the columns.")]
        )
    texts = None
    if text_col:
        texts = frame.drop_duplicates(col.ITEM_ID).set_index(col.ITEM_ID)[TEXT]
    predictions = (
        read_predictions_table(
            predictions_path,
            str(predictions_path),
            {col.ITEM_ID: columns.get(col.ITEM_ID, col.ITEM_ID)},
        )
        if predictions_path is not None
        else None
    )
    result = label_issues_of_votes(
        frame, texts, step, issues_step, predictions, where=str(predictions_path or path)
    )
    if skipped:
        result.messages.append("skipped rows: " + ", ".join(f"{k} {v}" for k, v in skipped.items()))
    return result


def _fit_predictions(
    predictions: pd.DataFrame, votes: pd.DataFrame, labels: list[str]
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """A predictions file fitted to the annotations: its probability columns join the label
    set (a class nobody chose is still a class), and items nobody annotated are left out and
    counted."""
    reserved = {col.ITEM_ID, "model", "model_version", col.LABEL, "score", "fold", "source_id"}
    label_ids = sorted(set(labels) | {c for c in predictions.columns if c not in reserved})
    annotated = predictions[col.ITEM_ID].isin(set(votes[col.ITEM_ID]))
    notes = []
    if not annotated.all():
        notes.append(
            f"{int((~annotated).sum())} predictions of items without annotations are ignored"
        )
    return predictions[annotated], label_ids, notes


def label_issues_of_votes(
    annotations: pd.DataFrame,
    texts: pd.Series | None,
    step: ModelStep,
    issues_step: LabelIssuesStep,
    predictions: pd.DataFrame | None = None,
    where: str = "annotations",
) -> LabelIssuesResult:
    """Label issues of canonical annotations (item_id, annotator_id, label); `texts`: item_id
    -> text for the built-in model; `predictions`: a team's table instead."""
    votes = unique_annotations(annotations)
    notes: list[str] = []
    label_ids = sorted(votes[col.LABEL].unique())
    if predictions is not None:
        predictions, label_ids, notes = _fit_predictions(predictions, votes, label_ids)
    if len(label_ids) < 2:
        raise InputError(
            [
                Problem(
                    where,
                    message=f"only {len(label_ids)} distinct label(s) used: nothing to tell apart.",
                    fix="Check the label column.",
                )
            ]
        )
    counts = vote_counts(votes, label_ids)
    probabilities, predicted = _model_probabilities(
        counts, texts, label_ids, step, predictions, where
    )
    given = _given(counts, probabilities).assign(status="agreed")
    issues = find_issues(IssueInputs(votes, given, probabilities, label_ids, texts), issues_step)
    summary = {
        **issues.summary,
        "model": predicted.get("model"),
        "model_version": predicted.get("model_version"),
        "accuracy_vs_consensus": predicted.get("accuracy_vs_final"),
    }
    messages = [
        f"{summary['n_label_issues']} likely label errors in {summary['n_items_checked']} items "
        f"({summary['label_issue_rate'] or 0:.1%}; ranked by {summary['ranked_by']}, flagged by "
        f"{summary['filter_by']}; model {summary['model_version']})"
    ]
    messages += notes
    if summary["accuracy_vs_consensus"] is not None:
        how = "out-of-fold model" if step.provider == "tfidf_logreg" else "your predictions'"
        messages.append(f"{how} accuracy vs the consensus: {summary['accuracy_vs_consensus']:.3f}")
    messages += [f"WARNING: {w}" for w in predicted.get("warnings", [])]
    return LabelIssuesResult(issues.table[list(ISSUE_COLUMNS)], summary, messages)
