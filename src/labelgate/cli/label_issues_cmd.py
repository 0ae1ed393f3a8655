"""`labelgate label-issues FILE`: rank items by the quality of their consensus label."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from labelgate.cli.options import add_column_options, add_file_format_options
from labelgate.cli.table_output import add_table_output_option, emit_table

FILTERS = ("prune_by_noise_rate", "prune_by_class", "both", "confident_learning")
RANKINGS = ("auto", "consensus_quality", "self_confidence", "normalized_margin")


def register(sub: Any) -> None:  # long: one argparse declaration per option
    """Add the `label-issues` subcommand."""
    parser = sub.add_parser(
        "label-issues",
        help="likely label errors in an annotation export",
        description="Likely label errors in any CSV, JSONL or Parquet file with one row per "
        "annotation (one or several annotators per item). The consensus (majority vote, ties "
        "broken by the model) is checked against out-of-fold probabilities: the built-in "
        "TF-IDF + logistic regression model on --text-col, or your own --predictions. Output: "
        "item_id, given_label, suggested_label, label_quality (0-1, low = likely wrong), "
        "is_issue, rank, reason; issues first. Nothing is relabelled.",
        epilog="examples:\n"
        "  labelgate label-issues answers.csv --text-col text -o issues.csv\n"
        "  labelgate label-issues answers.csv --predictions probs.csv > issues.csv",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the annotation export")
    add_column_options(parser)
    add_file_format_options(parser)
    parser.add_argument(
        "--text-col", metavar="C", help="the column holding the item's text (the model reads it)"
    )
    parser.add_argument(
        "--predictions",
        type=Path,
        metavar="P",
        help="your model's out-of-fold outputs: CSV, JSONL or Parquet with the item column "
        "and one probability column per label (or label and score), optional model and "
        "model_version (default: none, the built-in model reads --text-col)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="S", help="seed of the built-in model's folds"
    )
    parser.add_argument(
        "--folds", type=int, default=5, metavar="K", help="K of the built-in model's K-fold"
    )
    parser.add_argument(
        "--filter-by",
        choices=FILTERS,
        default="prune_by_noise_rate",
        help="the confident-learning rule that flags an item",
    )
    parser.add_argument(
        "--rank-by",
        choices=RANKINGS,
        default="auto",
        help="consensus_quality (CROWDLAB: annotators weighted by quality, plus the model), "
        "self_confidence or normalized_margin (the model alone); auto: consensus_quality "
        "when some item has 2+ annotators",
    )
    add_table_output_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Find the issues, write the table, and say how it went on stderr."""
    from pydantic import ValidationError

    from labelgate.app.label_issues import label_issues_file
    from labelgate.config.pipeline import LabelIssuesStep, ModelStep
    from labelgate.errors import UsageError

    try:
        step = ModelStep(
            provider="predictions" if args.predictions else "tfidf_logreg",
            folds=args.folds,
            seed=args.seed,
        )
    except ValidationError as exc:
        raise UsageError(
            f"--folds must be 2 to 20 and --seed >= 0: {exc.errors()[0]['msg']}"
        ) from exc
    result = label_issues_file(
        args.file,
        columns={
            "item_id": args.item_col,
            "annotator_id": args.annotator_col,
            "label": args.label_col,
        },
        text_col=args.text_col,
        predictions_path=args.predictions,
        step=step,
        issues_step=LabelIssuesStep(filter_by=args.filter_by, rank_by=args.rank_by),
        file_format=args.file_format,
        control=args.field,
    )
    emit_table(result.table, args.output, result.messages)
    return 0
