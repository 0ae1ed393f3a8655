"""`labelgate guidelines lock|diff`: record released guideline versions; review what changed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from labelgate.cli.options import add_project_option
from labelgate.errors import UsageError
from labelgate.project.layout import GUIDELINES_LOCK, find_root


def register(sub: Any) -> None:  # long: one argparse declaration per option
    """Add `guidelines lock` and `guidelines diff`."""
    parser = sub.add_parser(
        "guidelines",
        help="guideline versions: lock them, diff them",
        description="Guidelines as versioned code: record released versions, and review what "
        "changed.",
        epilog="examples:\n"
        "  labelgate guidelines lock\n"
        "  labelgate guidelines diff origin/main --sample-out reannotate/",
    )
    inner = parser.add_subparsers(dest="guidelines_command", metavar="ACTION", required=True)
    lock = inner.add_parser(
        "lock",
        help=f"record each guideline's current version and content in {GUIDELINES_LOCK}",
        description=f"Record each guideline's current version and content hash, and the "
        f"commit that introduced it, in {GUIDELINES_LOCK}; versions found in git history "
        "are added too. Recorded entries never change: exit 3 when a guideline's text "
        "changed under a recorded version.",
        epilog="examples:\n  labelgate guidelines lock && git add guidelines/guidelines.lock",
    )
    add_project_option(lock)
    lock.set_defaults(handler=run_lock)
    diff = inner.add_parser(
        "diff",
        help="labels and rulings changed between two revisions, and their impact",
        description="What changed in the guidelines between two revisions (labels, rulings, "
        "with text diffs) and, for each built dataset using a changed guideline, the "
        "annotations and final labels in doubt, with a seeded re-annotation sample.",
        epilog="examples:\n"
        "  labelgate guidelines diff                       # merge base with main .. working tree\n"
        "  labelgate guidelines diff origin/main --sample-out reannotate/\n"
        "  labelgate guidelines diff v1 v2 --format json -o diff.json",
    )
    diff.add_argument(
        "rev_a",
        nargs="?",
        metavar="REV_A",
        help="the old revision (default: the merge base of HEAD with origin/main, main, "
        "origin/master or master)",
    )
    diff.add_argument(
        "rev_b", nargs="?", metavar="REV_B", help="the new revision (default: the working tree)"
    )
    diff.add_argument(
        "--format",
        choices=("md", "json"),
        default="md",
        help="md for a review or a comment, json with every sampled item",
    )
    diff.add_argument(
        "--sample-size",
        type=int,
        default=50,
        metavar="N",
        help="items per dataset to re-annotate (0 or more)",
    )
    diff.add_argument(
        "--seed", type=int, help="sampling seed (default: the dataset's audit seed, else 0)"
    )
    diff.add_argument(
        "--sample-out",
        type=Path,
        metavar="DIR",
        help="write DATASET.reannotation_sample.csv files here (default: none)",
    )
    diff.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="also write the report to this file (default: none)",
    )
    add_project_option(diff)
    diff.set_defaults(handler=run_diff)


def run_lock(args: argparse.Namespace) -> int:
    """Write the lock; list new or completed entries."""
    from labelgate.guidelines.lock import write_lock
    from labelgate.project.loader import load_project

    root = find_root(args.project)
    path, changes = write_lock(load_project(root))
    for line in changes:
        print(f"recorded {line}")
    print(f"{path}: {'updated' if changes else 'up to date'}")
    return 0


def run_diff(args: argparse.Namespace) -> int:
    """Print the diff as Markdown or JSON."""
    from labelgate.app.guidelines_diff import diff_guidelines, to_json, write_samples
    from labelgate.guidelines.markdown import markdown
    from labelgate.io.json_io import json_text

    if args.sample_size < 0:
        raise UsageError("--sample-size must be 0 or more.")
    root = find_root(args.project)
    revisions, diffs = diff_guidelines(
        root, args.rev_a, args.rev_b, sample_size=args.sample_size, seed=args.seed
    )
    text = (
        json_text(to_json(revisions, diffs), sort_keys=False)
        if args.format == "json"
        else markdown(revisions, diffs)
    )
    print(text, end="")
    if args.output:
        from labelgate.io.json_io import write_text

        write_text(args.output, text)  # atomic: a killed run leaves the old report
    if args.sample_out:
        for path in write_samples(args.sample_out, diffs):
            print(f"wrote {path}", file=sys.stderr)
    return 0
