"""Final labels as Label Studio import tasks, each label a prediction a reviewer can accept or fix.

Every item of the final table becomes a task whose `data` holds the item's fields and its
`item_id` (so a re-imported review joins the original items); a resolved label becomes the
task's prediction, with the label's confidence as its score. Unresolved items and items
without a label get no prediction: the reviewer labels them from scratch.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from labelgate.io.json_io import json_text, write_text

# Control types a single label maps onto, and how: the value key and the value itself.
CONTROL_TYPES = ("choices", "taxonomy", "textarea", "rating", "number")


def _value(control_type: str, label: str) -> dict[str, Any]:
    """A result `value` carrying one label for `control_type`."""
    if control_type == "choices":
        return {"choices": [label]}
    if control_type == "taxonomy":
        # The importer joins a taxonomy path with '/'; split it back into the path.
        return {"taxonomy": [label.split("/")]}
    if control_type == "textarea":
        return {"text": [label]}
    number = float(label)
    whole = number.is_integer() and abs(number) < 1e15
    return {control_type: int(number) if whole else number}


def _task_results(
    task: str, label: str, from_name: str, to_name: str, text: str
) -> list[dict[str, Any]]:
    """The results of a multi-label answer (one choices result with every label) or a span
    answer (one labels result per span, with its text), from the label's JSON text."""
    parsed = json.loads(label)
    if task == "multi_label":
        value: dict[str, Any] = {"choices": list(parsed)}
        return [{"from_name": from_name, "to_name": to_name, "type": "choices", "value": value}]
    return [
        {
            "from_name": from_name,
            "to_name": to_name,
            "type": "labels",
            "value": {"start": start, "end": end, "text": text[start:end], "labels": [name]},
        }
        for start, end, name in parsed
    ]


def _plain(value: Any) -> Any:
    """A table cell as a JSON value: missing values as null, NumPy scalars and arrays as Python
    numbers and lists, times as ISO text, anything else as its text."""
    if isinstance(value, str | bool | int | dict) or value is None:
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if hasattr(value, "tolist"):  # NumPy scalars and arrays (list cells from Parquet)
        return _plain(value.tolist())
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _text(value: Any) -> str:
    value = _plain(value)
    return "" if value is None else str(value)


def tasks_for_review(
    final: pd.DataFrame,
    items: pd.DataFrame,
    from_name: str,
    to_name: str,
    control_type: str = "choices",
    model_version: str = "labelgate",
    task: str = "single_label",
) -> list[dict[str, Any]]:
    """Label Studio tasks, one per row of `final` (item_id, label, confidence, status, ...) in
    its order, with `items`' fields (item_id + fields; `_`-prefixed columns are left out) as
    data and each resolved label as a prediction for the control `from_name` on `to_name`.
    `task` multi_label: the label is a set as JSON text, predicted as one choices result with
    every member; spans: the label is the item's spans as JSON text, predicted as one labels
    result per span (with its text from `to_name`)."""
    if control_type not in CONTROL_TYPES:
        raise ValueError(
            f"control type '{control_type}' cannot carry one label; use one of "
            f"{', '.join(CONTROL_TYPES)}."
        )
    missing = [c for c in ("item_id", "label") if c not in final.columns]
    if missing or "item_id" not in items.columns:
        where = f"final lacks {', '.join(missing)}" if missing else "items lacks item_id"
        raise ValueError(f"cannot build review tasks: {where}.")
    fields = [c for c in items.columns if c != "item_id" and not str(c).startswith("_")]
    data_by_item: dict[str, dict[str, Any]] = {}
    for record in items[["item_id", *fields]].itertuples(index=False, name=None):
        item_id = _text(record[0])
        # The first row of an item wins, as it does for the importers' items tables.
        data_by_item.setdefault(
            item_id, {str(f): _plain(v) for f, v in zip(fields, record[1:], strict=True)}
        )
    statuses: Sequence[Any] = (
        final["status"].tolist() if "status" in final.columns else [None] * len(final)
    )
    confidences: Sequence[Any] = (
        final["confidence"].tolist() if "confidence" in final.columns else [None] * len(final)
    )
    tasks: list[dict[str, Any]] = []
    for item, label, status, confidence in zip(
        final["item_id"].tolist(), final["label"].tolist(), statuses, confidences, strict=True
    ):
        item_id, label = _text(item), _text(label)
        task_data: dict[str, Any] = {"data": {**data_by_item.get(item_id, {}), "item_id": item_id}}
        if label and _text(status) != "unresolved":
            if task != "single_label":
                text = _text(task_data["data"].get(to_name, ""))
                results = _task_results(task, label, from_name, to_name, text)
            else:
                try:
                    value = _value(control_type, label)
                except ValueError:
                    raise ValueError(
                        f"item '{item_id}': label '{label}' is not a number, so it cannot be "
                        f"a {control_type} prediction; export it with control type 'choices'."
                    ) from None
                results = [
                    {
                        "from_name": from_name,
                        "to_name": to_name,
                        "type": control_type,
                        "value": value,
                    }
                ]
            prediction: dict[str, Any] = {"model_version": model_version, "result": results}
            score = _plain(confidence)
            if (
                isinstance(score, int | float)
                and not isinstance(score, bool)
                and math.isfinite(score)
            ):
                prediction["score"] = float(score)
            task_data["predictions"] = [prediction]
        tasks.append(task_data)
    return tasks


def write_tasks(tasks: list[dict[str, Any]], path: Path) -> Path:
    """Write tasks as Label Studio's JSON import file: UTF-8, sorted keys, 2-space indent,
    atomically (a reader sees the old file or the new one)."""
    return write_text(Path(path), json_text(tasks))
