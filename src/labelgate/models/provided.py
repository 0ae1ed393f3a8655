"""A team's own predictions table, checked and turned into an items x labels probability matrix."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from labelgate.models.identity import ModelIdentity
from labelgate.problems import did_you_mean

ID_COLUMNS = ("item_id", "model", "model_version")
# Columns labelgate itself writes beside predictions (the predict stage's fold, an import's
# source_id): read past, so its own tables are valid inputs.
IGNORED_COLUMNS = ("fold", "source_id")
SCORE_COLUMNS = ("label", "score")
# A row of probabilities may miss 1 by this much (a CSV written with 3 decimals); such rows
# are divided by their sum. Rows further from 1 are a problem, not silently rescaled: they are
# more likely scores or logits than probabilities.
SUM_TOLERANCE = 1e-3
UNVERSIONED = "unversioned"
PROVIDED = "provided"
SHOWN = 5  # how many item ids a problem about many items quotes


@dataclass(frozen=True)
class ProvidedPredictions:
    """A predictions table as probabilities in the dataset's item and label order.

    probabilities: (n_items, n_labels) float64, rows sum to 1; uniform where there is no
    prediction. has_prediction: (n_items,) bool. problems: one sentence each, naming the row or
    item, the value and the fix; a row with a problem gives no prediction.
    """

    probabilities: np.ndarray
    has_prediction: np.ndarray
    identity: ModelIdentity
    problems: list[str] = field(default_factory=list)


Row = tuple[int, str, np.ndarray]  # (1-based row number, item id, (n_labels,) probabilities)


def probabilities_from_table(
    frame: pd.DataFrame, item_ids: Sequence[str], label_ids: Sequence[str]
) -> ProvidedPredictions:
    """Map a predictions table onto `item_ids` x `label_ids`.

    The table has `item_id`, optional `model` and `model_version` (one value each), and either
    one numeric column per label id (probabilities summing to 1 within SUM_TOLERANCE) or
    `label` and `score` (the probability of the named label; the other labels share
    1 - score evenly). Rows are numbered from 1, the header excluded.
    """
    labels = [str(label) for label in label_ids]
    n_items, n_labels = len(item_ids), len(labels)
    probabilities = np.full((n_items, n_labels), 1.0 / max(n_labels, 1))
    has_prediction = np.zeros(n_items, dtype=bool)
    layout, problems = _layout([str(c) for c in frame.columns], labels)
    identity, identity_problems = _identity(frame, layout)
    problems += identity_problems
    if layout is None:
        return ProvidedPredictions(probabilities, has_prediction, identity, problems)
    rows, row_problems = _rows(frame, labels, layout)
    problems += row_problems
    problems += _place(rows, [str(i) for i in item_ids], probabilities, has_prediction)
    return ProvidedPredictions(probabilities, has_prediction, identity, problems)


def _layout(columns: list[str], labels: list[str]) -> tuple[str | None, list[str]]:
    """'probabilities' (a column per label) or 'label_score', and problems with the columns.

    The layout is None when rows cannot be read (no item_id, a missing column); an unknown
    column is a problem but the rows are still read, so that every problem is reported.
    """
    problems = []
    no_ids = "item_id" not in columns
    if no_ids:
        problems.append(
            f"the predictions table has no 'item_id' column (columns: {', '.join(columns)}); name the column of item ids 'item_id'."
        )
    has_score = any(c in columns for c in SCORE_COLUMNS)
    has_wide = any(c in labels for c in columns)
    if has_score and has_wide:
        problems.append(
            "the predictions table has both 'label'/'score' and label columns; use one layout: a probability column per label id, or 'label' and 'score'."
        )
        return None, problems
    known = {*ID_COLUMNS, *(SCORE_COLUMNS if has_score else labels)}
    for column in columns:
        if column not in known and column not in IGNORED_COLUMNS:
            hint = did_you_mean(column, known)
            problems.append(f"unknown column '{column}' in the predictions table. {hint}")
    if has_score:
        missing = [c for c in SCORE_COLUMNS if c not in columns]
        problems += [f"the predictions table has no '{c}' column; add it." for c in missing]
        return (None if missing or no_ids else "label_score"), problems
    if not has_wide:
        problems.append(
            f"the predictions table has no prediction columns: give one probability column per label id ({', '.join(labels)}), or 'label' and 'score'."
        )
        return None, problems
    missing = [label for label in labels if label not in columns]
    if missing:
        problems.append(
            f"the predictions table has no column for label(s) {', '.join(repr(m) for m in missing)}; add one probability column per label id."
        )
    return (None if missing or no_ids else "probabilities"), problems


def _single_value(frame: pd.DataFrame, column: str, default: str) -> tuple[str, list[str]]:
    """The one value of `column` (default when absent or empty), or a problem if several."""
    if column not in frame.columns:
        return default, []
    values = sorted({"" if _is_missing(v) else str(v) for v in frame[column]})
    if len(values) > 1:
        shown = ", ".join(repr(v) for v in values[:SHOWN])
        return default, [
            f"column '{column}' has {len(values)} distinct values ({shown}); one predictions table holds one model's predictions: split it, or fill every row with the same {column}."
        ]
    return (values[0] if values and values[0] else default), []


def _identity(frame: pd.DataFrame, layout: str | None) -> tuple[ModelIdentity, list[str]]:
    """The model and version the table names ('provided', 'unversioned' when absent)."""
    model, problems = _single_value(frame, "model", PROVIDED)
    model_version, more = _single_value(frame, "model_version", UNVERSIONED)
    params: dict[str, object] = {"layout": layout or "invalid"}
    return ModelIdentity(model, model_version, params), problems + more


def _rows(frame: pd.DataFrame, labels: list[str], layout: str) -> tuple[list[Row], list[str]]:
    """Each valid row as (row number, item id, probabilities), and a problem per bad row."""
    reader = _wide_row if layout == "probabilities" else _score_row
    rows, problems = [], []
    for number, raw in enumerate(frame.to_dict("records"), start=1):
        record = {str(k): v for k, v in raw.items()}  # label ids are text; columns may not be
        item = record.get("item_id")
        if _is_missing(item) or str(item) == "":
            problems.append(f"row {number}: item_id is empty; give every row an item id.")
            continue
        vector, problem = reader(record, labels)
        if problem:
            problems.append(f"row {number}, item '{item}': {problem}")
        else:
            rows.append((number, str(item), vector))
    return rows, problems


def _number(value: object) -> float | None:
    """`value` as a finite float, or None when it is empty, not a number or infinite."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def _is_missing(value: object) -> bool:
    """None, NaN, pd.NA or NaT: a cell with no value."""
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and np.isnan(value))
    )


def _shown(value: object) -> str:
    """A cell as a problem quotes it: 'empty' for a missing value, else its repr."""
    return "empty" if _is_missing(value) else repr(value)


def _wide_row(record: dict[str, object], labels: list[str]) -> tuple[np.ndarray, str]:
    """A row with one probability per label: (n_labels,) vector, or a problem."""
    values = []
    for label in labels:
        number = _number(record[label])
        if number is None or not 0.0 <= number <= 1.0:
            return np.empty(0), (
                f"'{label}' is {_shown(record[label])}, not a probability in [0, 1]; write a number between 0 and 1 for every label."
            )
        values.append(number)
    vector = np.asarray(values, dtype=np.float64)
    total = float(vector.sum())
    if abs(total - 1.0) > SUM_TOLERANCE:
        return vector, (
            f"the probabilities sum to {total:.6g}, not 1 (tolerance {SUM_TOLERANCE:g}); write probabilities that sum to 1 (a softmax of scores, for instance)."
        )
    return vector / total, ""


def _score_row(record: dict[str, object], labels: list[str]) -> tuple[np.ndarray, str]:
    """A (label, score) row: score for the label, (1 - score) / (K - 1) for each other one."""
    label = record["label"]
    if _is_missing(label) or str(label) not in labels:
        return np.empty(0), f"unknown label {_shown(label)}. {did_you_mean(label, labels)}"
    score = _number(record["score"])
    if score is None or not 0.0 <= score <= 1.0:
        return np.empty(0), (
            f"score {_shown(record['score'])} is not a probability in [0, 1]; write the probability of the predicted label."
        )
    if len(labels) == 1:
        return np.ones(1), ""
    if score < 1.0 / len(labels):
        # Below 1/K the named label would not be the likeliest: the score is of some other
        # label (the given one?), and spreading 1 - score would invent a prediction.
        return np.empty(0), (
            f"score {score:g} of '{label}' is below 1/{len(labels)}, so '{label}' would not be "
            "the model's prediction; write the predicted label and its probability, or one "
            "probability column per label."
        )
    vector = np.full(len(labels), (1.0 - score) / (len(labels) - 1))
    vector[labels.index(str(label))] = score
    return vector, ""


def _place(
    rows: list[Row], item_ids: list[str], probabilities: np.ndarray, has_prediction: np.ndarray
) -> list[str]:
    """Write each row into its item's line; problems for duplicate and unknown item ids."""
    problems = []
    counts = Counter(item for _, item, _ in rows)
    numbers: dict[str, list[str]] = defaultdict(list)
    for n, item, _ in rows:  # one pass: rows of repeated items, by item
        if counts[item] > 1:
            numbers[item].append(str(n))
    repeated = sorted(numbers)
    for item in repeated[:SHOWN]:
        problems.append(
            f"item '{item}' has {counts[item]} predictions (rows {', '.join(numbers[item][:SHOWN])}"
            f"{', ...' if counts[item] > SHOWN else ''}); keep one row per item."
        )
    if len(repeated) > SHOWN:
        problems.append(f"{len(repeated) - SHOWN} more items have several predictions.")
    position = {item: k for k, item in enumerate(item_ids)}
    unknown = sorted({item for _, item, _ in rows if item not in position})
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:SHOWN])
        more = f" and {len(unknown) - SHOWN} more" if len(unknown) > SHOWN else ""
        problems.append(
            f"{len(unknown)} item id(s) in the predictions table are not among the annotated items: {shown}{more}; check that the ids match the annotations' item ids, or remove those rows."
        )
    for _, item, vector in rows:
        if counts[item] == 1 and item in position:
            probabilities[position[item]] = vector
            has_prediction[position[item]] = True
    return problems
