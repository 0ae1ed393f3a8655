"""Where an input came from: the dvc.lock hashes of a dataset's stage inputs, and whether the
working tree still holds what they record."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

LOCK_FILE = "dvc.lock"
# Deps that are not project files: earlier stages' outputs, and labelgate's own code.
NOT_PROJECT_FILES = ("build/", "src/")


def lock_stages(root: Path, dataset: str) -> dict[str, dict[str, Any]]:
    """Per stage of `dataset` (`config`, `ingest`, ...), its dvc.lock entry ({} without one)."""
    path = root / LOCK_FILE
    if not path.is_file():
        return {}
    lock: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        name.split("@")[0]: stage
        for name, stage in (lock.get("stages") or {}).items()
        if name.endswith(f"@{dataset}") and isinstance(stage, dict)
    }


def lock_inputs(root: Path, dataset: str) -> dict[str, dict[str, str]]:
    """Per stage of `dataset`, the md5 that dvc.lock records for each dependency."""
    return {
        stage: {d["path"]: d.get("md5", "") for d in entry.get("deps", [])}
        for stage, entry in lock_stages(root, dataset).items()
    }


def _file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _ignore_filter(root: Path) -> Callable[[Path], bool]:
    """Whether DVC ignores a file: `.git` and `.dvc` always, and the patterns of
    `.dvcignore` when it has any (read by DVC's own filter)."""
    dvcignore = root / ".dvcignore"
    patterns = []
    if dvcignore.is_file():
        lines = dvcignore.read_text(encoding="utf-8").splitlines()
        patterns = [line for line in lines if line.strip() and not line.startswith("#")]
    if not patterns:
        return lambda path: bool({".git", ".dvc"} & set(path.relative_to(root).parts))
    from dvc.fs import LocalFileSystem
    from dvc.ignore import DvcIgnoreFilter

    dvc_filter = DvcIgnoreFilter(LocalFileSystem(), str(root.resolve()))
    return lambda path: bool(dvc_filter.is_ignored_file(str(path.resolve())))


def dvc_md5(root: Path, relpath: str, ignored: Callable[[Path], bool] | None = None) -> str | None:
    """The md5 DVC 3 records (`hash: md5`) for a file, or for a folder (`<md5>.dir`, the md5 of
    its sorted file list); None when the path does not exist."""
    path = root / relpath
    if path.is_file():
        return _file_md5(path)
    if not path.is_dir():
        return None
    ignored = ignored or _ignore_filter(root)
    entries = sorted(
        (
            {"md5": _file_md5(file), "relpath": file.relative_to(path).as_posix()}
            for file in path.rglob("*")
            if file.is_file() and not ignored(file)
        ),
        key=lambda entry: entry["relpath"],
    )
    listing = json.dumps(entries, sort_keys=True).encode("utf-8")
    return hashlib.md5(listing, usedforsecurity=False).hexdigest() + ".dir"


@dataclass(frozen=True)
class Drift:
    """A file whose content differs from what dvc.lock recorded when a stage ran."""

    path: str
    recorded: str  # the md5 in dvc.lock
    current: str | None  # None: the file is gone
    stages: tuple[str, ...]  # the dataset's stages that recorded `recorded`
    output: bool  # a stage output rather than an input


def drifted(root: Path, dataset: str, outputs: Iterable[str] = ()) -> list[Drift]:
    """The dataset's project inputs (not earlier outputs, not labelgate's code), and the
    given outputs, whose current md5 differs from what dvc.lock records for its stages.

    Entries hashed otherwise than DVC 3's `hash: md5` (DVC 2's lock files) are not compared.
    """
    wanted = set(outputs)
    recorded: dict[tuple[str, str, bool], list[str]] = {}
    for stage, entry in lock_stages(root, dataset).items():
        for kind, is_output in (("deps", False), ("outs", True)):
            for item in entry.get(kind) or []:
                path, md5 = item.get("path", ""), item.get("md5")
                if not md5 or item.get("hash") != "md5":
                    continue
                if (path in wanted) if is_output else not path.startswith(NOT_PROJECT_FILES):
                    recorded.setdefault((path, md5, is_output), []).append(stage)
    ignored = _ignore_filter(root) if recorded else None
    current: dict[str, str | None] = {}
    out = []
    for (path, md5, is_output), stages in recorded.items():
        if path not in current:
            current[path] = dvc_md5(root, path, ignored)
        if current[path] != md5:
            out.append(Drift(path, md5, current[path], tuple(stages), is_output))
    return out
