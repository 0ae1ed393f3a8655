"""`labelgate check [PATH]`: load every project file and report all problems at once."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from labelgate.errors import ConfigError
from labelgate.project.layout import find_root


def register(sub: Any) -> None:
    """Add the `check` subcommand."""
    parser = sub.add_parser(
        "check",
        help="validate a project's YAML, guidelines and references",
        description="Load every schema, guideline, qa rules file, dataset, pipeline and the "
        "guideline lock of the project at or above PATH, check every cross-reference, and "
        "print all problems at once as file:line:column: key.path: message. Exit 3 when "
        "there is any.",
        epilog="examples:\n"
        "  labelgate check\n"
        "  labelgate check path/to/project --format json --limit 0",
    )
    parser.add_argument(
        "path", nargs="?", default=".", type=Path, help="the project folder, or any folder in it"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: one line per problem on stderr; json: {root, ok, problems} on stdout",
    )
    parser.add_argument(
        "--limit", type=int, default=50, help="problems shown in text output; 0 shows all"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Exit 0 when the project is clean, 3 with every problem otherwise."""
    from labelgate.project.checks import check_project
    from labelgate.project.loader import load_project

    root = find_root(args.path)
    project = load_project(root)
    problems = check_project(project)
    if args.format == "json":
        print(
            json.dumps(
                {
                    "root": str(root),
                    "ok": not problems,
                    "problems": [p.__dict__ for p in problems],
                },
                indent=2,
            )
        )
        return 3 if problems else 0
    if problems:
        print(f"{len(problems)} problem(s) in {root}:", file=sys.stderr)
        raise ConfigError(problems)
    counts = ", ".join(
        f"{len(group)} {name}"
        for name, group in (
            ("schemas", project.schemas),
            ("guidelines", project.guidelines),
            ("qa rules", project.qa_rules),
            ("pipelines", project.pipelines),
            ("datasets", project.datasets),
        )
    )
    print(f"labelgate check: {root}: ok ({counts})")
    return 0
