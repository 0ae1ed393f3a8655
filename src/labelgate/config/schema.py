"""`schemas/NAME.yaml`: what a label is (label set, level, fields, migrations)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from labelgate.config.base import MAX_COUNT, FormatVersion, Name, SemVer, StrictModel

Level = Literal["nominal", "ordinal", "interval", "ratio"]
Task = Literal["single_label", "multi_label", "spans"]
# image, audio, video, document: a path inside the project or a URI, content-hashed by ingest.
MEDIA_TYPES = ("image", "audio", "video", "document")
FieldType = Literal[
    "string",
    "integer",
    "float",
    "boolean",
    "timestamp",
    "category",
    "image",
    "audio",
    "video",
    "document",
]


class Label(StrictModel):
    """One label of the label set."""

    id: Name = Field(description="Stable id written in exports and final labels.")
    name: str = Field("", description="Human-readable name; defaults to the id.")
    description: str = ""
    value: float | None = Field(
        None, description="Numeric value; required for ordinal, interval and ratio schemas."
    )


class FieldSpec(StrictModel):
    """A typed item or annotation field with constraints."""

    name: Name
    type: FieldType = "string"
    required: bool = False
    description: str = ""
    min_length: int | None = Field(None, ge=0, le=MAX_COUNT)
    max_length: int | None = Field(None, ge=1, le=MAX_COUNT)
    min: float | None = None
    max: float | None = None
    allowed: list[str] | None = Field(None, description="Allowed values of a category field.")

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        lengths = (self.min_length, self.max_length)
        if lengths[0] is not None and lengths[1] is not None and lengths[0] > lengths[1]:
            raise ValueError(f"min_length {lengths[0]} is above max_length {lengths[1]}")
        if (self.min_length is not None or self.max_length is not None) and self.type != "string":
            raise ValueError(f"length bounds apply to string fields, not to type '{self.type}'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        if (self.min is not None or self.max is not None) and self.type not in ("integer", "float"):
            raise ValueError(f"min/max apply to integer and float fields, not to '{self.type}'")
        if self.allowed is not None and self.type != "category":
            raise ValueError("'allowed' applies to fields of type 'category'")
        return self


class RenameMigration(StrictModel):
    """A label renamed: older annotations with `from` become `to`."""

    op: Literal["rename"]
    since: SemVer = Field(description="Schema version that introduced the change.")
    from_: Name = Field(alias="from")
    to: Name


class MergeMigration(StrictModel):
    """Several labels merged into one."""

    op: Literal["merge"]
    since: SemVer
    from_: list[Name] = Field(alias="from", min_length=2)
    to: Name


class SplitMigration(StrictModel):
    """One label split into several: cannot be applied automatically, items go to re-annotation."""

    op: Literal["split"]
    since: SemVer
    from_: Name = Field(alias="from")
    to: list[Name] = Field(min_length=2)


Migration = Annotated[RenameMigration | MergeMigration | SplitMigration, Field(discriminator="op")]


class Schema(StrictModel):
    """An annotation task: its label set, level of measurement, fields and migrations."""

    kind: Literal["schema"]
    format_version: FormatVersion
    version: SemVer
    description: str = ""
    task: Task = Field(
        "single_label",
        description="single_label: one label per item and annotator; multi_label: a set of "
        "labels (the `labels` list); spans: labelled character ranges of a text field.",
    )
    level: Level = "nominal"
    overlapping_spans: bool = Field(
        False, description="spans task: may one annotator's spans overlap each other."
    )
    labels: list[Label] = Field(min_length=2)
    item_fields: list[FieldSpec] = Field(default_factory=list)
    annotation_fields: list[FieldSpec] = Field(default_factory=list)
    migrations: list[Migration] = Field(default_factory=list)

    @model_validator(mode="after")
    def _task_fits(self) -> Schema:
        if self.task != "single_label" and self.level != "nominal":
            raise ValueError(
                f"task '{self.task}' is scored as nominal labels; remove 'level: {self.level}' "
                "(or use task: single_label for an ordered scale)"
            )
        if self.overlapping_spans and self.task != "spans":
            raise ValueError("'overlapping_spans' applies to task: spans")
        return self

    @property
    def label_ids(self) -> list[str]:
        """Label ids in declaration order."""
        return [label.id for label in self.labels]
