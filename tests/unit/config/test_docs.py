"""The docs cannot fall behind the code.

docs/yaml-reference.md documents every key of every YAML kind in that kind's own section, every
check kind, gate metric and aggregator; docs/cli.md every command and option; links between
the documentation pages resolve.
"""

from __future__ import annotations

import argparse
import re
import typing
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
from pydantic import BaseModel

from labelgate.config.json_schema import KINDS
from tests.conftest import REPO_ROOT

DOCS = REPO_ROOT / "docs"
REFERENCE = DOCS / "yaml-reference.md"
CLI = DOCS / "cli.md"


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) is typing.Literal:
        return []
    return [m for arg in get_args(annotation) for m in _models(arg)]


def _keys(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    if model in seen:
        return set()
    seen.add(model)
    keys: set[str] = set()
    for name, info in model.model_fields.items():
        keys.add(info.alias or name)
        for inner in _models(info.annotation):
            keys |= _keys(inner, seen)
    return keys


def _mentions(text: str, key: str) -> bool:
    """`key` appears as code: `key`, `key ...` or `... .key` (a path such as `labels[].key`)."""
    return f"`{key}`" in text or f"`{key} " in text or f"{key}`" in text


def _section(text: str, kind: str) -> str:
    """The text under the `### KIND` heading, up to the next `##` or `###` heading outside a
    code fence (`####` subsections belong to the section)."""
    heading = re.compile(rf"^### {re.escape(kind)}(?![\w])")
    lines: list[str] | None = None
    in_fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        if lines is None:
            if not in_fence and heading.match(line):
                lines = []
            continue
        if not in_fence and re.match(r"^#{2,3} ", line):
            break
        lines.append(line)
    assert lines is not None, f"docs/yaml-reference.md has no '### {kind}' section"
    return "\n".join(lines)


def test_every_key_of_every_kind_is_in_its_section_of_the_reference() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    for kind, (model, _) in KINDS.items():
        section = _section(text, kind)
        for key in sorted(_keys(model, set())):
            assert _mentions(section, key), (kind, key)


def test_every_check_kind_is_in_the_reference() -> None:
    from labelgate.config.qa_rules import Check

    section = _section(REFERENCE.read_text(encoding="utf-8"), "qa_rules")
    union = get_args(Check)[0]
    for member in get_args(union):
        kind = get_args(member.model_fields["kind"].annotation)[0]
        assert f"| `{kind}` |" in section, kind
        for key in member.model_fields:
            assert _mentions(section, key), (kind, key)


def test_every_metric_and_aggregator_is_in_the_reference() -> None:
    from labelgate.config.catalogue import AGGREGATORS, METRICS

    text = REFERENCE.read_text(encoding="utf-8")
    qa_rules, pipeline = _section(text, "qa_rules"), _section(text, "pipeline")
    for metric in METRICS:
        assert f"| `{metric}` |" in qa_rules, metric
    for method in AGGREGATORS:
        assert f"`{method}`" in pipeline, method
        assert f"| `{method}` |" in (DOCS / "aggregation.md").read_text(encoding="utf-8"), method


def test_every_aggregator_parameter_is_in_the_reference() -> None:
    from labelgate.config.catalogue import AGGREGATOR_PARAMS

    pipeline = _section(REFERENCE.read_text(encoding="utf-8"), "pipeline")
    for method, params in AGGREGATOR_PARAMS.items():
        for name in params:
            if name != "random_state":
                assert f"| `{method}` | `{name}` |" in pipeline, (method, name)
    assert "| every method | `random_state` |" in pipeline


def test_the_yaml_limits_in_the_reference_match_the_loader() -> None:
    from labelgate.config import yaml_loader

    full = REFERENCE.read_text(encoding="utf-8")
    text = full[full.index("## Rules shared") : full.index("### schema")]
    assert f"({yaml_loader.MAX_CONFIG_BYTES:,} bytes) per YAML file" in text
    assert f"({yaml_loader.MAX_TEXT_BYTES:,} bytes) per guideline file" in text
    assert f"({yaml_loader.MAX_CONF_BYTES:,} bytes) per file under `conf/`" in text
    assert f"| {yaml_loader.MAX_VALUES:,} per file " in text
    assert f"; {yaml_loader.MAX_CONF_VALUES:,} per file under `conf/` |" in text
    assert f"| {yaml_loader.MAX_DEPTH} levels |" in text
    assert f"| {yaml_loader.MAX_ALIASES:,} per file |" in text
    assert f"| {yaml_loader.MAX_ALIAS_NODES:,} in all |" in text


def _commands(
    parser: argparse.ArgumentParser, prefix: str = "labelgate"
) -> list[tuple[str, argparse.ArgumentParser]]:
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.append((f"{prefix} {name}", sub))
                out += _commands(sub, f"{prefix} {name}")
    return out


def test_every_command_and_option_is_in_the_cli_page() -> None:
    """Each command has a `## labelgate ...` section naming every option and argument."""
    from labelgate.cli.main import build_parser

    text = CLI.read_text(encoding="utf-8")
    commands = _commands(build_parser())
    assert commands
    for command, parser in commands:
        if any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
            continue  # a group such as `labelgate guidelines`: its actions have sections
        match = re.search(rf"^## {re.escape(command)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
        assert match, f"docs/cli.md has no '## {command}' section"
        section = match.group(1)
        for action in parser._actions:
            # Options by their flags; positionals by name, upper case (OVERRIDE for overrides).
            names = action.option_strings or [action.dest.upper().removesuffix("S")]
            for name in names:
                if name not in ("-h", "--help"):
                    assert f"`{name}" in section, (command, name)


_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    out = set()
    in_fence = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        if in_fence or not line.startswith("#"):
            continue
        title = line.lstrip("#").strip().lower()
        out.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return out


@pytest.mark.parametrize(
    "page", [REPO_ROOT / "README.md", *sorted(DOCS.glob("*.md"))], ids=lambda p: p.name
)
def test_links_between_pages_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for target in _LINK.findall(text):
        if re.match(r"^[a-z]+:", target):
            continue  # a URL, not a page of this repository
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.exists(), (page.name, target)
        if anchor and file.suffix == ".md":
            assert anchor in _anchors(file.read_text(encoding="utf-8")), (page.name, target)
