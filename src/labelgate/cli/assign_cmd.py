"""`labelgate assign DATASET`: an assignment plan for a pool of items, from measured skill."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from labelgate.cli.options import add_project_option
from labelgate.cli.table_output import add_table_output_option, emit_table


def register(sub: Any) -> None:
    """Add the `assign` subcommand."""
    parser = sub.add_parser(
        "assign",
        help="plan who annotates which items, by measured skill and capacity",
        description="Plan the annotation of a pool of items: every item gets k distinct "
        "annotators from the roster, nobody beyond their capacity, items going preferably to "
        "people with measured skill (per-label accuracy from the built DATASET) on the item's "
        "likely label (the model's prediction when the pipeline has one); a share of gold "
        "items (ops.gold_share) is mixed in. Output: item_id, annotator_id, reason. When "
        "capacity is short, the missing slots are rows with an empty annotator_id. The same "
        "seed gives the same plan.",
        epilog="examples:\n"
        "  labelgate assign tickets --pool new_items.csv --annotators roster.yaml -o plan.csv\n"
        "  labelgate assign tickets --pool batch3.jsonl --annotators team.csv -k 2 --strict",
    )
    parser.add_argument("dataset", metavar="DATASET", help="the dataset whose skill is measured")
    parser.add_argument(
        "--pool",
        type=Path,
        required=True,
        metavar="POOL",
        help="the items to assign: CSV, JSONL or Parquet with an item column",
    )
    parser.add_argument(
        "--annotators",
        type=Path,
        required=True,
        metavar="ROSTER",
        help="the roster: YAML (kind: roster) or CSV (annotator_id, capacity, ...)",
    )
    parser.add_argument(
        "-k",
        type=int,
        default=None,
        metavar="N",
        help="annotators per item (default: the dataset's median annotations per item)",
    )
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the plan")
    parser.add_argument(
        "--item-col", default="item_id", metavar="C", help="the pool's item id column"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when capacity is short and some items have fewer than k annotators",
    )
    add_table_output_option(parser, "the plan")
    add_project_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Make the plan, write it, and say how it went on stderr."""
    from labelgate.app.assign import assign
    from labelgate.project.layout import find_root

    result = assign(
        find_root(args.project),
        args.dataset,
        args.pool,
        args.annotators,
        k=args.k,
        seed=args.seed,
        item_col=args.item_col,
    )
    emit_table(result.plan.table, args.output, result.messages)
    short = result.plan.summary["n_unassigned_slots"]
    return 1 if args.strict and short else 0
