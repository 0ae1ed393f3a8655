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


class _BodyReader:
    """Walks the Markdown body once, opening and closing label sections and rulings."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.sections: list[LabelSection] = []
        self.rulings: list[Ruling] = []
        self.problems: list[Problem] = []
        self.section: LabelSection | None = None
        self.ruling: Ruling | None = None
        self.section_lines: list[str] = []
        self.ruling_lines: list[str] = []
        self.in_fence = False

    def close_ruling(self) -> None:
        if self.ruling is not None:
            self.rulings.append(replace(self.ruling, text=_body(self.ruling_lines)))
        self.ruling = None
        self.ruling_lines.clear()

    def close_section(self) -> None:
        # A label's definition is its section minus the rulings inside it.
        self.close_ruling()
        if self.section is not None:
            self.sections.append(replace(self.section, text=_body(self.section_lines)))
        self.section = None
        self.section_lines.clear()

    def text_line(self, number: int, line: str) -> None:
        """A line that is not a heading: body text, or a ruling's 'Applies to:' line."""
        applies = None if self.in_fence else _APPLIES.match(line)
        if applies and self.ruling is not None and not self.ruling.applies_to_line:
            base = self.ruling.labels
            named = tuple(n for n in _labels(applies.group(1)) if n not in base)
            self.ruling = replace(self.ruling, labels=base + named, applies_to_line=number)
        (self.ruling_lines if self.ruling is not None else self.section_lines).append(line)

    def heading(self, number: int, line: str) -> None:
        """A heading: a label section, another H1/H2, a ruling, or a sub-heading of the text."""
        label = _LABEL.match(line)
        if label or _H2.match(line) or line.startswith("# "):
            self.close_section()
            if label:
                self.section = LabelSection(label.group(1), number)
            return
        self.close_ruling()
        ruling = _RULING.match(line)
        if ruling:
            current = self.section.label if self.section is not None else None
            self.ruling = Ruling(
                ruling.group(1), ruling.group(2).strip(), number, (current,) if current else ()
            )
        elif _RULING_LIKE.match(line):
            self.problems.append(
                Problem(
                    self.file,
                    number,
                    1,
                    "",
                    f"ruling heading '{line.strip()}' does not follow the id format.",
                    "Write '### R-012: short title' (R-, at least three digits, colon, title).",
                )
            )
        else:
            self.section_lines.append(
                line
            )  # a sub-heading (examples, notes) is part of the definition

    def read(self, lines: list[str], start: int) -> None:
        for number, line in enumerate(lines, start=start):
            if _FENCE.match(line):
                self.in_fence = not self.in_fence
            if self.in_fence or not _HEADING.match(line):
                self.text_line(number, line)
            else:
                self.heading(number, line)
        self.close_section()


def parse_guideline(text: str, file: str) -> tuple[Guideline, Positions]:
    """Parse a guideline; raise ConfigError listing every structural problem."""
    front_text, body_start = split_front_matter(text, file)
    loaded = parse_yaml(front_text, file, line_offset=1)
    front = validate(GuidelineFrontMatter, loaded)
    reader = _BodyReader(file)
    reader.read(text.splitlines()[body_start - 1 :], body_start)
    if reader.problems:
        raise ConfigError(reader.problems)
    return Guideline(front, tuple(reader.sections), tuple(reader.rulings), text), loaded.positions
