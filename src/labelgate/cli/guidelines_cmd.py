"""`labelgate guidelines lock|diff`: record released guideline versions; review what changed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from labelgate.errors import UsageError
from labelgate.project.layout import GUIDELINES_LOCK, find_root


def register(sub: Any) -> None:
    """Add `guidelines lock` and `guidelines diff`."""
    parser = sub.add_parser("guidelines", help="guideline versions: lock them, diff them")
    inner = parser.add_subparsers(dest="guidelines_command", metavar="ACTION", required=True)
    lock = inner.add_parser(
        "lock", help=f"record each guideline's current version and content in {GUIDELINES_LOCK}"
    )
    lock.add_argument("-C", "--project", type=Path, default=Path("."), help="project folder")
    lock.set_defaults(handler=run_lock)
    diff = inner.add_parser(
        "diff", help="labels and rulings changed between two revisions, and their impact"
    )
    diff.add_argument("rev_a", nargs="?", help="old revision (default: merge base with main)")
    diff.add_argument("rev_b", nargs="?", help="new revision (default: the working tree)")
    diff.add_argument("--format", choices=("md", "json"), default="md")
    diff.add_argument(
        "--sample-size", type=int, default=50, help="items per dataset to re-annotate (50)"
    )
    diff.add_argument(
        "--seed", type=int, help="sampling seed (default: the dataset's audit seed, else 0)"
    )
    diff.add_argument(
        "--sample-out", type=Path, help="write DATASET.reannotation_sample.csv files here"
    )
    diff.add_argument("-o", "--output", type=Path, help="also write the report to this file")
    diff.add_argument("-C", "--project", type=Path, default=Path("."), help="project folder")
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
        args.output.write_text(text, encoding="utf-8")
    if args.sample_out:
        for path in write_samples(args.sample_out, diffs):
            print(f"wrote {path}", file=sys.stderr)
    return 0
