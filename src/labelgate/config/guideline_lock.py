"""`guidelines/guidelines.lock`: each released guideline version, its content hash and commit."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from labelgate.config.base import FormatVersion, Name, SemVer, StrictModel

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
CommitId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{7,64}$")]


class LockedVersion(StrictModel):
    """One released version of a guideline."""

    version: SemVer
    sha256: Sha256 | None = Field(
        description="SHA-256 of the guideline text (line ends and trailing spaces normalised); "
        "null only for a version released before the guideline was kept in git."
    )
    commit: CommitId | None = Field(
        None,
        description="The commit that introduced this version; null until it is committed "
        "(check and trace then find it in git history).",
    )


class GuidelinesLock(StrictModel):
    """Released versions per guideline name, oldest first. Written by `labelgate guidelines lock`."""

    kind: Literal["guidelines_lock"]
    format_version: FormatVersion
    guidelines: dict[Name, list[LockedVersion]] = Field(default_factory=dict)
