"""Prodigy `db-out` JSONL exports: choice, binary (accept/reject) and manual span tasks on canonical tables."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
    table,
    text_head,
)
from labelgate.io.json_records import json_lines

FILE_FORMAT = "prodigy"
ANSWERS = ("accept", "reject", "ignore")
# `_view_id`s whose spans the annotator drew (ner.manual, spans.manual, pos.manual, ...).
MANUAL_VIEWS = frozenset({"ner_manual", "spans_manual", "pos_manual", "span_manual"})
# `_view_id`s of a yes/no question about a suggested label or span (textcat.teach, ner.teach).
BINARY_VIEWS = frozenset({"classification", "ner", "binary", "text", "html", "image"})
_REEXPORT = "Re-export the dataset with 'prodigy db-out DATASET > FILE.jsonl'."
_SHOWN = 200


def _check_file(path: Path, display: str) -> None:
    """A path that is no readable UTF-8 text file is an InputError naming the fix."""
    text_head(path, display, _REEXPORT, "JSONL text")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _iso(stamp: Any) -> str:
    """Prodigy's `_timestamp` (epoch seconds) as ISO-8601 UTC, or '' when it is not a time."""
    seconds = _number(stamp)
    if seconds is None:
        return ""
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return ""


def task_kind(record: dict[str, Any]) -> str:
    """'choice', 'binary' or 'manual': what the annotator was asked (see the module docs)."""
    view = record.get("_view_id")
    if isinstance(record.get("options"), list) or view == "choice":
        return "choice"
    if view in MANUAL_VIEWS:
        return "manual"
    if view in BINARY_VIEWS or isinstance(record.get("label"), str):
        return "binary"
    spans = record.get("spans")
    if record.get("_is_binary") is True:
        return "binary"
    if isinstance(spans, list) and any(
        isinstance(s, dict) and ("answer" in s or "score" in s) for s in spans
    ):
        return "binary"  # ner.teach: model-suggested spans, each answered accept/reject
    if isinstance(spans, list) or isinstance(record.get("tokens"), list):
        return "manual"
    return "binary"


def _span(span: Any, text: str) -> tuple[int, int, str] | str:
    """(start, end, label) of a span, or what is wrong with it."""
    if not isinstance(span, dict):
        return f"a span is not a JSON object: {scalar_text(span)[:_SHOWN]}"
    start, end, label = span.get("start"), span.get("end"), span.get("label")
    if not (is_int(start) and is_int(end)):
        return f"a span has no integer 'start' and 'end': {scalar_text(span)[:_SHOWN]}"
    if not 0 <= start < end <= len(text):
        return (
            f"span {start}-{end} is outside the text ({len(text)} characters) or empty: "
            f"{scalar_text(span)[:_SHOWN]}"
        )
    if not isinstance(label, str) or not label:
        return f"span {start}-{end} has no 'label': {scalar_text(span)[:_SHOWN]}"
    return start, end, label


def _suggestion(record: dict[str, Any], spans: list[Any]) -> tuple[str, float | None, str]:
    """(model's answer, score, model) of a binary task: the model's score for the question
    (the task's `score`, else its one span's, else `meta.score`); its answer is 'accept' from
    0.5 up, else 'reject', so label == suggested_label means the annotator agreed with it."""
    score = _number(record.get("score"))
    model = ""
    one = spans[0] if len(spans) == 1 and isinstance(spans[0], dict) else None
    if one is not None:
        model = scalar_text(one.get("source"))
        if score is None:
            score = _number(one.get("score"))
    meta = record.get("meta")
    if score is None and isinstance(meta, dict):
        score = _number(meta.get("score"))
    if score is None:
        return "", None, model
    return ("accept" if score >= 0.5 else "reject"), score, model


def _choice_suggestion(record: dict[str, Any]) -> dict[str, str]:
    """A pre-labelled choice task's suggestion: its top-level `label` when `meta` names the
    model (`model_version`, as `labelgate prelabel` writes it); Prodigy keeps both through
    db-out while `accept` becomes the annotator's choice. Nothing otherwise."""
    meta = record.get("meta")
    label = record.get("label")
    if not isinstance(meta, dict) or not isinstance(label, str) or not label:
        return {}
    version = scalar_text(meta.get("model_version"))
    if not version:
        return {}
    score = _number(meta.get("score"))
    return {
        "suggested_label": label,
        "suggestion_score": "" if score is None else repr(score),
        "model_version": version,
    }


def _question(record: dict[str, Any], spans: list[Any]) -> str:
    """The binary question: its label, and the spans it asks about ('PRODUCT 61-66')."""
    parts = [record["label"]] if isinstance(record.get("label"), str) else []
    for span in spans:
        if isinstance(span, dict):
            parts.append(
                f"{scalar_text(span.get('label'))} {scalar_text(span.get('start'))}-{scalar_text(span.get('end'))}"
            )
    return ", ".join(parts)


class _Tally:
    """What the notes report: task types, records without annotator, span texts that differ."""

    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()
        self.no_annotator = 0
        self.span_text_differs = 0


def _spans(raw_spans: list[Any], text: str, tally: _Tally) -> list[tuple[int, int, str]] | str:
    """The drawn spans as (start, end, label), or what is wrong with the first bad one."""
    found: list[tuple[int, int, str]] = []
    for span in raw_spans:
        parsed = _span(span, text)
        if isinstance(parsed, str):
            return parsed
        found.append(parsed)
        own = span.get("text")
        if isinstance(own, str) and own != text[parsed[0] : parsed[1]]:
            tally.span_text_differs += 1
    return found


def _convert(
    number: int,
    record: dict[str, Any],
    fallback: str,
    items: dict[str, dict[str, Any]],
    tally: _Tally,
) -> tuple[dict[str, Any], list[dict[str, Any]]] | Skipped:
    """One answered task as (annotation row, span rows), or why it is left out; its item is
    added to `items`."""
    answer = record.get("answer")
    input_hash, task_hash = record.get("_input_hash"), record.get("_task_hash")
    shown = scalar_text(record.get("text"))[:80]
    if answer not in ANSWERS:
        return Skipped(
            number,
            "malformed_row",
            f"'answer' is {scalar_text(answer)!r}, not accept, reject or ignore "
            f"(input_hash {scalar_text(input_hash)}): {shown}",
        )
    if input_hash is None or task_hash is None:
        return Skipped(
            number,
            "malformed_row",
            f"no '_input_hash' or '_task_hash' to identify the item: {shown}. {_REEXPORT}",
        )
    text = record.get("text") if isinstance(record.get("text"), str) else ""
    assert isinstance(text, str)
    kind = task_kind(record)
    tally.kinds[kind] += 1
    annotator = scalar_text(record.get("_annotator_id")) or scalar_text(record.get("_session_id"))
    if not annotator:
        tally.no_annotator += 1
        annotator = fallback
    spans = record.get("spans")
    raw_spans: list[Any] = spans if isinstance(spans, list) else []
    ids = f"input_hash {scalar_text(input_hash)} task_hash {scalar_text(task_hash)}"
    item: dict[str, Any] = {"text": text, "_row": number}
    if isinstance(record.get("meta"), dict) and record["meta"]:
        item["meta"] = scalar_text(record["meta"])
    row: dict[str, Any] = {
        "annotator_id": annotator,
        "annotated_at": _iso(record.get("_timestamp")),
        "source_id": ids,
        "_row": number,
    }
    if kind == "binary":
        # The item is the question (the text and a suggested label or span): agreement then
        # compares answers to the same question, which `_task_hash` identifies.
        item_id = scalar_text(task_hash)
        question = _question(record, raw_spans)
        item.update(question=question, input_hash=scalar_text(input_hash))
        if question:
            row["source_id"] = f"{ids} label {question}"
    else:
        item_id = scalar_text(input_hash)
    items.setdefault(item_id, {"item_id": item_id, **item})
    row["item_id"] = item_id
    where = f"item {item_id} ({kind} task), annotator '{annotator}'"
    if answer == "ignore":
        return Skipped(number, "skipped", f"{where} answered 'ignore': {shown}")
    if kind == "binary":
        suggested, score, model = _suggestion(record, raw_spans)
        row.update(
            label=answer,
            labels=labels_json([answer]),
            suggested_label=suggested,
            suggestion_score="" if score is None else repr(score),
            model_version=model,
        )
        return row, []
    if answer == "reject":
        return Skipped(number, "rejected", f"{where} answered 'reject': {shown}")
    if kind == "choice":
        chosen = record.get("accept")
        values = [scalar_text(v) for v in chosen] if isinstance(chosen, list) else []
        if not values:
            return Skipped(
                number, "no_label", f"{where} accepted the task with no option chosen: {shown}"
            )
        row.update(label=values[0] if len(values) == 1 else "", labels=labels_json(values))
        row.update(_choice_suggestion(record))
    found = _spans(raw_spans, text, tally)
    if isinstance(found, str):
        return Skipped(number, "malformed_row", f"{where}: {found}")
    span_rows = [
        {
            "item_id": item_id,
            "annotator_id": annotator,
            "start": start,
            "end": end,
            "label": label,
            "text": text[start:end],
            "source_id": ids,
            "_row": number,
        }
        for start, end, label in found
    ]
    return row, span_rows


def read(path: Path, display: str, control: str | None = None) -> Imported:
    """Read a Prodigy `db-out` JSONL export (see docs: "Prodigy"); `control` is not used."""
    _check_file(path, display)
    annotations: list[dict[str, Any]] = []
    spans: list[dict[str, Any]] = []
    items: dict[str, dict[str, Any]] = {}
    skipped: list[Skipped] = []
    tally = _Tally()
    records = objects = answered = 0
    for number, record, reason, detail in json_lines(path):
        records += 1
        if record is None:
            skipped.append(Skipped(number, reason, detail))
            continue
        objects += 1
        answered += "answer" in record
        result = _convert(number, record, path.stem, items, tally)
        if isinstance(result, Skipped):
            skipped.append(result)
        else:
            annotations.append(result[0])
            spans.extend(result[1])
    if records == 0:
        raise input_error(display, "has no records: the file is empty.", _REEXPORT)
    if objects and not answered:
        raise input_error(
            display,
            "no record has an 'answer': this is a Prodigy input (source) file, not annotations.",
            _REEXPORT,
        )
    item_columns = ("item_id", "text", "meta", "question", "input_hash")
    present = tuple(
        c for c in item_columns if c == "item_id" or any(c in i for i in items.values())
    )
    return Imported(
        file_format=FILE_FORMAT,
        annotations=table(annotations, ANNOTATION_COLUMNS),
        items=table(list(items.values()), present),
        gold=table([], GOLD_COLUMNS),
        spans=table(spans, SPAN_COLUMNS, ints=("start", "end")),
        predictions=table([], PREDICTION_COLUMNS),
        skipped=skipped,
        records=records,
        control="",
        notes=_notes(tally, path.stem, annotations, control),
    )


def _notes(
    tally: _Tally, fallback: str, annotations: list[dict[str, Any]], control: str | None
) -> list[str]:
    notes = []
    kinds, no_annotator, span_text_differs = (
        tally.kinds,
        tally.no_annotator,
        tally.span_text_differs,
    )
    if kinds:
        shown = ", ".join(f"{n:,} {k}" for k, n in sorted(kinds.items()))
        notes.append(f"Task types: {shown}.")
    if kinds["binary"]:
        notes.append(
            "Binary tasks (a suggested label or span answered accept/reject) are items by "
            "'_task_hash', so agreement compares answers to the same question; their label is "
            "the answer ('accept'/'reject') and the question is in items.question and source_id."
        )
    if len(kinds) > 1:
        notes.append(
            "The file mixes task types: choice and manual items are '_input_hash' values, "
            "binary items '_task_hash' values. Import one recipe's dataset per source if you can."
        )
    if no_annotator:
        notes.append(
            f"Records without '_annotator_id' or '_session_id' (a single-annotator export): "
            f"{no_annotator:,}; their annotator_id is the file name, '{fallback}'."
        )
    pairs = Counter((a["item_id"], a["annotator_id"]) for a in annotations)
    repeated = sum(n - 1 for n in pairs.values() if n > 1)
    if repeated:
        notes.append(
            f"Annotations that repeat an (item, annotator) pair already answered: {repeated:,} "
            "(the same question was asked again); all are kept."
        )
    if span_text_differs:
        notes.append(
            f"Spans whose own 'text' differs from the text at their offsets: {span_text_differs:,} "
            "(e.g. a pattern match later snapped to tokens); the spans table holds the text at "
            "the offsets."
        )
    if control:
        notes.append(f"control '{control}' is ignored: a Prodigy export has one task per record.")
    return notes
