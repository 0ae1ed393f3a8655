"""`labelgate aggregate FILE --method NAME`: consensus labels for any annotation export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from labelgate.config.catalogue import AGGREGATORS


def register(sub: Any) -> None:
    """Add the `aggregate` subcommand."""
    parser = sub.add_parser("aggregate", help="consensus labels of an annotation export")
    parser.add_argument("file", type=Path, help="CSV, JSONL or Parquet, one row per annotation")
    parser.add_argument(
        "--method", default="majority_vote", help=f"one of {', '.join(AGGREGATORS)}"
    )
    parser.add_argument("--item-col", default="item_id")
    parser.add_argument("--annotator-col", default="annotator_id")
    parser.add_argument("--label-col", default="label")
    parser.add_argument(
        "--gold", type=Path, help="CSV/JSONL/Parquet with item_id and label (same column options)"
    )
    parser.add_argument("--gold-item-col", help="default: --item-col")
    parser.add_argument("--gold-label-col", help="default: --label-col")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="method parameter, e.g. max_iter=200",
    )
    parser.add_argument(
        "--min-confidence",
        type=float,
        default=0.0,
        help="below this posterior an item is unresolved",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        help="write labels here (.csv or .parquet); default: stdout CSV",
    )
    parser.add_argument(
        "--annotators-out", type=Path, help="write the per-annotator table here (.csv or .parquet)"
    )
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
    )
    if args.output is None:
        result.labels.to_csv(sys.stdout, index=False, lineterminator="\n")
    for line in result.messages:
        print(line, file=sys.stderr)
    return 0
