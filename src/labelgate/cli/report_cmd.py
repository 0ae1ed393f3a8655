"""`labelgate report [--open]`: write build/index.html and print its path (or open it)."""

from __future__ import annotations

import argparse
from typing import Any

from labelgate.cli.options import add_project_option
from labelgate.project.layout import find_root


def register(sub: Any) -> None:
    """Add the `report` subcommand."""
    parser = sub.add_parser(
        "report",
        help="write build/index.html, linking every dataset's HTML pages",
        description="Write build/index.html from the current build: one line per built dataset "
        "(gate status, headline agreement with its interval, items and unresolved share) with "
        "links to its report.html (quality, for leads) and progress.html (for customers), which "
        "the report stage writes. The pages are self-contained and load nothing from the "
        "network. Exit 3 when no dataset has been built.",
        epilog="examples:\n  labelgate report\n  labelgate report --open",
    )
    parser.add_argument(
        "--open",
        action="store_true",
        help="open the page in the default web browser as well",
    )
    add_project_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the index's path; with --open, open it in a browser."""
    import webbrowser

    from labelgate.app.report import write_index

    path = write_index(find_root(args.project))
    print(path)
    if args.open:
        webbrowser.open(path.resolve().as_uri())
    return 0
