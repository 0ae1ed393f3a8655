"""Multi-label and span answers onto canonical form: label lists and span rows, checked and mapped.

A multi-label answer is a set of labels: a JSON array in a CSV or JSONL cell (`["joy",
"anger"]`, `[]` for "none of them"), a Parquet list, or one plain label. A span answer is a
list of labelled character ranges: `[[0, 5, "PER"], ...]` or `[{"start": 0, "end": 5,
"label": "PER"}, ...]`, `[]` for "found nothing"; tool exports bring their spans as a table.
Labels go through the schema's mapping (ids, rename and merge migrations); an answer with a
label outside the schema is quarantined whole, as is one that is not a list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from labelgate.config import columns as col
from labelgate.config.schema import Schema
from labelgate.errors import InputError
from labelgate.io.canonical import (
    Quarantine,
    clipped,
    label_mapping,
    rename_columns,
    screen_values,
)
from labelgate.io.readers import RawTable, infer_format, read_source
from labelgate.problems import Problem

SPAN_COLUMNS = (col.ITEM_ID, col.ANNOTATOR_ID, "start", "end", col.LABEL, "text")
LABELS = "labels"


def several_labels(frame: pd.DataFrame) -> np.ndarray:
    """Rows of a tool export whose annotator chose several values (`label` empty, `labels` a
    list of two or more): multi-label data in a single-label dataset."""
    if LABELS not in frame:
        return np.zeros(len(frame), dtype=bool)
    labels = frame[LABELS].astype("str")
    chosen = labels.str.startswith('["') & labels.str.contains('","', regex=False)
    return ((frame[col.LABEL] == "") & chosen).to_numpy(dtype=bool)


def quarantine_several(frame: pd.DataFrame, quarantine: Quarantine) -> pd.DataFrame:
    """Keep several-valued answers aside as `multiple_labels` in a single-label dataset."""
    mask = several_labels(frame)
    if not mask.any():
        return frame
    detail = (
        "item '"
        + clipped(frame[col.ITEM_ID])
        + "', annotator '"
        + clipped(frame[col.ANNOTATOR_ID])
        + "' chose several values "
        + clipped(frame[LABELS])
        + ": this is multi-label data; declare 'task: multi_label' in the schema (or "
        "--task multi_label) to score label sets"
    )
    return quarantine.take(frame, mask, "multiple_labels", detail)


def _as_list(text: str) -> list[Any] | None:
    """The JSON array in `text`, or None when it is not one."""
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    return value if isinstance(value, list) else None


def _answer(label: str, labels: str) -> list[Any] | None:
    """One row's answer as a list: from a tool's `labels` column, a JSON array, or one label."""
    if labels:
        return _as_list(labels)
    parsed = _as_list(label)
    if parsed is not None or label.startswith("["):
        return parsed
    return [label]


def _mapping(schema: Schema | None) -> tuple[dict[str, str], dict[str, str], set[str]]:
    """The schema's label mapping; without a schema (a file command) every label is itself."""
    if schema is not None:
        return label_mapping(schema)
    return _Identity(), {}, set()


class _Identity(dict[str, str]):
    """A mapping under which every label is known and maps to itself."""

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __missing__(self, key: str) -> str:
        return key


def parse_label_sets(
    frame: pd.DataFrame, schema: Schema | None, quarantine: Quarantine
) -> pd.DataFrame:
    """Each row's label set, mapped to schema ids in schema order: `labels` (a list) and
    `label` (its compact JSON, e.g. `["anger","joy"]`). Quarantines answers that are not a
    list of plain labels (`malformed_row`), hold a label outside the schema (`unknown_label`)
    or one a split migration divided (`split_label_needs_reannotation`)."""
    mapping, notes, split = _mapping(schema)
    tool_lists = frame[LABELS] if LABELS in frame else pd.Series("", index=frame.index)
    answers = [
        _answer(label, str(labels))
        for label, labels in zip(frame[col.LABEL], tool_lists, strict=True)
    ]
    malformed = np.array(
        [
            a is None or any(not isinstance(v, str | int | float) or isinstance(v, bool) for v in a)
            for a in answers
        ],
        dtype=bool,
    )
    frame = frame.assign(_answer=pd.Series(answers, index=frame.index, dtype=object))
    frame = quarantine.take(
        frame,
        malformed,
        "malformed_row",
        "label '" + clipped(frame[col.LABEL]) + "' is not a list of labels: write a JSON array "
        'such as ["joy", "anger"] ([] for none)',
    )
    values = [[str(v).strip() for v in answer] for answer in frame["_answer"]]
    is_split = np.array([any(v in split for v in answer) for answer in values], dtype=bool)
    frame = frame.assign(_answer=pd.Series(values, index=frame.index, dtype=object))
    frame = quarantine.take(
        frame,
        is_split,
        "split_label_needs_reannotation",
        "a label in the set was split into several by a schema migration; re-annotate the item",
    )
    values = list(frame["_answer"])
    unknown = [[v for v in answer if v not in mapping] for answer in values]
    frame = quarantine.take(
        frame,
        np.array([bool(u) for u in unknown], dtype=bool),
        "unknown_label",
        pd.Series(
            [
                f"labels {json.dumps(u, ensure_ascii=False)[:200]} are not in the schema "
                f"({', '.join(schema.label_ids if schema else [])})"
                for u in unknown
            ],
            index=frame.index,
            dtype="str",
        ),
    )
    # Schema order; without a schema, sorted.
    order = {label: position for position, label in enumerate(schema.label_ids if schema else [])}
    sets = [
        sorted({mapping[v] for v in answer}, key=lambda x: (order.get(x, len(order)), x))
        for answer in frame["_answer"]
    ]
    migrated = [
        "; ".join(sorted({notes[v] for v in answer if v in notes})) for answer in frame["_answer"]
    ]
    out = frame.drop(columns=["_answer"]).copy()
    out[LABELS] = pd.Series(sets, index=out.index, dtype=object)
    out[col.LABEL] = pd.Series(
        [json.dumps(s, ensure_ascii=False, separators=(",", ":")) for s in sets],
        index=out.index,
        dtype="str",
    )
    out["migrated_from"] = pd.Series(migrated, index=out.index, dtype="str")
    return out


def _span_of(value: Any) -> tuple[int, int, str] | None:
    """(start, end, label) of one span written as a triple or an object, or None."""
    if isinstance(value, dict):
        start, end, label = value.get("start"), value.get("end"), value.get("label")
    elif isinstance(value, list) and len(value) == 3:
        start, end, label = value
    else:
        return None
    if not isinstance(start, int) or not isinstance(end, int) or bool in (type(start), type(end)):
        return None
    if not isinstance(label, str | int) or isinstance(label, bool):
        return None
    if start < 0 or end <= start:  # an empty or reversed range marks nothing
        return None
    return start, end, str(label)


def parse_span_answers(
    frame: pd.DataFrame, schema: Schema | None, quarantine: Quarantine
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(annotations, spans) from span answers written in the label column: each row becomes
    one annotation (label '') and its spans. Quarantines answers that are not a list of spans
    (`malformed_row`) or name a label outside the schema (`unknown_label`)."""
    mapping, _, _ = _mapping(schema)
    parsed: list[list[tuple[int, int, str]] | None] = []
    for text in frame[col.LABEL]:
        answer = _as_list(str(text))
        spans = None if answer is None else [_span_of(v) for v in answer]
        parsed.append(None if spans is None or None in spans else spans)  # type: ignore[arg-type]
    frame = frame.assign(_spans=pd.Series(parsed, index=frame.index, dtype=object))
    frame = quarantine.take(
        frame,
        np.array([p is None for p in parsed], dtype=bool),
        "malformed_row",
        "label '" + clipped(frame[col.LABEL]) + "' is not a list of spans: write a JSON array "
        'of [start, end, "LABEL"] triples or {"start", "end", "label"} objects with 0 <= start '
        "< end (character offsets, end exclusive; [] for none)",
    )
    unknown = np.array(
        [any(s[2] not in mapping for s in spans) for spans in frame["_spans"]], dtype=bool
    )
    frame = quarantine.take(
        frame,
        unknown,
        "unknown_label",
        "a span label in '"
        + clipped(frame[col.LABEL])
        + "' is not in the schema ("
        + ", ".join(schema.label_ids if schema else [])
        + ")",
    )
    rows = [
        (item, annotator, start, end, mapping[label])
        for item, annotator, spans in zip(
            frame[col.ITEM_ID], frame[col.ANNOTATOR_ID], frame["_spans"], strict=True
        )
        for start, end, label in spans
    ]
    spans_frame = spans_table(rows)
    out = frame.drop(columns=["_spans"]).assign(**{col.LABEL: ""})
    return out, spans_frame


def spans_table(
    rows: list[tuple[str, str, int, int, str]], texts: list[str] | None = None
) -> pd.DataFrame:
    """The canonical spans table from (item, annotator, start, end, label) rows."""
    return pd.DataFrame(
        {
            col.ITEM_ID: pd.Series([r[0] for r in rows], dtype="str"),
            col.ANNOTATOR_ID: pd.Series([r[1] for r in rows], dtype="str"),
            "start": np.asarray([r[2] for r in rows], dtype=np.int64),
            "end": np.asarray([r[3] for r in rows], dtype=np.int64),
            col.LABEL: pd.Series([r[4] for r in rows], dtype="str"),
            "text": pd.Series(texts if texts is not None else [""] * len(rows), dtype="str"),
        }
    )


def tool_spans(
    tables: list[pd.DataFrame], kept: pd.DataFrame, schema: Schema | None
) -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    """The spans tool exports carry, for the annotations that were kept, with labels mapped;
    and the (item, annotator) answers holding a span label outside the schema."""
    tables = [t for t in tables if len(t)]  # an export where nobody marked anything has none
    if not tables:
        return spans_table([]), set()
    mapping, _, _ = _mapping(schema)
    spans = pd.concat(tables, ignore_index=True)
    keys = set(zip(kept[col.ITEM_ID], kept[col.ANNOTATOR_ID], strict=True))
    mine = [
        (str(i), str(a)) in keys
        for i, a in zip(spans[col.ITEM_ID], spans[col.ANNOTATOR_ID], strict=True)
    ]
    spans = spans[np.asarray(mine, dtype=bool)]
    bad = {
        (str(i), str(a))
        for i, a, label in zip(
            spans[col.ITEM_ID], spans[col.ANNOTATOR_ID], spans[col.LABEL], strict=True
        )
        if label not in mapping
    }
    spans = spans[
        [
            (str(i), str(a)) not in bad
            for i, a in zip(spans[col.ITEM_ID], spans[col.ANNOTATOR_ID], strict=True)
        ]
    ]
    rows = [
        (str(i), str(a), int(s), int(e), mapping[str(label)])
        for i, a, s, e, label in zip(
            spans[col.ITEM_ID],
            spans[col.ANNOTATOR_ID],
            spans["start"],
            spans["end"],
            spans[col.LABEL],
            strict=True,
        )
    ]
    texts = [str(t) for t in spans["text"]] if "text" in spans else None
    return spans_table(rows, texts), bad


def task_mismatch(raw: RawTable, display: str, task: str) -> InputError | None:
    """An InputError when a tool export's kind contradicts `task`: spans (and no labels) read
    as labels, or labels (and no spans) read as spans."""
    frame, carried = raw.frame, raw.tables.get("spans")
    if carried is None or not len(frame):
        return None
    labelled = (frame[col.LABEL] != "") | (
        frame[LABELS].astype("str").str.len() > 2 if LABELS in frame else False
    )
    # A span annotation has no label of its own (an importer may list its spans' labels).
    if task != "spans" and len(carried) and not bool((frame[col.LABEL] != "").any()):
        kind = "single labels" if task == "single_label" else "label sets"
        fix = "Declare 'task: spans' in the schema (--task spans on the file commands), or "
        fix += "import a classification control with --field ('field:' in dataset.yaml)."
        message = f"is a span export ({len(carried):,} spans, no labels), read as {kind}."
    elif task == "spans" and not len(carried) and bool(labelled.any()):
        message = "holds labels but no spans, read as spans."
        fix = "Use --task single_label or multi_label (the schema's task), or pick the span "
        fix += "control with --field ('field:' in dataset.yaml)."
    else:
        return None
    return InputError([Problem(display, message=message, fix=fix)])


@dataclass(frozen=True)
class Answers:
    """A multi-label or span export as the file commands read it."""

    frame: pd.DataFrame  # item_id, annotator_id, label (and `labels` lists for multi-label)
    spans: pd.DataFrame  # SPAN_COLUMNS (span task)
    skipped: dict[str, int]  # rows left out, by reason
    texts: dict[str, str] | None  # item -> text, when a tool export carries the items


def read_answers(
    path: Path,
    columns: dict[str, str],
    task: str,
    file_format: str | None = None,
    control: str | None = None,
) -> Answers:
    """A standalone multi-label or span export: one row per item and annotator with its label
    set (`labels`) or its spans (`spans`); rows that cannot be used are counted by reason."""
    display = str(path)
    raw = read_source(path, infer_format(path, file_format, display), display, control)
    required = (col.ITEM_ID, col.ANNOTATOR_ID, col.LABEL)
    mapping = {k: v for k, v in columns.items() if k in required}
    tool = LABELS in raw.frame.columns
    frame = rename_columns(raw, mapping, required, (LABELS,) if tool else (), display)
    quarantine = Quarantine("annotations", display)
    frame = screen_values(frame, raw, mapping, required[:2], quarantine)
    for name in required[:2]:
        frame = quarantine.take(frame, (frame[name] == "").to_numpy(), f"missing_{name}", "")
    carried = raw.tables.get("spans")
    spans = spans_table([])
    mismatch = task_mismatch(raw, display, task)
    if mismatch is not None:
        raise mismatch
    if task == "multi_label":
        listed = frame[LABELS] != "" if tool else pd.Series(False, index=frame.index)
        missing = ((frame[col.LABEL] == "") & ~listed).to_numpy(dtype=bool)
        frame = quarantine.take(frame, missing, "missing_label", "")
        frame = parse_label_sets(frame, None, quarantine)
    elif carried is not None:
        spans, _ = tool_spans([carried], frame, None)
    else:
        frame = quarantine.take(frame, (frame[col.LABEL] == "").to_numpy(), "missing_label", "")
        frame, spans = parse_span_answers(frame, None, quarantine)
    skipped: dict[str, int] = {}
    for _, reason, _ in raw.bad_rows:
        skipped[reason] = skipped.get(reason, 0) + 1
    for code, count in quarantine.frame()["reason"].value_counts(sort=False).items():
        skipped[str(code)] = skipped.get(str(code), 0) + int(count)
    items = raw.tables.get("items")
    texts = (
        dict(zip(items[col.ITEM_ID], items["text"], strict=True))
        if items is not None and "text" in items
        else None
    )
    return Answers(frame.reset_index(drop=True), spans, dict(sorted(skipped.items())), texts)
