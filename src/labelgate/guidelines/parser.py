"""Parse a guideline: front matter, `## Label: id` sections and `### R-001: title` rulings."""

from __future__ import annotations

import re
from dataclasses import replace

from labelgate.config.guideline import Guideline, GuidelineFrontMatter, LabelSection, Ruling
from labelgate.config.validation import validate
from labelgate.config.yaml_loader import Positions, parse_yaml
from labelgate.errors import ConfigError
from labelgate.problems import Problem

_LABEL = re.compile(r"^##\s+Label:\s*`?([^`\s]+)`?\s*$")
_H2 = re.compile(r"^##\s+")
_RULING = re.compile(r"^###\s+(R-\d{3,})\s*[:—–-]\s*(\S.*)$")
_RULING_LIKE = re.compile(r"^###\s+R[-_ ]?\w*")
_APPLIES = re.compile(r"^\s*\*{0,2}Applies to:?\*{0,2}:?\s*(.+)$", re.IGNORECASE)
_FENCE = re.compile(r"^(```|~~~)")
_HEADING = re.compile(r"^#{1,6}\s")


def _body(lines: list[str]) -> str:
    """Lines with trailing spaces and leading/trailing blank lines removed (for diffs)."""
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def split_front_matter(text: str, file: str) -> tuple[str, int]:
    """Return the front matter YAML and the line number where the body starts (1-based)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ConfigError(
            [
                Problem(
                    file,
                    1,
                    1,
                    "",
                    "guideline has no YAML front matter.",
                    "Start the file with '---', then 'kind: guideline', 'format_version: 1', "
                    "'schema: NAME', 'version: \"1.0.0\"', then '---'.",
                )
            ]
        )
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "\n".join(lines[1:index]) + "\n", index + 2
    raise ConfigError(
        [Problem(file, 1, 1, "", "front matter is not closed.", "Add a line '---' after it.")]
    )


def _labels(spec: str) -> tuple[str, ...]:
    return tuple(p.strip(" `*") for p in re.split(r"[,;]", spec) if p.strip(" `*"))


def parse_guideline(text: str, file: str) -> tuple[Guideline, Positions]:
    """Parse a guideline; raise ConfigError listing every structural problem."""
    front_text, body_start = split_front_matter(text, file)
    loaded = parse_yaml(front_text, file, line_offset=1)
    front = validate(GuidelineFrontMatter, loaded)
    sections: list[LabelSection] = []
    rulings: list[Ruling] = []
    problems: list[Problem] = []
    open_section: LabelSection | None = None
    open_ruling: Ruling | None = None
    section_lines: list[str] = []
    ruling_lines: list[str] = []
    in_fence = False
    lines = text.splitlines()

    def close_ruling() -> None:
        nonlocal open_ruling
        if open_ruling is not None:
            rulings.append(replace(open_ruling, text=_body(ruling_lines)))
        open_ruling = None
        ruling_lines.clear()

    def close_section() -> None:
        # A label's definition is its section minus the rulings inside it.
        nonlocal open_section
        close_ruling()
        if open_section is not None:
            sections.append(replace(open_section, text=_body(section_lines)))
        open_section = None
        section_lines.clear()

    for number, line in enumerate(lines[body_start - 1 :], start=body_start):
        if _FENCE.match(line):
            in_fence = not in_fence
        if in_fence or not _HEADING.match(line):
            applies = None if in_fence else _APPLIES.match(line)
            if applies and open_ruling is not None and not open_ruling.applies_to_line:
                base = open_ruling.labels
                named = tuple(n for n in _labels(applies.group(1)) if n not in base)
                open_ruling = replace(open_ruling, labels=base + named, applies_to_line=number)
            (ruling_lines if open_ruling is not None else section_lines).append(line)
            continue
        label = _LABEL.match(line)
        if label or _H2.match(line) or line.startswith("# "):
            close_section()
            if label:
                open_section = LabelSection(label.group(1), number)
            continue
        close_ruling()
        ruling = _RULING.match(line)
        if ruling:
            current = open_section.label if open_section is not None else None
            open_ruling = Ruling(
                ruling.group(1), ruling.group(2).strip(), number, (current,) if current else ()
            )
            continue
        if _RULING_LIKE.match(line):
            problems.append(
                Problem(
                    file,
                    number,
                    1,
                    "",
                    f"ruling heading '{line.strip()}' does not follow the id format.",
                    "Write '### R-012: short title' (R-, at least three digits, colon, title).",
                )
            )
            continue
        section_lines.append(line)  # a sub-heading (examples, notes) is part of the definition
    close_section()
    if problems:
        raise ConfigError(problems)
    return Guideline(front, tuple(sections), tuple(rulings), text), loaded.positions
