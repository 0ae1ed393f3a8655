"""`labelgate stage NAME --dataset D`: run one pipeline stage (what dvc.yaml calls)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from labelgate.cli.options import add_engine_option, add_project_option
from labelgate.stages.registry import STAGE_NAMES


def register(sub: Any) -> None:
    """Add the `stage` subcommand."""
    parser = sub.add_parser(
        "stage",
        help="run one pipeline stage for one dataset",
        description="Run one pipeline stage for one dataset, as dvc.yaml calls it; print its "
        "summary lines prefixed with [NAME@DATASET], and its duration on stderr. Running a "
        "stage by hand does not update dvc.lock: use 'labelgate run' or 'dvc repro' for "
        "that.",
        epilog="examples:\n  labelgate stage agreement --dataset tickets",
    )
    parser.add_argument(
        "name", choices=STAGE_NAMES, metavar="NAME", help=f"the stage: {', '.join(STAGE_NAMES)}"
    )
    parser.add_argument("--dataset", "-d", required=True, help="the dataset (required)")
    add_engine_option(parser)
    add_project_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the stage and print its summary lines."""
    from labelgate.app.stage import run_stage
    from labelgate.project.engine_settings import read_engine
    from labelgate.project.layout import find_root

    started = time.perf_counter()
    root = find_root(args.project)
    engine = None
    if args.engine:  # the other engine settings stay params.yaml's
        engine = read_engine(root).model_copy(update={"name": args.engine})
    result = run_stage(root, args.name, args.dataset, engine=engine)
    elapsed = time.perf_counter() - started
    for line in result.lines:
        print(f"[{args.name}@{args.dataset}] {line}")
    print(f"[{args.name}@{args.dataset}] done in {elapsed:.1f}s", file=sys.stderr)
    return 0
