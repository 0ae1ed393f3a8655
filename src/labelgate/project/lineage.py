"""Where an input came from: the commit that introduced a guideline version, dvc.lock hashes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from labelgate.project.git import _git


def version_commit(root: Path, guideline_file: str, version: str) -> str | None:
    """The first commit whose guideline front matter says `version` (None outside git).

    Found with `git log -S` on the version line; `guidelines.lock` will record it directly.
    """
    if not (root / ".git").exists():
        return None
    for needle in (f'version: "{version}"', f"version: '{version}'", f"version: {version}"):
        done = _git(root, "log", "--reverse", "--format=%H", "-S", needle, "--", guideline_file)
        commits = done.stdout.split()
        if done.returncode == 0 and commits:
            return commits[0]
    return None


def lock_inputs(root: Path, dataset: str) -> dict[str, dict[str, str]]:
    """Per stage of `dataset`, the md5 that dvc.lock records for each dependency."""
    path = root / "dvc.lock"
    if not path.is_file():
        return {}
    lock: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, dict[str, str]] = {}
    for name, stage in (lock.get("stages") or {}).items():
        if not name.endswith(f"@{dataset}"):
            continue
        deps = {d["path"]: d.get("md5", "") for d in stage.get("deps", [])}
        out[name.split("@")[0]] = deps
    return out
