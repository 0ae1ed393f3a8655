"""`dvc repro` in this process, with labelgate's own stages run in process instead of as commands.

DVC still decides what is stale, restores from its run cache, hashes deps and outs, caches
outputs and writes `dvc.lock`: only the step that would start `labelgate stage NAME --dataset D`
as a new process (paying Python, pandas and pyarrow start-up for each of the eight stages of
each dataset) calls the stage function here, with the project loaded once. Any other command
in `dvc.yaml` runs as DVC runs it. When the installed DVC no longer has the hook this relies
on, `dvc repro` runs as a process, as before.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from labelgate.errors import LabelgateError
from labelgate.project.layout import find_root
from labelgate.project.loader import Project, load_project
from labelgate.stages.registry import STAGE_NAMES

Log = Callable[[str], None]


class PipelineFailed(LabelgateError):
    """`dvc repro` failed outside a labelgate stage: DVC's own message says why (exit 3)."""

    exit_code = 3


def _stage_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="labelgate stage", add_help=False, exit_on_error=False)
    parser.add_argument("name", choices=STAGE_NAMES)
    parser.add_argument("--dataset", "-d", required=True)
    parser.add_argument("-C", "--project", type=Path, default=Path("."))
    return parser


def own_stage(cmd: str) -> argparse.Namespace | None:
    """The arguments of `labelgate stage NAME --dataset D [-C DIR]`; None for any other command."""
    try:
        argv = shlex.split(cmd)
    except ValueError:
        return None
    if argv[:2] != ["labelgate", "stage"]:
        return None
    try:
        args, rest = _stage_parser().parse_known_args(argv[2:])
    except (argparse.ArgumentError, SystemExit):
        return None
    return None if rest else args


class InProcessStages:
    """Stands in for DVC's `cmd_run`: labelgate stages in process, anything else as DVC would."""

    def __init__(self, original: Callable[..., None], log: Log) -> None:
        self.original = original
        self.log = log
        self.projects: dict[Path, Project] = {}  # loaded once per run: the YAML cannot change
        self.ran: list[str] = []

    def __call__(self, stage: Any, dry: bool = False, run_env: Any = None) -> None:
        commands = stage.cmd if isinstance(stage.cmd, list) else [stage.cmd]
        parsed = [own_stage(c) for c in commands]
        if dry or any(p is None for p in parsed):
            self.original(stage, dry=dry, run_env=run_env)
            return
        from labelgate.app.stage import run_stage

        self.log(f"Running stage '{stage.addressing}':")
        for cmd, args in zip(commands, parsed, strict=True):
            assert args is not None  # checked above: every command is a labelgate stage
            self.log(f"> {cmd}")
            root = find_root(Path(stage.wdir) / args.project)
            if root not in self.projects:
                self.projects[root] = load_project(root)
            result = run_stage(root, args.name, args.dataset, self.projects[root])
            for line in result.lines:
                self.log(f"[{args.name}@{args.dataset}] {line}")
        self.ran.append(stage.addressing)


class _Forward(logging.Handler):
    def __init__(self, log: Log) -> None:
        super().__init__(logging.INFO)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message:
            self.log(message)


@contextlib.contextmanager
def _dvc_messages(log: Log) -> Iterator[None]:
    """DVC's INFO messages ("Stage 'x' didn't change, skipping") go to `log` while reproducing."""
    logger = logging.getLogger("dvc")
    handler = _Forward(log)
    saved = logger.handlers[:], logger.level, logger.propagate
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.handlers, level, logger.propagate = saved
        logger.setLevel(level)


def _cause(exc: BaseException) -> BaseException | None:
    """The first labelgate error, or the first non-DVC exception, behind a DVC failure."""
    seen = exc.__cause__
    while seen is not None:
        if isinstance(seen, LabelgateError) or not type(seen).__module__.startswith("dvc"):
            return seen
        seen = seen.__cause__
    return None


def reproduce(root: Path, targets: Sequence[str], log: Log) -> list[str]:
    """`dvc repro TARGETS` in `root`; return the stages that ran in process."""
    try:
        import dvc.stage.run as dvc_stage_run
        from dvc.exceptions import DvcException
        from dvc.repo import Repo
    except ImportError:  # pragma: no cover - dvc is a dependency
        return reproduce_as_process(root, targets)
    original = getattr(dvc_stage_run, "cmd_run", None)
    if original is None:
        return reproduce_as_process(root, targets)
    runner = InProcessStages(original, log)
    dvc_stage_run.cmd_run = runner
    try:
        # DVC resolves targets (and the dvc.yaml they name) from the working directory.
        with contextlib.chdir(root), _dvc_messages(log), Repo(str(root)) as repo:
            repo.reproduce(list(targets))
    except DvcException as exc:
        cause = _cause(exc)
        if cause is not None:
            raise cause from None
        raise PipelineFailed(f"'dvc repro' failed: {exc}") from None
    finally:
        dvc_stage_run.cmd_run = original
    return runner.ran


def reproduce_as_process(root: Path, targets: Sequence[str]) -> list[str]:
    """`dvc repro TARGETS` as a process, each stage a `labelgate stage` process of its own.

    Output streams through; `labelgate` and `dvc` from this interpreter's environment come
    first on PATH.
    """
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    done = subprocess.run(
        [sys.executable, "-m", "dvc", "repro", *targets], cwd=root, env=env, check=False
    )
    if done.returncode != 0:
        raise PipelineFailed(
            f"'dvc repro' failed (exit {done.returncode}); the stage's message above says why."
        )
    return []
