"""Argilla exports (2.x `to_disk` folders, 1.x FeedbackDataset records, Hugging Face-format rows) on canonical tables."""

from __future__ import annotations

import contextlib
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from labelgate.io.importers.base import (
    ANNOTATION_COLUMNS,
    GOLD_COLUMNS,
    PREDICTION_COLUMNS,
    SPAN_COLUMNS,
    Imported,
    Skipped,
    input_error,
    labels_json,
    table,
)
from labelgate.problems import did_you_mean

FILE_FORMAT = "argilla"
# Question types whose answers are labels; with one of them in the export it is the default.
CHOICE_TYPES = ("label_selection", "multi_label_selection", "rating")
STATUSES = ("submitted", "draft", "discarded")
_SHOWN = 200
_EXPORT_FIX = (
    "Export the dataset with Argilla 2.x 'dataset.to_disk(PATH)' and point at that folder, or give "
    "a JSON list (or JSON Lines) of Argilla records."
)
# Keys of a flat (Hugging Face-format) row that are neither fields nor questions.
_FLAT_RESERVED = frozenset(
    {
        "id",
        "external_id",
        "_server_id",
        "status",
        "metadata",
        "vectors",
        "score",
        "inserted_at",
        "updated_at",
    }
)


class _Missing:
    """No value for a question (distinct from a JSON null, which is also no value)."""


@dataclass(frozen=True)
class _Bad:
    """A value that cannot be read; `detail` says why."""

    detail: str


@dataclass(frozen=True)
class _Question:
    name: str
    kind: str  # an Argilla question type; '' when neither settings nor values tell
    field: str = ""  # span questions: the field their offsets point into


@dataclass
class _Response:
    """One user's response to a record: a value per question answered."""

    user_id: Any
    status: str = ""  # '' when the export keeps none
    values: dict[str, Any] = field(default_factory=dict)
    annotated_at: str = ""


@dataclass
class _Record:
    row: int
    item_id: str
    fields: dict[str, Any]
    metadata: Any
    responses: list[_Response]
    suggestions: dict[str, tuple[Any, Any, Any]]  # question -> (value, score, agent)
    id_from_row: bool = False


@dataclass
class _Counts:
    """What the notes report."""

    stripped: int = 0
    multiline: int = 0
    no_status: int = 0
    with_status: int = 0
    stamped: int = 0
    no_user: int = 0
    span_suggestions: int = 0
    bad_suggestions: int = 0
    duplicate_ids: list[str] = field(default_factory=list)
    row_ids: int = 0


def _clip(value: Any) -> str:
    """A value as JSON (a string in double quotes), cut to a readable length."""
    return _cut(_json(value))


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        return str(value)[:1000]


def _text(value: Any) -> str:
    """A scalar as canonical text ('' for null; 4.0 -> '4'); a list or object as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dict | list):
        return _json(value)
    return str(value)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {"str": "string", "list": "array", "dict": "object"}.get(type(value).__name__, "value")


def _beside(display: str, name: str) -> str:
    return f"{display.rstrip('/')}/{name}"


# --- reading the file -------------------------------------------------------------------------


def _records_file(path: Path, display: str) -> tuple[Path, str]:
    """The records file `path` names (a to_disk folder's records.json) and its display name."""
    if path.is_dir():
        inner = path / "records.json"
        if inner.is_file():
            return inner, _beside(display, "records.json")
        found = sorted({p.parent.relative_to(path) for p in path.glob("*/records.json")})
        found += sorted(
            {p.parent.relative_to(path) for p in path.glob("*/*/records.json")} - set(found)
        )
        if found:
            shown = ", ".join(f"'{_beside(display, str(p))}'" for p in found[:12])
            raise input_error(
                display,
                f"is a folder without records.json; it holds {len(found)} Argilla export folders: "
                f"{shown}.",
                "Import each export folder on its own (one dataset each).",
            )
        raise input_error(display, "is a folder without records.json.", _EXPORT_FIX)
    if not path.is_file():
        raise input_error(display, "file not found.", "Fix the path, or run 'dvc pull'.")
    return path, display


def _decode(path: Path, shown: str) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise input_error(shown, "is empty: no Argilla records.", _EXPORT_FIX)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise input_error(
            shown, "is UTF-16 (or UTF-32) text; labelgate reads UTF-8.", "Re-export it as UTF-8.", 1
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise input_error(
            shown,
            f"is not UTF-8 text ({exc.reason} at byte {exc.start}): it is binary data or another "
            "encoding.",
            "Re-export it as UTF-8 JSON.",
            line,
        ) from None


def _json_lines(text: str) -> list[tuple[int, Any]]:
    """(line number, record or _Bad) per non-blank line of JSON Lines."""
    rows: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            rows.append((number, _Bad(f"line {number} is not JSON ({exc.msg}): {_cut(line)}")))
        except RecursionError:
            rows.append(
                (number, _Bad(f"line {number} is JSON nested too deeply to read: {_cut(line)}"))
            )
    return rows


def _looks_like_lines(text: str) -> bool:
    """Two or more lines, the first a JSON object: JSON Lines, not a broken JSON document."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return False
    try:
        return isinstance(json.loads(lines[0]), dict)
    except (ValueError, RecursionError):
        return False


def _load(path: Path, shown: str) -> list[tuple[int, Any]]:
    """(record number, record) pairs: the position in a JSON list or the line of JSON Lines."""
    text = _decode(path, shown)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        rows = _json_lines(text)
    else:
        try:
            document = json.loads(text)
        except RecursionError:
            raise input_error(
                shown,
                "is JSON nested too deeply to read (Python's recursion limit).",
                "Export the records again; Argilla records are a few levels deep.",
            ) from None
        except json.JSONDecodeError as exc:
            if not _looks_like_lines(text):
                raise input_error(
                    shown,
                    f"is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.",
                    "Export the records again (a truncated copy?): " + _EXPORT_FIX,
                    exc.lineno,
                ) from None
            rows = _json_lines(text)
        else:
            if isinstance(document, dict) and isinstance(document.get("records"), list):
                document = document["records"]
            if not isinstance(document, list):
                raise input_error(
                    shown,
                    f"holds a JSON {_json_kind(document)}, not a list of Argilla records.",
                    _EXPORT_FIX,
                )
            rows = list(enumerate(document, start=1))
    if not rows:
        raise input_error(shown, "has no records (an empty list).", _EXPORT_FIX)
    return rows


def _settings(path: Path | None, shown: str) -> tuple[list[_Question], list[str], list[str]] | None:
    """Questions, field names and metadata names from `.argilla/settings.json`, if there is one."""
    if path is None or not path.is_file():
        return None
    try:
        settings = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (ValueError, RecursionError) as exc:
        raise input_error(
            shown,
            f"is not readable JSON ({exc}).",
            "Export the dataset again with 'dataset.to_disk(PATH)', or remove .argilla/ to infer "
            "the questions from the records.",
        ) from None
    if not isinstance(settings, dict) or not isinstance(settings.get("questions", []), list):
        raise input_error(
            shown,
            "is not an Argilla settings object (no 'questions' list).",
            "Export the dataset again with 'dataset.to_disk(PATH)', or remove .argilla/.",
        )
    questions: list[_Question] = []
    for number, question in enumerate(settings.get("questions") or [], start=1):
        name = question.get("name") if isinstance(question, dict) else None
        if not isinstance(name, str) or not name:
            raise input_error(
                shown,
                f"question {number} has no name: {_clip(question)}.",
                "Export the dataset again with 'dataset.to_disk(PATH)'.",
            )
        options = question.get("settings") if isinstance(question.get("settings"), dict) else {}
        kind = options.get("type") or question.get("type") or ""
        target = options.get("field") or ""
        questions.append(_Question(name, str(kind), str(target)))
    names = [
        str(f["name"])
        for f in settings.get("fields") or []
        if isinstance(f, dict) and f.get("name")
    ]
    metadata = [
        str(m["name"])
        for m in settings.get("metadata") or []
        if isinstance(m, dict) and m.get("name")
    ]
    return questions, names, metadata


# --- one record on a common shape ------------------------------------------------------------


def _item_id(raw: dict[str, Any], keys: tuple[str, ...]) -> str | _Bad:
    for key in keys:
        value = raw.get(key)
        if value is None or value == "":
            continue
        if not _is_scalar(value):
            return _Bad(f"its '{key}' is not an id: {_clip(value)}")
        return _text(value)
    return ""


def _stamp(entry: dict[str, Any]) -> str:
    for key in ("updated_at", "inserted_at"):
        value = entry.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _suggestion(value: Any, score: Any, agent: Any) -> tuple[Any, Any, Any] | None:
    return None if value is None or value == [] else (value, score, agent)


def _structured(raw: dict[str, Any]) -> _Record | str:
    """A `to_disk` (2.x, responses by question) or FeedbackDataset (1.x, responses by user) record."""
    fields = raw.get("fields")
    if fields is None:
        fields = {}
    if not isinstance(fields, dict):
        return f"its 'fields' is not an object: {_clip(fields)}"
    responses_raw = raw.get("responses")
    v1 = isinstance(responses_raw, list)
    item = _item_id(
        raw, ("external_id", "id", "_server_id") if v1 else ("id", "external_id", "_server_id")
    )
    if isinstance(item, _Bad):
        return item.detail
    responses: list[_Response] = []
    if isinstance(responses_raw, list):
        for number, entry in enumerate(responses_raw, start=1):
            if not isinstance(entry, dict):
                return f"its response {number} is not an object: {_clip(entry)}"
            values = entry.get("values") or {}
            if not isinstance(values, dict):
                return f"its response {number} has 'values' that is not an object: {_clip(values)}"
            user = entry.get("user_id")
            if not (user is None or _is_scalar(user)):
                return f"its response {number} has a user_id that is not an id: {_clip(user)}"
            response = _Response(user, _status(entry), {}, _stamp(entry))
            for name, value in values.items():
                if isinstance(value, dict) and "value" in value:
                    response.values[name] = value["value"]
                elif isinstance(value, dict):
                    response.values[name] = _Bad(
                        f"the answer to '{name}' has no 'value': {_clip(value)}"
                    )
                else:
                    response.values[name] = value
            responses.append(response)
    elif responses_raw is not None:
        if not isinstance(responses_raw, dict):
            return f"its 'responses' is neither an object nor a list: {_clip(responses_raw)}"
        by_user: dict[str, list[_Response]] = {}
        for name, entries in responses_raw.items():
            if entries is None:
                continue
            if not isinstance(entries, list):
                return f"its responses to '{name}' are not a list: {_clip(entries)}"
            for entry in entries:
                if not isinstance(entry, dict):
                    return f"a response to '{name}' is not an object: {_clip(entry)}"
                user = entry.get("user_id")
                if not (user is None or _is_scalar(user)):
                    return f"a response to '{name}' has a user_id that is not an id: {_clip(user)}"
                mine = by_user.setdefault(_text(user), [])
                # One response per user and record; a second answer to the same question (not
                # something Argilla writes) becomes a response of its own, so none is lost.
                target = next((r for r in mine if name not in r.values), None)
                if target is None:
                    target = _Response(user)
                    mine.append(target)
                    responses.append(target)
                target.values[name] = entry.get("value")
                target.status = target.status or _status(entry)
                target.annotated_at = target.annotated_at or _stamp(entry)
    suggestions: dict[str, tuple[Any, Any, Any]] = {}
    raw_suggestions = raw.get("suggestions")
    if isinstance(raw_suggestions, dict):
        for name, entry in raw_suggestions.items():
            if isinstance(entry, dict):
                found = _suggestion(entry.get("value"), entry.get("score"), entry.get("agent"))
                if found is not None:
                    suggestions[name] = found
            elif entry is not None:
                suggestions[name] = (_Bad(_clip(entry)), None, None)
    elif isinstance(raw_suggestions, list):
        for entry in raw_suggestions:
            if isinstance(entry, dict) and isinstance(entry.get("question_name"), str):
                found = _suggestion(entry.get("value"), entry.get("score"), entry.get("agent"))
                if found is not None:
                    suggestions[entry["question_name"]] = found
            else:
                suggestions[f"\0{len(suggestions)}"] = (_Bad(_clip(entry)), None, None)
    elif raw_suggestions is not None:
        return f"its 'suggestions' is neither an object nor a list: {_clip(raw_suggestions)}"
    return _Record(0, item, fields, raw.get("metadata"), responses, suggestions)


def _status(entry: dict[str, Any]) -> str:
    value = entry.get("status")
    return value.strip().lower() if isinstance(value, str) else ""


def _flat_questions(raw: dict[str, Any]) -> list[str]:
    """Question names a flat (Hugging Face-format) row shows by its keys or values."""
    names: list[str] = []
    for key, value in raw.items():
        name = ""
        for suffix in (".responses", ".suggestion", "-suggestion"):
            if key.endswith(suffix) and len(key) > len(suffix):
                name = key[: -len(suffix)]
        if not name and isinstance(value, dict) and {"user_id", "value"} <= value.keys():
            name = key
        if (
            not name
            and isinstance(value, list)
            and value
            and all(isinstance(v, dict) and {"user_id", "value"} <= v.keys() for v in value)
        ):
            name = key
        if name and name not in names:
            names.append(name)
    return names


def _question_keys(name: str) -> set[str]:
    return {
        name,
        f"{name}-suggestion",
        f"{name}-suggestion-metadata",
        f"{name}.responses",
        f"{name}.responses.users",
        f"{name}.responses.status",
        f"{name}.suggestion",
        f"{name}.suggestion.score",
        f"{name}.suggestion.agent",
    }


def _flat(
    raw: dict[str, Any],
    questions: list[str],
    field_names: list[str] | None,
    metadata_names: list[str],
) -> _Record | str:
    """A Hugging Face-format row: 1.x `push_to_huggingface` (QUESTION, QUESTION-suggestion,
    QUESTION-suggestion-metadata) or 2.x `to_hub` / `to_datasets` (QUESTION.responses,
    QUESTION.responses.users, QUESTION.responses.status, QUESTION.suggestion[.score|.agent])."""
    item = _item_id(raw, ("id", "external_id", "_server_id"))
    if isinstance(item, _Bad):
        return item.detail
    taken = set().union(*(_question_keys(q) for q in questions)) if questions else set()
    metadata: Any = raw.get("metadata")
    if isinstance(metadata, str):
        with contextlib.suppress(ValueError, RecursionError):
            metadata = json.loads(metadata)  # 1.x rows hold metadata as a JSON string
    if metadata_names:
        extra = {m: raw[m] for m in metadata_names if m in raw and raw[m] is not None}
        if extra:
            metadata = {**(metadata if isinstance(metadata, dict) else {}), **extra}
    if field_names is not None:
        fields = {name: raw[name] for name in field_names if name in raw}
    else:
        fields = {
            k: v
            for k, v in raw.items()
            if k not in _FLAT_RESERVED and k not in taken and k not in metadata_names
        }
    responses: dict[str, _Response] = {}
    order: list[_Response] = []

    def answer(user: Any, name: str, value: Any, status: Any) -> str:
        if not (user is None or _is_scalar(user)):
            return f"a response to '{name}' has a user_id that is not an id: {_clip(user)}"
        key = _text(user)
        response = responses.get(key)
        if response is None or name in response.values:
            response = _Response(user)
            responses[key] = response
            order.append(response)
        response.values[name] = value
        response.status = response.status or (
            status.strip().lower() if isinstance(status, str) else ""
        )
        return ""

    suggestions: dict[str, tuple[Any, Any, Any]] = {}
    for name in questions:
        given = raw.get(name)
        if isinstance(given, dict) and "user_id" in given:  # a struct of lists (Arrow's layout)
            users, values = given.get("user_id") or [], given.get("value") or []
            states = given.get("status") or [None] * len(users)
            if not (
                isinstance(users, list)
                and isinstance(values, list)
                and isinstance(states, list)
                and len(users) == len(values) == len(states)
            ):
                return f"'{name}' holds user_id, value and status lists of different lengths: {_clip(given)}"
            given = [
                {"user_id": u, "value": v, "status": s}
                for u, v, s in zip(users, values, states, strict=True)
            ]
        if isinstance(given, list):
            for entry in given:
                if not isinstance(entry, dict):
                    return f"a response to '{name}' is not an object: {_clip(entry)}"
                problem = answer(
                    entry.get("user_id"), name, entry.get("value"), entry.get("status")
                )
                if problem:
                    return problem
        values = raw.get(f"{name}.responses")
        if values is not None:
            users = raw.get(f"{name}.responses.users")
            states = raw.get(f"{name}.responses.status") or [None] * len(values or [])
            if not (
                isinstance(values, list)
                and isinstance(users, list)
                and isinstance(states, list)
                and len(values) == len(users) == len(states)
            ):
                return (
                    f"'{name}.responses', '{name}.responses.users' and '{name}.responses.status' "
                    f"are not lists of the same length: {_clip(values)} / {_clip(users)}"
                )
            for user, value, state in zip(users, values, states, strict=True):
                problem = answer(user, name, value, state)
                if problem:
                    return problem
        meta = raw.get(f"{name}-suggestion-metadata")
        meta = meta if isinstance(meta, dict) else {}
        found = _suggestion(raw.get(f"{name}-suggestion"), meta.get("score"), meta.get("agent"))
        found = found or _suggestion(
            raw.get(f"{name}.suggestion"),
            raw.get(f"{name}.suggestion.score"),
            raw.get(f"{name}.suggestion.agent"),
        )
        if found is not None:
            suggestions[name] = found
    return _Record(0, item, fields, metadata, order, suggestions)


# --- answers as labels ------------------------------------------------------------------------


@dataclass
class _Answer:
    label: str = ""
    labels: str = ""
    spans: list[tuple[int, int, str, str]] = field(default_factory=list)
    stripped: bool = False


def _answer(question: _Question, value: Any, record: _Record) -> _Answer | _Bad | None:
    """The value of one answer as a label (None: no value)."""
    if isinstance(value, _Bad):
        return value
    if value is None or isinstance(value, _Missing):
        return None
    kind = question.kind
    if kind == "rating":
        number = value
        if isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                return _Bad(f"the rating {_clip(value)} is not a number")
        if (
            isinstance(number, bool)
            or not isinstance(number, int | float)
            or not math.isfinite(number)
        ):
            return _Bad(f"the rating {_clip(value)} is not a number")
        return _Answer(_text(number))
    if kind == "multi_label_selection":
        chosen = [value] if _is_scalar(value) else value
        if not isinstance(chosen, list) or not all(_is_scalar(v) for v in chosen):
            return _Bad(f"the multi-label answer {_clip(value)} is not a list of labels")
        if not chosen:
            return None
        labels = [_text(v) for v in chosen]
        return _Answer(labels[0] if len(labels) == 1 else "", labels_json(labels))
    if kind == "ranking":
        return _ranking(value)
    if kind == "span":
        return _spans(question, value, record)
    if kind == "text":
        if not _is_scalar(value):
            return _Bad(f"the text answer {_clip(value)} is not text")
        raw = _text(value)
        text = raw.strip()
        return _Answer(text, stripped=text != raw) if text else None
    # label_selection, and questions of an unknown type: one value as it is.
    if isinstance(value, list) and len(value) == 1 and _is_scalar(value[0]):
        value = value[0]
    if not _is_scalar(value):
        if kind in ("", "label_selection"):
            return _Bad(f"the answer {_clip(value)} is not one label")
        return _Answer(_text(value))
    return _Answer(_text(value))


def _ranking(value: Any) -> _Answer | _Bad | None:
    if not isinstance(value, list):
        return _Bad(f"the ranking {_clip(value)} is not a list")
    if all(_is_scalar(v) for v in value):
        order = [_text(v) for v in value]
    elif all(isinstance(v, dict) and _is_scalar(v.get("value")) for v in value):
        ranked = sorted(
            enumerate(value),
            key=lambda p: (not _is_scalar(p[1].get("rank")), _rank(p[1].get("rank")), p[0]),
        )
        order = [_text(v["value"]) for _, v in ranked]
    else:
        return _Bad(f"the ranking {_clip(value)} is not a list of options")
    if not order:
        return None
    text = labels_json(order)
    return _Answer(text, text)


def _rank(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.inf


def _spans(question: _Question, value: Any, record: _Record) -> _Answer | _Bad:
    if not isinstance(value, list):
        return _Bad(f"the span answer {_clip(value)} is not a list of spans")
    target = question.field
    if not target and len(record.fields) == 1:
        target = next(iter(record.fields))
    text = record.fields.get(target)
    spans: list[tuple[int, int, str, str]] = []
    for span in value:
        if not isinstance(span, dict):
            return _Bad(f"the span {_clip(span)} is not an object")
        start, end, label = span.get("start"), span.get("end"), span.get("label")
        if not (isinstance(start, int) and isinstance(end, int)) or bool in (
            type(start),
            type(end),
        ):
            return _Bad(f"the span {_clip(span)} has no integer start and end")
        if not 0 <= start <= end or (isinstance(text, str) and end > len(text)):
            size = f" (field '{target}' is {len(text)} characters)" if isinstance(text, str) else ""
            return _Bad(f"the span {_clip(span)} is out of range{size}")
        if not _is_scalar(label):
            return _Bad(f"the span {_clip(span)} has no label")
        spans.append((start, end, _text(label), text[start:end] if isinstance(text, str) else ""))
    return _Answer(spans=spans)


def _suggested(value: Any, score: Any) -> tuple[str, str, list[tuple[str, Any]]]:
    """(suggested_label, suggestion_score, prediction (label, score) pairs) of a suggestion."""
    if _is_scalar(value):
        return (
            _text(value),
            _text(score) if _is_scalar(score) else "",
            [(_text(value), _score(score))],
        )
    labels = [_text(v) for v in value]
    if isinstance(score, list) and len(score) == len(labels):
        pairs = [(label, _score(s)) for label, s in zip(labels, score, strict=True)]
    else:
        pairs = [(label, _score(score)) for label in labels]
    shown = labels[0] if len(labels) == 1 else labels_json(labels)
    shown_score = (
        _text(score) if _is_scalar(score) else _json(score) if isinstance(score, list) else ""
    )
    if len(labels) == 1 and isinstance(score, list) and len(score) == 1:
        shown_score = _text(score[0])
    return shown, shown_score, pairs


def _score(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


# --- questions --------------------------------------------------------------------------------


def _infer_kind(values: list[Any]) -> str:
    """An Argilla question type from its answers (exports without settings.json)."""
    kinds = set()
    for value in values:
        if isinstance(value, bool) or value is None or isinstance(value, _Bad):
            continue
        if isinstance(value, int | float):
            kinds.add("rating")
        elif isinstance(value, str):
            kinds.add("label_selection")
        elif (
            isinstance(value, list)
            and value
            and all(isinstance(v, dict) and "start" in v for v in value)
        ):
            kinds.add("span")
        elif (
            isinstance(value, list)
            and value
            and all(isinstance(v, dict) and "rank" in v for v in value)
        ):
            kinds.add("ranking")
        elif isinstance(value, list) and all(_is_scalar(v) for v in value):
            kinds.add("multi_label_selection")
        else:
            kinds.add("")
    if len(kinds) == 1:
        return kinds.pop()
    if kinds == {"rating", "label_selection"}:
        return "label_selection"
    return ""


def _describe(questions: list[_Question]) -> str:
    return ", ".join(f"'{q.name}' ({q.kind or 'unknown type'})" for q in questions)


def _choose(
    questions: list[_Question], control: str | None, shown: str, skipped: list[Skipped]
) -> _Question:
    if not questions and skipped:
        first = skipped[0]
        raise input_error(
            shown,
            f"has no question labelgate can read: {len(skipped)} of its records are malformed "
            f"(the first, record {first.row}: {first.detail}).",
            "Fix those records or export the dataset again: " + _EXPORT_FIX,
            first.row if shown.endswith((".jsonl", ".ndjson")) else 0,
        )
    if control is not None:
        for question in questions:
            if question.name == control:
                return question
        if not questions:
            raise input_error(
                shown, f"has no question '{control}': the export has no questions.", _EXPORT_FIX
            )
        hint = did_you_mean(control, [q.name for q in questions])
        raise input_error(
            shown,
            f"has no question '{control}'; its questions are {_describe(questions)}.",
            f"{hint} Pass --field with one of them.",
        )
    if not questions:
        raise input_error(
            shown,
            "has no questions: there is no .argilla/settings.json beside it and no record has a "
            "response or a suggestion.",
            "Export the dataset with its responses ('dataset.to_disk(PATH)' with records), or pass "
            "--field QUESTION.",
        )
    choices = [q for q in questions if q.kind in CHOICE_TYPES]
    if len(choices) == 1:
        return choices[0]
    if not choices and len(questions) == 1:
        return questions[0]
    example = (choices or questions)[0].name
    raise input_error(
        shown,
        f"has {len(questions)} questions, {len(choices)} of them label or rating questions: "
        f"{_describe(questions)}; labelgate imports one question at a time.",
        f"Pass --field QUESTION to choose one (e.g. --field {example}).",
    )


# --- the importer -----------------------------------------------------------------------------


def read(path: Path, display: str, control: str | None = None) -> Imported:
    """Read an Argilla export onto canonical tables: one annotation per (record, user) answer to
    the question `control` (default: the export's only label, multi-label or rating question)."""
    path = Path(path)
    records_path, shown = _records_file(path, display)
    settings_display = _beside(
        display if path.is_dir() else str(Path(display).parent), ".argilla/settings.json"
    )
    settings = _settings(records_path.parent / ".argilla" / "settings.json", settings_display)
    rows = _load(records_path, shown)

    field_names = settings[1] if settings else None
    metadata_names = settings[2] if settings else []
    flat_names: list[str] = [q.name for q in settings[0]] if settings else []
    for _, raw in rows:
        if isinstance(raw, dict) and "fields" not in raw and "responses" not in raw:
            flat_names += [n for n in _flat_questions(raw) if n not in flat_names]

    skipped: list[Skipped] = []
    records: list[_Record] = []
    for number, raw in rows:
        if isinstance(raw, _Bad):
            skipped.append(Skipped(number, "malformed_row", raw.detail))
            continue
        try:
            if not isinstance(raw, dict):
                found: _Record | str = (
                    f"it is a JSON {_json_kind(raw)}, not an object: {_clip(raw)}"
                )
            elif "fields" in raw or "responses" in raw:
                found = _structured(raw)
            else:
                found = _flat(raw, flat_names, field_names, metadata_names)
        except RecursionError:
            found = "it is nested too deeply to read"
        if isinstance(found, str):
            skipped.append(Skipped(number, "malformed_row", f"record {number}: {found}"))
            continue
        found.row = number
        if not found.item_id:
            found.item_id, found.id_from_row = f"record-{number}", True
        records.append(found)

    # settings.json types the questions; answers to a question it does not list (deleted from
    # the dataset later?) are still importable, typed by their values.
    questions = list(settings[0]) if settings else []
    known = {q.name for q in questions}
    questions += [q for q in _inferred_questions(records) if q.name not in known]
    question = _choose(questions, control, shown, skipped)
    imported, counts = _import(records, question, skipped, field_names)
    imported.records = len(rows)
    imported.notes = _notes(
        imported, counts, question, questions, records, bool(settings and settings[0])
    )
    return imported


def _inferred_questions(records: list[_Record]) -> list[_Question]:
    values: dict[str, list[Any]] = {}
    for record in records:
        for response in record.responses:
            for name, value in response.values.items():
                values.setdefault(name, []).append(value)
        for name, (value, _, _) in record.suggestions.items():
            if not name.startswith("\0"):
                values.setdefault(name, []).append(value)
    return [_Question(name, _infer_kind(found)) for name, found in values.items()]


def _import(
    records: list[_Record],
    question: _Question,
    skipped: list[Skipped],
    field_names: list[str] | None,
) -> tuple[Imported, _Counts]:
    q = question.name
    annotations: list[dict[str, Any]] = []
    spans: list[dict[str, Any]] = []
    predictions: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    counts = _Counts()
    for record in records:
        counts.row_ids += record.id_from_row
        if record.item_id in seen:
            counts.duplicate_ids.append(record.item_id)
        else:
            seen.add(record.item_id)
            items.append(_item_row(record))
        where = f"record {record.row} (id '{record.item_id}')"
        counts.bad_suggestions += sum(
            1 for v, _, _ in record.suggestions.values() if isinstance(v, _Bad)
        )
        suggestion = ("", "", "")
        given = record.suggestions.get(q)
        if given is not None and not isinstance(given[0], _Bad):
            value, score, agent = given
            agent_text = _text(agent) if _is_scalar(agent) else ""
            if question.kind == "span" or not (
                _is_scalar(value) or (isinstance(value, list) and all(_is_scalar(v) for v in value))
            ):
                counts.span_suggestions += 1
            else:
                label, score_text, pairs = _suggested(value, score)
                suggestion = (label, score_text, agent_text)
                for predicted, predicted_score in pairs:
                    predictions.append(
                        {
                            "item_id": record.item_id,
                            "label": predicted,
                            "score": predicted_score,
                            "model": agent_text,
                            "model_version": agent_text,
                            "source_id": f"record {record.item_id} suggestion",
                            "_row": record.row,
                        }
                    )
        for response in record.responses:
            user = _text(response.user_id)
            who = f"{where}, user '{user}'"
            if response.status:
                counts.with_status += 1
            elif q in response.values:
                counts.no_status += 1
            if response.status in ("draft", "discarded"):
                value = response.values.get(q)
                shown = f": {_clip(value)}" if value is not None else ""
                skipped.append(
                    Skipped(
                        record.row,
                        response.status,
                        f"{who}: a {response.status} response to '{q}'{shown}",
                    )
                )
                continue
            if response.status not in ("", "submitted"):
                skipped.append(
                    Skipped(
                        record.row,
                        "malformed_row",
                        f"{who}: response status {_clip(response.status)} is none of "
                        f"{', '.join(STATUSES)}",
                    )
                )
                continue
            answer = _answer(question, response.values.get(q, _Missing()), record)
            if answer is None:
                answered = ", ".join(f"'{n}'" for n in response.values if n != q)
                also = f" (it answers {answered})" if answered else ""
                skipped.append(Skipped(record.row, "no_label", f"{who}: no value for '{q}'{also}"))
                continue
            if isinstance(answer, _Bad):
                skipped.append(Skipped(record.row, "malformed_row", f"{who}: {answer.detail}"))
                continue
            counts.stripped += answer.stripped
            counts.multiline += "\n" in answer.label or "\r" in answer.label
            counts.stamped += bool(response.annotated_at)
            counts.no_user += not user
            source = f"record {record.item_id} user {user}"
            annotations.append(
                {
                    "item_id": record.item_id,
                    "annotator_id": user,
                    "label": answer.label,
                    "labels": answer.labels,
                    "annotated_at": response.annotated_at,
                    "suggested_label": suggestion[0],
                    "suggestion_score": suggestion[1],
                    "model_version": suggestion[2],
                    "source_id": source,
                    "_row": record.row,
                }
            )
            for number, (start, end, label, text) in enumerate(answer.spans, start=1):
                spans.append(
                    {
                        "item_id": record.item_id,
                        "annotator_id": user,
                        "start": start,
                        "end": end,
                        "label": label,
                        "text": text,
                        "source_id": f"{source} span {number}",
                        "_row": record.row,
                    }
                )
    imported = Imported(
        file_format=FILE_FORMAT,
        annotations=table(annotations, ANNOTATION_COLUMNS),
        items=_items_frame(items, field_names),
        gold=table([], GOLD_COLUMNS),
        spans=table(spans, SPAN_COLUMNS, ints=("start", "end")),
        predictions=table(predictions, PREDICTION_COLUMNS),
        skipped=sorted(skipped, key=lambda s: s.row),
        control=q,
    )
    return imported, counts


def _item_row(record: _Record) -> dict[str, Any]:
    row: dict[str, Any] = {"item_id": record.item_id, "_row": record.row}
    for name, value in record.fields.items():
        row[f"field:{name}"] = value
    if record.metadata not in (None, {}, ""):
        row["metadata"] = (
            record.metadata if isinstance(record.metadata, str) else _json(record.metadata)
        )
    return row


def _items_frame(items: list[dict[str, Any]], field_names: list[str] | None) -> pd.DataFrame:
    """item_id, one text column per field (settings order first), metadata when any, _row."""
    names: list[str] = [f"field:{n}" for n in field_names or []]
    for row in items:
        names += [k for k in row if k.startswith("field:") and k not in names]
    columns: dict[str, str] = {}
    for key in names:
        name = key[len("field:") :]
        # A field named like a column labelgate owns keeps its name behind a 'field_' prefix.
        while name in ("item_id", "_row", "metadata") or name in columns.values():
            name = f"field_{name}"
        columns[key] = name
    data: dict[str, Any] = {"item_id": pd.array([r["item_id"] for r in items], dtype="str")}
    for key, name in columns.items():
        data[name] = pd.array([_text(r.get(key)) for r in items], dtype="str")
    if any("metadata" in r for r in items):
        data["metadata"] = pd.array([r.get("metadata", "") for r in items], dtype="str")
    data["_row"] = pd.array([int(r["_row"]) for r in items], dtype="int64")
    return pd.DataFrame(data)


def _notes(
    imported: Imported,
    counts: _Counts,
    question: _Question,
    questions: list[_Question],
    records: list[_Record],
    has_settings: bool,
) -> list[str]:
    notes: list[str] = []
    others = [q for q in questions if q.name != question.name]
    if others:
        notes.append(
            f"Imported question '{question.name}' ({question.kind or 'unknown type'}); the export "
            f"also has {_describe(others)}: import another with --field QUESTION."
        )
    if not has_settings:
        notes.append(
            "No .argilla/settings.json beside the records: the question types were inferred from "
            f"the answers ({_describe(questions)}); text and label questions look alike, so text "
            "answers are imported as they are."
        )
    answered = sum(1 for r in records for resp in r.responses if question.name in resp.values)
    if not answered:
        notes.append(f"No record has an answer to '{question.name}'.")
    if counts.no_status and not counts.with_status:
        notes.append(
            "The responses carry no status (Argilla 2.x 'to_disk' writes only value and user_id), "
            "so drafts and discarded answers cannot be told from submitted ones: every answer "
            "with a value is kept as submitted."
        )
    if imported.annotations.shape[0] and not counts.stamped:
        notes.append(
            "The export has no per-response timestamps (Argilla 2.x keeps none in records.json): "
            "annotated_at is empty."
        )
    if counts.stripped:
        notes.append(
            f"Text answers with leading or trailing spaces or newlines (a newline typed after the "
            f"answer, say): {counts.stripped}; each label is the text without them."
        )
    if counts.multiline:
        notes.append(
            f"Answers over several lines: {counts.multiline}; ingest quarantines such labels "
            "(newline_in_value), so import free-text questions for reading, not as labels."
        )
    if counts.no_user:
        notes.append(
            f"Answers without a user_id: {counts.no_user}; their annotator_id is empty, and "
            "ingest quarantines them (missing_annotator_id)."
        )
    if counts.row_ids:
        notes.append(
            f"Records without an id, external_id or _server_id: {counts.row_ids}; their item_id "
            "is 'record-N', N the record number in the file."
        )
    if counts.duplicate_ids:
        shown = ", ".join(f"'{i}'" for i in sorted(set(counts.duplicate_ids))[:5])
        notes.append(
            f"Records that repeat the id of an earlier record: {len(counts.duplicate_ids)} "
            f"({shown}); their answers are kept under that id, and items keeps the first record."
        )
    if counts.span_suggestions:
        notes.append(
            f"Suggestions for '{question.name}' that are spans or other structured values, not "
            f"labels: {counts.span_suggestions}; they are not in predictions."
        )
    if counts.bad_suggestions:
        notes.append(
            f"Suggestions that are not objects with a value: {counts.bad_suggestions}; ignored."
        )
    counted = Counter(s.reason for s in imported.skipped)
    if counted.get("no_label"):
        notes.append(
            f"Responses that answer other questions of their record but not '{question.name}' "
            f"(an optional question, or a partial answer): {counted['no_label']}; skipped as "
            "no_label."
        )
    return notes
