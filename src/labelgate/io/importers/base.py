"""What every importer returns: one tool export as canonical tables, and what it left out and why."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
import pandas as pd

from labelgate.errors import InputError
from labelgate.problems import Problem

# The annotation columns an importer fills (all text; '' where the export has no value).
# `label` holds one value; `labels` a JSON list of every value the annotator chose (for
# multi-choice controls); `source_id` the tool's own ids ("task 17 annotation 42").
ANNOTATION_COLUMNS = (
    "item_id",
    "annotator_id",
    "label",
    "labels",
    "annotated_at",
    "duration_s",
    "suggested_label",
    "suggestion_score",
    "model_version",
    "source_id",
)
SPAN_COLUMNS = ("item_id", "annotator_id", "start", "end", "label", "text", "source_id")
GOLD_COLUMNS = ("item_id", "label", "source_id")
PREDICTION_COLUMNS = ("item_id", "label", "score", "model", "model_version", "source_id")

# Reasons an annotation is left out (besides the readers' malformed_row and bad_encoding).
SKIP_REASONS = {
    "cancelled": "the annotator cancelled or skipped the task in the tool",
    "skipped": "the annotator skipped the task (Prodigy 'ignore')",
    "rejected": "the annotator rejected the task as a whole (Prodigy 'reject' on a choice task)",
    "draft": "a draft response, not submitted",
    "discarded": "the annotator discarded the record (Argilla)",
    "no_label": "the annotation has no value for the imported control or question",
    "multiple_labels": "several values in a single-label control; use a multi-label schema",
}


@dataclass(frozen=True)
class Skipped:
    """One annotation (or record) the importer did not keep."""

    row: int  # 1-based record number in the file: the task in a JSON list, the line of JSONL
    reason: str  # a SKIP_REASONS key, or 'malformed_row' / 'bad_encoding'
    detail: str  # what it was and why, with the tool's ids, at most a few hundred characters


@dataclass
class Imported:
    """A tool export on canonical tables.

    Every table has a `_row` column (int64): the 1-based record the row came from (a task in a
    JSON list, a line of JSONL, a CSV record), so messages and `source` can point at it.
    Annotations found = len(annotations) + len(skipped): nothing an annotator entered is
    dropped without a reason.
    """

    file_format: str
    annotations: pd.DataFrame  # ANNOTATION_COLUMNS + _row
    items: pd.DataFrame  # item_id + the item's fields (text, ...) as text + _row; one row per item
    gold: pd.DataFrame  # GOLD_COLUMNS + _row
    spans: pd.DataFrame  # SPAN_COLUMNS + _row; start and end are int64 character offsets
    predictions: pd.DataFrame  # PREDICTION_COLUMNS + _row; score float64 (NaN if none)
    skipped: list[Skipped] = field(default_factory=list)
    records: int = 0  # records read (tasks, lines, rows)
    control: str = ""  # the control / question / field imported, when the export has several
    notes: list[str] = field(
        default_factory=list
    )  # what the user should know (e.g. other controls)

    def report(self) -> dict[str, Any]:
        """Counts for an import report: records, annotations kept, skipped by reason, items,
        annotators, spans, gold and predictions."""
        reasons: dict[str, int] = {}
        for entry in self.skipped:
            reasons[entry.reason] = reasons.get(entry.reason, 0) + 1
        named: list[str] = list(self.annotations["annotator_id"]) if len(self.annotations) else []
        annotators = [a for a in named if a]  # an export without annotator ids names none
        return {
            "file_format": self.file_format,
            "control": self.control,
            "records": self.records,
            "annotations_found": len(self.annotations) + len(self.skipped),
            "annotations_kept": len(self.annotations),
            "skipped": len(self.skipped),
            "skipped_by_reason": dict(sorted(reasons.items())),
            "items": len(self.items),
            "annotators": len(set(annotators)),
            "spans": len(self.spans),
            "gold": len(self.gold),
            "predictions": len(self.predictions),
            "notes": list(self.notes),
        }


def table(
    rows: list[dict[str, Any]], columns: tuple[str, ...], ints: tuple[str, ...] = ()
) -> pd.DataFrame:
    """A canonical table from row dicts: every column present, text columns as str ('' for
    missing), `ints` and `_row` as int64, `score` as float64."""
    data: dict[str, Any] = {}
    for name in (*columns, "_row"):
        values = [r.get(name) for r in rows]
        if name == "_row" or name in ints:
            data[name] = np.asarray(values, dtype=np.int64)
        elif name == "score":
            data[name] = np.asarray(
                [np.nan if v is None or v == "" else float(v) for v in values], dtype=np.float64
            )
        else:
            data[name] = pd.Series(["" if v is None else str(v) for v in values], dtype="str")
    return pd.DataFrame(data)


def input_error(display: str, message: str, fix: str, line: int = 0) -> InputError:
    """An InputError about one export file."""
    return InputError([Problem(display, line, 0, "", message, fix)])


def text_head(path: Path, display: str, reexport: str, what: str = "text") -> bytes:
    """The first 64 KiB of a text export; a directory, a missing file, UTF-16 or binary data
    is an InputError naming the fix (`reexport`: how to export the file again)."""
    if path.is_dir():
        raise input_error(
            display, "is a directory, not a file.", "Point the source at the export file itself."
        )
    if not path.is_file():
        raise input_error(display, "file not found.", "Fix the path, or run 'dvc pull'.")
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise input_error(
            display,
            "is UTF-16 (or UTF-32) text; labelgate reads UTF-8.",
            "Re-export it as UTF-8.",
            1,
        )
    nul = head.find(b"\x00")
    if nul >= 0:
        raise input_error(
            display, f"has a NUL byte at byte {nul}: it is binary data, not {what}.", reexport
        )
    return head


def labels_json(values: list[str]) -> str:
    """Several chosen values as the `labels` column holds them: compact JSON ('["a","b"]' is
    the form readers recognise as several values)."""
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def scalar_text(value: Any) -> str:
    """A JSON scalar as canonical text ('' for null; integral floats without '.0'); a list or
    object as JSON with sorted keys."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def is_int(value: Any) -> TypeGuard[int]:
    """An integer that is not a boolean (JSON's true is Python's 1)."""
    return isinstance(value, int) and not isinstance(value, bool)
