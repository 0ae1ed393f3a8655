"""`labelgate`: parse the command line, dispatch to a command, map errors to exit codes."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from labelgate import __version__
from labelgate.cli import (
    aggregate_cmd,
    agreement_cmd,
    check_cmd,
    compose_cmd,
    gate_cmd,
    guidelines_cmd,
    init_cmd,
    run_cmd,
    schema_cmd,
    stage_cmd,
    trace_cmd,
)
from labelgate.errors import ISSUES_URL, ConfigError, LabelgateError
from labelgate.problems import render_bounded

COMMANDS = (
    init_cmd,
    check_cmd,
    compose_cmd,
    run_cmd,
    gate_cmd,
    stage_cmd,
    agreement_cmd,
    aggregate_cmd,
    trace_cmd,
    guidelines_cmd,
    schema_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="labelgate",
        description="Annotation quality as code. Exit codes: 0 ok, 1 gate failed, "
        "2 usage error, 3 configuration or input error, 4 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"labelgate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (docs/concepts.md, "Exit codes")."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        for line in render_bounded(exc.problems, getattr(args, "limit", 50) or len(exc.problems)):
            print(line, file=sys.stderr)
        return exc.exit_code
    except LabelgateError as exc:
        print(f"labelgate: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("labelgate: interrupted", file=sys.stderr)
        return 130
    except Exception:
        traceback.print_exc(file=sys.stderr)
        print(
            f"labelgate: internal error (a bug in labelgate {__version__}). "
            f"Please report it with the traceback above at {ISSUES_URL}",
            file=sys.stderr,
        )
        return 4


def entry_point() -> None:
    """Console-script entry point."""
    sys.exit(main())
