"""Safe YAML loading that remembers where every key is, refuses duplicate keys and object tags.

Hostile files are refused before they cost time or memory: YAML larger than
`MAX_CONFIG_BYTES` (other text files: `MAX_TEXT_BYTES`), control characters (before
parsing), more than `MAX_VALUES` values, nesting deeper than `MAX_DEPTH`, more than `MAX_ALIASES` alias references, or aliases that expand to more than `MAX_ALIAS_NODES`
nodes in all (the "billion laughs" alias bomb). Each ends in a ConfigError naming the file,
line and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from labelgate.errors import ConfigError
from labelgate.problems import Problem

KeyPath = tuple[str | int, ...]

# libyaml's parser when PyYAML was built with it (its wheels are); None otherwise.
_CParser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None)

# libyaml's events composed in Python: 256 KiB of the densest YAML loads in well under a
# second; it holds a schema of thousands of labels, and real configs are a few kB.
MAX_CONFIG_BYTES = 256 * 1024
# Other text files read as configuration (a guideline's Markdown; only its front matter is YAML).
MAX_TEXT_BYTES = 1024 * 1024
MAX_DEPTH = 64
# Values (keys, scalars, lists, mappings) in one file: a schema of 5,000 labels with
# descriptions uses about 15,000; composing 50,000 takes about half a second.
MAX_VALUES = 50_000
# Files under conf/, which Hydra and OmegaConf read again in pure Python (10 to 20 times
# slower): run settings take a few hundred bytes and a few dozen values.
MAX_CONF_BYTES = 32 * 1024
MAX_CONF_VALUES = 2_000


@dataclass(frozen=True)
class Limits:
    """Size limits of one kind of YAML file."""

    bytes: int = MAX_CONFIG_BYTES
    values: int = MAX_VALUES


CONFIG_LIMITS = Limits()
CONF_LIMITS = Limits(MAX_CONF_BYTES, MAX_CONF_VALUES)
MAX_ALIASES = 1_000
MAX_ALIAS_NODES = 10_000

# C0 controls except tab, line feed and carriage return; DEL; C1 controls (U+0085, NEL, too:
# YAML reads it as a line break that editors do not show); non-characters PyYAML refuses.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAK = re.compile("\r\n|\r|\n")
_CONTROL_NAMES = {
    0x00: "NUL",
    0x07: "BEL",
    0x08: "BS",
    0x0B: "VT",
    0x0C: "FF",
    0x1B: "ESC",
    0x7F: "DEL",
    0x85: "NEL",
}
_MAX_REPORTED = 10


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
    if "maximum nesting depth" in text:
        # libyaml's own guard (1,000 levels) can fire while it scans ahead of our composer.
        return Problem(
            file,
            line,
            column,
            "",
            f"values nest more than {MAX_DEPTH} levels deep.",
            "Flatten the structure.",
        )
    if exc.context and exc.context_mark and exc.problem:
        # e.g. an unclosed quote: say where the construct began, not only where it broke.
        text += f" ({exc.context} that starts at line {exc.context_mark.line + 1 + line_offset})"
    return Problem(
        file, line, column, "", f"invalid YAML: {text}", "Fix the YAML syntax at this position."
    )


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of character `index`, counting line breaks as YAML does."""
    breaks = list(_LINE_BREAK.finditer(text, 0, index))
    start = breaks[-1].end() if breaks else 0
    return len(breaks) + 1, index - start + 1


def control_character_problems(text: str, file: str, line_offset: int = 0) -> list[Problem]:
    """A problem for each control character in `text` (the first few), with its position."""
    problems: list[Problem] = []
    for found in _FORBIDDEN.finditer(text):
        if len(problems) == _MAX_REPORTED:
            break
        code = ord(found.group())
        line, column = _position(text, found.start())
        name = _CONTROL_NAMES.get(code, "control character" if code <= 0x9F else "non-character")
        problems.append(
            Problem(
                file,
                line + line_offset,
                column,
                "",
                f"U+{code:04X} ({name}) is not allowed in a YAML file.",
                "Delete it (an editor's 'show invisibles' reveals it); if a value needs it, "
                f'write it as an escape in a double-quoted string, e.g. "\\x{code:02x}".'
                if code <= 0xFF
                else "Delete it (an editor's 'show invisibles' reveals it).",
            )
        )
    return problems


class _Limits(Composer):
    """Composition that stops at depth, alias-count and alias-expansion limits."""

    # Provided by the event source each loader mixes in (PyYAML's parser or libyaml's).
    check_event: Callable[..., bool]
    peek_event: Callable[[], Any]
    get_event: Callable[[], Any]

    def _limits_init(self, file: str, line_offset: int) -> None:
        self._file = file
        self._line_offset = line_offset
        self._depth = 0
        self._values = 0
        self._max_values = MAX_VALUES
        self._aliases = 0
        self._expanded = 0
        self._measured: dict[int, tuple[int, int]] = {}

    def _refuse(self, mark: yaml.Mark | None, message: str, fix: str) -> ConfigError:
        line = mark.line + 1 + self._line_offset if mark else 0
        column = mark.column + 1 if mark else 0
        return ConfigError([Problem(self._file, line, column, "", message, fix)])

    def _measure(self, node: yaml.Node) -> tuple[int, int]:
        """(nodes, height) of `node` with its aliases expanded; memoised, so linear."""
        known = self._measured.get(id(node))
        if known is not None:
            return known
        size, height = 1, 1
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        for child in children:
            child_size, child_height = self._measure(child)
            size += child_size
            height = max(height, child_height + 1)
        self._measured[id(node)] = (size, height)
        return size, height

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise self._refuse(
                    event.start_mark,
                    f"more than {MAX_ALIASES:,} alias references (*name) in one file.",
                    "Write the values out, or use fewer anchors and aliases.",
                )
            target = self.anchors.get(event.anchor)
            if target is not None:
                size, height = self._measure(target)
                self._expanded += size
                if self._expanded > MAX_ALIAS_NODES:
                    raise self._refuse(
                        event.start_mark,
                        f"aliases expand to more than {MAX_ALIAS_NODES:,} values in all "
                        f"(alias '*{event.anchor}' alone stands for {size:,}): an alias bomb?",
                        "Write the values out, or use fewer, smaller aliases.",
                    )
                if self._depth + height > MAX_DEPTH:
                    raise self._refuse(
                        event.start_mark,
                        f"alias '*{event.anchor}' nests values more than {MAX_DEPTH} levels deep.",
                        "Flatten the structure.",
                    )
            return super().compose_node(parent, index)
        self._depth += 1
        self._values += 1
        try:
            if self._values > self._max_values:
                raise self._refuse(
                    self.peek_event().start_mark,
                    f"more than {self._max_values:,} values in one file.",
                    "Keep data out of configuration files: put it in a data file a "
                    "dataset's 'sources' names.",
                )
            if self._depth > MAX_DEPTH:
                raise self._refuse(
                    self.peek_event().start_mark,
                    f"values nest more than {MAX_DEPTH} levels deep.",
                    "Flatten the structure.",
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _PythonLoader(_Limits, yaml.SafeLoader):
    """The limits on PyYAML's pure-Python scanner and parser (used when libyaml is missing)."""

    def __init__(self, text: str, file: str, line_offset: int) -> None:
        yaml.SafeLoader.__init__(self, text)
        self._limits_init(file, line_offset)


class _LibyamlLoader(_Limits, SafeConstructor, Resolver):
    """The limits on libyaml's events: scanning and parsing in C is several times faster, and
    composing in Python keeps the depth and alias checks (libyaml's own composer has none)."""

    def __init__(self, text: str, file: str, line_offset: int) -> None:
        self._events = _CParser(text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._limits_init(file, line_offset)
        # The composer calls these hundreds of thousands of times: bind libyaml's directly.
        self.check_event = self._events.check_event
        self.peek_event = self._events.peek_event
        self.get_event = self._events.get_event

    def dispose(self) -> None:
        self._events.dispose()


_LimitedLoader: type[_PythonLoader] | type[_LibyamlLoader] = (
    _LibyamlLoader if _CParser is not None else _PythonLoader
)


def parse_yaml(
    text: str, file: str, line_offset: int = 0, limits: Limits = CONFIG_LIMITS
) -> LoadedYaml:
    """Parse one YAML document safely; raise ConfigError naming file, line and column."""
    if len(text) > limits.bytes:
        raise ConfigError([_too_large(file, len(text), "characters", limits.bytes)])
    controls = control_character_problems(text, file, line_offset)
    if controls:
        raise ConfigError(controls)
    loader = _LimitedLoader(text, file, line_offset)
    loader._max_values = limits.values
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
        try:
            data = loader.construct_document(node)
        except (ValueError, OverflowError) as exc:  # e.g. 2026-13-45 looks like a date
            raise ConfigError(
                [
                    Problem(
                        file,
                        message=f"a value looks like a date or number but is not one ({exc}).",
                        fix="Quote the value ('2026-13-45') so it is read as text.",
                    )
                ]
            ) from None
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([_mark_problem(file, exc, line_offset)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(file, message=f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return LoadedYaml(data, Positions(file, spots, line_offset))


def _too_large(file: str, size: int, unit: str, limit: int = MAX_CONFIG_BYTES) -> Problem:
    return Problem(
        file,
        message=f"the file is too large for a configuration file ({size:,} {unit}; the limit "
        f"is {limit:,} bytes).",
        fix="Keep data out of configuration files: put it in a data file a dataset's "
        "'sources' names.",
    )


def read_text(path: Path, display: str, limit: int | None = MAX_TEXT_BYTES) -> str:
    """Read a UTF-8 text file of at most `limit` bytes (None: any size) or raise ConfigError."""
    try:
        if limit is not None:
            size = path.stat().st_size
            if size > limit:
                raise ConfigError([_too_large(display, size, "bytes", limit)])
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(display, message="file not found")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [Problem(display, message=f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
        ) from None
    except OSError as exc:
        raise ConfigError([Problem(display, message=f"cannot read: {exc.strerror}")]) from None


def load_yaml(path: Path, display: str | None = None, limits: Limits = CONFIG_LIMITS) -> LoadedYaml:
    """Read and parse a YAML file within `limits`; `display` is the name used in messages
    (project-relative)."""
    name = display or str(path)
    return parse_yaml(read_text(path, name, limits.bytes), name, limits=limits)
