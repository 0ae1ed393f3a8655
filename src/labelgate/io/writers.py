"""Deterministic table files: the same frame always gives the same Parquet or CSV bytes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


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
