"""Read files as they were at a git revision (for baselines), without touching the worktree."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from labelgate.errors import ConfigError
from labelgate.problems import Problem


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("git") is None:
        raise ConfigError("git is not installed; a baseline revision needs it.")
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def resolve_revision(root: Path, revision: str) -> str:
    """The commit a revision names; ConfigError (exit 3) when it does not exist."""
    done = _git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if done.returncode != 0:
        raise ConfigError(
            [
                Problem(
                    "--baseline",
                    message=f"revision '{revision}' does not exist in {root}.",
                    fix="Fetch it first (git fetch origin main) or name a commit, branch or tag.",
                )
            ]
        )
    return done.stdout.strip()


def file_at(root: Path, commit: str, path: str) -> str | None:
    """Text of `path` (project-relative) at `commit`, or None when it did not exist there."""
    done = _git(root, "show", f"{commit}:{path}")
    return done.stdout if done.returncode == 0 else None
