"""The table commands' -o/--output option, and writing their table and messages."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def add_table_output_option(parser: argparse.ArgumentParser, what: str = "the table") -> None:
    """-o/--output: write `what` to a .csv or .parquet file, else CSV on stdout."""
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="OUT",
        help=f"write {what} to a .csv or .parquet file (default: CSV on stdout)",
    )


def emit_table(frame: pd.DataFrame, output: Path | None, messages: Sequence[str]) -> None:
    """The table to `output` (CSV or Parquet by its suffix) or as CSV on stdout, formulas
    neutralised as in files; then the messages on stderr."""
    if output is None:
        from labelgate.io.writers import csv_text

        sys.stdout.write(csv_text(frame))
    else:
        from labelgate.app.aggregate import write_table

        write_table(output, frame)
    for line in messages:
        print(line, file=sys.stderr)
