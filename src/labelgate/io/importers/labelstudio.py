"""Label Studio exports (full JSON, JSON-MIN, CSV/TSV) onto the canonical tables.

Decisions a user sees:

- One annotation row per (task, annotation) for the imported control (`from_name`); with
  several controls in the file, `control` (--field) picks one.
- `annotator_id` is the annotator's email when the export has it, else their numeric id: the
  full JSON's `completed_by` object gives its email, a bare `completed_by` int its id (as
  JSON-MIN's and CSV's `annotator` column do).
- `labels` is the JSON list of every value chosen, in the export's order; `label` is set only
  when exactly one value was chosen (several choices leave it '' for the caller to decide).
- Taxonomy paths are joined with '/' ("Animal/Mammal"); a textarea's lines are separate
  values (so `label` only for a single line); rating and number become their text.
- Text spans (`labels`) go to the spans table, and image or audio regions (`rectanglelabels`,
  ...) keep only their labels; their annotation row has `label` '' (a row with no span is a
  valid "found nothing").
- `item_id` is the task id, unless the task's data has `item_id` (labelgate's review tasks
  carry it), which then wins so re-imported reviews join the original items.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
    table,
)
from labelgate.problems import Problem, did_you_mean

# Columns Label Studio itself adds to a JSON-MIN or CSV record; the rest are task data or
# control values.
_MIN_META = (
    "id",
    "annotator",
    "annotation_id",
    "created_at",
    "updated_at",
    "lead_time",
    "was_cancelled",
    "agreement",
)
# A control value's key -> control type, checked in this order (a span also has `text`).
_VALUE_KEYS = (
    ("choices", "choices"),
    ("taxonomy", "taxonomy"),
    ("rating", "rating"),
    ("number", "number"),
    ("text", "textarea"),
)
_SPAN = "labels"  # the text-span control: value.start/end are character offsets
_FIX_EXPORT = "Export the project again from Label Studio (Export > {kind})."
_FIELD_FIX = "Choose one with --field NAME (the source's 'field:' in dataset.yaml)."
_DETAIL_MAX = 300


class _BadValue(ValueError):
    """An annotation value that is not what its control type promises."""


def _error(display: str, message: str, fix: str, line: int = 0, column: int = 0) -> InputError:
    return InputError([Problem(display, line, column, "", message, fix)])


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else _compact(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _text(value: Any) -> str:
    """A scalar as text ('' for null, JSON for booleans, integral floats without '.0');
    nested values as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, int):
        return str(value)
    return _compact(value)


def _json_type(value: Any) -> str:
    """A value's JSON type name, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    names = {dict: "object", list: "array", str: "string", int: "number", float: "number"}
    return names.get(type(value), type(value).__name__)


def _is_id(value: Any) -> bool:
    return (isinstance(value, str) and value.strip() != "") or (
        isinstance(value, int) and not isinstance(value, bool)
    )


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _iso_utc(value: Any) -> str:
    """Label Studio's times as ISO 8601 UTC text ('...Z'); a time without a zone is UTC (the
    server's); anything unparseable is kept as given for ingest to diagnose."""
    if value is None or value == "":
        return ""
    text = _text(value)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    spec = "microseconds" if moment.microsecond else "seconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _by(annotator: str) -> str:
    return f" by '{annotator}'" if annotator else ""


def _annotator(value: Any) -> str:
    """The email of a `completed_by` object (else its id); a bare id or email as text."""
    if isinstance(value, dict):
        email = value.get("email")
        if isinstance(email, str) and email.strip():
            return email.strip()
        return _text(value.get("id"))
    return _text(value).strip()


# --- control values --------------------------------------------------------------------------


def _values(kind: str, value: dict[str, Any]) -> list[str]:
    """The values a classification-type result holds, as text."""
    if kind == "taxonomy":
        paths = value.get("taxonomy") or []
        if not isinstance(paths, list):
            raise _BadValue(f"taxonomy {_short(paths)} is not a list of paths")
        return [
            "/".join(_text(p) for p in path) if isinstance(path, list) else _text(path)
            for path in paths
        ]
    key = "text" if kind == "textarea" else kind
    raw = value.get(key)
    items = raw if isinstance(raw, list) else [] if raw is None else [raw]
    return [t for t in (_text(v) for v in items) if t != ""]


def _is_region(kind: str) -> bool:
    """An image, audio or time-series region type (rectanglelabels, ...): labels, no offsets."""
    return kind.endswith("labels") and kind != _SPAN


@dataclass
class _Rendered:
    """One annotation's (or prediction's) result for the imported control."""

    labels: list[str] = field(default_factory=list)
    spans: list[tuple[int, int, str, str]] = field(default_factory=list)  # start, end, label, text
    positional: bool = False  # spans or regions: an empty result is "found nothing"

    @property
    def label(self) -> str:
        return self.labels[0] if len(self.labels) == 1 and not self.positional else ""


def _offset(value: dict[str, Any], key: str) -> int:
    number = value.get(key)
    if isinstance(number, bool) or not isinstance(number, int | float) or number < 0:
        raise _BadValue(f"span {key} {_short(number)} is not a character offset")
    if isinstance(number, float) and not number.is_integer():
        raise _BadValue(f"span {key} {number!r} is not a whole character offset")
    return int(number)


def _render(parts: Iterable[tuple[str, Any]], positional: bool) -> _Rendered:
    """The labels (and spans) of one control's results, each (type, value)."""
    out = _Rendered(positional=positional)
    for kind, value in parts:
        if not isinstance(value, dict):
            raise _BadValue(f"{kind} value {_short(value)} is not an object")
        if kind == _SPAN:
            start, end = _offset(value, "start"), _offset(value, "end")
            if end < start:
                raise _BadValue(f"span end {end} is before its start {start}")
            raw = value.get("labels") or []
            names = [_text(n) for n in (raw if isinstance(raw, list) else [raw])] or [""]
            out.spans.extend((start, end, name, _text(value.get("text"))) for name in names)
            out.labels.extend(n for n in names if n)
        elif _is_region(kind):
            names = value.get(kind) or []
            out.labels.extend(_text(n) for n in (names if isinstance(names, list) else [names]))
        else:
            out.labels.extend(_values(kind, value))
    return out


def _infer_kind(value: Any) -> str | None:
    """The control type a JSON-MIN value dict has (JSON-MIN drops the type)."""
    if not isinstance(value, dict):
        return None
    if _SPAN in value and "start" in value and "end" in value:
        return _SPAN
    for key, kind in _VALUE_KEYS:
        if key in value:
            return kind
    return next((k for k in value if isinstance(k, str) and _is_region(k)), None)


def _shaped(value: Any) -> str | None:
    """The control type of a JSON-MIN or CSV cell holding a structured control value."""
    if isinstance(value, dict):
        return _infer_kind(value)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        kinds = {_infer_kind(v) for v in value}
        if len(kinds) == 1:
            return kinds.pop()
    return None


# --- shared assembly -------------------------------------------------------------------------


@dataclass
class _Tables:
    """The rows gathered so far, and what the user should hear about them."""

    annotations: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    gold: list[dict[str, Any]] = field(default_factory=list)
    spans: list[dict[str, Any]] = field(default_factory=list)
    predictions: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    item_rows: dict[str, int] = field(default_factory=dict)  # item_id -> first record
    repeated: dict[str, list[int]] = field(default_factory=dict)  # item_id -> later records
    several: int = 0  # annotations with more than one value
    no_annotator: int = 0
    from_data_item_id: int = 0

    def skip(self, row: int, reason: str, detail: str) -> None:
        text = detail if len(detail) <= _DETAIL_MAX else detail[: _DETAIL_MAX - 3] + "..."
        self.skipped.append(Skipped(row, reason, text))

    def add_item(self, item_id: str, row: int, fields: dict[str, str], once: bool = True) -> None:
        """Record an item at its first record; `once`: a later record with the same id is
        worth a note (two tasks, not two annotations of one task in JSON-MIN)."""
        if item_id in self.item_rows:
            if once and self.item_rows[item_id] != row:
                self.repeated.setdefault(item_id, []).append(row)
            return
        self.item_rows[item_id] = row
        self.items.append({"item_id": item_id, **fields, "_row": row})

    def add_annotation(self, row: int, rendered: _Rendered, values: dict[str, Any]) -> None:
        if len(rendered.labels) > 1 and not rendered.positional:
            self.several += 1
        if not values.get("annotator_id"):
            self.no_annotator += 1
        self.annotations.append(
            {**values, "label": rendered.label, "labels": _compact(rendered.labels), "_row": row}
        )
        for start, end, name, text in rendered.spans:
            self.spans.append(
                {
                    "item_id": values["item_id"],
                    "annotator_id": values.get("annotator_id", ""),
                    "start": start,
                    "end": end,
                    "label": name,
                    "text": text,
                    "source_id": values["source_id"],
                    "_row": row,
                }
            )

    def result(self, file_format: str, records: int, control: str, notes: list[str]) -> Imported:
        notes = list(notes)
        if self.several:
            notes.append(
                f"Annotations with several values: {self.several:,}; their `label` is empty and "
                "`labels` lists the values."
            )
        if self.no_annotator:
            notes.append(
                f"Annotations without an annotator (no completed_by / annotator): "
                f"{self.no_annotator:,}; their annotator_id is empty."
            )
        if self.from_data_item_id:
            notes.append(
                f"Records whose data carries item_id (labelgate review tasks): "
                f"{self.from_data_item_id:,}; that is their item_id, and Label Studio's task id "
                "is in source_id."
            )
        if self.repeated:
            shown = "; ".join(
                f"'{item}' in records {self.item_rows[item]}, {', '.join(map(str, rows[:5]))}"
                for item, rows in list(self.repeated.items())[:5]
            )
            notes.append(
                f"Item ids in several records: {len(self.repeated):,} ({shown}); their "
                "annotations are merged under one item, whose fields come from the first."
            )
        # Every item has the union of the fields, in first-seen order, so the table is square.
        names: dict[str, None] = {}
        for item in self.items:
            names.update(dict.fromkeys(k for k in item if k not in ("item_id", "_row")))
        return Imported(
            file_format=file_format,
            annotations=table(self.annotations, ANNOTATION_COLUMNS),
            items=table(self.items, ("item_id", *names)),
            gold=table(self.gold, GOLD_COLUMNS),
            spans=table(self.spans, SPAN_COLUMNS, ints=("start", "end")),
            predictions=table(self.predictions, PREDICTION_COLUMNS),
            skipped=self.skipped,
            records=records,
            control=control,
            notes=notes,
        )


def _load(path: Path, display: str, kind: str) -> Any:
    """The file's JSON value, or an InputError naming what is wrong and the fix."""
    fix = _FIX_EXPORT.format(kind=kind)
    if path.is_dir():
        raise _error(display, "is a directory, not a Label Studio export file.", fix)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _error(
            display, f"cannot be read ({exc.strerror or exc}).", "Check the path."
        ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _error(display, "is UTF-16 text; Label Studio exports are UTF-8.", fix, 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _error(
            display, f"is not UTF-8 text ({exc.reason} at byte {exc.start}).", fix
        ) from None
    if not text.strip():
        raise _error(display, "is empty: no Label Studio tasks.", fix, 1)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        hint = (
            " It looks like JSON lines (one object per line), which Label Studio does not export."
            if exc.msg == "Extra data"
            else ""
        )
        raise _error(
            display, f"is not valid JSON: {exc.msg}.{hint}", fix, exc.lineno, exc.colno
        ) from None
    except RecursionError:
        raise _error(
            display,
            "is nested too deeply to read (about a thousand levels of [ and { or more): not a "
            "Label Studio export.",
            fix,
        ) from None


def _is_task(record: Any) -> bool:
    return isinstance(record, dict) and any(
        k in record for k in ("data", "annotations", "completions", "predictions")
    )


# --- full JSON -------------------------------------------------------------------------------


def _results(container: Any) -> list[dict[str, Any]]:
    """The result list of an annotation or prediction (only the dicts with a from_name)."""
    if not isinstance(container, dict):
        return []
    results = container.get("result")
    if not isinstance(results, list):
        return []
    return [r for r in results if isinstance(r, dict) and isinstance(r.get("from_name"), str)]


def _parts(results: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """(type, value) per result; a result without a type gets the one its value implies."""
    return [
        (str(r.get("type") or _infer_kind(r.get("value")) or "").lower(), r.get("value"))
        for r in results
    ]


def _annotations(task: dict[str, Any]) -> Any:
    # `completions` is the name before Label Studio 1.0.
    return task.get("annotations", task.get("completions", []))


def _scan_controls(tasks: list[Any]) -> dict[str, Counter[str]]:
    """from_name -> its result types and counts, over annotations (predictions if none)."""
    controls: dict[str, Counter[str]] = {}
    for source in ("annotations", "predictions"):
        for task in tasks:
            if not isinstance(task, dict):
                continue
            entries = _annotations(task) if source == "annotations" else task.get("predictions")
            for entry in entries if isinstance(entries, list) else []:
                for result in _results(entry):
                    kind = str(result.get("type", "")).lower()
                    controls.setdefault(result["from_name"], Counter())[kind] += 1
        if controls:
            break
    return controls


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _describe(controls: dict[str, Counter[str]]) -> str:
    return ", ".join(
        f"'{name}' ({'/'.join(kinds)}, {_count(sum(kinds.values()), 'result')})"
        for name, kinds in sorted(controls.items())
    )


def _choose(
    display: str, controls: dict[str, Counter[str]], control: str | None, unit: str, plural: str
) -> tuple[str, list[str]]:
    """The control to import and notes about the others; an InputError when ambiguous."""
    if control is not None:
        if controls and control not in controls:
            raise _error(
                display,
                f"has no {unit} named '{control}'; it has {_describe(controls)}.",
                did_you_mean(control, controls) + " " + _FIELD_FIX,
            )
        others = {k: v for k, v in controls.items() if k != control}
        notes = [f"Other {plural}, not imported: {_describe(others)}."] if others else []
        return control, notes
    if len(controls) > 1:
        raise _error(
            display,
            f"has {len(controls)} {plural}: {_describe(controls)}; which one holds the labels "
            "to import is ambiguous.",
            _FIELD_FIX,
        )
    return next(iter(controls), ""), []


def _prediction_text(prediction: dict[str, Any], key: str) -> str:
    return _text(prediction.get(key)) if not isinstance(prediction.get(key), dict | list) else ""


def _score(container: dict[str, Any], results: list[dict[str, Any]]) -> str:
    """A prediction's score; else its results' (one score, or none when they differ)."""
    value = container.get("score")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _text(float(value))
    scores = {
        float(r["score"])
        for r in results
        if isinstance(r.get("score"), int | float) and not isinstance(r["score"], bool)
    }
    return _text(scores.pop()) if len(scores) == 1 else ""


def _task_id(task: dict[str, Any]) -> tuple[str, bool]:
    """The item id (data.item_id when labelgate's review task carries one, else the task id)
    and whether it came from the data."""
    data = task.get("data")
    if isinstance(data, dict) and _is_id(data.get("item_id")):
        return _text(data["item_id"]).strip(), True
    return _text(task["id"]).strip(), False


def _item_fields(data: dict[str, Any], skip: Iterable[str] = ("item_id",)) -> dict[str, str]:
    return {str(k): _text(v) for k, v in data.items() if k not in skip}


def read_json(path: Path, display: str, control: str | None = None) -> Imported:
    """A Label Studio full JSON export (Export > JSON): a list of tasks with their
    annotations, predictions and data."""
    tasks = _load(path, display, "JSON")
    if isinstance(tasks, dict) and _is_task(tasks):
        tasks = [tasks]  # a single task, as the converter accepts
    if not isinstance(tasks, list):
        raise _error(
            display,
            f"holds a JSON {_json_type(tasks)}, not a list of Label Studio tasks.",
            _FIX_EXPORT.format(kind="JSON"),
        )
    first = next((t for t in tasks if isinstance(t, dict)), None)
    if first is not None and not _is_task(first) and "annotator" in first:
        raise _error(
            display,
            "is a JSON-MIN export (one flat record per annotation), not a full JSON export.",
            "Import it with file format 'labelstudio-min', or export the project as JSON.",
        )
    controls = _scan_controls(tasks)
    chosen, notes = _choose(
        display, controls, control, "control (from_name)", "controls (from_name)"
    )
    kinds = controls.get(chosen, Counter())
    kind = kinds.most_common(1)[0][0] if kinds else ""
    positional = kind == _SPAN or _is_region(kind)
    if _is_region(kind):
        notes.append(
            f"'{chosen}' is a {kind} control: each annotation keeps its regions' labels in "
            "`labels`; the regions' geometry is not imported."
        )
    out = _Tables()
    no_gold = 0
    for row, task in enumerate(tasks, start=1):
        _read_task(out, row, task, chosen, positional)
    for entry in out.annotations:
        if entry.pop("_gold", False):
            if entry["label"]:
                out.gold.append({k: entry[k] for k in ("item_id", "label", "source_id", "_row")})
            else:
                no_gold += 1
    if no_gold:
        notes.append(
            f"Ground-truth annotations without a single label: {no_gold:,}; they are not in "
            "the gold table."
        )
    return out.result("labelstudio", len(tasks), chosen, notes)


def _read_task(out: _Tables, row: int, task: Any, control: str, positional: bool) -> None:
    if not isinstance(task, dict):
        out.skip(row, "malformed_row", f"task {row} is a JSON {_json_type(task)}, not an object.")
        return
    if not _is_id(task.get("id")):
        out.skip(
            row,
            "malformed_row",
            f"task {row} has no id (id: {_short(task.get('id'))}); Label Studio gives every "
            "task one.",
        )
        return
    data = task.get("data", {})
    annotations = _annotations(task)
    if not isinstance(data, dict) or not isinstance(annotations, list):
        bad = "data" if not isinstance(data, dict) else "annotations"
        out.skip(
            row,
            "malformed_row",
            f"task {_text(task['id'])}: its {bad} is {_short(task.get(bad))}, not "
            f"{'an object' if bad == 'data' else 'a list'}.",
        )
        return
    task_id = _text(task["id"]).strip()
    item_id, from_data = _task_id(task)
    out.from_data_item_id += from_data
    out.add_item(item_id, row, _item_fields(data))
    predictions = task.get("predictions")
    predictions = (
        [p for p in predictions if isinstance(p, dict)] if isinstance(predictions, list) else []
    )
    by_id = {_text(p.get("id")): p for p in predictions if _is_id(p.get("id"))}
    for number, prediction in enumerate(predictions, start=1):
        _read_prediction(out, row, item_id, task_id, number, prediction, control, positional)
    for number, annotation in enumerate(annotations, start=1):
        _read_annotation(out, row, item_id, task_id, number, annotation, control, positional, by_id)


def _read_prediction(
    out: _Tables,
    row: int,
    item_id: str,
    task_id: str,
    number: int,
    prediction: dict[str, Any],
    control: str,
    positional: bool,
) -> None:
    results = [r for r in _results(prediction) if r["from_name"] == control]
    if not results or positional:
        return  # span and region predictions have no per-item label to compare
    try:
        rendered = _render(_parts(results), False)
    except _BadValue:
        return
    pid = _text(prediction.get("id")) or f"#{number}"
    for label in rendered.labels:
        out.predictions.append(
            {
                "item_id": item_id,
                "label": label,
                "score": _score(prediction, results),
                "model": _prediction_text(prediction, "model"),
                "model_version": _prediction_text(prediction, "model_version"),
                "source_id": f"task {task_id} prediction {pid}",
                "_row": row,
            }
        )


def _read_annotation(
    out: _Tables,
    row: int,
    item_id: str,
    task_id: str,
    number: int,
    annotation: Any,
    control: str,
    positional: bool,
    predictions: dict[str, dict[str, Any]],
) -> None:
    if not isinstance(annotation, dict):
        out.skip(
            row,
            "malformed_row",
            f"task {task_id} annotation #{number} is a JSON {_json_type(annotation)}, not "
            "an object.",
        )
        return
    aid = _text(annotation.get("id")) if _is_id(annotation.get("id")) else f"#{number}"
    source = f"task {task_id} annotation {aid}"
    annotator = _annotator(annotation.get("completed_by"))
    if _truthy(annotation.get("was_cancelled")) or _truthy(annotation.get("skipped")):
        out.skip(
            row, "cancelled", f"{source}{_by(annotator)} was cancelled (skipped) in Label Studio."
        )
        return
    results = [r for r in _results(annotation) if r["from_name"] == control]
    if not results and not positional:
        what = f"for control '{control}'" if control else "(no annotation in the file has one)"
        out.skip(row, "no_label", f"{source}{_by(annotator)} has no result {what}.")
        return
    try:
        rendered = _render(_parts(results), positional)
    except _BadValue as exc:
        out.skip(row, "malformed_row", f"{source}: {exc}.")
        return
    if not rendered.labels and not positional:
        out.skip(row, "no_label", f"{source}{_by(annotator)} has an empty '{control}' result.")
        return
    values: dict[str, Any] = {
        "item_id": item_id,
        "annotator_id": annotator,
        "annotated_at": _iso_utc(annotation.get("created_at")),
        "duration_s": _text(annotation.get("lead_time")),
        "source_id": source,
        "_gold": _truthy(annotation.get("ground_truth")),
    }
    values.update(_suggestion(annotation, predictions, control, positional))
    out.add_annotation(row, rendered, values)


def _suggestion(
    annotation: dict[str, Any],
    predictions: dict[str, dict[str, Any]],
    control: str,
    positional: bool,
) -> dict[str, str]:
    """The prediction the annotation started from: its label, score and model version."""
    prediction = annotation.get("prediction")
    if not (isinstance(prediction, dict) and prediction):
        # Newer exports may leave `prediction` empty and name it by id instead.
        prediction = predictions.get(_text(annotation.get("parent_prediction")))
    if not isinstance(prediction, dict) or not prediction:
        return {}
    results = [r for r in _results(prediction) if r["from_name"] == control]
    label = ""
    if results and not positional:
        try:
            label = _render(_parts(results), False).label
        except _BadValue:
            label = ""
    return {
        "suggested_label": label,
        "suggestion_score": _score(prediction, results),
        "model_version": _prediction_text(prediction, "model_version"),
    }


# --- JSON-MIN and CSV ------------------------------------------------------------------------


def _flat(
    records: list[tuple[int, Any]],
    display: str,
    control: str | None,
    file_format: str,
    raw_fields: dict[int, dict[str, str]] | None = None,
) -> Imported:
    """JSON-MIN or CSV records (one per annotation; `raw_fields` the CSV's cell texts) onto
    the canonical tables."""
    columns: dict[str, None] = {}
    for _, record in records:
        if isinstance(record, dict):
            columns.update(dict.fromkeys(str(k) for k in record))
    candidates = [c for c in columns if c not in _MIN_META]
    shaped: dict[str, Counter[str]] = {}
    for _, record in records:
        if isinstance(record, dict):
            for name in candidates:
                kind = _shaped(record.get(name))
                if kind:
                    shaped.setdefault(name, Counter())[kind] += 1
    if control is None and not shaped:
        listed = ", ".join(f"'{c}'" for c in candidates) or "none"
        raise _error(
            display,
            "does not say which column holds the annotations: no column has a structured Label "
            "Studio value (spans, several choices, ratings), and a single choice is plain text "
            f"like the task's data. Columns besides Label Studio's own: {listed}.",
            "Name the control's column with --field NAME (the source's 'field:' in dataset.yaml).",
        )
    if control is not None and control not in candidates:
        raise _error(
            display,
            f"has no column '{control}'"
            + (" (it is one of Label Studio's own columns)" if control in columns else "")
            + ".",
            did_you_mean(control, candidates) + " " + _FIELD_FIX,
        )
    if control is None:
        chosen, notes = _choose(display, shaped, None, "control column", "control columns")
    else:
        chosen, others = control, {k: v for k, v in shaped.items() if k != control}
        notes = [f"Other control columns, not imported: {_describe(others)}."] if others else []
    kinds = shaped.get(chosen, Counter())
    kind = kinds.most_common(1)[0][0] if kinds else "choices"
    positional = kind == _SPAN or _is_region(kind)
    plain = [c for c in candidates if c != chosen and c not in shaped]
    if control is None and plain:
        notes.append(
            f"Imported column '{chosen}'; the other columns are item fields: "
            + ", ".join(f"'{c}'" for c in plain[:12])
            + (f" (and {len(plain) - 12} more)" if len(plain) > 12 else "")
            + ". If one of them is the label, import it with --field NAME."
        )
    fields = [c for c in candidates if c != chosen]
    out = _Tables()
    for row, record in records:
        if not isinstance(record, dict):
            out.skip(
                row, "malformed_row", f"record {row} is a JSON {_json_type(record)}, not an object."
            )
            continue
        if not _is_id(record.get("id")):
            out.skip(
                row,
                "malformed_row",
                f"record {row} has no task id (id: {_short(record.get('id'))}).",
            )
            continue
        task_id = _text(record["id"]).strip()
        from_data = _is_id(record.get("item_id"))
        item_id = _text(record["item_id"]).strip() if from_data else task_id
        out.from_data_item_id += from_data
        cells = raw_fields.get(row, {}) if raw_fields is not None else {}
        out.add_item(
            item_id,
            row,
            {c: cells[c] if c in cells else _text(record.get(c)) for c in fields if c != "item_id"},
            once=False,
        )
        aid = _text(record.get("annotation_id")) or "?"
        source = f"task {task_id} annotation {aid}"
        annotator = _annotator(record.get("annotator"))
        if _truthy(record.get("was_cancelled")):
            out.skip(
                row,
                "cancelled",
                f"{source}{_by(annotator)} was cancelled (skipped) in Label Studio.",
            )
            continue
        try:
            rendered = _render_flat(record.get(chosen), positional)
        except _BadValue as exc:
            out.skip(row, "malformed_row", f"{source}: column '{chosen}': {exc}.")
            continue
        if not rendered.labels and not positional:
            out.skip(
                row, "no_label", f"{source}{_by(annotator)} has no value in column '{chosen}'."
            )
            continue
        out.add_annotation(
            row,
            rendered,
            {
                "item_id": item_id,
                "annotator_id": annotator,
                "annotated_at": _iso_utc(record.get("created_at")),
                "duration_s": _text(record.get("lead_time")),
                "source_id": source,
            },
        )
    return out.result(file_format, len(records), chosen, notes)


def _render_flat(value: Any, positional: bool) -> _Rendered:
    """A JSON-MIN control value: text (one choice or line), an object ({"choices": [...]}),
    or a list of objects (spans, ratings, taxonomies, regions) or of texts."""
    if value is None or value == "":
        return _Rendered(positional=positional)
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        return _Rendered([_text(value)], positional=positional)
    parts: list[tuple[str, Any]] = []
    texts: list[str] = []
    for entry in value:
        if isinstance(entry, dict):
            kind = _infer_kind(entry)
            if kind is None:
                raise _BadValue(f"{_short(entry)} is not a Label Studio control value")
            parts.append((kind, entry))
        elif isinstance(entry, list):
            raise _BadValue(f"{_short(entry)} is not a Label Studio control value")
        else:
            texts.append(_text(entry))
    rendered = _render(parts, positional)
    rendered.labels.extend(t for t in texts if t)
    return rendered


def read_json_min(path: Path, display: str, control: str | None = None) -> Imported:
    """A Label Studio JSON-MIN export: a flat list of records, one per annotation, with the
    task's data fields, `annotator`, `annotation_id`, times and one key per control."""
    records = _load(path, display, "JSON-MIN")
    if not isinstance(records, list):
        raise _error(
            display,
            "is not a JSON list of records: a JSON-MIN export is a list with one object per "
            "annotation.",
            _FIX_EXPORT.format(kind="JSON-MIN"),
        )
    first = next((r for r in records if isinstance(r, dict)), None)
    if first is not None and _is_task(first) and ("annotations" in first or "data" in first):
        raise _error(
            display,
            "is a full JSON export (tasks with 'data' and 'annotations'), not JSON-MIN.",
            "Import it with file format 'labelstudio'.",
        )
    return _flat(list(enumerate(records, start=1)), display, control, "labelstudio-min")


def _structured(cell: str) -> Any:
    """A CSV cell: JSON when it is a JSON list or object (Label Studio writes those so), else
    the text; an empty cell is None."""
    if cell == "":
        return None
    if cell[0] in "[{":
        try:
            return json.loads(cell)
        except (json.JSONDecodeError, RecursionError):
            return cell
    return cell


def read_csv(path: Path, display: str, control: str | None = None) -> Imported:
    """A Label Studio CSV (or TSV) export: JSON-MIN's columns, list and object values as JSON
    text in their cells. Row numbers count the header as record 1."""
    fix = _FIX_EXPORT.format(kind="CSV")
    if path.is_dir():
        raise _error(display, "is a directory, not a Label Studio CSV export.", fix)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _error(
            display, f"cannot be read ({exc.strerror or exc}).", "Check the path."
        ) from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[: 1 << 16]:
        raise _error(display, "is UTF-16 or binary data, not UTF-8 CSV text.", fix, 1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _error(
            display, f"is not UTF-8 text ({exc.reason} at byte {exc.start}).", fix, line
        ) from None
    head = text.split("\n", 1)[0]
    if not head.strip():
        raise _error(
            display, "has no header row: the file is empty or starts with a blank line.", fix, 1
        )
    # Label Studio writes CSV with ',' and TSV with a tab; the header tells which.
    delimiter = max((",", "\t", ";"), key=lambda d: len(next(csv.reader([head], delimiter=d))))
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, 1 << 24))  # long task texts exceed the 128 KiB default
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise _error(display, f"cannot be read as CSV ({exc}).", fix) from None
    header = rows[0]
    repeated = sorted({n for n in header if header.count(n) > 1})
    if repeated:
        raise _error(
            display,
            f"names columns more than once ({', '.join(repr(n) for n in repeated)}).",
            fix,
            1,
        )
    if "id" not in header or "annotator" not in header:
        raise _error(
            display,
            "is not a Label Studio CSV export: it has no "
            + " and no ".join(f"'{c}'" for c in ("id", "annotator") if c not in header)
            + f" column (columns: {', '.join(header[:12])}).",
            "Export the project from Label Studio as CSV, or read the file as a plain CSV source.",
            1,
        )
    records: list[tuple[int, Any]] = []
    cells: dict[int, dict[str, str]] = {}
    for number, fields in enumerate(rows[1:], start=2):
        if not fields:
            continue  # a blank line
        if len(fields) != len(header):
            records.append((number, f"{len(fields)} fields where the header has {len(header)}"))
            continue
        cells[number] = dict(zip(header, fields, strict=True))
        records.append((number, {k: _structured(v) for k, v in cells[number].items()}))
    imported = _flat(records, display, control, "labelstudio-csv", cells)
    # A ragged row reaches _flat as text; say what was wrong with it instead.
    bad = {n: r for n, r in records if isinstance(r, str)}
    imported.skipped = [
        Skipped(s.row, s.reason, f"record {s.row}: {bad[s.row]}.") if s.row in bad else s
        for s in imported.skipped
    ]
    return imported
