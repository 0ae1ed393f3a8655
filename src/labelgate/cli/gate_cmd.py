"""`labelgate gate`: evaluate the gates of the current build; exit 1 when one fails."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from labelgate.project.layout import find_root


def register(sub: Any) -> None:
    """Add the `gate` subcommand."""
    parser = sub.add_parser("gate", help="evaluate quality gates (exit 1 when one fails)")
    parser.add_argument(
        "--dataset", "-d", action="append", default=[], help="only this dataset (repeatable)"
    )
    parser.add_argument(
        "--baseline", metavar="REV", help="git revision to compare with, e.g. origin/main"
    )
    parser.add_argument("--format", choices=("text", "json", "md"), default="text")
    parser.add_argument("--warn-as-error", action="store_true", help="a warning fails the gate")
    parser.add_argument("-o", "--output", type=Path, help="also write the report to this file")
    parser.add_argument("-C", "--project", type=Path, default=Path("."), help="project folder")
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
        args.output.write_text(text, encoding="utf-8")
    return 1 if any(v.status == "fail" for v in verdicts) else 0
