"""Deterministic table files: the same frame always gives the same Parquet or CSV bytes.

Both are written atomically (`json_io.atomic_output`). CSV files are for people, who open them in a
spreadsheet: a string cell that would start a formula there is neutralised (`safe_cell`).
Parquet files are for programs and keep every value as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from labelgate.io.json_io import atomic_output, write_text

# OWASP's CSV injection guidance: a spreadsheet may treat a cell starting with one of these as
# a formula (tab and carriage return are stripped first by some).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def write_parquet(path: Path, frame: pd.DataFrame) -> Path:
    """Write a table without the pandas index, uncompressed-metadata-stable."""
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    # Pandas metadata embeds library versions only; drop it to keep bytes stable across them.
    table = table.replace_schema_metadata(None)
    with atomic_output(path) as handle:
        pq.write_table(table, handle, compression="zstd", write_statistics=False)
    return path


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
