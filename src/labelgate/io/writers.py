"""Deterministic table files: the same frame always gives the same Parquet or CSV bytes.

Both are written atomically (`json_io.atomic_output`). CSV files are for people, who open them in a
spreadsheet: a string cell that would start a formula there is neutralised (`safe_cell`).
Parquet files are for programs and keep every value as it is.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from labelgate.errors import InternalError
from labelgate.io.json_io import atomic_output, write_text

# OWASP's CSV injection guidance: a spreadsheet may treat a cell starting with one of these as
# a formula (tab and carriage return are stripped first by some).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


# pyarrow's default: rows per row group.
ROW_GROUP_ROWS = 1024 * 1024
_PARQUET = {"compression": "zstd", "write_statistics": False}


def _arrow(frame: pd.DataFrame, types: dict[str, pa.DataType] | None = None) -> pa.Table:
    # Pandas metadata embeds library versions only; drop it to keep bytes stable across them.
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    for name, kind in (types or {}).items():
        at = table.schema.get_field_index(name)
        if at >= 0 and table.schema.types[at] != kind:
            table = table.set_column(at, name, table.column(name).cast(kind))
    return table.replace_schema_metadata(None)


def _write_groups(out: pq.ParquetWriter, table: pa.Table) -> None:
    """Row groups of ROW_GROUP_ROWS, each written from one contiguous slice: the bytes of
    `pq.write_table` on the whole table, whatever chunks its columns are held in (a text
    column's dictionary page fills at a point that depends on them)."""
    for start in range(0, max(table.num_rows, 1), ROW_GROUP_ROWS):
        group = table.slice(start, ROW_GROUP_ROWS).combine_chunks()
        out.write_table(group, row_group_size=ROW_GROUP_ROWS)


def write_parquet(path: Path, frame: pd.DataFrame) -> Path:
    """Write a table without the pandas index, uncompressed-metadata-stable: a stream of
    one frame."""
    with ParquetStream(path) as stream:
        stream.add(frame)
    return path


class ParquetStream:
    """Frames written as one table as they come, in `write_parquet`'s bytes for the frames
    joined: a row group is written once full, so memory holds a row group, not the table.

    Frames must agree in columns and types; frames without rows add nothing (when all have
    none, the first gives the empty table's columns). `types` fixes the type of columns whose
    inferred type depends on the values (a list column of empty lists has no item type).
    The file replaces `path` when the `with` block ends without an error, as `atomic_output`
    does."""

    def __init__(self, path: Path, types: dict[str, pa.DataType] | None = None) -> None:
        self.path = path
        self.types = types
        self._held: list[pa.Table] = []
        self._rows = 0
        self._first: pa.Table | None = None
        self._out: pq.ParquetWriter | None = None

    def __enter__(self) -> ParquetStream:
        self._target = atomic_output(self.path)
        self._handle = self._target.__enter__()
        return self

    def add(self, frame: pd.DataFrame) -> None:
        """Queue `frame`'s rows; write every full row group."""
        table = _arrow(frame, self.types)
        if self._first is None:
            self._first = table
        if not len(table):
            return
        if self._out is None:
            self._out = pq.ParquetWriter(self._handle, table.schema, **_PARQUET)
        elif not table.schema.equals(self._out.schema):
            raise InternalError(
                f"{self.path.name}: a piece's columns differ from the first's:\n"
                f"{table.schema}\nversus\n{self._out.schema}"
            )
        self._held.append(table)
        self._rows += len(table)
        if self._rows >= ROW_GROUP_ROWS:
            held = pa.concat_tables(self._held)
            whole = held.num_rows - held.num_rows % ROW_GROUP_ROWS
            _write_groups(self._out, held.slice(0, whole))
            self._held, self._rows = [held.slice(whole)], held.num_rows - whole

    def __exit__(self, *error: Any) -> None:
        try:
            if error[0] is None:
                self._finish()
        except BaseException as exc:
            self._abandon()
            self._target.__exit__(type(exc), exc, exc.__traceback__)
            raise
        if error[0] is not None:
            self._abandon()
        self._target.__exit__(*error)

    def _abandon(self) -> None:
        # Closed before the file is thrown away, or the writer would close it later.
        if self._out is not None and self._out.is_open:
            with contextlib.suppress(Exception):
                self._out.close()

    def _finish(self) -> None:
        if self._first is None:
            raise InternalError(f"{self.path.name}: no table was given to write")
        if self._out is None:  # no rows at all: the first frame's columns
            with pq.ParquetWriter(self._handle, self._first.schema, **_PARQUET) as out:
                _write_groups(out, self._first)
            return
        if self._rows:
            _write_groups(self._out, pa.concat_tables(self._held))
        self._out.close()


def read_parquet(
    path: Path, columns: Sequence[str] | None = None, exclude: Sequence[str] = ()
) -> pd.DataFrame:
    """Read a canonical table written by `write_parquet`; only `columns` when given (those
    the file has), never those in `exclude`: a stage reads what it uses, and a large table's
    other columns stay on disk."""
    if columns is not None or exclude:
        names = pq.read_schema(path).names
        wanted = set(names if columns is None else columns) - set(exclude)
        columns = [name for name in names if name in wanted]
    frame: pd.DataFrame = pq.read_table(path, columns=columns).to_pandas()
    return frame


def safe_cell(value: Any) -> Any:
    """A string that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab or carriage
    return first) with a leading `'`; anything else (numbers included) as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def restore_cell(value: Any) -> Any:
    """The value `safe_cell` was given: a string of `'` followed by a formula trigger loses the
    `'`; anything else as it is. For reading back a work sheet edited as text."""
    if isinstance(value, str) and value[:1] == "'" and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with `safe_cell` applied to its string cells and column names; numeric columns
    (a -0.05 in a float column) are left alone. The same frame when nothing needs it."""
    columns = [safe_cell(c) for c in frame.columns]
    changed: dict[Any, pd.Series] = {}
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        if not (
            pd.api.types.is_object_dtype(series.dtype)
            or pd.api.types.is_string_dtype(series.dtype)
            or isinstance(series.dtype, pd.CategoricalDtype)
        ):
            continue
        text = isinstance(series.dtype, pd.StringDtype)  # text or missing: one Arrow scan
        if text and not series.str.startswith(FORMULA_TRIGGERS).fillna(False).any():
            continue
        values = series.astype(object)
        hit = values.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_TRIGGERS))
        if hit.any():
            changed[position] = values.map(safe_cell)
    if not changed and columns == list(frame.columns):
        return frame
    out = frame.copy()
    for position, values in changed.items():
        out.isetitem(position, values.to_numpy(dtype=object))
    out.columns = pd.Index(columns)
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """The CSV text `write_csv` writes: header, '\\n' line ends, no index, formulas
    neutralised."""
    text: str = neutralise_formulas(frame).to_csv(index=False, lineterminator="\n")
    return text


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """CSV with a header, '\\n' line ends and no index, for people: see `csv_text`."""
    write_text(path, csv_text(frame))
    return path
