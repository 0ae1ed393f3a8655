"""`labelgate gate`: evaluate the gates of the current build; exit 1 when one fails."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from labelgate.cli.options import add_project_option
from labelgate.project.layout import find_root


def register(sub: Any) -> None:
    """Add the `gate` subcommand."""
    parser = sub.add_parser(
        "gate",
        help="evaluate quality gates (exit 1 when one fails)",
        description="Evaluate every gate of every dataset's qa rules on the current build "
        "(build/DATASET/metrics.json), optionally against the metrics committed at a git "
        "revision: each check then shows the baseline value and the delta, and max_drop "
        "thresholds apply (without a baseline they end no_baseline, an error unless the gate "
        "sets on_missing_baseline: warn). Exit 1 when any dataset's gate fails; 3 when the "
        "build or the revision has no metrics.",
        epilog="examples:\n  labelgate gate\n"
        "  labelgate gate --baseline origin/main --format md -o labelgate-report.md\n"
        "  labelgate gate --dataset tickets --warn-as-error",
    )
    parser.add_argument(
        "--dataset",
        "-d",
        action="append",
        default=[],
        metavar="D",
        help="only this dataset (repeatable; default: every dataset)",
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="compare with build/DATASET/metrics.json as committed at REV, e.g. origin/main "
        "(default: none)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "md"),
        default="text",
        help="text for a terminal; json with every check; md: one pull-request comment",
    )
    parser.add_argument("--warn-as-error", action="store_true", help="a warning fails the gate")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="also write the report to FILE (default: none)",
    )
    add_project_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the verdicts; 1 when any dataset's gate fails."""
    from labelgate.app.gate import evaluate_project
    from labelgate.app.guidelines_diff import diff_guidelines
    from labelgate.io.json_io import json_text
    from labelgate.report.pr_comment import markdown_report, text_report

    root = find_root(args.project)
    verdicts, commit = evaluate_project(root, args.dataset, args.baseline, args.warn_as_error)
    if args.format == "json":
        text = json_text(
            {"baseline": commit, "datasets": [asdict(v) for v in verdicts]}, sort_keys=False
        )
    elif args.format == "md":
        diffs = diff_guidelines(root, args.baseline)[1] if args.baseline else None
        text = markdown_report(verdicts, commit, args.baseline, diffs)
    else:
        text = "\n".join(text_report(verdicts, commit)) + "\n"
    print(text, end="")
    if args.output:
        from labelgate.io.json_io import write_text

        write_text(args.output, text)  # atomic: a killed run leaves the old report
    return 1 if any(v.status == "fail" for v in verdicts) else 0
