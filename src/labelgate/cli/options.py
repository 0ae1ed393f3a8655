"""Options several commands share, declared once."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_column_options(parser: argparse.ArgumentParser) -> None:
    """--item-col, --annotator-col, --label-col: map any export's columns onto canonical ones."""
    parser.add_argument(
        "--item-col", default="item_id", metavar="C", help="the column holding item ids"
    )
    parser.add_argument(
        "--annotator-col",
        default="annotator_id",
        metavar="C",
        help="the column holding annotator ids",
    )
    parser.add_argument("--label-col", default="label", metavar="C", help="the label column")


def add_project_option(parser: argparse.ArgumentParser) -> None:
    """-C/--project: run on the project at or above this folder."""
    parser.add_argument(
        "-C", "--project", type=Path, default=Path("."), help="the project folder, or one in it"
    )
