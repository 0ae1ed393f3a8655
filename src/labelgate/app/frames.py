"""Annotation tables handed over as DataFrames: the same mapping and skipping as exports on disk.

`read_export` (io/canonical.py) reads a file as text columns, renames them to canonical names and
skips rows with an empty required value. `frame_export` does the same to a DataFrame a Python
caller already holds, with each cell turned to text exactly as a Parquet file's would be, so a
frame and the same frame written to Parquet give the same results.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from labelgate.errors import InputError, UsageError
from labelgate.io.canonical import rename_columns
from labelgate.io.readers import RawTable
from labelgate.io.readers import as_text as cell_text
from labelgate.problems import Problem, did_you_mean


def column_text(values: pd.Series) -> pd.Series:
    """Each cell as the text a Parquet export would give: missing values "", 2.0 as "2"."""
    if isinstance(values.dtype, pd.StringDtype):
        return values.astype(object).where(values.notna(), "").astype("str")
    if pd.api.types.is_integer_dtype(values.dtype) and not values.hasnans:
        return values.astype("str")
    text = values.astype(object).map(cell_text)
    return text.where(values.notna().to_numpy(), "").astype("str")


def skip_empty(
    frame: pd.DataFrame, required: tuple[str, ...], skipped: dict[str, int]
) -> pd.DataFrame:
    """Leave out rows with an empty required value, counted as 'missing_<column>'."""
    for name in required:
        empty = frame[name] == ""
        if empty.any():
            skipped[f"missing_{name}"] = int(empty.sum())
            frame = frame[~empty]
    return frame


def frame_export(
    data: object,
    columns: Mapping[str, str],
    arguments: Mapping[str, str],
    where: str,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """`data` mapped onto the canonical columns named in `columns`, and the rows skipped.

    `columns` maps a canonical name (item_id, ...) to the DataFrame's column; `arguments`
    names the caller's argument for it (item_col, ...), for the message when it is missing.
    """
    if not isinstance(data, pd.DataFrame):
        raise UsageError(f"{where}: expected a pandas DataFrame, got {type(data).__name__}.")
    present = [str(c) for c in data.columns]
    problems = []
    for canonical, source in columns.items():
        if source not in data.columns:
            argument = arguments.get(canonical, canonical)
            problems.append(
                Problem(
                    where,
                    message=f"column '{source}' ({argument}) is not in the DataFrame, which has "
                    f"{', '.join(repr(c) for c in present) or 'no columns'}.",
                    fix=((did_you_mean(source, present) + " ") if present else "")
                    + f"Pass {argument}='<column>'.",
                )
            )
    if problems:
        raise InputError(problems)
    text = {
        source: column_text(data[source]).reset_index(drop=True) for source in set(columns.values())
    }
    raw = pd.DataFrame(text)
    raw["_row"] = range(1, len(raw) + 1)
    required = tuple(columns)
    frame = rename_columns(RawTable(raw), dict(columns), required, (), where)
    skipped: dict[str, int] = {}
    return skip_empty(frame, required, skipped), skipped
