"""`labelgate prelabel`: model suggestions for a pool, as a tool's import file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from labelgate.cli.select_cmd import add_model_input_options, columns_of

FORMATS = ("labelstudio", "prodigy", "argilla", "csv")  # io.exporters.prelabels


def register(sub: Any) -> None:
    """Add the `prelabel` subcommand."""
    parser = sub.add_parser(
        "prelabel",
        help="suggest labels for a pool, as a Label Studio, Prodigy or Argilla import file",
        description="Fit the built-in model on the labelled items and write its suggestion "
        "for every pool item in the tool's import format: Label Studio tasks with "
        "predictions (model_version, score, a choices result), Prodigy choice tasks with "
        "label, accept and meta.score, Argilla 2.x records (records.json) with suggestions "
        "and scores, or CSV (item_id, suggested_label, suggestion_score, model_version). "
        "Items below --min-confidence get no suggestion. A precision-at-coverage table "
        "from cross-validation on the labelled items is printed to stderr, so the threshold "
        "is picked knowingly.",
        epilog="examples:\n"
        "  labelgate prelabel --labeled done.csv --pool todo.csv --text-col text "
        "--format labelstudio -o tasks.json\n"
        "  labelgate prelabel --labeled done.csv --pool todo.csv --text-col text "
        "--format prodigy --min-confidence 0.8 --coverage-out coverage.csv -o tasks.jsonl\n"
        "  labelgate prelabel --labeled done.csv --pool todo.csv --text-col text "
        "--predictions our_model.csv --format argilla -o records.json",
    )
    add_model_input_options(parser)
    parser.add_argument(
        "--model",
        choices=("tfidf_logreg",),
        default="tfidf_logreg",
        help="the model (TF-IDF + logistic regression; logistic regression on --feature-cols)",
    )
    parser.add_argument(
        "--predictions",
        type=Path,
        metavar="FILE",
        help="suggest your own model's labels instead: a predictions table (item_id and a "
        "probability column per label, or label and score; model and model_version name it)",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="labelstudio", help="the import format to write"
    )
    parser.add_argument(
        "--min-confidence",
        type=float,
        default=0.0,
        metavar="T",
        help="no suggestion for an item whose top probability is below T",
    )
    parser.add_argument(
        "--from-name",
        default="label",
        metavar="N",
        help="Label Studio: the choices control's name; Argilla: the question's name",
    )
    parser.add_argument(
        "--to-name", default="text", metavar="N", help="Label Studio: the object tag's name"
    )
    parser.add_argument(
        "--coverage-out", type=Path, metavar="FILE", help="also write the coverage table (CSV)"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="OUT",
        help="the import file to write (Argilla: name it records.json)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Pre-label, write the file, print the coverage table to stderr."""
    from labelgate.app.aggregate import write_table
    from labelgate.app.prelabelling import coverage_lines, prelabel
    from labelgate.errors import UsageError

    if args.pool is None:
        raise UsageError("--pool is required: the items to pre-label.")
    result = prelabel(
        args.labeled,
        args.pool,
        columns_of(args),
        args.output,
        args.format,
        args.min_confidence,
        args.from_name,
        args.to_name,
        args.seed,
        args.file_format,
        args.field,
        args.predictions,
    )
    if args.coverage_out is not None:
        write_table(args.coverage_out, result.coverage)
    for line in [*coverage_lines(result.coverage), *result.messages]:
        print(line, file=sys.stderr)
    return 0
