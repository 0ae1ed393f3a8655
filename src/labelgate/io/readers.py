"""Read CSV, JSONL and Parquet exports as string columns, keeping each record's row number.

Hostile files end in an InputError naming the file (a directory, an empty CSV or Parquet
file, UTF-16, binary data, a duplicated column name) or, record by record, in `bad_rows`
with a reason code: `malformed_row` (wrong field count, invalid or too deeply nested JSON)
and `bad_encoding` (a value that is not UTF-8).
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from labelgate.errors import InputError
from labelgate.io.json_records import DuplicateKeyError, NotAnObjectError, parse_object
from labelgate.problems import Problem

SUFFIX_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
_BLOCK = 1 << 24  # pyarrow's CSV block; a field longer than this needs a larger one
_REEXPORT = "Re-export the file as UTF-8."


@dataclass
class RawTable:
    """A source file read as strings: `frame` has a `_row` column (1-based record number,
    the CSV header being row 1); `bad_rows` are records that could not be parsed at all;
    `nested` marks, per file column, the rows whose value was a JSON object or array (or a
    Parquet list, struct or map), held as JSON text in `frame`."""

    frame: pd.DataFrame
    bad_rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row, reason, text)
    nested: dict[str, np.ndarray] = field(default_factory=dict)  # column -> rows, positional
    # Tables a tool export carries besides annotations ('items', 'gold'), canonical columns.
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def rows_in(self) -> int:
        """Every record in the file, readable or not."""
        return len(self.frame) + len(self.bad_rows)

    def pieces(self, rows: int) -> Iterator[RawTable]:
        """This table cut into pieces of `rows` records, in order (itself when it is no
        longer); the bad records go with the first piece."""
        if len(self.frame) <= rows:
            yield self
            return
        for start in range(0, len(self.frame), rows):
            stop = start + rows
            yield RawTable(
                self.frame.iloc[start:stop].reset_index(drop=True),
                self.bad_rows if start == 0 else [],
                {name: mask[start:stop] for name, mask in self.nested.items()},
            )


def _error(display: str, message: str, fix: str, line: int = 0) -> InputError:
    return InputError([Problem(display, line, 0, "", message, fix)])


def infer_format(path: Path, declared: str | None, display: str) -> str:
    """The declared format; else an annotation tool's export recognised by its first record
    (Label Studio, Prodigy, Argilla, doccano); else the one the suffix implies."""
    if declared:
        return declared
    from labelgate.io.tool_exports import detect_tool_format

    tool = detect_tool_format(path) if path.exists() else None
    if tool is not None:
        return tool
    fmt = SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise _error(
            display,
            f"cannot tell the format of '{path.name}' from its suffix or its first record.",
            "Declare it: 'format:' on the source in dataset.yaml, or --file-format "
            "(csv, jsonl, parquet, labelstudio, labelstudio-min, labelstudio-csv, prodigy, "
            "argilla, doccano).",
        )
    return fmt


def _sniff_text(path: Path, fmt: str, display: str) -> None:
    """A text export that is not UTF-8 text at all is an InputError with the fix."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if head.startswith(b"PAR1"):
        raise _error(
            display,
            f"is a Parquet file, not {fmt}.",
            "Give it the .parquet suffix or set 'format: parquet' for the source.",
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _error(
            display,
            "is UTF-16 (or UTF-32) text: it starts with that byte-order mark; labelgate reads UTF-8.",
            _REEXPORT + " (e.g. 'iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8').",
            1,
        )
    nul = head.find(b"\x00")
    if nul >= 0:
        raise _error(
            display,
            f"has a NUL byte at byte {nul}: it is binary data or UTF-16/UTF-32 text "
            f"without a byte-order mark, not {fmt} text.",
            f"Export the file as UTF-8 {fmt}, or declare its real format in dataset.yaml.",
        )


def _csv_header(path: Path, display: str) -> list[str]:
    with path.open("rb") as handle:
        first = handle.readline()
    if not first.strip():
        raise _error(
            display,
            "has no header row: the file is empty or starts with a blank line.",
            "Export the file with its header row first (item_id,annotator_id,label,...).",
            1,
        )
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _error(
            display,
            f"the header is not UTF-8 text ({exc.reason} at byte {exc.start}).",
            _REEXPORT,
            1,
        ) from None
    try:
        names = next(csv.reader([re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]]), [])
    except csv.Error as exc:
        raise _error(
            display,
            f"the header cannot be read as CSV ({exc}).",
            "Export the file with a plain header row of column names.",
            1,
        ) from None
    counts = Counter(names)
    repeated = [name for name, n in counts.items() if n > 1]
    if repeated:
        where = "; ".join(
            f"'{name}' is columns {', '.join(str(i + 1) for i, n in enumerate(names) if n == name)}"
            for name in repeated
        )
        raise _error(
            display,
            f"the header names a column more than once ({where}), so which one to read is "
            "ambiguous.",
            "Rename or remove the duplicate columns in the export: every column needs its own "
            "name.",
            1,
        )
    return names


def _is_bytes(kind: pa.DataType) -> bool:
    return bool(pa.types.is_binary(kind) or pa.types.is_large_binary(kind))


def _text_type(kind: pa.DataType) -> pa.DataType:
    return pa.large_string() if pa.types.is_large_binary(kind) else pa.string()


def _decoded(
    table: pa.Table, rows: np.ndarray
) -> tuple[pa.Table, np.ndarray, list[tuple[int, str, str]]]:
    """Binary columns cast to UTF-8 strings; records with a value that is not UTF-8 go to
    `bad_encoding`. Returns (table, rows kept, bad rows)."""
    bad_at: dict[int, str] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if not _is_bytes(column.type):
            continue
        try:
            column.cast(_text_type(column.type))
        except pa.ArrowInvalid:
            for position, value in enumerate(column.to_pylist()):
                if value is None or position in bad_at:
                    continue
                try:
                    value.decode("utf-8")
                except UnicodeDecodeError as exc:
                    shown = value.decode("utf-8", "replace")[:200]
                    bad_at[position] = (
                        f"column '{name}' is not UTF-8 text ({exc.reason} at byte {exc.start} "
                        f"of the value): {shown}. {_REEXPORT}"
                    )
    bad = [(int(rows[p]), "bad_encoding", text) for p, text in sorted(bad_at.items())]
    if bad_at:
        keep = np.ones(len(table), dtype=bool)
        keep[list(bad_at)] = False
        table, rows = table.filter(pa.array(keep)), rows[keep]
    columns = [c.cast(_text_type(c.type)) if _is_bytes(c.type) else c for c in table.columns]
    return pa.table(columns, names=table.column_names), rows, bad


def _line_count(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n") + 1


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(_BLOCK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _first_not_utf8(record: list[str], names: list[str]) -> str | None:
    """'column NAME' (or 'field N' past the header) of the first field that is not UTF-8."""
    for position, value in enumerate(record):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return (
                f"column '{names[position]}'" if position < len(names) else f"field {position + 1}"
            )
    return None


def _read_csv_by_record(path: Path, names: list[str]) -> RawTable:
    """A CSV file that is not all UTF-8, read record by record (pyarrow cannot hand such a
    record to a bad-row handler): records with bytes that are not UTF-8 go to `bad_encoding`."""
    bad: list[tuple[int, str, str]] = []
    records: list[list[str]] = []
    rows: list[int] = []
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)  # the header
        number = 1
        try:
            for record in reader:
                if not record:  # a blank line, as pyarrow skips it
                    continue
                number += 1
                text = ",".join(record)
                column = _first_not_utf8(record, names)
                if column is not None:
                    shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                    detail = f"{column} is not UTF-8 text: {shown[:200]}. {_REEXPORT}"
                    bad.append((number, "bad_encoding", detail))
                    continue
                if len(record) != len(names):
                    reason = f"expected {len(names)} fields, found {len(record)}"
                    bad.append((number, "malformed_row", f"{reason}: {text[:200]}"))
                    continue
                records.append(record)
                rows.append(number)
        except csv.Error as exc:
            raise ValueError(f"record {number + 1}: {exc}") from None
    table = pa.table(
        [pa.array([r[i] for r in records], pa.string()) for i in range(len(names))], names=names
    )
    frame = table.to_pandas()
    frame["_row"] = np.asarray(rows, dtype=np.int64)
    return RawTable(frame, bad)


class _BadRecords:
    """pyarrow's invalid-row handler: each record with the wrong field count is noted as
    `malformed_row` and skipped."""

    def __init__(self) -> None:
        self.found: list[tuple[int, str, str]] = []

    def __call__(self, row: pa_csv.InvalidRow) -> str:
        reason = f"expected {row.expected_columns} fields, found {row.actual_columns}"
        lines = _line_count(row.text)
        if lines > 1:  # an unclosed quote swallows what follows into this record
            reason += f" in {lines} lines (a quoted value runs on: a stray quote?)"
        self.found.append((int(row.number or 0), "malformed_row", f"{reason}: {row.text[:200]}"))
        return "skip"


def _csv_options(
    names: list[str], bad: _BadRecords, block_size: int
) -> dict[str, pa_csv.ReadOptions | pa_csv.ParseOptions | pa_csv.ConvertOptions]:
    """Every column as bytes (decoded by `_decoded`), nothing null, bad records to `bad`."""
    return {
        "read_options": pa_csv.ReadOptions(use_threads=False, block_size=block_size),
        "parse_options": pa_csv.ParseOptions(invalid_row_handler=bad, newlines_in_values=True),
        "convert_options": pa_csv.ConvertOptions(
            column_types={n: pa.binary() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }


def _numbered(count: int, start: int, bad: list[tuple[int, str, str]]) -> np.ndarray:
    """Record numbers of `count` good records read from number `start` on: the numbers that
    no bad record took (the header is row 1)."""
    skipped = np.array(sorted({number for number, _, _ in bad if number >= start}), np.int64)
    numbers = np.arange(start, start + count + len(skipped), dtype=np.int64)
    return numbers[~np.isin(numbers, skipped)][:count]


def _as_raw(table: pa.Table, rows: np.ndarray, bad: list[tuple[int, str, str]]) -> RawTable:
    """Records read as bytes, with their numbers, as a RawTable of text."""
    table, rows, unreadable = _decoded(table, rows)
    frame = table.to_pandas()
    frame["_row"] = rows
    return RawTable(frame, sorted(bad + unreadable))


def _read_csv_blocks(path: Path, names: list[str], block_size: int) -> RawTable:
    """The file read whole, `block_size` bytes at a time."""
    bad = _BadRecords()
    table = pa_csv.read_csv(path, **_csv_options(names, bad, block_size))
    # Good records take the record numbers from 2 (after the header) that no bad one took.
    return _as_raw(table, _numbered(len(table), 2, bad.found), bad.found)


def _whole_block(path: Path) -> int:
    return min(max(path.stat().st_size + 1, _BLOCK), (1 << 31) - 1)


def _straddles(exc: pa.ArrowInvalid) -> bool:
    """A record longer than a block (a huge field): the file must be read as one block."""
    return "straddl" in str(exc)


def _read_csv(path: Path, display: str) -> RawTable:
    names = _csv_header(path, display)
    if not _is_utf8(path):
        return _read_csv_by_record(path, names)
    try:
        return _read_csv_blocks(path, names, _BLOCK)
    except pa.ArrowInvalid as exc:
        if not _straddles(exc):
            raise
        return _read_csv_blocks(path, names, _whole_block(path))


def _streamed_csv(path: Path, names: list[str], rows: int) -> Iterator[RawTable]:
    """Pieces of `rows` records read block by block; a record longer than a block makes
    the rest of the file be read as one block, from the record after the last piece."""
    bad = _BadRecords()
    batches: list[pa.RecordBatch] = []
    held, start, reported, pieces = 0, 2, 0, 0
    try:
        reader = pa_csv.open_csv(path, **_csv_options(names, bad, _BLOCK))
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            batches.append(batch)
            held += batch.num_rows
            while held >= rows:
                table = pa.Table.from_batches(batches)
                piece, rest = table.slice(0, rows), table.slice(rows)
                numbers = _numbered(rows, start, bad.found)
                found = [b for b in bad.found[reported:] if b[0] < numbers[-1]]
                yield _as_raw(piece, numbers, found)
                reported, pieces = reported + len(found), pieces + 1
                start, held = int(numbers[-1]) + 1, rest.num_rows
                batches = rest.to_batches()
    except pa.ArrowInvalid as exc:
        if not _straddles(exc):
            raise
        whole = _read_csv_blocks(path, names, _whole_block(path))
        frame = whole.frame[whole.frame["_row"] >= start].reset_index(drop=True)
        rest_bad = [b for b in whole.bad_rows if b[0] >= start]
        yield from RawTable(frame, rest_bad).pieces(rows)
        return
    table = pa.Table.from_batches(batches, schema=reader.schema)
    if len(table) or len(bad.found) > reported or not pieces:  # at least one piece
        yield _as_raw(table, _numbered(len(table), start, bad.found), bad.found[reported:])


def _json_default(value: object) -> object:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _nested_text(value: object) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=_json_default)
    except (RecursionError, ValueError, TypeError):
        return str(value)[:1000]


_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _encodable(value: object) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError):
        return False
    return True


def _lines(handle: BinaryIO) -> Iterator[bytes]:
    """Lines as text mode's universal newlines would split them (a lone CR ends one too)."""
    for data in handle:
        if b"\r" in data and not (data.endswith(b"\r\n") and data.count(b"\r") == 1):
            yield from data.splitlines(keepends=True)
        else:
            yield data


# JSON records turned into text columns at a time: parsed objects cost far more memory than
# the text, so a large file is never held as objects all at once.
_JSONL_BATCH = 50_000


def _jsonl_frame(
    records: list[dict[str, object]], rows: list[int]
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Records as text columns (and which values were objects or arrays), with `_row`."""
    # As objects: inferring dtypes would turn ids like 12345678901234567 with a gap into floats.
    frame = pd.DataFrame(records, dtype=object) if records else pd.DataFrame()
    nested = {}
    for name in frame.columns:
        column = frame[name]
        # A column of plain strings is already text (as_text leaves a str as it is) and holds
        # no object or array: only the others are looked at cell by cell.
        if pd.api.types.infer_dtype(column, skipna=False) == "string":
            frame[name] = column.astype("str")
            continue
        mask = np.fromiter(
            (isinstance(v, dict | list) for v in column), dtype=bool, count=len(frame)
        )
        if mask.any():
            nested[str(name)] = mask
        frame[name] = column.map(as_text).astype("str")
    frame["_row"] = np.asarray(rows, dtype=np.int64)
    return frame, nested


def _joined(
    parts: list[tuple[pd.DataFrame, dict[str, np.ndarray]]],
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Batches of `_jsonl_frame` as one: columns in order of first appearance, a column a
    batch lacks is '' there (as a record without the key), nested masks joined likewise."""
    if len(parts) == 1:
        return parts[0]
    names: list[str] = []
    for frame, _ in parts:
        names += [n for n in frame.columns if n != "_row" and n not in names]
    frames = [frame.reindex(columns=[*names, "_row"], fill_value="") for frame, _ in parts]
    joined = pd.concat(frames, ignore_index=True)
    nested = {}
    for name in names:
        masks = [m.get(name, np.zeros(len(f), dtype=bool)) for f, m in parts]
        mask = np.concatenate(masks)
        if mask.any():
            nested[name] = mask
    return joined, nested


def _jsonl_batches(
    path: Path, size: int
) -> Iterator[tuple[pd.DataFrame, dict[str, np.ndarray], list[tuple[int, str, str]]]]:
    """The file's records `size` at a time as `_jsonl_frame`s, each with the bad records read
    since the previous batch (at least one batch, empty for a file without records)."""
    records: list[dict[str, object]] = []
    rows: list[int] = []
    bad: list[tuple[int, str, str]] = []
    yielded = False
    with path.open("rb") as handle:
        for number, data in enumerate(_lines(handle), start=1):
            try:
                line = data.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                shown = data.decode("utf-8", "replace")[:200]
                detail = f"not UTF-8 text ({exc.reason} at byte {exc.start} of the line): {shown}"
                bad.append((number, "bad_encoding", f"{detail}. {_REEXPORT}"))
                continue
            if line.endswith("\r"):  # as text mode reads it
                line = line[:-1] + "\n"
            elif line.endswith("\r\n"):
                line = line[:-2] + "\n"
            if not line.strip():
                continue
            try:
                value = parse_object(line)
            except DuplicateKeyError as exc:  # json.loads would keep the last value silently
                shown = line[:200].rstrip("\n")
                bad.append((number, "malformed_row", f"{exc}: {shown}. {exc.fix}"))
                continue
            except json.JSONDecodeError as exc:
                bad.append((number, "malformed_row", f"invalid JSON ({exc.msg}): {line[:200]}"))
                continue
            except RecursionError:
                bad.append(
                    (number, "malformed_row", f"JSON nested too deeply to read: {line[:200]}")
                )
                continue
            except NotAnObjectError:
                bad.append((number, "malformed_row", f"not a JSON object: {line[:200]}"))
                continue
            if _SURROGATE.search(line) and not _encodable(value):
                detail = f"a lone UTF-16 surrogate escape is not text: {line[:200]}"
                bad.append((number, "bad_encoding", f"{detail}. {_REEXPORT}"))
                continue
            records.append(value)
            rows.append(number)
            if len(records) == size:
                yield (*_jsonl_frame(records, rows), bad)
                records, rows, bad, yielded = [], [], [], True
    if records or bad or not yielded:
        yield (*_jsonl_frame(records, rows), bad)


def _read_jsonl(path: Path) -> RawTable:
    parts, bad = [], []
    for frame, nested, found in _jsonl_batches(path, _JSONL_BATCH):
        parts.append((frame, nested))
        bad += found
    frame, nested = _joined(parts)
    return RawTable(frame, bad, nested)


def _streamed_jsonl(path: Path, rows: int, expected: Sequence[str]) -> Iterator[RawTable]:
    """Pieces of about `rows` records (whole batches of at most `_JSONL_BATCH`); each has the
    `expected` columns, empty where none of its records has the key, as a whole read has them
    for such records. When the file lacks one of them altogether (and has records), a last,
    empty piece with the file's columns lets the column mapping report it, as it would on a
    whole read."""
    seen: list[str] = []
    parts: list[tuple[pd.DataFrame, dict[str, np.ndarray]]] = []
    bad: list[tuple[int, str, str]] = []
    held, records = 0, 0

    def piece() -> RawTable:
        frame, nested = _joined(parts)
        for name in frame.columns:
            if name != "_row" and name not in seen:
                seen.append(name)
        absent = [name for name in expected if name not in frame.columns]
        if absent and len(frame):
            frame = frame.assign(**{name: "" for name in absent})
        return RawTable(frame, bad, nested)

    for frame, nested, found in _jsonl_batches(path, min(rows, _JSONL_BATCH)):
        parts.append((frame, nested))
        bad += found
        held += len(frame)
        records += len(frame)
        if held >= rows:
            yield piece()
            parts, bad, held = [], [], 0
    if parts:
        yield piece()
    if records and any(name not in seen for name in expected):
        columns = {name: pd.Series(dtype="str") for name in seen}
        yield RawTable(pd.DataFrame({**columns, "_row": pd.Series(dtype="int64")}))


def as_text(value: object) -> str:
    """A cell as the text canonical tables hold: missing values (None, NaN, pd.NA, NaT) are ''."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and value != value:  # NaN
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list | np.ndarray):
        return _nested_text(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _parquet_file(path: Path, display: str) -> pq.ParquetFile:
    """The file opened, refused when empty or when a column name repeats."""
    if path.stat().st_size == 0:
        raise _error(display, "is empty (0 bytes), not a Parquet file.", "Export it again.")
    parquet = pq.ParquetFile(path)
    repeated = sorted(name for name, n in Counter(parquet.schema_arrow.names).items() if n > 1)
    if repeated:
        raise _error(
            display,
            f"has more than one column named {', '.join(repr(n) for n in repeated)}, so which "
            "one to read is ambiguous.",
            "Rename or remove the duplicate columns in the export.",
        )
    return parquet


def _plain_text(table: pa.Table) -> pd.DataFrame:
    """Columns that are not nested as text: strings as they are (null ''), others by `as_text`."""
    columns: dict[str, object] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            columns[name] = column.fill_null("").to_pandas().astype("str")
            continue
        # Integers with nulls stay Python ints (as floats, ids past 2**53 would change).
        values = column.to_pandas(integer_object_nulls=True, date_as_object=True)
        columns[name] = values.astype(object).map(as_text).astype("str")
    return pd.DataFrame(columns, index=pd.RangeIndex(len(table)))


def _parquet_raw(table: pa.Table, start: int) -> RawTable:
    """Records numbered from `start` as a RawTable of text (nested values as JSON text)."""
    names = table.column_names
    rows = np.arange(start, start + len(table), dtype=np.int64)
    table, rows, bad = _decoded(table, rows)
    nested_names = [
        n for n, t in zip(names, table.schema.types, strict=True) if pa.types.is_nested(t)
    ]
    frame = _plain_text(table.drop_columns(nested_names))
    nested: dict[str, np.ndarray] = {}
    for name in nested_names:
        values = table.column(name).to_pylist()
        nested[name] = np.array([v is not None for v in values], dtype=bool)
        frame[name] = pd.Series(
            [as_text(v) if v is None else _nested_text(v) for v in values], dtype="str"
        )
    if nested_names:
        frame = frame[names]
    frame["_row"] = rows
    return RawTable(frame, bad, nested)


def _read_parquet(path: Path, display: str) -> RawTable:
    return _parquet_raw(_parquet_file(path, display).read(), 1)


def _streamed_parquet(path: Path, display: str, rows: int) -> Iterator[RawTable]:
    """Pieces of `rows` records (the last may be shorter; one empty piece for no records)."""
    parquet = _parquet_file(path, display)
    start, pieces = 1, 0
    held: list[pa.RecordBatch] = []
    count = 0
    for batch in parquet.iter_batches(batch_size=min(rows, 65_536), use_threads=False):
        held.append(batch)
        count += batch.num_rows
        while count >= rows:
            table = pa.Table.from_batches(held, schema=parquet.schema_arrow)
            yield _parquet_raw(table.slice(0, rows), start)
            rest = table.slice(rows)
            held, count, start, pieces = rest.to_batches(), rest.num_rows, start + rows, pieces + 1
    if count or not pieces:
        yield _parquet_raw(pa.Table.from_batches(held, schema=parquet.schema_arrow), start)


def _check_file(path: Path, display: str) -> None:
    if path.is_dir():
        raise _error(
            display,
            "is a directory, not a file.",
            "Point the source's path at the export file itself.",
        )
    if not path.is_file():
        raise _error(display, "file not found.", "Fix the path in dataset.yaml or run 'dvc pull'.")


@contextmanager
def _read_errors(display: str, fmt: str) -> Iterator[None]:
    """A file that cannot be read at all as an InputError (exit 3) naming it."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise _error(
            display, f"not UTF-8 text ({exc.reason} at byte {exc.start}).", _REEXPORT
        ) from None
    except (pa.ArrowException, OSError, ValueError, RecursionError, MemoryError) as exc:
        raise _error(
            display,
            f"cannot read {fmt}: {' '.join(str(exc).split())[:300]}",
            "Check the file's format and encoding.",
        ) from None


STREAMED_FORMATS = ("csv", "jsonl", "parquet")


def source_pieces(
    path: Path, fmt: str, display: str, rows: int, expected: Sequence[str] = ()
) -> Callable[[], Iterator[RawTable]]:
    """A CSV, JSONL or Parquet export read `rows` records at a time: memory holds a piece,
    not the file.

    The file is checked now (there, readable, a CSV header, no repeated Parquet column); the
    pieces come when the returned function is iterated, in file order, at least one. Joined
    they equal `read_source`'s table, up to columns: a JSONL piece has the columns its
    records have, and the `expected` ones (see `_streamed_jsonl`). A CSV file that is not
    all UTF-8 is read whole (record by record) and cut."""
    if fmt not in STREAMED_FORMATS:
        raise ValueError(f"format {fmt!r} is not read in pieces; use read_source")
    whole = None
    names: list[str] = []
    with _read_errors(display, fmt):
        _check_file(path, display)
        if fmt == "parquet":
            _parquet_file(path, display)
        else:
            _sniff_text(path, fmt, display)
        if fmt == "csv":
            names = _csv_header(path, display)
            whole = None if _is_utf8(path) else _read_csv_by_record(path, names)

    def pieces() -> Iterator[RawTable]:
        with _read_errors(display, fmt):
            if whole is not None:
                yield from whole.pieces(rows)
            elif fmt == "csv":
                yield from _streamed_csv(path, names, rows)
            elif fmt == "jsonl":
                yield from _streamed_jsonl(path, rows, expected)
            else:
                yield from _streamed_parquet(path, display, rows)

    return pieces


def read_source(path: Path, fmt: str, display: str, control: str | None = None) -> RawTable:
    """Read one source file (`control`: the field of a tool export to import); a file that
    cannot be read at all is an InputError (exit 3)."""
    if fmt not in ("csv", "jsonl", "parquet"):
        from labelgate.io.tool_exports import read_tool_export

        if not path.exists():
            raise _error(
                display, "file not found.", "Fix the path in dataset.yaml or run 'dvc pull'."
            )
        return read_tool_export(path, fmt, display, control)
    _check_file(path, display)
    with _read_errors(display, fmt):
        if fmt in ("csv", "jsonl"):
            _sniff_text(path, fmt, display)
        if fmt == "csv":
            return _read_csv(path, display)
        if fmt == "jsonl":
            return _read_jsonl(path)
        if fmt == "parquet":
            return _read_parquet(path, display)
    raise _error(display, f"format '{fmt}' is not supported.", "Use csv, jsonl or parquet.")
