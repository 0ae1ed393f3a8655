"""`labelgate export hf|labelstudio|prodigy DATASET -o OUT`: publish or review a built dataset."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from labelgate.cli.options import add_project_option


def register(sub: Any) -> None:
    """Add the `export` subcommand."""
    parser = sub.add_parser(
        "export",
        help="a built dataset as a Hugging Face dataset, or as review tasks for a tool",
        description="Write what `labelgate run` built for DATASET. `hf`: a folder that "
        "datasets.load_dataset(DIR) loads: the final labels with their item fields, "
        "confidence and lineage columns (the default config), the raw annotations (config "
        "'annotations'), and a README.md dataset card (licence, task, size, features, "
        "annotators, agreement with its interval, guideline version and hash). "
        "`labelstudio`: a JSON task list whose predictions are the final labels with their "
        "confidence, to import into Label Studio for review. `prodigy`: JSONL choice tasks "
        "with the final label pre-selected. Exit 3 when the dataset has not been built.",
        epilog="examples:\n"
        "  labelgate export hf tickets -o dist/tickets --license cc-by-4.0\n"
        "  labelgate export labelstudio tickets -o review/tasks.json\n"
        "  labelgate export prodigy tickets -o review/tasks.jsonl",
    )
    parser.add_argument(
        "target",
        choices=("hf", "labelstudio", "prodigy"),
        metavar="TARGET",
        help="hf, labelstudio or prodigy",
    )
    parser.add_argument("dataset", metavar="DATASET", help="the dataset")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="OUT",
        help="a folder (hf) or a file (labelstudio: .json, prodigy: .jsonl)",
    )
    parser.add_argument(
        "--license",
        metavar="ID",
        help="the data's licence as an SPDX id for the dataset card (default: the dataset's "
        "'license', else 'unknown')",
    )
    add_project_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Export and say what was written."""
    from labelgate.app.exporting import export_dataset

    written = export_dataset(args.project, args.dataset, args.target, args.output, args.license)
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return 0
