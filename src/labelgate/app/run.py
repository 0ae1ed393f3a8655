"""`labelgate run`: compose params.yaml, reproduce the pipeline, read back each dataset's gate."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from labelgate.app import repro
from labelgate.app.report import write_index
from labelgate.app.repro import LOCK_WAIT_ENV, Log, RunLocked, lock_wait_seconds, reproduce
from labelgate.errors import ConfigError
from labelgate.io.json_io import read_json, write_text
from labelgate.problems import Problem, did_you_mean
from labelgate.project import build_files, layout
from labelgate.project.compose import compose_conf, params_text, write_params

# Held from params.yaml's write to its restore. DVC's own lock is only taken inside
# `reproduce`, after the write: without this, a run could rewrite params.yaml (with its
# overrides, or back to conf/) while another run's DVC reads it.
RUN_LOCK_FILE = Path(".dvc") / "tmp" / "labelgate-run.lock"


def _quiet(_line: str) -> None:
    pass


def _try_lock(handle: IO[bytes]) -> bool:
    """Take an exclusive lock on the open file without waiting; False when another has it.

    The OS drops the lock with the process that holds it: a killed run never leaves it behind.
    """
    if sys.platform == "win32":  # pragma: no cover - CI runs on Linux
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(handle: IO[bytes]) -> None:
    if sys.platform == "win32":  # pragma: no cover - CI runs on Linux
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def run_lock(root: Path, log: Log, lock_wait: float | None = None) -> Iterator[None]:
    """Hold the project's run lock (`RUN_LOCK_FILE`) for the block, so no two runs write
    params.yaml or reproduce at once. While another run holds it, wait up to `lock_wait`
    seconds (default `lock_wait_seconds()`, as for DVC's lock), saying so once in `log`, then
    raise `RunLocked`."""
    if not (root / ".dvc").is_dir():
        # Not a DVC project: DVC refuses the run with its own message; creating .dvc/tmp
        # here would make the folder look like one.
        yield
        return
    path = root / RUN_LOCK_FILE
    path.parent.mkdir(exist_ok=True)  # DVC's scratch folder, git-ignored by .dvc/.gitignore
    wait = lock_wait_seconds() if lock_wait is None else max(0.0, lock_wait)
    deadline = time.monotonic() + wait
    told = False
    with path.open("a+b") as handle:
        while not _try_lock(handle):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RunLocked(
                    f"another labelgate run of {root} holds its run lock ({RUN_LOCK_FILE}) and "
                    f"did not finish within {wait:g} s. Wait for it to finish and run again "
                    f"(set {LOCK_WAIT_ENV}=SECONDS to wait longer)."
                )
            if not told:
                log(f"another labelgate run of {root} is under way; waiting up to {wait:g} s")
                told = True
            time.sleep(min(repro.LOCK_RETRY_SECONDS, remaining))
        try:
            yield
        finally:
            _unlock(handle)


@dataclass(frozen=True)
class DatasetOutcome:
    """What one dataset's run produced."""

    name: str
    gate: dict[str, Any]
    metrics: dict[str, Any]


def run_pipeline(
    root: Path,
    only: Sequence[str] = (),
    overrides: Sequence[str] = (),
    log: Log = _quiet,
    progress: Log | None = None,
) -> list[DatasetOutcome]:
    """Compose params, reproduce the pipeline, and read each dataset's gate.json and metrics.

    Overrides apply to this run only: params.yaml holds them while DVC reproduces (DVC reads
    it for the stages' names and files), and is then written back to what conf/ composes to,
    so `labelgate check` still passes and the next plain run sees the committed knobs. The
    write, the run and the restore hold the project's run lock (`run_lock`): a second run
    waits for the first, as for DVC's lock, and never rewrites params.yaml under it.
    `log` receives DVC's messages and each stage's summary lines as they happen; `progress`,
    when given, a line as each stage starts ([3/16] agreement@tickets).
    """
    params = compose_conf(root, overrides)
    unknown = [name for name in only if name not in params.datasets]
    if unknown:
        raise ConfigError(
            [
                Problem(
                    layout.PARAMS_FILE,
                    message=f"dataset '{name}' is not in conf/config.yaml 'datasets'.",
                    fix=did_you_mean(name, params.datasets),
                )
                for name in unknown
            ]
        )
    chosen = list(only) or list(params.datasets)
    targets = [f"gate@{name}" for name in chosen]
    if not overrides:
        with run_lock(root, log):
            write_params(root)
            reproduce(root, targets, log, progress)
            return _outcomes(root, chosen)
    # What conf/ composes to, checked before anything is written: the run restores it.
    committed = params_text(root)
    with run_lock(root, log):
        write_params(root, overrides)
        try:
            reproduce(root, targets, log, progress)
        finally:
            write_text(root / layout.PARAMS_FILE, committed)  # atomic: never a torn file
            log(
                f"overrides {' '.join(overrides)} applied to this run only; "
                f"{layout.PARAMS_FILE} holds what conf/ composes to again "
                "(put a lasting change in conf/)"
            )
        # Read under the lock: another run's outputs must not pass for this one's.
        return _outcomes(root, chosen)


def _outcomes(root: Path, chosen: list[str]) -> list[DatasetOutcome]:
    """Each chosen dataset's gate.json and metrics.json; build/index.html is rewritten too
    (it spans datasets, so it is no DVC output: every run refreshes it)."""
    outcomes = []
    for name in chosen:
        out = root / layout.BUILD / name
        gate = read_json(out / build_files.GATE_JSON)
        metrics = read_json(out / build_files.METRICS_JSON)
        outcomes.append(DatasetOutcome(name, gate, metrics))
    write_index(root)
    return outcomes
