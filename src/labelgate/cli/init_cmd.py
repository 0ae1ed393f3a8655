"""`labelgate init DIR`: create a new project with a small working example."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    """Add the `init` subcommand."""
    parser = sub.add_parser(
        "init",
        help="create a labelgate project in DIR",
        description="Create a project in DIR with a small working example in every folder "
        "(schema, guideline, qa rules, pipeline, dataset, conf/, dvc.yaml, CI files), then "
        "compose params.yaml, export the JSON Schemas, run 'git init' and 'dvc init', and "
        "lock the guideline. Exit 2 when DIR is not empty (without --force).",
        epilog="examples:\n"
        "  labelgate init my-project && cd my-project && labelgate check\n"
        "  labelgate init . --force --no-git       # add labelgate to an existing folder",
    )
    parser.add_argument(
        "dir", type=Path, metavar="DIR", help="the folder to create (it may exist if empty)"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty folder: add the template files, overwriting those with "
        "the same names",
    )
    parser.add_argument(
        "--no-git", action="store_true", help="skip 'git init' ('dvc init' then runs --no-scm)"
    )
    parser.add_argument("--no-dvc", action="store_true", help="skip 'dvc init'")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Create the project and say what to do next."""
    from labelgate.scaffold.init import init_project

    result = init_project(args.dir, force=args.force, git=not args.no_git, dvc=not args.no_dvc)
    print(f"Created a labelgate project in {result.root} ({len(result.files)} template files).")
    print(f"Next: cd {result.root} && labelgate check")
    return 0
