"""`labelgate import FILE -o DIR`: an annotation tool's export onto canonical tables."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from labelgate.cli.options import add_file_format_options


def register(sub: Any) -> None:
    """Add the `import` subcommand."""
    parser = sub.add_parser(
        "import",
        help="a Label Studio, Prodigy, Argilla or doccano export onto canonical tables",
        description="Read an annotation tool's export and write the canonical tables to DIR: "
        "annotations, items, gold, spans and predictions (Parquet, or CSV with --to csv), "
        "skipped.csv (every annotation left out, with its record and reason: cancelled, "
        "skipped, rejected, draft, discarded, no_label, multiple_labels, malformed_row, "
        "bad_encoding) and import_report.json (counts). The tool is recognised from the "
        "file; --file-format names it. Exit 3 for a file that cannot be read.",
        epilog="examples:\n"
        "  labelgate import export.json -o imported/\n"
        "  labelgate import records.json --field sentiment -o imported/ --to csv\n"
        "  labelgate import news.jsonl --file-format prodigy -o imported/",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the export (a file or folder)")
    add_file_format_options(parser)
    parser.add_argument(
        "-o", "--output", type=Path, required=True, metavar="DIR", help="the folder to write"
    )
    parser.add_argument(
        "--to", choices=("parquet", "csv"), default="parquet", help="the tables' file format"
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="the report's format"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Import and print the report."""
    from labelgate.app.importing import import_export, render_report
    from labelgate.io.json_io import json_text

    report = import_export(args.file, args.output, args.file_format, args.field, args.to)
    if args.format == "json":
        print(json_text(report, sort_keys=False), end="")
    else:
        print("\n".join(render_report(report)))
    return 0
