"""Deterministic writers: the same table or dict always gives the same bytes."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null; NumPy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, float):
        return round(value, 10)
    return value


def json_text(data: Any, sort_keys: bool = True) -> str:
    """Two-space indent, floats rounded to 10 places, trailing newline; keys sorted unless the
    caller's order carries meaning (e.g. labels in schema order)."""
    return json.dumps(_clean(data), indent=2, sort_keys=sort_keys, ensure_ascii=False) + "\n"


def write_json(path: Path, data: Any) -> Path:
    """Write `data` as deterministic JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json_text(data), encoding="utf-8")
    return path


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object written by `write_json`."""
    return dict(json.loads(path.read_text(encoding="utf-8")))


def write_parquet(path: Path, frame: pd.DataFrame) -> Path:
    """Write a table without the pandas index, uncompressed-metadata-stable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    # Pandas metadata embeds library versions only; drop it to keep bytes stable across them.
    table = table.replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd", write_statistics=False)
    return path


def read_parquet(path: Path) -> pd.DataFrame:
    """Read a canonical table written by `write_parquet`."""
    frame: pd.DataFrame = pq.read_table(path).to_pandas()
    return frame


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """CSV with a header, '\\n' line ends and no index."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")
    return path
