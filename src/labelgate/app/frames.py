"""Annotation tables handed over as DataFrames: the same mapping and skipping as exports on disk.

`read_export` (io/canonical.py) reads a file as text columns, renames them to canonical names and
skips rows with a nested or multi-line id or label, or an empty required value. `frame_export`
does the same to a DataFrame a Python caller already holds, with each cell turned to text exactly
as a Parquet file's would be, so a frame and the same frame written to Parquet give the same
results.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from labelgate.errors import InputError, UsageError
from labelgate.io.canonical import Quarantine, rename_columns, screen_values
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


# Cells holding several values (or a record), not one id or label: a list of labels is
# multi-label data. A tuple or set is one too; pyarrow writes a tuple or an array as a list.
NESTED = (list, tuple, set, frozenset, dict, np.ndarray)


def nested_cells(values: pd.Series) -> np.ndarray:
    """Which cells hold a list, tuple, set, dict or array (`NESTED`), positionally."""
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) or (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
    ):
        return np.zeros(len(values), dtype=bool)
    cells = values.astype(object)
    return np.fromiter((isinstance(v, NESTED) for v in cells), dtype=bool, count=len(cells))


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
    Rows are skipped as `read_export` skips them, counted by reason: a list, tuple, set, dict
    or array as an id or label ('nested_value'), one over several lines ('newline_in_value'),
    an empty one ('missing_<column>').
    """
    if not isinstance(data, pd.DataFrame):
        raise UsageError(f"{where}: expected a pandas DataFrame, got {type(data).__name__}.")
    present = [str(c) for c in data.columns]
    problems = []
    for canonical, source in columns.items():
        if int((data.columns == source).sum()) > 1:
            # data[source] would be a DataFrame, not a column: say so rather than fail on it.
            argument = arguments.get(canonical, canonical)
            problems.append(
                Problem(
                    where,
                    message=f"column '{source}' ({argument}) appears more than once in the "
                    "DataFrame, so which one to read is ambiguous.",
                    fix="Rename or drop the duplicate column, e.g. "
                    "df.loc[:, ~df.columns.duplicated()].",
                )
            )
        elif source not in data.columns:
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
    sources = set(columns.values())
    text = {source: column_text(data[source]).reset_index(drop=True) for source in sources}
    nested = {source: nested_cells(data[source]) for source in sources}
    raw = RawTable(pd.DataFrame(text), nested={k: v for k, v in nested.items() if v.any()})
    raw.frame["_row"] = range(1, len(raw.frame) + 1)
    required = tuple(columns)
    mapping = dict(columns)
    frame = rename_columns(raw, mapping, required, (), where)
    # The file path's screening, so a frame never turns a list or a run-on value into a label.
    quarantine = Quarantine("annotations", where)
    frame = screen_values(frame, raw, mapping, required, quarantine)
    skipped: dict[str, int] = {}
    for reason, count in quarantine.frame()["reason"].value_counts(sort=False).items():
        skipped[str(reason)] = int(count)
    return skip_empty(frame, required, skipped), skipped
