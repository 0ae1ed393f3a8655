"""Read CSV, JSONL and Parquet exports as string columns, keeping each record's row number."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from labelgate.errors import InputError
from labelgate.problems import Problem

SUFFIX_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


@dataclass
class RawTable:
    """A source file read as strings: `frame` has a `_row` column (1-based record number,
    the CSV header being row 1); `bad_rows` are records that could not be parsed at all."""

    frame: pd.DataFrame
    bad_rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row, reason, text)

    @property
    def rows_in(self) -> int:
        """Every record in the file, readable or not."""
        return len(self.frame) + len(self.bad_rows)


def infer_format(path: Path, declared: str | None, display: str) -> str:
    """The declared format, or the one the suffix implies."""
    if declared:
        return declared
    fmt = SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            [
                Problem(
                    display,
                    message=f"cannot tell the format of '{path.name}' from its suffix.",
                    fix="Add 'format: csv|jsonl|parquet' to the source in dataset.yaml.",
                )
            ]
        )
    return fmt


def _read_csv(path: Path) -> RawTable:
    bad: list[tuple[int, str, str]] = []

    def on_bad(row: pa_csv.InvalidRow) -> str:
        reason = f"expected {row.expected_columns} fields, found {row.actual_columns}"
        bad.append((int(row.number or 0), "malformed_row", f"{reason}: {row.text[:200]}"))
        return "skip"

    names = _csv_header(path)
    table = pa_csv.read_csv(
        path,
        read_options=pa_csv.ReadOptions(use_threads=False, block_size=1 << 24),
        parse_options=pa_csv.ParseOptions(invalid_row_handler=on_bad, newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    frame = table.to_pandas()
    # Good records take the record numbers from 2 (after the header) that no bad one took.
    skipped = np.array(sorted({number for number, _, _ in bad}), dtype=np.int64)
    numbers = np.arange(2, 2 + len(frame) + len(skipped), dtype=np.int64)
    frame["_row"] = numbers[~np.isin(numbers, skipped)][: len(frame)]
    return RawTable(frame, sorted(bad))


def _csv_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        first = handle.readline()
    return next(csv.reader([first]), [])


def _read_jsonl(path: Path) -> RawTable:
    records: list[dict[str, object]] = []
    rows: list[int] = []
    bad: list[tuple[int, str, str]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                bad.append((number, "malformed_row", f"invalid JSON ({exc.msg}): {line[:200]}"))
                continue
            if not isinstance(value, dict):
                bad.append((number, "malformed_row", f"not a JSON object: {line[:200]}"))
                continue
            records.append(value)
            rows.append(number)
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    frame = frame.map(as_text) if len(frame.columns) else frame
    frame["_row"] = rows
    return RawTable(frame, bad)


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
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _read_parquet(path: Path) -> RawTable:
    frame = pq.read_table(path).to_pandas()
    frame = frame.astype(object).map(as_text) if len(frame.columns) else frame
    frame["_row"] = range(1, len(frame) + 1)
    return RawTable(frame)


def read_source(path: Path, fmt: str, display: str) -> RawTable:
    """Read one source file; a file that cannot be read at all is an InputError (exit 3)."""
    if not path.is_file():
        raise InputError(
            [
                Problem(
                    display,
                    message="file not found.",
                    fix="Fix the path in dataset.yaml or run 'dvc pull'.",
                )
            ]
        )
    try:
        if fmt == "csv":
            return _read_csv(path)
        if fmt == "jsonl":
            return _read_jsonl(path)
        if fmt == "parquet":
            return _read_parquet(path)
    except UnicodeDecodeError as exc:
        raise InputError(
            [
                Problem(
                    display,
                    message=f"not UTF-8 text ({exc.reason} at byte {exc.start}).",
                    fix="Re-export the file as UTF-8.",
                )
            ]
        ) from None
    except (pa.ArrowInvalid, OSError, ValueError) as exc:
        raise InputError(
            [
                Problem(
                    display,
                    message=f"cannot read {fmt}: {' '.join(str(exc).split())[:300]}",
                    fix="Check the file's format and encoding.",
                )
            ]
        ) from None
    raise InputError(
        [
            Problem(
                display,
                message=f"format '{fmt}' is not supported yet.",
                fix="Use csv, jsonl or parquet.",
            )
        ]
    )
