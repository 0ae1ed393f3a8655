"""Options several commands share, declared once."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


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


# config.params.Engine.name (literal so `--help` does not import pydantic; a test keeps them equal).
ENGINES = ("local", "dask")


def add_engine_option(parser: argparse.ArgumentParser) -> None:
    """--engine: where the partitioned analyses run; results are the same on both."""
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help="local (in process) or dask (a Dask cluster: engine.address in conf/, or a "
        "LocalCluster; needs labelgate[dask]). Results are identical. Default: params.yaml's "
        "engine, else local.",
    )


def file_engine(name: str | None) -> Any:
    """The engine of a file command's --engine (its default settings), or None: in process."""
    if name is None:
        return None
    from labelgate.config.params import Engine

    return Engine(name=name)


# The formats a file command reads (config.dataset.SourceFormat; kept literal so `--help` does
# not import pydantic; a test keeps the two equal).
FILE_FORMATS = (
    "csv",
    "jsonl",
    "parquet",
    "labelstudio",
    "labelstudio-min",
    "labelstudio-csv",
    "prodigy",
    "argilla",
    "doccano",
)


def add_file_format_options(parser: argparse.ArgumentParser) -> None:
    """--file-format and --field: read a plain export or an annotation tool's own export."""
    parser.add_argument(
        "--file-format",
        choices=FILE_FORMATS,
        metavar="F",
        help="the file's format: " + ", ".join(FILE_FORMATS) + " (default: a tool's export is "
        "recognised by its first record, other files by their suffix)",
    )
    parser.add_argument(
        "--field",
        metavar="NAME",
        help="the control (Label Studio from_name), question (Argilla) or field of a tool "
        "export to read, when it has several",
    )


def add_task_option(parser: argparse.ArgumentParser) -> None:
    """--task: one label per answer, a set of labels, or spans."""
    parser.add_argument(
        "--task",
        choices=("single_label", "multi_label", "spans"),
        default="single_label",
        help="single_label: one label per answer; multi_label: a set (a JSON array, a Parquet "
        "list, or a tool's multi-choice answer); spans: labelled character ranges "
        '([[start, end, "LABEL"], ...], or a tool\'s span export)',
    )
