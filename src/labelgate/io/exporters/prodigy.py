"""Final labels as Prodigy choice tasks, to review them in Prodigy (`prodigy mark DATASET FILE --view-id choice`)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from labelgate.io.json_io import write_bytes

FINAL_COLUMNS = ("item_id", "label", "confidence", "method", "status")


def _score(value: Any) -> float | None:
    """A confidence as a JSON number, or None when there is none (NaN, empty, not a number)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return round(number, 10) if math.isfinite(number) else None


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


def tasks_for_review(
    final: pd.DataFrame,
    items: pd.DataFrame,
    model_version: str = "labelgate",
    labels: Sequence[str] | None = None,
    multi_label: bool = False,
) -> list[dict[str, Any]]:
    """One Prodigy choice task per final label, ordered by item_id (`multi_label`: each final
    label is a set as JSON text, every member pre-selected).

    Each task shows the item's text with every label as an option (sorted; `labels` adds the
    schema's labels that no item ended with), the final label pre-selected in `accept`, and
    `meta` = item_id, score (the confidence), method, status and model_version (Prodigy shows
    `meta` under the text). An item without a final label has nothing pre-selected.
    """
    missing = [c for c in FINAL_COLUMNS if c not in final.columns]
    if missing:
        raise ValueError(f"final labels lack column(s) {', '.join(missing)}")
    if "item_id" not in items.columns or "text" not in items.columns:
        raise ValueError("items need the columns item_id and text")
    texts = dict(zip(items["item_id"].astype(str), items["text"].map(_cell), strict=True))
    finals = final.assign(item_id=final["item_id"].astype(str)).sort_values(
        "item_id", kind="stable"
    )
    chosen = [json.loads(_cell(v) or "[]") if multi_label else [_cell(v)] for v in finals["label"]]
    names = {name for names in chosen for name in names} | {str(v) for v in labels or ()}
    options = [{"id": name, "text": name} for name in sorted(names - {""})]
    tasks: list[dict[str, Any]] = []
    for row, accepted in zip(finals.itertuples(index=False), chosen, strict=True):
        item_id = str(row.item_id)
        tasks.append(
            {
                "text": texts.get(item_id, ""),
                "options": [dict(option) for option in options],
                "accept": [name for name in accepted if name],
                "meta": {
                    "item_id": item_id,
                    "score": _score(row.confidence),
                    "method": _cell(row.method),
                    "status": _cell(row.status),
                    "model_version": model_version,
                },
            }
        )
    return tasks


def jsonl_text(tasks: Iterable[dict[str, Any]]) -> str:
    """Tasks as JSON Lines: one task per line, keys in the order built, UTF-8 as is."""
    return "".join(json.dumps(t, ensure_ascii=False, allow_nan=False) + "\n" for t in tasks)


def write_jsonl(tasks: Iterable[dict[str, Any]], path: Path) -> Path:
    """Write the tasks as JSONL to `path`, atomically: a source for `prodigy mark`."""
    return write_bytes(Path(path), jsonl_text(tasks).encode("utf-8"))
