"""`labelgate schema export DIR`: write the JSON Schema of every YAML kind."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    """Add the `schema` subcommand group."""
    parser = sub.add_parser(
        "schema",
        help="JSON Schemas of the YAML kinds, for editors",
        description="JSON Schemas of labelgate's YAML kinds, for editor completion and validation.",
        epilog="examples:\n  labelgate schema export .labelgate/json-schema",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export",
        help="write labelgate-KIND.schema.json files to DIR",
        description="Write labelgate-KIND.schema.json for every YAML kind into DIR and list "
        "the files.",
        epilog="examples:\n  labelgate schema export .labelgate/json-schema",
    )
    export.add_argument(
        "dir", type=Path, metavar="DIR", help="the folder to write into (created if missing)"
    )
    export.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    """Write the schemas and list them."""
    from labelgate.scaffold.export import export_json_schemas

    for path in export_json_schemas(args.dir):
        print(path)
    return 0
