"""Shared fixtures: write a whole labelgate project in one call (after DVC's `tmp_dir.gen`)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from labelgate.scaffold.init import init_project

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"

ProjectFactory = Callable[..., Path]

# The head of a dataset manifest on the template's schema, guideline and rules.
DATASET_HEAD = """
kind: dataset
format_version: 1
schema: review_sentiment
guideline: review_sentiment
qa_rules: review_sentiment
"""


def sh(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing text output; never raises on a non-zero exit."""
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, check=False)


def labelgate(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m labelgate ARGS` with this interpreter."""
    return sh(sys.executable, "-m", "labelgate", *args, cwd=cwd)


def write_files(root: Path, files: dict[str, str | None]) -> None:
    """Write (dedented) files under root; None deletes a file."""
    for name, content in files.items():
        path = root / name
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")


@pytest.fixture
def make_project(tmp_path: Path) -> ProjectFactory:
    """A fresh project from the template (no git, no dvc), with files overridden or deleted."""

    def make(files: dict[str, str | None] | None = None, *, name: str = "proj") -> Path:
        root = tmp_path / name
        init_project(root, git=False, dvc=False)
        write_files(root, files or {})
        return root

    return make


def run_stages(root: Path, dataset: str, names: tuple[str, ...]) -> dict[str, object]:
    """Run stages in process (no DVC) and return each stage's summary."""
    from labelgate.project.context import dataset_context
    from labelgate.stages.registry import stage_function

    ctx = dataset_context(root, dataset)
    return {name: stage_function(name)(ctx).summary for name in names}


ALL_STAGES = ("ingest", "validate", "agreement", "aggregate", "audit", "report", "gate")
