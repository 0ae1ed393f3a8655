"""Create a labelgate project: copy the template, compose params, `git init` and `dvc init`.

The template is copied byte for byte, except the CI files, which pin the labelgate version that
wrote them: `{labelgate_version}` in them becomes this labelgate's `__version__`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from labelgate import __version__
from labelgate.errors import ConfigError, UsageError
from labelgate.guidelines.lock import LOCK_FILE, write_lock
from labelgate.project.compose import write_params
from labelgate.project.loader import load_project
from labelgate.scaffold.export import dump_json, export_json_schemas, vscode_settings

JSON_SCHEMA_FOLDER = ".labelgate/json-schema"

# Template files whose VERSION_PLACEHOLDER becomes the running labelgate's version.
CI_FILES = (".github/workflows/labelgate.yml", ".gitlab-ci.yml")
VERSION_PLACEHOLDER = "{labelgate_version}"


@dataclass(frozen=True)
class InitResult:
    """What `init` did."""

    root: Path
    files: tuple[str, ...]
    git: bool
    dvc: bool


def _template_files() -> list[tuple[str, bytes]]:
    root = resources.files("labelgate.scaffold") / "template"
    out: list[tuple[str, bytes]] = []

    def walk(node: resources.abc.Traversable, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            name = f"{prefix}{child.name}"
            if child.is_dir():
                if child.name != "__pycache__":
                    walk(child, name + "/")
            else:
                out.append((name, child.read_bytes()))

    walk(root, "")
    return out


def render(name: str, content: bytes, version: str = __version__) -> bytes:
    """A template file as `init` writes it: the CI files with `version` filled in."""
    if name not in CI_FILES:
        return content
    return content.replace(VERSION_PLACEHOLDER.encode(), version.encode())


def _run(command: list[str], cwd: Path, what: str) -> None:
    if command[0] != sys.executable and shutil.which(command[0]) is None:
        raise ConfigError(f"{what}: '{command[0]}' is not installed; install it or skip this step.")
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ConfigError(f"{what} failed in {cwd}: {done.stderr.strip() or done.stdout.strip()}")


def init_project(
    target: Path, *, force: bool = False, git: bool = True, dvc: bool = True
) -> InitResult:
    """Create a project at `target`; refuse a non-empty folder unless `force`."""
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder.")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise UsageError(
            f"{target} is not empty; choose a new folder or pass --force to add the "
            "template files (existing files with the same names are overwritten)."
        )
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in _template_files():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render(name, content))
        written.append(name)
    write_params(target)
    export_json_schemas(target / JSON_SCHEMA_FOLDER)
    settings = target / ".vscode" / "settings.json"
    settings.parent.mkdir(exist_ok=True)
    settings.write_text(dump_json(vscode_settings(JSON_SCHEMA_FOLDER)), encoding="utf-8")
    if git and not (target / ".git").exists():
        _run(["git", "init", "-q"], target, "git init")
    if dvc and not (target / ".dvc").exists():
        _run(
            [sys.executable, "-m", "dvc", "init", "-q", *([] if git else ["--no-scm"])],
            target,
            "dvc init",
        )
    write_lock(load_project(target))
    written.append(LOCK_FILE)
    return InitResult(target, tuple(written), git, dvc)
