"""Safe YAML loading that remembers where every key is, refuses duplicate keys and object tags."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from labelgate.errors import ConfigError
from labelgate.problems import Problem

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Positions:
    """1-based (line, column) of every key path in one YAML document."""

    file: str
    spots: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    line_offset: int = 0

    def locate(self, path: KeyPath) -> tuple[int, int]:
        """Position of the longest known prefix of `path` (the document start if none)."""
        known: KeyPath = ()
        for part in path:
            candidate = (*known, part)
            if candidate in self.spots:
                known = candidate
            # Parts that are not in the document (pydantic's union tags) are skipped.
        line, col = self.spots.get(known, (1, 1))
        return line + self.line_offset, col

    def problem(self, path: KeyPath, message: str, fix: str = "") -> Problem:
        """A problem in this file at `path`."""
        line, col = self.locate(path)
        return Problem(self.file, line, col, dotted(path), message, fix)


@dataclass(frozen=True)
class LoadedYaml:
    """A parsed YAML document with the positions of its keys."""

    data: Any
    positions: Positions


def dotted(path: KeyPath) -> str:
    """Render a key path as `checks[2].severity`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _walk(node: yaml.Node, path: KeyPath, spots: dict[KeyPath, tuple[int, int]]) -> list[str]:
    """Record positions under `node`; return messages for duplicate keys."""
    duplicates: list[str] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = str(key_node.value)
            child = (*path, key)
            line = key_node.start_mark.line + 1
            if key in seen and key != "<<":
                duplicates.append(
                    f"{line}:{key_node.start_mark.column + 1}:{dotted(child)}:"
                    f"duplicate key '{key}' (first defined on line {seen[key]})"
                )
            seen.setdefault(key, line)
            spots[child] = (line, key_node.start_mark.column + 1)
            duplicates += _walk(value_node, child, spots)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            spots[child] = (item.start_mark.line + 1, item.start_mark.column + 1)
            duplicates += _walk(item, child, spots)
    return duplicates


def _mark_problem(file: str, exc: yaml.MarkedYAMLError, line_offset: int) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = (mark.line + 1 + line_offset) if mark else 0
    column = (mark.column + 1) if mark else 0
    text = exc.problem or exc.context or str(exc)
    if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in (exc.problem or ""):
        tag = (exc.problem or "").split("tag", 1)[1].strip(" '")
        return Problem(
            file,
            line,
            column,
            "",
            f"YAML tag '{tag}' is not allowed: labelgate loads YAML safely and never "
            "constructs objects from tags.",
            "Remove the tag and write the value as plain YAML.",
        )
    if exc.context and exc.context_mark and exc.problem:
        # e.g. an unclosed quote: say where the construct began, not only where it broke.
        text += f" ({exc.context} that starts at line {exc.context_mark.line + 1 + line_offset})"
    return Problem(
        file, line, column, "", f"invalid YAML: {text}", "Fix the YAML syntax at this position."
    )


def parse_yaml(text: str, file: str, line_offset: int = 0) -> LoadedYaml:
    """Parse one YAML document safely; raise ConfigError naming file, line and column."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        spots: dict[KeyPath, tuple[int, int]] = {}
        if node is None:
            return LoadedYaml(None, Positions(file, spots, line_offset))
        duplicates = _walk(node, (), spots)
        if duplicates:
            problems = []
            for entry in duplicates:
                line, col, key, message = entry.split(":", 3)
                problems.append(
                    Problem(
                        file,
                        int(line) + line_offset,
                        int(col),
                        key,
                        message,
                        "Keep one of the two entries.",
                    )
                )
            raise ConfigError(problems)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([_mark_problem(file, exc, line_offset)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(file, message=f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return LoadedYaml(data, Positions(file, spots, line_offset))


def read_text(path: Path, display: str) -> str:
    """Read a UTF-8 text file or raise ConfigError naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(display, message="file not found")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [Problem(display, message=f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
        ) from None
    except OSError as exc:
        raise ConfigError([Problem(display, message=f"cannot read: {exc.strerror}")]) from None


def load_yaml(path: Path, display: str | None = None) -> LoadedYaml:
    """Read and parse a YAML file; `display` is the name used in messages (project-relative)."""
    name = display or str(path)
    return parse_yaml(read_text(path, name), name)
