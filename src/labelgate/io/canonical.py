"""Map raw export columns onto the canonical tables; quarantine rows that cannot be used."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from labelgate.config import columns as col
from labelgate.config.schema import MergeMigration, RenameMigration, Schema, SplitMigration
from labelgate.errors import InputError
from labelgate.io.readers import RawTable, infer_format, read_source
from labelgate.problems import Problem, did_you_mean


@dataclass
class Mapped:
    """Rows kept (canonical columns) and rows quarantined (QUARANTINE_COLUMNS)."""

    kept: pd.DataFrame
    quarantined: pd.DataFrame


def empty_quarantine() -> pd.DataFrame:
    """A quarantine table with no rows."""
    return pd.DataFrame(
        {c: pd.Series(dtype="int64" if c == "row" else "str") for c in col.QUARANTINE_COLUMNS}
    )


def rename_columns(
    raw: RawTable,
    mapping: dict[str, str],
    required: tuple[str, ...],
    optional: tuple[str, ...],
    display: str,
) -> pd.DataFrame:
    """Rename file columns to canonical names; a missing required column is an InputError."""
    frame = raw.frame
    present = [c for c in frame.columns if c != "_row"]
    # Columns are gathered first and framed once: inserting them one by one re-validates each.
    out: dict[str, Any] = {"_row": frame["_row"].to_numpy()}
    problems = []
    for canonical in (*required, *optional):
        source = mapping.get(canonical, canonical)
        if int((frame.columns == source).sum()) > 1:
            problems.append(
                Problem(
                    display,
                    1,
                    1,
                    f"columns.{canonical}",
                    f"column '{source}' (for {canonical}) appears more than once in the file, "
                    "so which one to read is ambiguous.",
                    "Rename or remove the duplicate column in the export.",
                )
            )
        elif source in frame.columns:
            # `.array` is positional, like `_row`, and keeps Arrow strings (no object detour).
            out[canonical] = frame[source].astype("str").str.strip().array
        elif canonical in required and not (len(frame) == 0 and not present):
            problems.append(
                Problem(
                    display,
                    1,
                    1,
                    f"columns.{canonical}",
                    f"column '{source}' (for {canonical}) is not in the file, which has "
                    f"{', '.join(repr(c) for c in present) or 'no columns'}.",
                    ((did_you_mean(source, present) + " ") if present else "")
                    + f"Map it in dataset.yaml (columns: {{{canonical}: <column>}}) "
                    "or with the command's column options.",
                )
            )
        elif canonical in required:
            out[canonical] = pd.array([], dtype="str")
    if problems:
        raise InputError(problems)
    return pd.DataFrame(out)


def read_export(
    path: Path,
    columns: dict[str, str],
    required: tuple[str, ...],
    file_format: str | None = None,
    control: str | None = None,
    extra: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, dict[str, int]]:
    """A standalone export mapped onto `required` canonical columns (and `extra` ones, which
    may be missing or empty, such as an item's text), and the rows skipped.

    Unparseable records ('malformed_row', 'bad_encoding'), nested or multi-line ids and labels
    ('nested_value', 'newline_in_value') and rows with an empty required value
    ('missing_<column>') are left out and counted by reason, never dropped silently.
    """
    display = str(path)
    raw = read_source(path, infer_format(path, file_format, display), display, control)
    mapping = {k: v for k, v in columns.items() if k in required or k in extra}
    tool = "labels" in raw.frame.columns  # a tool export: several values stay a list
    optional = ("labels",) if tool else ()
    frame = rename_columns(raw, mapping, required, (*optional, *extra), display)
    skipped: dict[str, int] = {}
    for _, bad_reason, _ in raw.bad_rows:
        skipped[bad_reason] = skipped.get(bad_reason, 0) + 1
    quarantine = Quarantine("annotations", display)
    frame = screen_values(frame, raw, mapping, required, quarantine)
    if tool and col.LABEL in required:
        from labelgate.io.label_sets import quarantine_several, task_mismatch

        error = task_mismatch(raw, display, "single_label")
        if error is not None:
            raise error
        frame = quarantine_several(frame, quarantine).drop(columns=["labels"])
    for reason, count in quarantine.frame()["reason"].value_counts(sort=False).items():
        skipped[str(reason)] = int(count)
    for name in required:
        empty = frame[name] == ""
        if empty.any():
            skipped[f"missing_{name}"] = int(empty.sum())
            frame = frame[~empty]
    return frame, skipped


def read_predictions_table(
    path: Path,
    display: str,
    mapping: dict[str, str],
    file_format: str | None = None,
    control: str | None = None,
) -> pd.DataFrame:
    """A model's predictions file: `item_id` (mapped by `mapping` like any source), optional
    `model`, `model_version`, `label`, `score`, and every other column as it is named (one
    probability per label); values as text, checked by models/provided.py. A record that
    cannot be read is an InputError: a half-read model is no model."""
    raw = read_source(path, infer_format(path, file_format, display), display, control)
    if raw.bad_rows:
        row, reason, text = raw.bad_rows[0]
        message = f"row {row} cannot be read ({reason}): {text[:80]}"
        raise InputError([Problem(display, row, 0, "", message, "Fix the row.")])
    taken = {"_row", *mapping, *mapping.values()}
    others = tuple(c for c in raw.frame.columns if c not in taken)
    optional = tuple(dict.fromkeys(("model", "model_version", col.LABEL, "score", *others)))
    frame = rename_columns(raw, mapping, (col.ITEM_ID,), optional, display)
    return frame.drop(columns="_row")


SHOWN = 200  # characters of a value a quarantine detail shows
RAW_SHOWN = 2000  # characters of a field the quarantine's `raw` record keeps


def clipped(text: pd.Series, size: int = SHOWN) -> pd.Series:
    """Each value as text, cut to `size` characters with its length when longer: a huge field
    must not make every detail (and the quarantine table) huge."""
    text = text.astype("str")
    length = text.str.len()
    long = (length > size).to_numpy(dtype=bool, na_value=False)
    if not long.any():
        return text
    cut = text.str.slice(0, size) + "... (" + length.astype("str") + " characters)"
    return text.where(~long, cut).astype("str")


def _clip(text: pd.Series, size: int = 80) -> pd.Series:
    """The start of each value, on one line: at most `size` characters, with '...' if cut."""
    text = text.astype("str")
    start = text.str.slice(0, size).str.replace(r"\r\n|\r|\n", "\u21b5", regex=True)
    return start.where(text.str.len() <= size, start + "...").astype("str")


def screen_values(
    frame: pd.DataFrame,
    raw: RawTable,
    mapping: dict[str, str],
    names: tuple[str, ...],
    quarantine: Quarantine,
) -> pd.DataFrame:
    """Quarantine rows whose id, annotator id or label (those of `names` in
    `col.SINGLE_VALUE_COLUMNS`) is nested ('nested_value') or spans lines ('newline_in_value').

    `frame` is `rename_columns`'s result, row for row with `raw.frame`. A value over several
    lines is most often a quoted field that ran on over the next records (a stray quote):
    quarantining it keeps those records from hiding inside one value.
    """
    checked = [n for n in names if n in col.SINGLE_VALUE_COLUMNS and n in frame.columns]
    nested = np.zeros(len(frame), dtype=bool)
    detail = pd.Series("", index=frame.index, dtype="str")
    for name in checked:
        source = mapping.get(name, name)
        mask = raw.nested.get(source)
        if mask is None or len(mask) != len(frame):
            continue
        new = mask & ~nested
        where = "" if source == name else f" (file column '{source}')"
        detail[new] = (
            f"{name}{where} holds a nested value (a JSON object or array, or a Parquet list or "
            "struct), not one id or label: "
            + _clip(frame.loc[new, name])
            + f"; export one plain value per field or map another column to {name}"
        )
        nested |= mask
    frame = quarantine.take(frame, nested, "nested_value", detail)
    spans = np.zeros(len(frame), dtype=bool)
    detail = pd.Series("", index=frame.index, dtype="str")
    for name in checked:
        values = frame[name].astype("str")
        mask = values.str.contains(r"[\r\n]", regex=True).to_numpy(dtype=bool, na_value=False)
        new = mask & ~spans
        if not new.any():
            continue
        lines = values[new].str.count(r"\r\n|\r|\n") + 1
        detail[new] = (
            "row "
            + frame.loc[new, "_row"].astype("str")
            + f": {name} spans "
            + lines.astype("str")
            + " lines, starting '"
            + _clip(values[new])
            + "': a quoted value ran on over the next lines (a stray quote?), which would hide"
            " those records in it; fix the quoting in the export"
        )
        spans |= mask
    return quarantine.take(frame, spans, "newline_in_value", detail)


def _raw_json(frame: pd.DataFrame, mask: np.ndarray) -> list[str]:
    rows = frame.loc[mask].drop(columns=["_row"])
    for name in rows.columns:
        if rows[name].dtype == object or pd.api.types.is_string_dtype(rows[name].dtype):
            text = rows[name].astype("str")
            if (text.str.len() > RAW_SHOWN).any():
                rows[name] = clipped(text, RAW_SHOWN)
    return [json.dumps(r, sort_keys=True, ensure_ascii=False) for r in rows.to_dict("records")]


class Quarantine:
    """Collects rejected rows with a reason code, in source order."""

    def __init__(self, table: str, display: str) -> None:
        self.table = table
        self.display = display
        self.parts: list[pd.DataFrame] = []
        # The file columns each part's rows were read with (None: not from `take`), and those
        # of the piece being checked: see `reading` and `frame`.
        self.part_columns: list[frozenset[str] | None] = []
        self.columns: frozenset[str] | None = None
        self.file_columns: frozenset[str] = frozenset()

    def reading(self, columns: Iterable[str]) -> None:
        """The canonical columns of the piece whose rows `take` gets next. A JSONL piece has
        the keys of its own records only, where a whole read has every key of the file."""
        self.columns = frozenset(columns) - {"_row"}
        self.file_columns |= self.columns

    def add_bad_rows(self, raw: RawTable) -> None:
        """Records the reader could not parse."""
        if raw.bad_rows:
            rows, reasons, texts = zip(*raw.bad_rows, strict=True)
            self.parts.append(
                pd.DataFrame(
                    {
                        "table": self.table,
                        "source": self.display,
                        "row": np.asarray(rows, dtype="int64"),
                        "reason": list(reasons),
                        "detail": list(texts),
                        "raw": "",
                    }
                )
            )
            self.part_columns.append(None)

    def take(
        self,
        frame: pd.DataFrame,
        mask: np.ndarray,
        reason: str,
        detail: pd.Series | str | Callable[[pd.DataFrame], pd.Series],
    ) -> pd.DataFrame:
        """Move rows where `mask` holds to quarantine; return the rest. `detail` may be a
        function of the quarantined rows: then it is built for those rows only, not for every
        row of a large file."""
        if not mask.any():
            return frame
        if callable(detail):
            details: pd.Series | str = detail(frame.loc[mask])
        else:
            details = detail[mask] if isinstance(detail, pd.Series) else detail
        self.parts.append(
            pd.DataFrame(
                {
                    "table": self.table,
                    "source": self.display,
                    "row": frame.loc[mask, "_row"].to_numpy(dtype="int64"),
                    "reason": reason,
                    "detail": np.asarray(details, dtype=object)
                    if not isinstance(details, str)
                    else details,
                    "raw": _raw_json(frame, mask),
                }
            )
        )
        self.part_columns.append(self.columns)
        return frame.loc[~mask]

    def frame(self) -> pd.DataFrame:
        """Everything quarantined so far."""
        if not self.parts:
            return empty_quarantine()
        # In file order: the same table however the checks met the rows (whole, or by chunk).
        frame = pd.concat(self._as_whole(), ignore_index=True).astype({"row": "int64"})
        return frame.sort_values("row", kind="stable").reset_index(drop=True)

    def _as_whole(self) -> list[pd.DataFrame]:
        """The parts with the raw values a whole read shows: a column of the file that a
        piece lacked is '' in its rows (as a record without the key reads whole)."""
        every = self.file_columns
        parts = []
        for part, columns in zip(self.parts, self.part_columns, strict=True):
            if columns is not None and columns != every:
                empty = dict.fromkeys(every - columns, "")
                part = part.assign(
                    raw=[
                        json.dumps({**empty, **json.loads(raw)}, sort_keys=True, ensure_ascii=False)
                        for raw in part["raw"]
                    ]
                )
            parts.append(part)
        return parts


def label_mapping(schema: Schema) -> tuple[dict[str, str], dict[str, str], set[str]]:
    """(raw -> label id, raw -> migration note, labels that were split).

    Ids map to themselves; rename and merge migrations map old ids to new ones; for ordinal,
    interval and ratio schemas a label's value (e.g. '2' or '2.0') maps to its id too.
    """
    mapping = {label_id: label_id for label_id in schema.label_ids}
    notes: dict[str, str] = {}
    split: set[str] = set()
    if schema.level != "nominal":
        for label in schema.labels:
            if label.value is not None:
                value = float(label.value)
                forms = {f"{value:g}", repr(value)}
                if value.is_integer():
                    forms.add(str(int(value)))
                for text in sorted(forms):
                    mapping.setdefault(text, label.id)
    for migration in schema.migrations:
        if isinstance(migration, RenameMigration):
            mapping[migration.from_] = migration.to
            notes[migration.from_] = f"rename {migration.from_}->{migration.to} ({migration.since})"
        elif isinstance(migration, MergeMigration):
            for old in migration.from_:
                mapping[old] = migration.to
                notes[old] = f"merge {old}->{migration.to} ({migration.since})"
        elif isinstance(migration, SplitMigration):
            split.add(migration.from_)
    return mapping, notes, split


def apply_labels(frame: pd.DataFrame, schema: Schema, quarantine: Quarantine) -> pd.DataFrame:
    """Map raw labels to schema ids (with migrations); quarantine unknown and split labels.

    Labels are few: each distinct one is looked up once and the answers spread by code."""
    mapping, notes, split = label_mapping(schema)
    codes, uniques = pd.factorize(frame[col.LABEL])
    names = [str(u) for u in uniques] + [""]  # code -1 (a missing value) takes the last
    in_split = np.array([name in split for name in names])[codes]
    frame = quarantine.take(
        frame,
        in_split,
        "split_label_needs_reannotation",
        "label was split into several by a schema migration; re-annotate the item",
    )
    codes = codes[~in_split]
    mapped = np.array([mapping.get(name) for name in names], dtype=object)
    unknown = np.array([value is None for value in mapped])[codes]
    labels = ", ".join(schema.label_ids)
    frame = quarantine.take(
        frame,
        unknown,
        "unknown_label",
        lambda bad: "label '" + clipped(bad[col.LABEL]) + f"' is not in the schema ({labels})",
    )
    codes = codes[~unknown]
    migrated = np.array([notes.get(name, "") for name in names], dtype=object)
    frame = frame.copy()
    frame["migrated_from"] = pd.Series(migrated[codes], index=frame.index, dtype="str")
    frame[col.LABEL] = pd.Series(mapped[codes], index=frame.index, dtype="str")
    return frame


# Python's `\s` on text: the 29 code points `str.isspace` accepts (the \x1f that joins fields
# among them). Arrow's regex engine reads `\s` as ASCII only, so the class is spelled out.
PYTHON_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_WHITESPACE_RUN = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in PYTHON_WHITESPACE) + "]+"
_HASH_BATCH = 100_000  # texts turned into Python bytes at a time


def content_hash(values: pd.DataFrame) -> pd.Series:
    """SHA-256 (16 hex digits) of each row's normalised text fields (case and spacing folded).

    Folding runs in Arrow over the whole column (as `re.sub(r"\\s+", " ")` would fold);
    only the hashing is per row, a batch at a time, so no Python string outlives its batch."""
    joined = pd.Series("", index=values.index, dtype="str")
    for position, name in enumerate(values.columns):
        joined = joined + ("\x1f" if position else "") + values[name].astype("str")
    lowered = pa.chunked_array(pa.array(joined.str.lower().array))
    folded = pc.utf8_trim_whitespace(pc.replace_substring_regex(lowered, _WHITESPACE_RUN, " "))
    texts = pc.cast(folded, pa.large_binary()).combine_chunks()
    digests = []
    for start in range(0, len(texts), _HASH_BATCH):
        batch = texts.slice(start, _HASH_BATCH).to_pylist()
        digests.append(pa.array([hashlib.sha256(b).digest()[:8].hex() for b in batch]))
    hashed = pa.chunked_array(digests, type=pa.string()).cast(pa.large_string())
    return pd.Series(hashed.to_pandas().array, index=values.index, dtype="str")
