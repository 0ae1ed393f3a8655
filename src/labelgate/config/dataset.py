"""`datasets/NAME/dataset.yaml`: which data, and which schema, guideline, rules and pipeline."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from labelgate.config.base import FormatVersion, Name, SemVer, StrictModel

SourceFormat = Literal["csv", "jsonl", "parquet", "labelstudio"]


def _relative(value: str) -> str:
    if PurePosixPath(value).is_absolute() or PureWindowsPath(value).is_absolute():
        raise ValueError(
            f"path '{value}' is absolute; write it relative to the dataset folder "
            "so the project can be cloned anywhere"
        )
    if not value.strip():
        raise ValueError("path is empty")
    return value


RelativePath = Annotated[str, AfterValidator(_relative)]


class SourceFile(StrictModel):
    """A data file, relative to the dataset folder; its format defaults to its suffix."""

    path: RelativePath
    format: SourceFormat | None = None
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


class Sources(StrictModel):
    """Every file a dataset reads."""

    annotations: list[AnnotationSource] = Field(min_length=1)
    items: SourceFile | None = None
    gold: SourceFile | None = None
    adjudications: SourceFile | None = None
    audit_results: SourceFile | None = None

    def files(self) -> list[tuple[str, SourceFile]]:
        """(key path, source) for every declared file."""
        out: list[tuple[str, SourceFile]] = [
            (f"sources.annotations[{i}]", s) for i, s in enumerate(self.annotations)
        ]
        for key in ("items", "gold", "adjudications", "audit_results"):
            source = getattr(self, key)
            if source is not None:
                out.append((f"sources.{key}", source))
        return out


class Dataset(StrictModel):
    """A dataset manifest; names refer to files in schemas/, guidelines/, qa_rules/, pipelines/."""

    kind: Literal["dataset"]
    format_version: FormatVersion
    description: str = ""
    schema_: Name = Field(alias="schema")
    guideline: Name
    qa_rules: Name
    pipeline: Name = "default"
    sources: Sources
