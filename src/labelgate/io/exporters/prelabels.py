"""Model suggestions (pre-labels) as import files: Label Studio, Prodigy, Argilla 2.x, CSV."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from labelgate.io.exporters import labelstudio, prodigy
from labelgate.io.json_io import json_text, write_bytes, write_text

PRELABEL_FORMATS = ("labelstudio", "prodigy", "argilla", "csv")
# suggestions: item_id, suggested_label ('' = none), suggestion_score (NaN = none); items:
# item_id + the fields a task shows (text, ...).


def _score(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return round(number, 6) if math.isfinite(number) else None


def labelstudio_tasks(
    suggestions: pd.DataFrame, items: pd.DataFrame, from_name: str, to_name: str, version: str
) -> list[dict[str, Any]]:
    """One Label Studio task per item: `data` = its fields and item_id, and a `predictions`
    entry {model_version, score, result: [choices]} when it has a suggestion."""
    final = pd.DataFrame(
        {
            "item_id": suggestions["item_id"],
            "label": suggestions["suggested_label"],
            "confidence": suggestions["suggestion_score"],
        }
    )
    return labelstudio.tasks_for_review(final, items, from_name, to_name, "choices", version)


def prodigy_tasks(
    suggestions: pd.DataFrame, items: pd.DataFrame, labels: list[str], version: str
) -> list[dict[str, Any]]:
    """One Prodigy choice task per item: text, options, the suggestion pre-selected in
    `accept` and named in `label`, and meta {item_id, score, model_version}."""
    texts = dict(zip(items["item_id"].astype(str), items.get("text", ""), strict=False))
    options = [{"id": name, "text": name} for name in labels]
    tasks = []
    for item, label, score in suggestions[
        ["item_id", "suggested_label", "suggestion_score"]
    ].itertuples(index=False, name=None):
        task: dict[str, Any] = {"text": str(texts.get(str(item), "") or "")}
        task["options"] = [dict(o) for o in options]
        task["accept"] = [label] if label else []
        if label:
            task["label"] = label
        task["meta"] = {"item_id": str(item), "score": _score(score), "model_version": version}
        tasks.append(task)
    return tasks


def argilla_records(
    suggestions: pd.DataFrame, items: pd.DataFrame, question: str, version: str
) -> list[dict[str, Any]]:
    """Argilla 2.x records as `Dataset.to_disk` writes them (records.json): id, fields,
    metadata, and suggestions {question: {value, score, agent}} when there is one."""
    fields = [c for c in items.columns if c != "item_id" and not str(c).startswith("_")]
    by_item = {
        str(r[0]): {f: "" if pd.isna(v) else str(v) for f, v in zip(fields, r[1:], strict=True)}
        for r in items[["item_id", *fields]].itertuples(index=False, name=None)
    }
    records = []
    for item, label, score in suggestions[
        ["item_id", "suggested_label", "suggestion_score"]
    ].itertuples(index=False, name=None):
        record: dict[str, Any] = {"id": str(item), "fields": by_item.get(str(item), {})}
        record["metadata"] = {}
        record["responses"] = {}
        record["suggestions"] = (
            {question: {"value": label, "score": _score(score), "agent": version}} if label else {}
        )
        records.append(record)
    return records


def write_prelabels(
    path: Path,
    file_format: str,
    suggestions: pd.DataFrame,
    items: pd.DataFrame,
    labels: list[str],
    version: str,
    from_name: str = "label",
    to_name: str = "text",
) -> Path:
    """Write the suggestions in `file_format` (PRELABEL_FORMATS) to `path`, atomically."""
    path = Path(path)
    if file_format == "labelstudio":
        tasks = labelstudio_tasks(suggestions, items, from_name, to_name, version)
        return write_text(path, json_text(tasks))
    if file_format == "prodigy":
        return prodigy.write_jsonl(prodigy_tasks(suggestions, items, labels, version), path)
    if file_format == "argilla":
        records = argilla_records(suggestions, items, from_name, version)
        text = json.dumps(records, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
        return write_bytes(path, text.encode("utf-8"))
    if file_format == "csv":
        frame = suggestions.assign(model_version=version)
        frame.loc[frame["suggested_label"] == "", "model_version"] = ""
        text = frame.to_csv(index=False, lineterminator="\n", float_format="%.6g")
        return write_bytes(path, text.encode("utf-8"))
    raise ValueError(f"unknown pre-label format '{file_format}'; use {', '.join(PRELABEL_FORMATS)}")
