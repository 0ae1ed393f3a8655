"""`datasets/NAME/dataset.yaml`: which data, and which schema, guideline, rules and pipeline."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from labelgate.config.base import MAX_COUNT, FormatVersion, Name, SemVer, StrictModel
from labelgate.config.sampling import NextBatch

SourceFormat = Literal[
    "csv",
    "jsonl",
    "parquet",
    "labelstudio",
    "labelstudio-min",
    "labelstudio-csv",
    "prodigy",
    "argilla",
    "doccano",
]


def _relative(value: str) -> str:
    if PurePosixPath(value).is_absolute() or PureWindowsPath(value).is_absolute():
        raise ValueError(
            f"path '{value}' is absolute; write it relative to the dataset folder "
            "so the project can be cloned anywhere"
        )
    if not value.strip():
        raise ValueError("path is empty")
    bad = next((c for c in value if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F), None)
    if bad is not None:
        # A NUL (written "\0" in a double-quoted string) would crash the file system call.
        raise ValueError(f"path {value!r} holds the control character U+{ord(bad):04X}; remove it")
    return value


RelativePath = Annotated[str, AfterValidator(_relative)]


class SourceFile(StrictModel):
    """A data file, relative to the dataset folder; its format defaults to its suffix."""

    path: RelativePath
    format: SourceFormat | None = Field(
        None,
        description="csv, jsonl, parquet, or an annotation tool's export; default: recognised "
        "from the first record, else the suffix.",
    )
    field: str | None = Field(
        None,
        description="The control (Label Studio from_name), question (Argilla) or field of a "
        "tool export to import, when it has several.",
    )
    columns: dict[str, str] = Field(
        default_factory=dict, description="Canonical column -> column name in the file."
    )
    optional: bool = Field(False, description="A missing file is treated as empty.")


class AnnotationSource(SourceFile):
    """An annotation export, with the batch and guideline version it was made under."""

    batch: str | None = None
    guideline_version: SemVer | None = Field(
        None, description="Used when the export does not carry a guideline_version column."
    )


def _utc(value: datetime | None) -> datetime | None:
    # A time without a zone is read as UTC, like annotated_at in the exports.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


UtcTime = Annotated[datetime | None, AfterValidator(_utc)]


class VersionMapping(StrictModel):
    """Annotations of these batches, or made in this time range, follow this guideline version.

    Used for rows whose export and source give no guideline version. A time range is
    half-open: `from` <= annotated_at < `until`; either end may be left open.
    """

    version: SemVer
    batches: list[str] = Field(default_factory=list)
    from_: UtcTime = Field(None, alias="from", description="First instant (inclusive, UTC).")
    until: UtcTime = Field(None, description="End of the range (exclusive, UTC).")

    @model_validator(mode="after")
    def _one_kind(self) -> VersionMapping:
        ranged = self.from_ is not None or self.until is not None
        if self.batches and ranged:
            raise ValueError("give either 'batches' or a 'from'/'until' range, not both")
        if not self.batches and not ranged:
            raise ValueError("give 'batches' or a 'from'/'until' range")
        if self.from_ is not None and self.until is not None and self.from_ >= self.until:
            raise ValueError(f"'from' {self.from_} is not before 'until' {self.until}")
        return self


class Sources(StrictModel):
    """Every file a dataset reads."""

    annotations: list[AnnotationSource] = Field(min_length=1)
    items: SourceFile | None = None
    gold: SourceFile | None = None
    adjudications: SourceFile | None = None
    audit_results: SourceFile | None = None
    predictions: SourceFile | None = Field(
        None,
        description="A model's outputs per item: one probability column per label, or "
        "`label` and `score`; `model` and `model_version` name it. Used by a pipeline whose "
        "model provider is `predictions`.",
    )
    reviews: SourceFile | None = Field(
        None,
        description="Tier-2 review verdicts, one row per review of an annotation: `item_id`, "
        "`annotator_id` (who made the annotation), `verdict` (accept or reject), optional "
        "`reviewer_id`, `reason`, `reviewed_at`.",
    )
    qualification: SourceFile | None = Field(
        None,
        description="Answers to the qualification test taken before work: `annotator_id`, "
        "`item_id` (the question), `label` (the answer). Needs `qualification_key`; "
        "single-label datasets only.",
    )
    qualification_key: SourceFile | None = Field(
        None,
        description="The qualification test's right answers: `item_id` (the question), `label`.",
    )

    def files(self) -> list[tuple[str, SourceFile]]:
        """(key path, source) for every declared file."""
        out: list[tuple[str, SourceFile]] = [
            (f"sources.annotations[{i}]", s) for i, s in enumerate(self.annotations)
        ]
        for key in (
            "items",
            "gold",
            "adjudications",
            "audit_results",
            "predictions",
            "reviews",
            "qualification",
            "qualification_key",
        ):
            source = getattr(self, key)
            if source is not None:
                out.append((f"sources.{key}", source))
        return out


class OpsSettings(StrictModel):
    """What the ops stage and `labelgate assign` need beyond the data (docs/ops.md)."""

    roster: RelativePath | None = Field(
        None,
        description="The roster (YAML `kind: roster` or CSV), relative to the dataset folder.",
    )
    target_items: int | None = Field(
        None, ge=1, le=MAX_COUNT, description="Items to label in all; default: the items known."
    )
    arrival_field: str | None = Field(
        None,
        description="Item field holding when an item arrived; default: `arrived_at` or "
        "`created_at` when the items have one, else the item's first annotation.",
    )
    gold_share: float = Field(
        0.05, ge=0, le=0.5, description="Share of a plan's assignments that are gold items."
    )
    eta_window_days: int = Field(
        7, ge=1, le=365, description="Days of recent throughput the ETA is projected from."
    )


class Dataset(StrictModel):
    """A dataset manifest; names refer to files in schemas/, guidelines/, qa_rules/, pipelines/."""

    kind: Literal["dataset"]
    format_version: FormatVersion
    description: str = ""
    license: str | None = Field(
        None,
        max_length=64,
        description="The data's licence as an SPDX id (cc-by-4.0, apache-2.0, ...), written "
        "into the dataset card by `labelgate export hf`.",
    )
    schema_: Name = Field(alias="schema")
    guideline: Name
    qa_rules: Name
    pipeline: Name = "default"
    sources: Sources
    guideline_versions: list[VersionMapping] = Field(
        default_factory=list,
        description="Batches or time ranges mapped to the guideline version they were "
        "annotated under; checked for gaps and overlaps.",
    )
    ops: OpsSettings = Field(
        default_factory=OpsSettings,
        description="Roster, progress target and arrival field for operations (docs/ops.md).",
    )
    next_batch: NextBatch | None = Field(
        None,
        description="The next batch to annotate, chosen by the next_batch stage from the "
        "items without annotations (docs/active-learning.md); null: no batch is chosen.",
    )
