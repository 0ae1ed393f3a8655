"""Raw source tables onto the canonical tables: map columns and labels, quarantine and count.

Pure: the ingest stage reads every source first and writes what this returns. Rows in = rows
kept + rows quarantined, per source; quarantined rows carry a reason code and their row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from labelgate.config import columns as col
from labelgate.config.dataset import AnnotationSource, SourceFile, VersionMapping
from labelgate.config.schema import MEDIA_TYPES, Schema, SplitMigration
from labelgate.errors import InputError, InternalError
from labelgate.io.canonical import (
    Quarantine,
    apply_labels,
    clipped,
    content_hash,
    rename_columns,
    screen_values,
)
from labelgate.io.label_sets import (
    LABELS,
    parse_label_sets,
    parse_span_answers,
    quarantine_several,
    spans_table,
    task_mismatch,
    tool_spans,
)
from labelgate.io.readers import RawTable
from labelgate.io.writers import restore_cell
from labelgate.problems import Problem


@dataclass(frozen=True)
class RawSource:
    """One declared source file as read: `table` is None for an optional file not there yet."""

    config: SourceFile
    table: RawTable | None
    display: str  # project-relative path, for messages and the `source` column
    # A large export read piece by piece instead (`table` is None): see `chunks`.
    pieces: Callable[[], Iterator[RawTable]] | None = None


@dataclass(frozen=True)
class RawSources:
    """Every source of a dataset, read."""

    annotations: list[RawSource]
    items: RawSource | None = None
    gold: RawSource | None = None
    adjudications: RawSource | None = None
    audit_results: RawSource | None = None
    reviews: RawSource | None = None
    qualification: RawSource | None = None
    qualification_key: RawSource | None = None


TIMESTAMP: Final = "datetime64[us, UTC]"  # every time column of the canonical tables


@dataclass
class AnnotationCounts:
    """What ingest.json says of the kept annotations, counted piece by piece."""

    rows: int = 0
    item_ids: list[pa.Array] = field(default_factory=list)  # each piece's distinct ids
    annotator_ids: list[pa.Array] = field(default_factory=list)
    migrations: Counter[str] = field(default_factory=Counter)
    keep_keys: bool = False  # keep every (item_id, annotator_id): reviews are checked on them
    keys: list[pd.DataFrame] = field(default_factory=list)

    def add(self, frame: pd.DataFrame) -> None:
        """Count one piece of checked annotations."""
        self.rows += len(frame)
        if self.keep_keys:
            self.keys.append(frame[[col.ITEM_ID, col.ANNOTATOR_ID]])
        self.item_ids.append(pc.unique(pa.array(frame[col.ITEM_ID].array)))
        self.annotator_ids.append(pc.unique(pa.array(frame[col.ANNOTATOR_ID].array)))
        migrated = frame["migrated_from"]
        counts = migrated[migrated != ""].value_counts()
        self.migrations.update({str(k): int(v) for k, v in counts.items()})

    @staticmethod
    def distinct(pieces: list[pa.Array]) -> int:
        """Distinct values over every piece."""
        if not pieces:
            return 0
        return int(pc.count_distinct(pa.chunked_array(pieces, type=pieces[0].type)).as_py())


def empty_table(columns: tuple[str, ...]) -> pd.DataFrame:
    """A table with these string columns and no rows: what an undeclared source gives."""
    return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})


def empty_reviews() -> pd.DataFrame:
    """The reviews table with no rows (`reviewed_at` a UTC timestamp column)."""
    return _typed_reviews(empty_table(col.REVIEW_COLUMNS))


def _typed_reviews(frame: pd.DataFrame) -> pd.DataFrame:
    # Checked before: every non-empty reviewed_at parses.
    stamps = pd.to_datetime(frame["reviewed_at"].replace("", None), utc=True, format="ISO8601")
    # One resolution whatever the values: pandas picks seconds for some, microseconds for others.
    return frame.assign(reviewed_at=stamps.astype(TIMESTAMP))


@dataclass
class Ingested:
    """The canonical tables, the quarantine, the items to re-annotate and per-source counts."""

    annotations: pd.DataFrame
    items: pd.DataFrame
    gold: pd.DataFrame
    adjudications: pd.DataFrame
    audit_results: pd.DataFrame
    quarantine: pd.DataFrame
    reannotation: pd.DataFrame
    spans: pd.DataFrame = field(default_factory=lambda: spans_table([]))  # task: spans
    reviews: pd.DataFrame = field(default_factory=empty_reviews)
    qualification: pd.DataFrame = field(
        default_factory=lambda: empty_table(col.QUALIFICATION_COLUMNS)
    )
    qualification_key: pd.DataFrame = field(default_factory=lambda: empty_table(col.GOLD_COLUMNS))
    sources: list[dict[str, Any]] = field(default_factory=list)
    counts: AnnotationCounts = field(default_factory=AnnotationCounts)
    rejected: list[Quarantine] = field(default_factory=list)  # per source, in source order
    notes: list[str] = field(default_factory=list)  # whole columns that could not be read


def _require(frame: pd.DataFrame, quarantine: Quarantine, names: tuple[str, ...]) -> pd.DataFrame:
    for name in names:
        frame = quarantine.take(
            frame, (frame[name] == "").to_numpy(), f"missing_{name}", f"{name} is empty"
        )
    return frame


REANNOTATION_COLUMNS = (
    col.ITEM_ID,
    "old_label",
    "split_into",
    "since",
    "annotations",
    "annotators",
)


def split_rows(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """Annotations whose label a split migration divided: they need a new annotation."""
    splits = {m.from_: m for m in schema.migrations if isinstance(m, SplitMigration)}
    hit = frame[frame[col.LABEL].isin(list(splits))] if splits else frame.iloc[:0]
    return pd.DataFrame(
        {
            col.ITEM_ID: hit[col.ITEM_ID].astype("str"),
            col.ANNOTATOR_ID: hit[col.ANNOTATOR_ID].astype("str"),
            "old_label": hit[col.LABEL].astype("str"),
            "split_into": hit[col.LABEL].map(lambda x: ", ".join(splits[x].to)).astype("str"),
            "since": hit[col.LABEL].map(lambda x: splits[x].since).astype("str"),
        }
    )


def reannotation_list(rows: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per item to re-annotate: the split label, its successors, who labelled it."""
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in REANNOTATION_COLUMNS})
    grouped = frame.sort_values([col.ITEM_ID, col.ANNOTATOR_ID]).groupby(col.ITEM_ID, sort=True)
    out = grouped.agg(
        old_label=("old_label", lambda s: ", ".join(sorted(set(s)))),
        split_into=("split_into", lambda s: "; ".join(sorted(set(s)))),
        since=("since", lambda s: ", ".join(sorted(set(s)))),
        annotations=(col.ANNOTATOR_ID, "size"),
        annotators=(col.ANNOTATOR_ID, lambda s: ", ".join(s)),
    )
    return out.reset_index()[list(REANNOTATION_COLUMNS)]


def _valued(name: str, columns: dict[str, str], text: pd.Series) -> pd.Series:
    """`name 'value'` per row, with the file's column it was mapped from when it has another name."""
    source = columns.get(name, name)
    mapped = "" if source == name else f" (file column '{source}')"
    return f"{name} '" + clipped(text) + f"'{mapped}"


def _remap(name: str) -> str:
    return f"or map another column to {name} in dataset.yaml (columns: {{{name}: <column>}})"


def _like(text: pd.Series, pattern: str, case: bool = True) -> np.ndarray:
    """Per value, whether it matches `pattern` whole."""
    return np.asarray(text.str.fullmatch(pattern, case=case).to_numpy(dtype=bool, na_value=False))


def _detail(
    name: str, columns: dict[str, str], text: pd.Series, diagnosis: np.ndarray, fix: str
) -> pd.Series:
    """`name 'value' (file column ...) <what it looks like>; <fix>, or map another column`."""
    return (
        _valued(name, columns, text)
        + " "
        + pd.Series(diagnosis, index=text.index, dtype="str")
        + f"; {fix}, {_remap(name)}"
    )


_ISO = "%Y-%m-%dT%H:%M:%SZ"


def _timestamp_details(
    values: pd.Series, columns: dict[str, str], name: str = "annotated_at"
) -> pd.Series:
    """Per bad time (annotated_at, reviewed_at): what it looks like, and the fix (ISO 8601)."""
    text = values.astype("str")
    seconds, millis = _like(text, r"\d{9,10}(\.\d+)?"), _like(text, r"\d{12,13}")
    number = pd.Series(
        pd.to_numeric(text.where(seconds | millis), errors="coerce"), dtype="float64"
    )
    number = number.div(np.where(millis, 1000.0, 1.0))
    stamps = pd.to_datetime(number, unit="s", utc=True, errors="coerce")
    moment = stamps.dt.strftime(_ISO).fillna("").astype("str")
    unit = pd.Series(np.where(millis, "milliseconds", "seconds"), index=text.index, dtype="str")
    diagnosis = np.select(
        [seconds | millis, _like(text, r"\d{1,2}[/.]\d{1,2}[/.]\d{2,4}([ T].*)?")],
        [
            "looks like Unix epoch " + unit + " (that is " + moment + ")",
            "looks like a local date, whose day and month order is ambiguous",
        ],
        default="is not an ISO 8601 time",
    )
    return _detail(name, columns, text, diagnosis, "export ISO 8601 times (2026-01-01T00:00:00Z)")


def _duration_details(values: pd.Series, columns: dict[str, str]) -> pd.Series:
    """Per bad duration_s value: what it looks like, and the fix (plain seconds)."""
    text = values.astype("str")

    def like(pattern: str) -> np.ndarray:
        return _like(text, pattern, case=False)

    number = r"\s*[0-9]+(?:[.][0-9]+)?\s*"
    diagnosis = np.select(
        [
            like(number + r"(s|sec|secs|seconds?)"),
            like(number + r"(ms|msec|millis|milliseconds?)"),
            like(number + r"(m|min|mins|minutes?|h|hr|hrs|hours?)"),
            like(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?"),
            like(r"\d+,\d+"),
            like(r"-\s*\d+(\.\d+)?"),
        ],
        [
            "has a unit",
            "is in milliseconds with a unit",
            "is in minutes or hours with a unit",
            "looks like a clock time (mm:ss or hh:mm:ss)",
            "has a decimal comma",
            "is negative",
        ],
        default="is not a number >= 0",
    )
    return _detail("duration_s", columns, text, diagnosis, "export plain seconds >= 0 (12 or 12.5)")


def _checked_rows(
    frame: pd.DataFrame,
    quarantine: Quarantine,
    known_items: pd.Index | None,
    columns: dict[str, str],
    notes: ColumnNotes,
) -> tuple[pd.DataFrame, pd.Series | None]:
    """Quarantine bad durations and timestamps, and items the items file does not list; with
    the durations read as numbers (by row label), so they are parsed once.

    Each quarantined row's detail names the column (and the file's column it was mapped
    from), the value, what it looks like and the fix. When every value of a column fails,
    a note in `notes` says so once.
    """
    seconds = None
    if "duration_s" in frame:
        seconds = pd.to_numeric(frame["duration_s"].replace("", np.nan), errors="coerce")
        bad = ((frame["duration_s"] != "") & (seconds.isna() | (seconds < 0))).to_numpy()
        details = _duration_details(frame.loc[bad, "duration_s"], columns)
        # Counted in every chunk, failures or not: a note needs the whole file's count.
        _note_whole_column(frame, "duration_s", bad, "bad_duration", details, quarantine, notes)
        if bad.any():
            frame = quarantine.take(frame, bad, "bad_duration", details.reindex(frame.index))
    frame = _bad_timestamps(frame, "annotated_at", quarantine, columns, notes)
    if known_items is not None:
        # get_indexer hashes; isin on Arrow strings would loop in Python over every row.
        unknown = known_items.get_indexer(pd.Index(frame[col.ITEM_ID])) < 0
        frame = quarantine.take(
            frame,
            unknown,
            "unknown_item",
            lambda bad: "item_id '" + clipped(bad[col.ITEM_ID]) + "' is not in the items file",
        )
    return frame, seconds


def _bad_timestamps(
    frame: pd.DataFrame,
    name: str,
    quarantine: Quarantine,
    columns: dict[str, str],
    notes: ColumnNotes,
) -> pd.DataFrame:
    """Quarantine rows whose time `name` is not ISO 8601 (`bad_timestamp`); empty is allowed."""
    if name not in frame:
        return frame
    stamps = pd.to_datetime(
        frame[name].replace("", None), errors="coerce", utc=True, format="ISO8601"
    )
    bad = ((frame[name] != "") & stamps.isna()).to_numpy()
    if not bad.any():  # counted too: a note needs the whole file's count
        _note_whole_column(frame, name, bad, "bad_timestamp", pd.Series(), quarantine, notes)
        return frame
    details = _timestamp_details(frame.loc[bad, name], columns, name)
    _note_whole_column(frame, name, bad, "bad_timestamp", details, quarantine, notes)
    return quarantine.take(frame, bad, "bad_timestamp", details.reindex(frame.index))


@dataclass
class _Column:
    filled: int = 0
    bad: int = 0
    first: str = ""  # 'Row N: detail' of the first bad value


class ColumnNotes:
    """Whole columns no value of which could be read, counted over every chunk of a source:
    a column earns its note only when it fails in the whole file, not in one chunk."""

    def __init__(self) -> None:
        self.columns: dict[tuple[str, str, str], _Column] = {}

    def record(
        self, display: str, name: str, reason: str, filled: int, bad: int, first: str
    ) -> None:
        """Add one chunk's counts of a column: values present, values that failed."""
        entry = self.columns.setdefault((display, name, reason), _Column())
        entry.filled += filled
        entry.bad += bad
        entry.first = entry.first or first

    def lines(self) -> list[str]:
        """One note per column that failed everywhere, the first bad row carrying the fix."""
        return [
            f"{display}: no {name} value could be read, so all {c.filled} rows with one were "
            f"quarantined ({reason}). {c.first}."
            for (display, name, reason), c in self.columns.items()
            if c.filled and c.bad == c.filled
        ]


def _note_whole_column(
    frame: pd.DataFrame,
    name: str,
    bad: np.ndarray,
    reason: str,
    details: pd.Series,
    quarantine: Quarantine,
    notes: ColumnNotes,
) -> None:
    """Count a column's values and failures for `notes` (the first bad row's detail carries
    the fix)."""
    filled = int((frame[name] != "").sum())
    n_bad = int(bad.sum())
    first = f"Row {frame.loc[bad, '_row'].iloc[0]}: {details.iloc[0]}" if n_bad else ""
    notes.record(quarantine.display, name, reason, filled, n_bad, first)


def _or_default(frame: pd.DataFrame, name: str, default: str) -> pd.Series:
    """Column `name` with empty cells (or the whole column, when absent) set to `default`."""
    values = frame[name] if name in frame else pd.Series("", index=frame.index)
    return values.where(values != "", default).astype("str")


def _durations(frame: pd.DataFrame, seconds: pd.Series | None) -> np.ndarray | float:
    """duration_s as float64: the numbers `_checked_rows` read, when it read every row's."""
    if "duration_s" not in frame:
        return np.nan
    if seconds is not None:
        found = seconds.index.get_indexer(frame.index) if seconds.index.is_unique else None
        if found is not None and (found >= 0).all():
            return seconds.to_numpy(dtype=np.float64, na_value=np.nan)[found]
    parsed = pd.to_numeric(frame["duration_s"].replace("", np.nan))
    return parsed.to_numpy(dtype=np.float64, na_value=np.nan)


def _canonical_annotations(
    frame: pd.DataFrame,
    source: AnnotationSource,
    display: str,
    mappings: list[VersionMapping],
    seconds: pd.Series | None = None,
) -> pd.DataFrame:
    """The annotations table's columns and types from checked, label-mapped rows."""
    out = pd.DataFrame(index=frame.index)
    for name in col.ANNOTATION_REQUIRED:
        out[name] = frame[name].astype("str")
    # Microseconds, as reviewed_at: one type whatever precision a file (or piece) shows.
    out["annotated_at"] = (
        pd.to_datetime(frame["annotated_at"].replace("", None), utc=True, format="ISO8601")
        if "annotated_at" in frame
        else pd.Series(pd.NaT, index=frame.index, dtype=TIMESTAMP)
    ).astype(TIMESTAMP)
    out["duration_s"] = _durations(frame, seconds)
    out["duration_s"] = out["duration_s"].astype("float64")
    out["batch"] = _or_default(frame, "batch", source.batch or "")
    version = _or_default(frame, "guideline_version", source.guideline_version or "")
    out["guideline_version"] = mapped_versions(version, out["batch"], out["annotated_at"], mappings)
    out["suggested_label"] = _or_default(frame, "suggested_label", "")
    out["suggestion_score"] = (
        pd.to_numeric(frame["suggestion_score"].replace("", np.nan), errors="coerce")
        if "suggestion_score" in frame
        else np.nan
    )
    out["suggestion_score"] = out["suggestion_score"].astype("float64")
    out["model_version"] = _or_default(frame, "model_version", "")
    where = (display + ":" + frame["_row"].astype("str")).astype("str")
    if col.SOURCE_ID in frame:  # a tool export's own ids
        ids = frame[col.SOURCE_ID].astype("str")
        where = where.where(ids == "", where + " (" + ids + ")")
    out["source"] = where.astype("str")
    out["migrated_from"] = frame["migrated_from"].astype("str")
    return out.reset_index(drop=True)


def _labelled(
    frame: pd.DataFrame, raw: RawSource, schema: Schema, quarantine: Quarantine
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame]:
    """(rows with canonical labels, rows a split divided, spans) by the schema's task."""
    assert raw.table is not None
    if schema.task == "single_label":
        split = split_rows(frame, schema)
        return apply_labels(frame, schema, quarantine), split, spans_table([])
    if schema.task == "multi_label":
        has_list = frame[LABELS] != "" if LABELS in frame else False
        missing = ((frame[col.LABEL] == "") & ~has_list).to_numpy(dtype=bool)
        frame = quarantine.take(frame, missing, "missing_label", "label is empty")
        return parse_label_sets(frame, schema, quarantine), None, spans_table([])
    carried = raw.table.tables.get("spans")
    if carried is not None:  # a tool export: its spans table, for the answers kept
        spans, bad = tool_spans([carried], frame, schema)
        keys = zip(frame[col.ITEM_ID], frame[col.ANNOTATOR_ID], strict=True)
        frame = quarantine.take(
            frame,
            np.array([key in bad for key in keys], dtype=bool),
            "unknown_label",
            "a span label is not in the schema (" + ", ".join(schema.label_ids) + ")",
        )
        return frame.assign(**{col.LABEL: "", "migrated_from": ""}), None, spans
    frame = _require(frame, quarantine, (col.LABEL,))
    frame, spans = parse_span_answers(frame, schema, quarantine)
    return frame.assign(migrated_from=""), None, spans


def _annotations(
    raw: RawSource,
    schema: Schema,
    mappings: list[VersionMapping],
    known_items: pd.Index | None,
    notes: ColumnNotes,
    quarantine: Quarantine | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None, Quarantine, int, pd.DataFrame]:
    """(annotations, rows whose label a split divided, quarantine, rows in, spans) of one
    export (or one chunk of it, adding to `quarantine`)."""
    quarantine = quarantine or Quarantine("annotations", raw.display)
    if raw.table is None:  # an optional export that is not there yet
        empty = pd.DataFrame({c: pd.Series(dtype="str") for c in col.ANNOTATION_COLUMNS})
        return empty, None, quarantine, 0, spans_table([])
    quarantine.add_bad_rows(raw.table)
    frame = rename_columns(
        raw.table,
        raw.config.columns,
        col.ANNOTATION_REQUIRED,
        (*col.ANNOTATION_OPTIONAL, col.SOURCE_ID, LABELS),
        raw.display,
    )
    quarantine.reading(frame.columns)
    # A multi-label or span answer is a list by design: only ids must be one plain value.
    single = (
        col.ANNOTATION_REQUIRED if schema.task == "single_label" else col.ANNOTATION_REQUIRED[:2]
    )
    frame = screen_values(frame, raw.table, raw.config.columns, single, quarantine)
    error = task_mismatch(raw.table, raw.display, schema.task)
    if error is not None:
        raise error
    if schema.task == "single_label":
        frame = quarantine_several(frame, quarantine)
    frame = _require(frame, quarantine, single)
    frame, seconds = _checked_rows(frame, quarantine, known_items, raw.config.columns, notes)
    frame, split, spans = _labelled(frame, raw, schema, quarantine)
    assert isinstance(raw.config, AnnotationSource)  # RawSources.annotations holds only these
    out = _canonical_annotations(frame, raw.config, raw.display, mappings, seconds)
    if schema.task == "multi_label":
        out[LABELS] = pd.Series(list(frame[LABELS]), dtype=object)
    return out, split, quarantine, raw.table.rows_in, spans


def mapped_versions(
    version: pd.Series, batch: pd.Series, stamps: pd.Series, mappings: list[VersionMapping]
) -> pd.Series:
    """Fill empty versions from the manifest: by batch first, then by annotated_at range.

    Rows no mapping covers stay empty, so the guideline_version check reports them.
    """
    missing = (version == "").to_numpy().copy()
    if not mappings or not missing.any():
        return version
    out = version.to_numpy(dtype=object).copy()
    by_batch = {b: m.version for m in mappings for b in m.batches}
    if by_batch:
        found = batch.map(by_batch)
        take = missing & found.notna().to_numpy()
        out[take] = found.to_numpy()[take]
        missing &= ~take
    for m in mappings:
        if m.batches:
            continue
        inside = stamps.notna().to_numpy().copy()
        if m.from_ is not None:
            inside &= (stamps >= pd.Timestamp(m.from_)).to_numpy()
        if m.until is not None:
            inside &= (stamps < pd.Timestamp(m.until)).to_numpy()
        take = missing & inside
        out[take] = m.version
        missing &= ~take
    return pd.Series(out, index=version.index, dtype="str")


@dataclass(frozen=True)
class _TableSpec:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    labelled: bool  # map labels through the schema (gold, adjudications)
    unique: tuple[str, ...] = ()  # columns that identify a row: later repeats are quarantined
    repeated: str = f"duplicate_{col.ITEM_ID}"  # their reason code
    repeated_detail: str = "the same item_id appears earlier in the file; the first row is kept"


# A row checker run after the common steps: (rows, their quarantine) -> rows kept.
RowCheck = Callable[[pd.DataFrame, Quarantine], pd.DataFrame]


def _missing_optional(table: str, display: str) -> dict[str, Any]:
    return {
        "table": table,
        "file": display,
        "rows_in": 0,
        "rows_kept": 0,
        "rows_quarantined": 0,
        "missing_optional": True,
    }


# Sheets people fill in from our CSVs (audit_sample.csv, adjudication_queue.csv): the `'` that
# write_csv put before a formula-like id or label comes off again, so the item still matches.
SHEETS_FROM_PEOPLE = ("adjudications", "audit_results")


def _restored(frame: pd.DataFrame) -> pd.DataFrame:
    names = [c for c in (col.ITEM_ID, col.LABEL) if c in frame]
    return frame.assign(**{c: frame[c].map(restore_cell).astype("str") for c in names})


def _simple(
    raw: RawSource | None,
    spec: _TableSpec,
    schema: Schema,
    done: Ingested,
    check: RowCheck | None = None,
) -> pd.DataFrame:
    """Items, gold, adjudications, audit results, reviews or qualification: columns, labels,
    the first row per `spec.unique` key, then the table's own `check`."""
    columns = (*spec.required, *spec.optional)
    empty = empty_table(columns)
    if raw is None:
        return empty
    if raw.table is None:
        done.sources.append(_missing_optional(spec.name, raw.display))
        return empty
    quarantine = Quarantine(spec.name, raw.display)
    quarantine.add_bad_rows(raw.table)
    frame = rename_columns(raw.table, raw.config.columns, spec.required, spec.optional, raw.display)
    # A multi-label gold or adjudicated answer is a list by design.
    screened = tuple(c for c in columns if c != col.LABEL or schema.task == "single_label")
    frame = screen_values(frame, raw.table, raw.config.columns, screened, quarantine)
    if spec.name in SHEETS_FROM_PEOPLE:
        frame = _restored(frame)
    frame = _require(frame, quarantine, spec.required)
    if spec.labelled and col.LABEL in frame:
        has_label = frame[col.LABEL] != ""
        if schema.task == "multi_label":  # a gold or adjudicated label set, as JSON text
            part = parse_label_sets(frame.loc[has_label], schema, quarantine).drop(columns=[LABELS])
        else:
            part = apply_labels(frame.loc[has_label], schema, quarantine)
        frame = pd.concat([part, frame.loc[~has_label].assign(migrated_from="")]).sort_values(
            "_row"
        )
    present = [c for c in spec.unique if c in frame.columns]  # optional columns may be absent
    duplicated = (
        frame.duplicated(present, keep="first").to_numpy()
        if present
        else np.zeros(len(frame), bool)
    )
    frame = quarantine.take(frame, duplicated, spec.repeated, spec.repeated_detail)
    if check is not None:
        frame = check(frame, quarantine)
    done.rejected.append(quarantine)
    done.sources.append(
        _count(spec.name, raw.display, raw.table.rows_in, len(frame), quarantine.frame())
    )
    keep = [c for c in columns if c in frame.columns]
    out = frame[keep].reset_index(drop=True)
    for name in columns:
        if name not in out:
            out[name] = ""
    return out[list(columns)].astype("str")


def _count(table: str, display: str, rows_in: int, kept: int, lost: pd.DataFrame) -> dict[str, Any]:
    reasons = lost["reason"].value_counts().sort_index()
    return {
        "table": table,
        "file": display,
        "rows_in": rows_in,
        "rows_kept": kept,
        "rows_quarantined": len(lost),
        "reasons": {str(k): int(v) for k, v in reasons.items()},
    }


def _items(
    raw: RawSources, schema: Schema, done: Ingested, media_digest: Callable[[str], str] | None
) -> pd.DataFrame:
    fields = tuple(f.name for f in schema.item_fields)
    spec = _TableSpec("items", (col.ITEM_ID,), fields, False, unique=(col.ITEM_ID,))
    items = _simple(raw.items, spec, schema, done)
    hashed = ("string", "category", *MEDIA_TYPES)
    string_fields = [f.name for f in schema.item_fields if f.type in hashed]
    values = items[string_fields].copy()
    media = [f.name for f in schema.item_fields if f.type in MEDIA_TYPES]
    if media_digest is not None:
        # A media file in the project counts by its bytes, so a copy under another name is a
        # duplicate and an edited file changes the hash; a URI counts by its text.
        for name in media:
            values[name] = values[name].map(media_digest).astype("str")
    items["content_hash"] = content_hash(values) if len(items) else pd.Series(dtype="str")
    return items


def _with_text(spans: pd.DataFrame, items: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """Each span's `text`: the text the export stored, else the item's text at its offsets
    (the schema's first string field)."""
    fields = [f.name for f in schema.item_fields if f.type == "string" and f.name in items]
    if not len(spans) or not fields:
        return spans.reset_index(drop=True)
    texts = dict(zip(items[col.ITEM_ID], items[fields[0]], strict=True))
    # A tool's stored text is kept (the `spans` check compares it with the offsets).
    cut = [
        stored or (texts[item][start:end] if item in texts else "")
        for item, start, end, stored in zip(
            spans[col.ITEM_ID], spans["start"], spans["end"], spans["text"], strict=True
        )
    ]
    return spans.assign(text=pd.Series(cut, index=spans.index, dtype="str")).reset_index(drop=True)


def carried(raw: RawSources, name: str) -> RawSource | None:
    """The `name` table ('items' or 'gold') the dataset's tool exports carry, as one source:
    used when the manifest declares no such file. Rows repeated across exports (each
    annotator's file carries the same items) count once."""
    parts = [
        (source, source.table.tables[name])
        for source in raw.annotations
        if source.table is not None and len(source.table.tables.get(name, ()))
    ]
    if not parts:
        return None
    frame = pd.concat([t for _, t in parts], ignore_index=True)
    frame = frame.drop_duplicates([c for c in frame.columns if c != "_row"], keep="first")
    first = parts[0][0]
    config = SourceFile(path=first.config.path, format=first.config.format)
    display = ", ".join(dict.fromkeys(s.display for s, _ in parts)) + f" ({name})"
    return RawSource(config, RawTable(frame.reset_index(drop=True)), display)


def _verdicts(frame: pd.DataFrame, quarantine: Quarantine, columns: dict[str, str]) -> pd.DataFrame:
    """Verdicts lower-cased; anything but accept or reject quarantined (`bad_verdict`)."""
    verdict = frame["verdict"].str.lower()
    bad = (~verdict.isin(col.REVIEW_VERDICTS)).to_numpy()
    diagnosis = np.full(len(frame), "is neither accept nor reject (case does not matter)")
    detail = _detail("verdict", columns, frame["verdict"], diagnosis, "export accept or reject")
    frame = quarantine.take(frame, bad, "bad_verdict", detail)
    return frame.assign(verdict=verdict[~bad].astype("str"))


def _reviewed_annotations(
    frame: pd.DataFrame, quarantine: Quarantine, annotations: pd.DataFrame
) -> pd.DataFrame:
    """Quarantine reviews of an (item, annotator) that no kept annotation has
    (`unknown_annotation`): a review must judge an annotation that exists."""
    known = pd.MultiIndex.from_arrays([annotations[col.ITEM_ID], annotations[col.ANNOTATOR_ID]])
    pairs = pd.MultiIndex.from_arrays([frame[col.ITEM_ID], frame[col.ANNOTATOR_ID]])
    missing = ~pairs.isin(known)
    if not missing.any():
        return frame
    item_known = frame[col.ITEM_ID].isin(annotations[col.ITEM_ID]).to_numpy()
    where = pd.Series(
        np.where(item_known, "the item's other annotations were", "no annotation of the item was"),
        index=frame.index,
        dtype="str",
    )
    detail = (
        "annotator_id '"
        + clipped(frame[col.ANNOTATOR_ID])
        + "' has no annotation of item_id '"
        + clipped(frame[col.ITEM_ID])
        + "' ("
        + where
        + " ingested); check both ids against the exports, or see quarantine.parquet for why "
        "that annotation was set aside"
    )
    return quarantine.take(frame, missing, "unknown_annotation", detail)


def _reviews(raw: RawSource | None, schema: Schema, done: Ingested) -> pd.DataFrame:
    """The reviews table: verdicts checked, times parsed, every review of a kept annotation.

    Reviews judge annotations, so they work for every task (the label is the annotation's)."""
    spec = _TableSpec(
        "reviews",
        (col.ITEM_ID, col.ANNOTATOR_ID, "verdict"),
        ("reviewer_id", "reason", "reviewed_at"),
        False,
        unique=col.REVIEW_COLUMNS,
        repeated="duplicate_review",
        repeated_detail="the same review (item, annotator, reviewer, verdict, reason and time) "
        "appears earlier in the file; it is counted once",
    )
    columns = raw.config.columns if raw is not None else {}

    def check(frame: pd.DataFrame, quarantine: Quarantine) -> pd.DataFrame:
        frame = _verdicts(frame, quarantine, columns)
        notes = ColumnNotes()
        frame = _bad_timestamps(frame, "reviewed_at", quarantine, columns, notes)
        done.notes.extend(notes.lines())
        kept = pd.concat(done.counts.keys) if done.counts.keys else done.annotations
        return _reviewed_annotations(frame, quarantine, kept)

    table = _simple(raw, spec, schema, done, check)
    return _typed_reviews(table[list(col.REVIEW_COLUMNS)])


def _qualification(
    raw: RawSources, schema: Schema, done: Ingested
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(key, answers) of the qualification test: labels mapped like gold, one key row per
    question and one answer per annotator and question (the first), answers to questions the
    key lacks quarantined (`unknown_item`)."""
    if raw.qualification is not None and schema.task != "single_label":
        raise InputError(
            [
                Problem(
                    raw.qualification.display,
                    message="a qualification test is scored on single-label tasks; this "
                    f"dataset's schema is {schema.task.replace('_', '-')}.",
                    fix="Remove sources.qualification and sources.qualification_key from "
                    "dataset.yaml.",
                )
            ]
        )
    key_spec = _TableSpec("qualification_key", col.GOLD_COLUMNS, (), True, unique=(col.ITEM_ID,))
    key = _simple(raw.qualification_key, key_spec, schema, done)
    spec = _TableSpec(
        "qualification",
        col.QUALIFICATION_COLUMNS,
        (),
        True,
        unique=(col.ANNOTATOR_ID, col.ITEM_ID),
        repeated="duplicate_answer",
        repeated_detail="the annotator answered this question earlier in the file; the first "
        "answer is kept",
    )
    keyed = raw.qualification_key is not None and raw.qualification_key.table is not None
    where = raw.qualification_key.display if raw.qualification_key is not None else ""

    def check(frame: pd.DataFrame, quarantine: Quarantine) -> pd.DataFrame:
        if not keyed:  # no key (yet): nothing to check the questions against
            return frame
        unknown = (~frame[col.ITEM_ID].isin(key[col.ITEM_ID])).to_numpy()
        detail = (
            "question item_id '"
            + clipped(frame[col.ITEM_ID])
            + f"' is not in the qualification key ({where}), so the answer cannot be scored; "
            "add the question's right answer to the key, or remove its answers"
        )
        return quarantine.take(frame, unknown, "unknown_item", detail)

    answers = _simple(raw.qualification, spec, schema, done, check)
    return key, answers


# Records of an annotation export checked at a time (engine.chunk_rows).
DEFAULT_CHUNK_ROWS = 1_000_000


def chunks(source: RawSource, schema: Schema, chunk_rows: int) -> Iterator[RawSource]:
    """`source` cut into pieces of `chunk_rows` records, in file order; the records the reader
    could not parse go with the first piece. A tool export that carries tables of its own,
    a span export (spans are matched to whole answers), or a small file stays whole; a
    source read piece by piece (`pieces`) comes as its reader cuts it."""
    if source.pieces is not None:
        for piece in source.pieces():
            yield RawSource(source.config, piece, source.display)
        return
    table = source.table
    if table is None or table.tables or schema.task == "spans":
        yield source
        return
    for piece in table.pieces(chunk_rows):
        yield RawSource(source.config, piece, source.display)


def ingest(
    raw: RawSources,
    schema: Schema,
    mappings: list[VersionMapping],
    media_digest: Callable[[str], str] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    sink: Callable[[pd.DataFrame], None] | None = None,
) -> Ingested:
    """Every canonical table of a dataset, in source order, with what was quarantined and why.

    Annotation exports are checked `chunk_rows` records at a time (`chunks`): the copies the
    checks make stay the size of a chunk, whatever the size of the file. With `sink`, each
    checked piece goes to it (a `ParquetStream`) instead of being kept: `annotations` is
    then the table's columns without rows, and `counts` what it held.

    Items and gold that tool exports carry (Label Studio's task data and ground truth, ...)
    stand in for an items or gold file the manifest does not declare."""
    if raw.items is None or raw.gold is None:
        raw = replace(
            raw,
            items=raw.items if raw.items is not None else carried(raw, "items"),
            gold=raw.gold if raw.gold is not None else carried(raw, "gold"),
        )
    empty = pd.DataFrame()
    done = Ingested(empty, empty, empty, empty, empty, empty, empty)
    done.items = _items(raw, schema, done, media_digest)
    known = (
        pd.Index(done.items[col.ITEM_ID]).unique()
        if raw.items is not None and len(done.items)
        else None
    )
    parts, splits, span_parts = [], [], []
    first: pd.DataFrame | None = None
    reviewed = raw.reviews is not None and raw.reviews.table is not None
    done.counts = AnnotationCounts(keep_keys=sink is not None and reviewed)
    for source in raw.annotations:
        quarantine = Quarantine("annotations", source.display)
        notes = ColumnNotes()
        rows_in, kept = 0, 0
        for piece in chunks(source, schema, chunk_rows):
            frame, split, _, piece_in, spans = _annotations(
                piece, schema, mappings, known, notes, quarantine
            )
            rows_in, kept = rows_in + piece_in, kept + len(frame)
            span_parts.append(spans)
            done.counts.add(frame)
            if first is None:
                first = frame.iloc[:0]
            if sink is None:
                parts.append(frame)
            else:
                sink(frame)
            if split is not None:
                splits.append(split)
        done.notes.extend(notes.lines())
        done.rejected.append(quarantine)
        done.sources.append(
            _count("annotations", source.display, rows_in, kept, quarantine.frame())
        )
    if parts:
        done.annotations = pd.concat(parts, ignore_index=True)
    elif first is not None:
        done.annotations = first
    done.spans = _with_text(pd.concat(span_parts, ignore_index=True), done.items, schema)
    done.reannotation = reannotation_list(splits)
    gold = _TableSpec("gold", col.GOLD_COLUMNS, (), True, unique=(col.ITEM_ID,))
    done.gold = _simple(raw.gold, gold, schema, done)
    adjudications = _TableSpec(
        "adjudications", (col.ITEM_ID, col.LABEL), col.ADJUDICATION_COLUMNS[2:], True
    )
    done.adjudications = _simple(raw.adjudications, adjudications, schema, done)
    audit = _TableSpec(
        "audit_results", (col.ITEM_ID, "verdict"), ("auditor_id", col.LABEL, "reason"), False
    )
    done.audit_results = _simple(raw.audit_results, audit, schema, done)
    done.audit_results["verdict"] = done.audit_results["verdict"].str.lower()
    done.reviews = _reviews(raw.reviews, schema, done)
    done.qualification_key, done.qualification = _qualification(raw, schema, done)
    done.quarantine = pd.concat([q.frame() for q in done.rejected], ignore_index=True)
    for entry in done.sources:
        if entry["rows_in"] != entry["rows_kept"] + entry["rows_quarantined"]:
            raise InternalError(f"ingest lost rows of {entry['file']}: {entry}")
    return done


def ingest_summary(done: Ingested, dataset: str, reannotation_file: str) -> dict[str, Any]:
    """ingest.json: rows in = kept + quarantined, per source and reason; migrations applied."""
    counts = done.counts
    ann = [c for c in done.sources if c["table"] == "annotations"]
    totals = {key: sum(c[key] for c in ann) for key in ("rows_in", "rows_kept", "rows_quarantined")}
    reasons = done.quarantine["reason"].value_counts().sort_index()
    return {
        "dataset": dataset,
        "annotations": totals,
        "quarantine_rate": totals["rows_quarantined"] / totals["rows_in"]
        if totals["rows_in"]
        else 0.0,
        "quarantine_reasons": {str(k): int(v) for k, v in reasons.items()},
        "sources": done.sources,
        "n_items": counts.distinct(counts.item_ids),
        "n_annotators": counts.distinct(counts.annotator_ids),
        "n_annotations": counts.rows,
        "migrations_applied": {str(k): int(v) for k, v in sorted(counts.migrations.items())},
        # Split labels cannot be mapped: their items go back to annotators.
        "reannotation": {
            "items": len(done.reannotation),
            "annotations": int(done.reannotation["annotations"].astype("int64").sum()),
            "file": reannotation_file,
        },
    }
