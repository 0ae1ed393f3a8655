"""The base of every YAML kind: strict pydantic models that carry `kind` and `format_version`."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict

FORMAT_VERSION = 1

# The largest count a setting may hold (items, annotations, characters, rows): counts go into
# NumPy and pandas as 64-bit integers, where a Python int beyond this range would overflow.
MAX_COUNT = 2**31 - 1

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class StrictModel(BaseModel):
    """Unknown keys are errors; models are immutable once loaded; NaN and infinity are refused
    (a NaN threshold would compare false with everything and silently turn a gate off)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


def _semver(value: str) -> str:
    if not _SEMVER.match(value):
        raise ValueError(
            f"version '{value}' is not semantic (MAJOR.MINOR or MAJOR.MINOR.PATCH); "
            "write e.g. '1.2.0' and quote it so YAML keeps it a string"
        )
    return value


MAX_NAME_LENGTH = 128  # names become file names: far below any file system's limit


def _name(value: str) -> str:
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(
            f"'{value[:40]}...' is {len(value)} characters long; a name has at most "
            f"{MAX_NAME_LENGTH} (it becomes a file name)"
        )
    if not _NAME.match(value):
        raise ValueError(
            f"'{value}' is not a valid name: use letters, digits, '_', '-' or '.', "
            "starting with a letter or digit"
        )
    return value


SemVer = Annotated[str, AfterValidator(_semver)]
Name = Annotated[str, AfterValidator(_name)]
FormatVersion = Literal[1]


def is_semver(value: str) -> bool:
    """Whether `value` is MAJOR.MINOR[.PATCH] with optional pre-release and build parts."""
    return bool(_SEMVER.match(value))


def semver_key(version: str) -> tuple[int, int, int]:
    """Sortable (major, minor, patch) of a validated semantic version; pre-releases ignored."""
    core = re.split(r"[-+]", version, maxsplit=1)[0].split(".")
    parts = [int(p) for p in core] + [0] * (3 - len(core))
    return parts[0], parts[1], parts[2]
