"""Where an input came from: the dvc.lock hashes of a dataset's stage inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


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
