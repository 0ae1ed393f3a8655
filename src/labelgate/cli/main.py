"""`labelgate`: parse the command line, dispatch to a command, map errors to exit codes.

Every parser formats its help the same way (`HelpFormatter`, `Parser`): descriptions and
examples as written, each option's default after its help, and a last line linking the
command's section of docs/cli.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from labelgate import __version__
from labelgate.cli import (
    aggregate_cmd,
    agreement_cmd,
    assign_cmd,
    check_cmd,
    compose_cmd,
    export_cmd,
    gate_cmd,
    guidelines_cmd,
    import_cmd,
    init_cmd,
    label_issues_cmd,
    prelabel_cmd,
    report_cmd,
    run_cmd,
    schema_cmd,
    select_cmd,
    stage_cmd,
    trace_cmd,
)
from labelgate.errors import ISSUES_URL, ConfigError, LabelgateError
from labelgate.problems import render_bounded

DOCS_URL = "https://github.com/labelgate/labelgate/blob/main/docs/cli.md"

COMMANDS = (
    init_cmd,
    check_cmd,
    compose_cmd,
    run_cmd,
    report_cmd,
    gate_cmd,
    stage_cmd,
    agreement_cmd,
    aggregate_cmd,
    label_issues_cmd,
    assign_cmd,
    select_cmd,
    prelabel_cmd,
    import_cmd,
    export_cmd,
    trace_cmd,
    guidelines_cmd,
    schema_cmd,
)


class HelpFormatter(argparse.HelpFormatter):
    """Help text for people: an option's help ends with its default, unless it has none (None,
    off, an empty list) or the help already says it; description and epilog paragraphs are
    wrapped, but a paragraph with indented lines (examples) is kept as written."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help
        if not text or "%(default)" in text or "default:" in text:
            return text
        default = action.default
        if default is None or default is False or default == [] or default == argparse.SUPPRESS:
            return text
        if action.option_strings or action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE):
            return f"{text} (default: %(default)s)"
        return text

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        blocks = []
        for block in text.split("\n\n"):
            lines = block.splitlines()
            if any(line[:1].isspace() for line in lines[1:]):
                blocks.append("\n".join(indent + line for line in lines))
            else:
                blocks.append(super()._fill_text(block, width, indent))
        return "\n\n".join(blocks)


def docs_url(prog: str, group: bool) -> str:
    """The docs/cli.md section of a command ("labelgate guidelines lock" ->
    #labelgate-guidelines-lock); the page itself for `labelgate` and command groups."""
    if group or " " not in prog:
        return DOCS_URL
    return f"{DOCS_URL}#{prog.lower().replace(' ', '-')}"


class Parser(argparse.ArgumentParser):
    """The parser of `labelgate` and of each command: `HelpFormatter`, and `--help` ends with
    a link to the command's documentation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def format_help(self) -> str:
        """The help, then `docs: URL`."""
        group = self._subparsers is not None
        return f"{super().format_help().rstrip()}\n\ndocs: {docs_url(self.prog, group)}\n"


EPILOG = """\
examples:
  labelgate init my-project && cd my-project
  labelgate check                  # every file loads, every reference resolves
  labelgate run                    # the pipeline through DVC, then each dataset's gate
  labelgate gate --baseline origin/main
  labelgate agreement export.csv --item-col id --annotator-col worker --label-col answer

Run 'labelgate COMMAND --help' for a command's options, defaults and examples."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = Parser(
        prog="labelgate",
        description="Annotation quality as code: schemas, guidelines and QA rules as "
        "versioned files, a DVC pipeline that measures the data against them, and gates "
        "that fail CI when it falls below the bar.\n\nExit codes: 0 ok, 1 gate failed, "
        "2 usage error, 3 configuration or input error, 4 internal error, 130 interrupted.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"labelgate {__version__}")
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=Parser
    )
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
    except BrokenPipeError:
        # The reader went away (`labelgate trace ... | head`): not an error of ours.
        _silence_stdout()
        return 0
    except Exception:
        traceback.print_exc(file=sys.stderr)
        print(
            f"labelgate: internal error (a bug in labelgate {__version__}). "
            f"Please report it with the traceback above at {ISSUES_URL}",
            file=sys.stderr,
        )
        return 4


def _silence_stdout() -> None:
    """Point stdout at devnull so the interpreter's final flush raises no second BrokenPipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (e.g. captured in tests)
        pass


def entry_point() -> None:
    """Console-script entry point."""
    sys.exit(main())
