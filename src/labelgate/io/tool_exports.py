"""Annotation tools' exports as sources: detect the tool, import, and hand ingest a RawTable."""

from __future__ import annotations

import json
from pathlib import Path

from labelgate.errors import InputError
from labelgate.io.importers import FORMATS, import_file
from labelgate.io.importers.base import Imported
from labelgate.io.readers import RawTable
from labelgate.problems import Problem

TOOL_FORMATS = tuple(FORMATS)
# Columns of an imported annotation row that ingest and the file commands read.
_PASSED = (
    "item_id",
    "annotator_id",
    "label",
    "annotated_at",
    "duration_s",
    "suggested_label",
    "suggestion_score",
    "model_version",
    "source_id",
)
_SNIFF_BYTES = 1 << 16


def _first_json_value(path: Path) -> object:
    """The first record of a JSON list (or the object) at the start of `path`, or None."""
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES).decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if not head.startswith(("[", "{")):
        return None
    decoder = json.JSONDecoder()
    try:
        if head.startswith("["):
            value, _ = decoder.raw_decode(head[1:].lstrip())
        else:
            value, _ = decoder.raw_decode(head)
    except (json.JSONDecodeError, RecursionError):
        return None
    return value


def _jsonl_format(record: object) -> str | None:
    if not isinstance(record, dict):
        return None
    if "_input_hash" in record or "_task_hash" in record or "_annotator_id" in record:
        return "prodigy"
    # doccano: the text with its labels as lists; a plain export names its id columns instead.
    if "text" in record and not {"item_id", "annotator_id"} & set(record):
        if any(
            isinstance(record.get(k), list) for k in ("label", "labels", "entities", "annotations")
        ):
            return "doccano"
        if isinstance(record.get("cats"), dict | list):
            return "doccano"
    return None


def _json_format(record: object) -> str | None:
    if not isinstance(record, dict):
        return None
    if "data" in record and any(k in record for k in ("annotations", "completions", "predictions")):
        return "labelstudio"
    if "fields" in record and ("responses" in record or "suggestions" in record):
        return "argilla"
    if "annotation_id" in record and "annotator" in record:
        return "labelstudio-min"
    return _jsonl_format(record)


def detect_tool_format(path: Path) -> str | None:
    """The tool whose export `path` is, when its first record says so unambiguously."""
    if path.is_dir():
        return "argilla" if (path / "records.json").is_file() else None
    suffix = path.suffix.lower()
    if path.name == "records.json" and (path.parent / ".argilla").is_dir():
        return "argilla"
    if suffix == ".json":
        return _json_format(_first_json_value(path))
    if suffix in (".jsonl", ".ndjson"):
        with path.open("rb") as handle:
            line = handle.readline(_SNIFF_BYTES).decode("utf-8", "replace").lstrip("\ufeff")
        try:
            return _jsonl_format(json.loads(line))
        except (json.JSONDecodeError, RecursionError):
            return None
    if suffix == ".csv":
        with path.open("rb") as handle:
            header = handle.readline(_SNIFF_BYTES).decode("utf-8", "replace")
        names = {n.strip().strip('"') for n in header.split(",")}
        if {"annotator", "annotation_id", "lead_time"} <= names:
            return "labelstudio-csv"
    return None


def as_raw_table(imported: Imported, display: str) -> RawTable:
    """The imported annotations as a RawTable with canonical column names (and `labels`, the
    JSON list of every value chosen), skipped annotations as bad rows; items, gold and spans
    ride along in `tables`. Whether several values are one answer (multi-label) or a problem
    (single-label) is the reader's call (`io/label_sets.py`)."""
    frame = imported.annotations
    bad = sorted((s.row, s.reason, s.detail) for s in imported.skipped)
    kept = frame[[*_PASSED, "labels", "_row"]].reset_index(drop=True)
    tables = {"items": imported.items, "gold": imported.gold, "spans": imported.spans}
    return RawTable(kept, bad, tables=tables)


def read_tool_export(
    path: Path, file_format: str, display: str, control: str | None = None
) -> RawTable:
    """Import one tool export and return it as a RawTable (see `as_raw_table`)."""
    if file_format not in FORMATS:
        raise InputError(
            [
                Problem(
                    display,
                    message=f"format '{file_format}' is not a tool export format.",
                    fix=f"Use one of {', '.join(TOOL_FORMATS)}.",
                )
            ]
        )
    return as_raw_table(import_file(path, file_format, display, control), display)
