"""`labelgate aggregate FILE --method NAME`: consensus labels for any annotation export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from labelgate.cli.options import (
    add_column_options,
    add_engine_option,
    add_file_format_options,
    add_task_option,
    file_engine,
)
from labelgate.config.catalogue import AGGREGATORS


def register(sub: Any) -> None:  # long: one argparse declaration per option
    """Add the `aggregate` subcommand."""
    parser = sub.add_parser(
        "aggregate",
        help="consensus labels of an annotation export",
        description="Consensus labels of any CSV, JSONL or Parquet file with one row per "
        "annotation: one row per item (item_id, label, confidence (calibrated), raw_confidence "
        "(the method's posterior), status, n_annotations) "
        "and a per-annotator table. Labels are the distinct values of the label column, "
        "plus any gold label. Gold items without annotations are ignored (and counted). "
        "Progress, status counts and gold accuracy go to stderr. Python: "
        "labelgate.aggregate(df).",
        epilog="examples:\n"
        "  labelgate aggregate answers.csv > labels.csv\n"
        "  labelgate aggregate answers.csv --method dawid_skene --param max_iter=200 \\\n"
        "    --gold gold.csv -o labels.parquet --annotators-out annotators.csv\n"
        "  labelgate aggregate answers.csv --gold gold.csv --target-error-rate 0.02 -o labels.csv",
    )
    parser.add_argument(
        "file",
        type=Path,
        metavar="FILE",
        help="CSV, JSONL or Parquet, one row per annotation, or a Label Studio, Prodigy, "
        "Argilla or doccano export",
    )
    parser.add_argument(
        "--method",
        default="majority_vote",
        metavar="M",
        help=f"the consensus method: {', '.join(AGGREGATORS)}",
    )
    add_column_options(parser)
    add_file_format_options(parser)
    add_task_option(parser)
    parser.add_argument(
        "--gold",
        type=Path,
        metavar="FILE",
        help="known labels: CSV, JSONL or Parquet with item ids and labels (default: none)",
    )
    parser.add_argument(
        "--gold-item-col", metavar="C", help="the gold file's item column (default: --item-col)"
    )
    parser.add_argument(
        "--gold-label-col",
        metavar="C",
        help="the gold file's label column (default: --label-col)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="S", help="the method's random_state"
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a method parameter (repeatable), read as JSON when it parses, e.g. max_iter=200 "
        "(default: none)",
    )
    parser.add_argument(
        "--min-confidence",
        type=float,
        default=0.0,
        metavar="P",
        help="below this (calibrated) confidence an item is unresolved",
    )
    parser.add_argument(
        "--calibration",
        choices=("auto", "gold", "agreement", "none"),
        default="auto",
        help="how confidence is calibrated: gold (isotonic, cross-fitted on --gold), agreement "
        "(one-coin model of annotator agreement), none (the method's posterior); auto: gold "
        "with 30 or more gold items, else agreement (default: auto)",
    )
    parser.add_argument(
        "--target-error-rate",
        type=float,
        metavar="E",
        help="mark the least-confident labels unresolved until the expected error among the "
        "others is at most E, a number above 0 and below 0.5 (default: none)",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="OUT",
        help="write the labels to a .csv or .parquet file (default: CSV on stdout)",
    )
    parser.add_argument(
        "--annotators-out",
        type=Path,
        metavar="OUT",
        help="write the per-annotator table to a .csv or .parquet file (default: none)",
    )
    add_engine_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Aggregate, write the tables, and say how it went on stderr."""
    from labelgate.app.aggregate import aggregate_file

    result = aggregate_file(
        args.file,
        method=args.method,
        columns={
            "item_id": args.item_col,
            "annotator_id": args.annotator_col,
            "label": args.label_col,
        },
        gold_path=args.gold,
        gold_columns={
            "item_id": args.gold_item_col or args.item_col,
            "label": args.gold_label_col or args.label_col,
        },
        seed=args.seed,
        params=args.param,
        min_confidence=args.min_confidence,
        output=args.output,
        annotators_out=args.annotators_out,
        file_format=args.file_format,
        control=args.field,
        task=args.task,
        calibration=args.calibration,
        target_error_rate=args.target_error_rate,
        engine=file_engine(args.engine),
    )
    if args.output is None:
        from labelgate.io.writers import csv_text

        sys.stdout.write(csv_text(result.labels))  # formulas neutralised, as in files
    for line in result.messages:
        print(line, file=sys.stderr)
    return 0
