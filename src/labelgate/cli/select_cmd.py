"""`labelgate select`: choose the items to annotate next (active learning)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from labelgate.cli.options import add_file_format_options
from labelgate.cli.table_output import add_table_output_option, emit_table

# analysis.active_learning.STRATEGIES, kept literal so `--help` imports no NumPy.
STRATEGIES = (
    "uncertainty",
    "margin",
    "entropy",
    "rare",
    "novelty",
    "random",
    "diversity",
    "mix",
    "disagreement",
)
EXPLORATION = 0.3  # analysis.active_learning.EXPLORATION, literal for the same reason


def add_model_input_options(parser: argparse.ArgumentParser) -> None:
    """--labeled, --pool and the column options `select` and `prelabel` share."""
    parser.add_argument(
        "--labeled",
        type=Path,
        required=True,
        metavar="L",
        help="labelled items: CSV, JSONL, Parquet or a tool export, one row per annotation",
    )
    parser.add_argument(
        "--pool",
        type=Path,
        metavar="P",
        help="unlabelled items: CSV, JSONL, Parquet or a tool export (items already in "
        "--labeled are left out)",
    )
    parser.add_argument(
        "--item-col", default="item_id", metavar="C", help="the column holding item ids"
    )
    parser.add_argument(
        "--annotator-col",
        default="annotator_id",
        metavar="C",
        help="the annotator column of --labeled (optional: one row per item without it)",
    )
    parser.add_argument("--label-col", default="label", metavar="C", help="the label column")
    parser.add_argument("--text-col", metavar="C", help="the column holding the item's text")
    parser.add_argument(
        "--feature-cols",
        metavar="A,B",
        help="numeric item feature columns, for items without text",
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="K", help="seed of folds, clusters and ties"
    )
    add_file_format_options(parser)


def columns_of(args: argparse.Namespace) -> Any:
    """The app's Columns from the parsed options."""
    from labelgate.app.selecting import Columns

    features = tuple(f.strip() for f in (args.feature_cols or "").split(",") if f.strip())
    return Columns(args.item_col, args.annotator_col, args.label_col, args.text_col, features)


def register(sub: Any) -> None:
    """Add the `select` subcommand."""
    parser = sub.add_parser(
        "select",
        help="choose the items to annotate next (active learning)",
        description="Fit the built-in model (TF-IDF + logistic regression, or logistic "
        "regression on --feature-cols) on the labelled items and rank the pool by a "
        "strategy: uncertainty (least confidence), margin, entropy, rare (predicted rare "
        "classes), novelty (far from every labelled item), diversity (the most uncertain "
        "item of each of --budget k-means clusters), random, mix (weighted ranks), or "
        "disagreement (labelled items to re-annotate: annotators or the out-of-fold model "
        "disagree with the consensus). uncertainty, margin, entropy, diversity and mix take "
        "one item per k-means cluster while fewer than 50 items per class are labelled (cold "
        "start), then draw --exploration of the batch at random. Output: item_id, rank, score, "
        "strategy, reason. The "
        "same inputs and seed give the same table.",
        epilog="examples:\n"
        "  labelgate select --labeled done.csv --pool todo.csv --text-col text --budget 100 "
        "-o next.csv\n"
        "  labelgate select --labeled done.csv --pool todo.csv --text-col text --strategy mix "
        "--weights uncertainty=0.7,novelty=0.3 --budget 50\n"
        "  labelgate select --labeled answers.csv --text-col text --strategy disagreement "
        "--budget 20\n"
        "  labelgate select --labeled done.csv --pool todo.csv --text-col text "
        "--rules sampling.yaml",
    )
    add_model_input_options(parser)
    parser.add_argument("--budget", type=int, default=100, metavar="N", help="items to choose")
    parser.add_argument(
        "--strategy", choices=STRATEGIES, default="uncertainty", help="how to rank items"
    )
    parser.add_argument(
        "--weights",
        metavar="S=W,...",
        help="mix weights, e.g. uncertainty=0.7,novelty=0.3",
    )
    parser.add_argument(
        "--weights-file",
        type=Path,
        metavar="YAML",
        help="mix weights as YAML ({strategy: weight}, or under 'weights:')",
    )
    parser.add_argument(
        "--exploration",
        type=float,
        default=EXPLORATION,
        metavar="F",
        help="uncertainty, margin, entropy and mix: the share of the batch drawn at random "
        "once past the cold start (at a cold start the whole batch represents the pool)",
    )
    parser.add_argument(
        "--rules",
        type=Path,
        metavar="YAML",
        help="sampling rules: a YAML file whose next_batch: {strategy, budget, seed, weights, "
        "exploration} replaces --strategy, --budget, --seed, --weights and --exploration",
    )
    add_table_output_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Select, write the table, and say how it went on stderr."""
    from labelgate.app.selecting import parse_weights, select_items

    strategy, budget, seed = args.strategy, args.budget, args.seed
    exploration = args.exploration
    weights = parse_weights(args.weights, args.weights_file) if strategy == "mix" else None
    if args.rules is not None:
        from labelgate.app.selecting import load_rules

        rules = load_rules(args.rules)
        strategy, budget, seed, weights = rules.strategy, rules.budget, rules.seed, rules.weights
        exploration = rules.exploration
    result = select_items(
        args.labeled,
        args.pool,
        columns_of(args),
        strategy,
        budget,
        seed,
        weights,
        args.file_format,
        args.field,
        exploration,
    )
    emit_table(result.table, args.output, result.messages)
    return 0
