"""Read files as they were at a git revision (for baselines), without touching the worktree."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from labelgate.errors import ConfigError
from labelgate.problems import Problem


def run_git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`git ARGS` in `root`, output captured; ConfigError when git is not installed."""
    if shutil.which("git") is None:
        raise ConfigError("git is not installed; this command reads git history and needs it.")
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def resolve_revision(root: Path, revision: str, what: str = "--baseline") -> str:
    """The commit a revision names; ConfigError (exit 3) naming `what` when it does not exist."""
    done = run_git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if done.returncode != 0:
        raise ConfigError(
            [
                Problem(
                    what,
                    message=f"revision '{revision}' does not exist in {root}.",
                    fix="Fetch it first (git fetch origin main) or name a commit, branch or tag.",
                )
            ]
        )
    return done.stdout.strip()


def file_at(root: Path, commit: str, path: str) -> str | None:
    """Text of `path` (project-relative) at `commit`, or None when it did not exist there."""
    done = run_git(root, "show", f"{commit}:./{path}")  # ./: relative to the project root
    return done.stdout if done.returncode == 0 else None


def in_git(root: Path) -> bool:
    """Whether `root` is inside a git work tree (and git is installed)."""
    if shutil.which("git") is None:
        return False
    done = run_git(root, "rev-parse", "--is-inside-work-tree")
    return done.returncode == 0 and done.stdout.strip() == "true"


def file_history(root: Path, path: str) -> list[tuple[str, str]]:
    """(commit, text) of every commit that changed `path`, oldest first; [] outside git.

    Deletions are left out. One `git cat-file --batch` reads every version, so a long history
    costs two processes, not one per commit.
    """
    if not in_git(root):
        return []
    log = run_git(root, "log", "--reverse", "--format=%H", "--", path)
    commits = log.stdout.split() if log.returncode == 0 else []
    if not commits:
        return []
    # `./path` is relative to the current folder, so a project inside a larger repo works.
    request = "".join(f"{c}:./{path}\n" for c in commits).encode()
    done = subprocess.run(
        ["git", "cat-file", "--batch"], cwd=root, input=request, capture_output=True, check=False
    )
    out, position, history = done.stdout, 0, []
    for commit in commits:
        end = out.index(b"\n", position)
        header = out[position:end].split()
        position = end + 1
        if len(header) < 3 or header[1] != b"blob":
            continue  # "missing": the commit deleted the file
        size = int(header[2])
        history.append((commit, out[position : position + size].decode("utf-8", "replace")))
        position += size + 1
    return history
