"""`labelgate compose [key=value ...] [--check]`: conf/ -> params.yaml through Hydra."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from labelgate.cli.options import add_project_option
from labelgate.errors import ConfigError
from labelgate.project.layout import find_root, relative


def register(sub: Any) -> None:
    """Add the `compose` subcommand."""
    parser = sub.add_parser(
        "compose",
        help="compose conf/ with Hydra and write params.yaml",
        description="Compose conf/config.yaml and its groups with Hydra, apply the overrides, "
        "validate the result and write params.yaml (what dvc.yaml reads). With --check, "
        "write nothing and exit 3 when params.yaml is missing or stale.",
        epilog="examples:\n"
        "  labelgate compose 'datasets=[tickets]'\n"
        "  labelgate compose --check               # in CI and pre-commit",
    )
    parser.add_argument(
        "overrides",
        nargs="*",
        metavar="OVERRIDE",
        help="Hydra overrides: key=value, +key=value to add a key, ~key to delete one",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 3 if params.yaml is stale instead of writing it"
    )
    add_project_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Write params.yaml, or with --check verify it is current."""
    from labelgate.app.run import run_lock
    from labelgate.project.compose import stale_params, write_params

    root = find_root(args.project)
    if args.check:
        problem = stale_params(root, args.overrides)
        if problem is not None:
            raise ConfigError([problem])
        print("params.yaml is up to date")
        return 0
    # Never under a `labelgate run` that reproduces with its own overrides in params.yaml.
    with run_lock(root, lambda message: print(message, file=sys.stderr)):
        path, changed = write_params(root, args.overrides)
    state = "written" if changed else "unchanged"
    print(f"{relative(root, path)} {state}", file=sys.stdout)
    return 0
