"""`labelgate compose [key=value ...] [--check]`: conf/ -> params.yaml through Hydra."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from labelgate.errors import ConfigError
from labelgate.project.layout import find_root, relative


def register(sub: Any) -> None:
    """Add the `compose` subcommand."""
    parser = sub.add_parser("compose", help="compose conf/ with Hydra and write params.yaml")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. workers=2")
    parser.add_argument(
        "--check", action="store_true", help="exit 3 if params.yaml is stale instead of writing it"
    )
    parser.add_argument("-C", "--project", type=Path, default=Path("."), help="project folder")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Write params.yaml, or with --check verify it is current."""
    from labelgate.project.compose import stale_params, write_params

    root = find_root(args.project)
    if args.check:
        problem = stale_params(root, args.overrides)
        if problem is not None:
            raise ConfigError([problem])
        print("params.yaml is up to date")
        return 0
    path, changed = write_params(root, args.overrides)
    state = "written" if changed else "unchanged"
    print(f"{relative(root, path)} {state}", file=sys.stdout)
    return 0
