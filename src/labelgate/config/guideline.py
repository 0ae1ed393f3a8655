"""`guidelines/NAME.md`: front matter plus label sections and numbered rulings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field

from labelgate.config.base import FormatVersion, Name, SemVer, StrictModel


class GuidelineFrontMatter(StrictModel):
    """The YAML between the leading `---` lines of a guideline."""

    kind: Literal["guideline"]
    format_version: FormatVersion
    # `schema` would shadow a BaseModel attribute, so the field is aliased.
    schema_: Name = Field(alias="schema", description="Name of the schema in schemas/.")
    version: SemVer = Field(description="Bumped whenever the content changes.")
    title: str = ""


@dataclass(frozen=True)
class LabelSection:
    """A `## Label: <id>` section."""

    label: str
    line: int
    text: str = ""  # the definition: lines under the heading up to the next heading


@dataclass(frozen=True)
class Ruling:
    """An edge-case ruling `### R-012: title` with the labels it applies to."""

    id: str
    title: str
    line: int
    labels: tuple[str, ...]
    applies_to_line: int = 0
    text: str = ""  # the body under the heading, 'Applies to:' line included


@dataclass(frozen=True)
class Guideline:
    """A parsed guideline: front matter, label sections, rulings and the raw text."""

    front: GuidelineFrontMatter
    sections: tuple[LabelSection, ...]
    rulings: tuple[Ruling, ...]
    text: str = field(repr=False)
