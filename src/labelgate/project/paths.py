"""Resolve manifest paths so that none can escape the project."""

from __future__ import annotations

from pathlib import Path


class EscapesProject(ValueError):
    """A path that resolves outside the project root."""


def resolve_inside(root: Path, base: Path, relative_path: str) -> Path:
    """`base / relative_path`, resolved (symlinks included), refused when outside `root`."""
    target = (base / relative_path).resolve()
    if not target.is_relative_to(root.resolve()):
        raise EscapesProject(
            f"path '{relative_path}' resolves to {target}, outside the project {root.resolve()}"
        )
    return target
