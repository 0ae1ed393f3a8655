"""doccano exports (JSONL, JSON list, CSV; current and v1 multi-user formats) on canonical tables."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

from labelgate.errors import InputError
from labelgate.io.importers.base import (
    ANNOTATION_COLUMNS,
    GOLD_COLUMNS,
    PREDICTION_COLUMNS,
    SPAN_COLUMNS,
    Imported,
    Skipped,
    input_error,
    is_int,
    labels_json,
    scalar_text,
    text_head,
)
from labelgate.io.importers.base import (
    table as make_table,
)
from labelgate.io.json_records import json_lines
from labelgate.problems import did_you_mean

FILE_FORMAT = "doccano"
# Keys that hold an annotation in the current formats, in the order a default picks them.
LABEL_KEYS = ("label", "labels", "cats", "entities")
CONTROLS = (*LABEL_KEYS, "annotations")
_REEXPORT = "Re-export the project from doccano (Export Dataset, JSONL)."
_SHOWN = 200
_CSV_LABEL_SEPARATOR = "#"  # doccano's CSV export joins several labels as 'A#B'


def _count(n: int, noun: str) -> str:
    """'1 span' / '3 spans'."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _check_file(path: Path, display: str) -> bytes:
    """The file's first 64 KiB; a path that is no UTF-8 text file, or an empty one, is an
    InputError."""
    head = text_head(path, display, _REEXPORT)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise input_error(display, "has no records: the file is empty.", _REEXPORT)
    return head


# A record as read: (record number, the object or None, skip reason, detail).
Record = tuple[int, dict[str, Any] | None, str, str]


def _json_document(path: Path, display: str) -> list[Record]:
    """A whole-file JSON list of records (or one object): record N is the list's N-th entry."""
    try:
        value = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise input_error(
            display,
            f"is not UTF-8 text ({exc.reason} at byte {exc.start}).",
            "Re-export it as UTF-8.",
        ) from None
    except json.JSONDecodeError as exc:
        raise input_error(
            display,
            f"is not valid JSON ({exc.msg}).",
            _REEXPORT + " A .json file must be one JSON list.",
            exc.lineno,
        ) from None
    except RecursionError:
        raise input_error(display, "is JSON nested too deeply to read.", _REEXPORT) from None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise input_error(
            display, f"is a JSON {type(value).__name__}, not a list of records.", _REEXPORT
        )
    out: list[Record] = []
    for number, entry in enumerate(value, start=1):
        if isinstance(entry, dict):
            out.append((number, entry, "", ""))
        else:
            out.append(
                (
                    number,
                    None,
                    "malformed_row",
                    f"record {number} is not a JSON object: {scalar_text(entry)[:_SHOWN]}",
                )
            )
    return out


def _read_records(path: Path, display: str, head: bytes, notes: list[str]) -> list[Record]:
    if path.suffix.lower() == ".json" or head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
        return _json_document(path, display)
    records = list(json_lines(path))
    if records and records[0][1] is None and records[0][2] == "malformed_row":
        # A pretty-printed object in a .jsonl file (doccano's own relation example is one):
        # read the whole file as one JSON value when it parses so.
        try:
            whole = _json_document(path, display)
        except InputError:
            return records
        notes.append(
            "The file is one pretty-printed JSON value, not JSON Lines; it was read as a whole "
            f"({_count(len(whole), 'record')})."
        )
        return whole
    return records


def _is_span(value: Any) -> bool:
    """[start, end, label] or {start_offset, end_offset, label}."""
    if isinstance(value, dict):
        return "start_offset" in value and "end_offset" in value
    return isinstance(value, list) and len(value) == 3 and not isinstance(value[0], list | dict)


def _span_keys(records: list[dict[str, Any]]) -> dict[str, bool]:
    """Per annotation key present in the file: True when it holds spans, False for labels."""
    kinds: dict[str, bool] = {}
    for record in records:
        for key in LABEL_KEYS:
            value = record.get(key)
            if key not in record:
                continue
            if isinstance(value, list) and any(_is_span(v) for v in value):
                kinds[key] = True
            else:
                kinds.setdefault(key, False)
    return kinds


def _span(raw: Any, text: str) -> tuple[int, int, str] | str:
    """(start, end, label), or what is wrong with the span."""
    if isinstance(raw, dict):
        start, end, label = raw.get("start_offset"), raw.get("end_offset"), raw.get("label")
    elif isinstance(raw, list) and len(raw) == 3:
        start, end, label = raw
    else:
        return f"a span is not [start, end, label] or {{start_offset, end_offset, label}}: {scalar_text(raw)[:_SHOWN]}"
    if not (is_int(start) and is_int(end)):
        return f"a span has no integer offsets: {scalar_text(raw)[:_SHOWN]}"
    if not 0 <= start < end <= len(text):
        return f"span {start}-{end} is outside the text ({len(text)} characters) or empty: {scalar_text(raw)[:_SHOWN]}"
    if label is None or label == "":
        return f"span {start}-{end} has no label: {scalar_text(raw)[:_SHOWN]}"
    return start, end, scalar_text(label)


class _Builder:
    """Collects the rows of one import."""

    def __init__(self, fallback: str) -> None:
        self.fallback = fallback
        self.annotations: list[dict[str, Any]] = []
        self.spans: list[dict[str, Any]] = []
        self.items: dict[str, dict[str, Any]] = {}
        self.skipped: list[Skipped] = []
        self.no_user = 0
        self.duplicate_spans = 0
        self.relations = 0

    def item(self, item_id: str, text: str, number: int, meta: Any) -> None:
        entry: dict[str, Any] = {"item_id": item_id, "text": text, "_row": number}
        if isinstance(meta, dict) and meta:
            entry["meta"] = scalar_text(meta)
        self.items.setdefault(item_id, entry)

    def annotator(self, user: Any) -> str:
        name = scalar_text(user)
        if not name:
            self.no_user += 1
            return self.fallback
        return name

    def add(
        self,
        number: int,
        item_id: str,
        annotator: str,
        text: str,
        values: list[str] | None,
        raw_spans: list[Any] | None,
        source_id: str,
    ) -> None:
        """One annotation: `values` the labels chosen (None: the control holds spans only),
        `raw_spans` the spans (None: no span control)."""
        where = f"item {item_id}, annotator '{annotator}'"
        found: list[tuple[int, int, str]] = []
        for raw in raw_spans or []:
            parsed = _span(raw, text)
            if isinstance(parsed, str):
                self.skipped.append(Skipped(number, "malformed_row", f"{where}: {parsed}"))
                return
            if parsed in found:
                self.duplicate_spans += 1
                continue
            found.append(parsed)
        if values is not None and not values and raw_spans is None:
            self.skipped.append(
                Skipped(number, "no_label", f"{where} has an empty label list: {text[:80]}")
            )
            return
        values = values or []
        self.annotations.append(
            {
                "item_id": item_id,
                "annotator_id": annotator,
                "label": values[0] if len(values) == 1 else "",
                "labels": labels_json(values) if values else "",
                "source_id": source_id,
                "_row": number,
            }
        )
        for start, end, label in found:
            self.spans.append(
                {
                    "item_id": item_id,
                    "annotator_id": annotator,
                    "start": start,
                    "end": end,
                    "label": label,
                    "text": text[start:end],
                    "source_id": source_id,
                    "_row": number,
                }
            )


def _values(value: Any) -> list[str]:
    if isinstance(value, list):
        return [scalar_text(v) for v in value if v is not None and v != ""]
    if value is None or value == "":
        return []
    return [scalar_text(value)]


def _choose_keys(
    kinds: dict[str, bool], control: str | None, display: str
) -> tuple[str | None, str | None]:
    """(label key, span key) to import: the control's, or by default the first label key
    and the first span key present (doccano's intent export has both `cats` and `entities`)."""
    if control:
        if control not in kinds:
            raise input_error(
                display,
                f"has no '{control}' field to import as the control.",
                did_you_mean(control, kinds) or "Omit the control: the file has no label field.",
            )
        return (None, control) if kinds[control] else (control, None)
    label_key = next((k for k in LABEL_KEYS if k in kinds and not kinds[k]), None)
    span_key = next((k for k in LABEL_KEYS if kinds.get(k)), None)
    return label_key, span_key


def _read_json_records(
    records: list[Record], display: str, control: str | None, builder: _Builder, notes: list[str]
) -> str:
    objects = [r for _, r, _, _ in records if r is not None]
    has_v1 = any(isinstance(r.get("annotations"), list) for r in objects)
    if control == "annotations" and not has_v1:
        raise input_error(
            display,
            "has no 'annotations' list (doccano v1's multi-user format) to import.",
            "Omit the control, or name the file's label field (label, labels, cats, entities).",
        )
    # doccano v1 (`annotations` per user) unless the control names a current-format field.
    v1 = has_v1 and control in (None, "", "annotations")
    kinds = _span_keys(objects)
    label_key = span_key = None
    if not v1:
        label_key, span_key = _choose_keys(kinds, control, display)
        if label_key is None and span_key is None:
            raise input_error(
                display,
                "has no annotation field: doccano records carry 'label', 'labels', 'cats', "
                "'entities' or (v1) 'annotations'.",
                _REEXPORT,
            )
        unused = sorted(k for k in kinds if k not in (label_key, span_key))
        if unused:
            notes.append(f"Fields not imported: {', '.join(unused)} (choose one with the control).")
    ids_used = ids_missing = 0
    for number, record, reason, detail in records:
        if record is None:
            builder.skipped.append(Skipped(number, reason, detail))
            continue
        text = record.get("text", record.get("data"))
        if isinstance(record.get("relations"), list):
            builder.relations += len(record["relations"])
        if not isinstance(text, str):
            builder.skipped.append(
                Skipped(
                    number,
                    "malformed_row",
                    f"record {number} has no 'text': {scalar_text(record)[:_SHOWN]}",
                )
            )
            continue
        if record.get("id") is not None:
            item_id = scalar_text(record["id"])
            ids_used += 1
        else:
            item_id = str(number)
            ids_missing += 1
        builder.item(item_id, text, number, record.get("meta", record.get("metadata")))
        source = f"id {item_id}" if record.get("id") is not None else f"record {number}"
        if v1:
            _add_v1(record, number, item_id, text, source, builder)
            continue
        annotator = builder.annotator(record.get("user"))
        values = _values(record.get(label_key)) if label_key else None
        raw_spans = record.get(span_key) if span_key else None
        if span_key is not None and not isinstance(raw_spans, list):
            raw_spans = []
        if (label_key is None or label_key not in record) and (
            span_key is None or span_key not in record
        ):
            builder.skipped.append(
                Skipped(
                    number,
                    "no_label",
                    f"item {item_id} has no '{label_key or span_key}' field: {text[:80]}",
                )
            )
            continue
        builder.add(number, item_id, annotator, text, values, raw_spans, source)
    if ids_missing and ids_used:
        notes.append(
            f"Records without an 'id': {ids_missing:,}; their item_id is the record number."
        )
    elif ids_missing:
        notes.append(
            "The records have no 'id': item_id is the record number (line of JSONL, entry of "
            "a JSON list), so exports of the same data join only in the same order."
        )
    return "annotations" if v1 else "+".join(k for k in (label_key, span_key) if k)


def _add_v1(
    record: dict[str, Any], number: int, item_id: str, text: str, source: str, builder: _Builder
) -> None:
    """doccano v1: `annotations` [{label, start_offset?, end_offset?, text?, user}], one
    annotation row per user (labels, spans, or seq2seq `text` answers)."""
    by_user: dict[str, tuple[list[str], list[Any]]] = {}  # user -> (labels, spans)
    for entry in record.get("annotations") or []:
        if not isinstance(entry, dict):
            shown = scalar_text(entry)[:_SHOWN]
            builder.skipped.append(
                Skipped(
                    number,
                    "malformed_row",
                    f"item {item_id}: an annotation is not an object: {shown}",
                )
            )
            continue
        values, spans = by_user.setdefault(scalar_text(entry.get("user")), ([], []))
        if "start_offset" in entry or "end_offset" in entry:
            spans.append(entry)
        elif "label" in entry:
            values.append(scalar_text(entry["label"]))
        elif "text" in entry:
            values.append(scalar_text(entry["text"]))  # seq2seq: the annotator's written answer
    for user, (values, spans) in by_user.items():
        annotator = builder.annotator(user)
        builder.add(
            number,
            item_id,
            annotator,
            text,
            values if values or not spans else None,
            spans if spans else None,
            f"{source} user {annotator}",
        )


def _read_csv(path: Path, display: str, builder: _Builder, notes: list[str]) -> tuple[int, str]:
    """doccano's CSV export (`text,label`, several labels joined by '#') or the v1 CSV (one
    row per annotation: id, label or text, user)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except UnicodeDecodeError as exc:
        raise input_error(
            display,
            f"is not UTF-8 text ({exc.reason} at byte {exc.start}).",
            "Re-export it as UTF-8.",
        ) from None
    except csv.Error as exc:
        raise input_error(display, f"cannot be read as CSV ({exc}).", _REEXPORT) from None
    if not rows or not rows[0]:
        raise input_error(
            display, "has no header row.", "Export the project from doccano as CSV.", 1
        )
    header, body = rows[0], rows[1:]
    names = {name: i for i, name in enumerate(header)}
    text_col = names.get("text", names.get("data"))
    label_col = names.get("label")
    user_col = names.get("user")
    id_col = names.get("id")
    seq2seq_v1 = label_col is None and user_col is not None and text_col is not None
    if text_col is None or (label_col is None and not seq2seq_v1):
        raise input_error(
            display,
            f"has no '{'text' if text_col is None else 'label'}' column (columns: {', '.join(header)}).",
            "Export the project from doccano as CSV (columns text,label), or as JSONL.",
            1,
        )
    if seq2seq_v1:
        # doccano v1 wrote a seq2seq annotation's `text` over the document's: the answers are
        # here, the source texts are not.
        label_col, text_col = text_col, None
        notes.append(
            "No 'label' column: read as doccano v1's sequence-to-sequence CSV, whose 'text' "
            "column holds each annotator's answer (the source texts are not in the file)."
        )
    assert label_col is not None
    pending: dict[tuple[str, str], tuple[int, list[str], str]] = {}  # v1: (item, user)
    records = 0
    for offset, row in enumerate(body):
        number = offset + 2  # the header is row 1
        if not row:
            continue
        records += 1
        if len(row) != len(header):
            shown = ",".join(row)[:_SHOWN]
            builder.skipped.append(
                Skipped(
                    number,
                    "malformed_row",
                    f"expected {len(header)} fields, found {len(row)}: {shown}",
                )
            )
            continue
        item_id = row[id_col] if id_col is not None and row[id_col] else str(number)
        text = row[text_col] if text_col is not None else ""
        annotator = builder.annotator(row[user_col] if user_col is not None else None)
        cell = row[label_col]
        values = [cell] if seq2seq_v1 else [v for v in cell.split(_CSV_LABEL_SEPARATOR) if v]
        builder.item(item_id, text, number, None)
        if user_col is None:
            source = f"id {item_id}" if id_col is not None else f"row {number}"
            builder.add(number, item_id, annotator, text, values, None, source)
        elif (item_id, annotator) in pending:
            pending[(item_id, annotator)][1].extend(values)  # v1: a row per label chosen
        else:
            pending[(item_id, annotator)] = (number, values, text)
    for (item_id, annotator), (number, values, text) in pending.items():
        builder.add(
            number, item_id, annotator, text, values, None, f"id {item_id} user {annotator}"
        )
    if id_col is None:
        notes.append("The CSV has no 'id' column: item_id is the row number (the header is row 1).")
    return records, "label"


def read(path: Path, display: str, control: str | None = None) -> Imported:
    """Read a doccano export (see docs: "doccano"); `control` picks the field to import when
    a record has several: 'label', 'labels', 'cats', 'entities' or 'annotations'."""
    if control and control not in CONTROLS:
        raise input_error(
            display,
            f"control '{control}' is not a doccano annotation field.",
            did_you_mean(control, CONTROLS),
        )
    head = _check_file(path, display)
    notes: list[str] = []
    builder = _Builder(path.stem)
    if path.suffix.lower() == ".csv":
        records, chosen = _read_csv(path, display, builder, notes)
    else:
        raw = _read_records(path, display, head, notes)
        if not any(r is not None for _, r, _, _ in raw) and raw:
            # Nothing readable at all: every record is in `skipped` with its reason.
            chosen = ""
            builder.skipped.extend(Skipped(n, reason, detail) for n, _, reason, detail in raw)
        else:
            chosen = _read_json_records(raw, display, control, builder, notes)
        records = len(raw)
    if records == 0:
        raise input_error(display, "has no records.", _REEXPORT)
    notes.extend(_notes(builder))
    return Imported(
        file_format=FILE_FORMAT,
        annotations=make_table(builder.annotations, ANNOTATION_COLUMNS),
        items=make_table(
            list(builder.items.values()),
            ("item_id", "text", "meta")
            if any("meta" in i for i in builder.items.values())
            else ("item_id", "text"),
        ),
        gold=make_table([], GOLD_COLUMNS),
        spans=make_table(builder.spans, SPAN_COLUMNS, ints=("start", "end")),
        predictions=make_table([], PREDICTION_COLUMNS),
        skipped=builder.skipped,
        records=records,
        control=chosen,
        notes=notes,
    )


def _notes(builder: _Builder) -> list[str]:
    notes = []
    if builder.no_user:
        notes.append(
            f"Annotations without a 'user' (a single-annotator export): {builder.no_user:,}; their "
            f"annotator_id is the file name, '{builder.fallback}'."
        )
    labels = [a["label"] for a in builder.annotations if a["label"]]
    named = labels + [span["label"] for span in builder.spans]
    if named and all(v.isdigit() for v in named):
        notes.append(
            "Every label is a number: doccano v1 exports label ids, not names. Map them to "
            "names with the project's label list (doccano: Labels > Export)."
        )
    distinct = Counter(labels)
    if len(labels) >= 3 and len(distinct) == len(labels) and not builder.spans:
        notes.append(
            f"Every annotation has a different value ({len(labels)} values): if this is a "
            "sequence-to-sequence export, the labels are free-text answers, compared as exact "
            "strings."
        )
    if builder.duplicate_spans:
        notes.append(
            f"Spans that repeat another span of the same annotation exactly: {builder.duplicate_spans:,}; each is kept once."
        )
    if builder.relations:
        notes.append(
            f"Relations not imported: {builder.relations:,} (labelgate imports entities and labels, not relations)."
        )
    return notes
