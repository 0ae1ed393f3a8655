"""`dvc repro` in this process, with labelgate's own stages run in process instead of as commands.

DVC still decides what is stale, restores from its run cache, hashes deps and outs, caches
outputs and writes `dvc.lock`: only the step that would start `labelgate stage NAME --dataset D`
as a new process (paying Python, pandas and pyarrow start-up for each of the eight stages of
each dataset) calls the stage function here, with the project loaded once. Any other command
in `dvc.yaml` runs as DVC runs it. When the installed DVC no longer has the hook this relies
on, `dvc repro` runs as a process, as before.

Either way, DVC's advice for interactive use (how to stage `dvc.lock`, turn on auto staging,
push to a remote) and its blank lines are left out of the log: a run shows which stages ran or
were skipped, lock file updates, and DVC's warnings and errors. Given a `progress` callback, a
run also says which stage of how many is running, and how long the run has taken.

Two runs of one project never reproduce at once: DVC holds a lock on the repository
(`.dvc/tmp/lock`) while it reproduces. A run that finds it held says so, retries for up to
`LOCK_WAIT_SECONDS` (the environment variable `LABELGATE_LOCK_WAIT` changes it), and then
stops with `RunLocked` (exit 3) saying what to do.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import logging
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from labelgate.errors import LabelgateError
from labelgate.project.layout import find_root
from labelgate.project.loader import Project, load_project
from labelgate.stages.registry import STAGE_NAMES

Log = Callable[[str], None]

LOCK_WAIT_SECONDS = 120.0  # how long a run waits for another run's lock on the repository
LOCK_WAIT_ENV = "LABELGATE_LOCK_WAIT"
LOCK_RETRY_SECONDS = 2.0  # between attempts (each attempt DVC itself retries for ~3 s)
LOCK_FILE = Path(".dvc") / "tmp" / "lock"

# DVC's advice for someone typing `dvc repro`, which does not apply to a labelgate run. Each
# starts a message whose indented lines (the command to type) go with it.
CHATTER = (
    "To track the changes with git",
    "To enable auto staging",
    "Use `dvc push` to send your updates",
)


class ChatterFilter:
    """Decides, line by line, what of DVC's output reaches the log: no blank lines, and none of
    DVC's advice (CHATTER) with the indented command lines under it."""

    def __init__(self) -> None:
        self.skipping = False

    def keep(self, line: str) -> bool:
        """Whether to show `line` (without its line end)."""
        if not line.strip():
            return False
        if self.skipping and line[:1].isspace():
            return False
        self.skipping = line.lstrip().startswith(CHATTER)
        return not self.skipping

    def lines(self, text: str) -> Iterable[str]:
        """The lines of `text` to show."""
        return [line for line in text.splitlines() if self.keep(line)]


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


class Progress:
    """Which stage of how many is running, and how long the run has taken, as lines for
    `show` (the command line writes them to a terminal's stderr)."""

    def __init__(self, show: Log, total: int | None = None) -> None:
        self.show = show
        self.total = total  # stages DVC checks; None when DVC's plan is not known
        self.position = 0  # the stage DVC is checking, 1-based
        self.ran = 0
        self.start = time.monotonic()

    def elapsed(self) -> str:
        """Time since the run started, as m:ss."""
        return _clock(time.monotonic() - self.start)

    def checking(self) -> None:
        """DVC moves on to the next stage of its plan (it may find it unchanged)."""
        self.position += 1

    def running(self, addressing: str) -> None:
        """A stage really runs: say which, of how many, and the time so far."""
        self.ran += 1
        known = self.total is not None
        where = f"[{max(self.position, 1)}/{self.total}]" if known else f"[{self.ran}]"
        self.show(f"{where} {addressing} ({self.elapsed()} elapsed)")

    def finished(self) -> None:
        """The run's last line: stages run and checked, and the time it took."""
        checked = f" of {self.total}" if self.total is not None else ""
        self.show(f"{self.ran}{checked} stages ran in {self.elapsed()}")


class PipelineFailed(LabelgateError):
    """`dvc repro` failed outside a labelgate stage: DVC's own message says why (exit 3)."""

    exit_code = 3


class RunLocked(LabelgateError):
    """Another labelgate run or dvc command held the project's DVC lock for longer than this
    run would wait (exit 3)."""

    exit_code = 3


def lock_wait_seconds() -> float:
    """How long a run waits for the repository lock: `LABELGATE_LOCK_WAIT` seconds when set
    to a number >= 0, else `LOCK_WAIT_SECONDS`."""
    raw = os.environ.get(LOCK_WAIT_ENV, "").strip()
    try:
        value = float(raw)
    except ValueError:
        return LOCK_WAIT_SECONDS
    return value if value >= 0 and value == value else LOCK_WAIT_SECONDS


def _lock_error(exc: BaseException) -> bool:
    """Whether DVC failed because its repository lock (or a stage's read/write lock) was held,
    directly or behind a reproduction error."""
    try:
        from dvc.lock import LockError
    except ImportError:  # pragma: no cover - dvc is a dependency
        return False
    seen: BaseException | None = exc
    for _ in range(20):  # a cause chain, never a cycle in practice
        if seen is None:
            return False
        if isinstance(seen, LockError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


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

    def __init__(
        self, original: Callable[..., None], log: Log, progress: Progress | None = None
    ) -> None:
        self.original = original
        self.log = log
        self.progress = progress
        self.projects: dict[Path, Project] = {}  # loaded once per run: the YAML cannot change
        self.ran: list[str] = []

    def __call__(self, stage: Any, dry: bool = False, run_env: Any = None) -> None:
        commands = stage.cmd if isinstance(stage.cmd, list) else [stage.cmd]
        parsed = [own_stage(c) for c in commands]
        if self.progress is not None and not dry:
            self.progress.running(stage.addressing)
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
        if record.levelno >= logging.WARNING:
            lines = [line for line in message.splitlines() if line.strip()]
        else:
            # Each message is judged on its own: advice never spans two of them.
            lines = list(ChatterFilter().lines(message))
        for line in lines:
            self.log(line)


@contextlib.contextmanager
def _dvc_messages(log: Log) -> Iterator[None]:
    """DVC's INFO messages ("Stage 'x' didn't change, skipping") go to `log` while reproducing,
    without its advice for interactive use (`ChatterFilter`); warnings and errors all go."""
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


_PACKAGE = Path(__file__).resolve().parents[1]


def _raised_in_labelgate(exc: BaseException) -> bool:
    """Whether the exception passed through labelgate's own code (a stage run in process)."""
    tb = exc.__traceback__
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).resolve().is_relative_to(_PACKAGE):
            return True
        tb = tb.tb_next
    return False


def _cause(exc: BaseException) -> BaseException | None:
    """What a DVC failure hides: a labelgate error, or an exception from labelgate's own code
    (a bug, exit 4). An OSError inside DVC (a dependency file that is gone) is DVC's to report."""
    seen = exc.__cause__
    while seen is not None:
        if isinstance(seen, LabelgateError):
            return seen
        if not type(seen).__module__.startswith("dvc") and _raised_in_labelgate(seen):
            return seen
        seen = seen.__cause__
    return None


def _counting(repo: Any, targets: Sequence[str], progress: Progress) -> dict[str, Any]:
    """Keyword arguments for `repo.reproduce` that count the stages of DVC's plan as DVC
    checks them, after setting `progress.total`; none when this DVC's internals differ."""
    try:
        import dvc.repo.reproduce as dvc_reproduce

        plan = dvc_reproduce.plan_repro(
            dvc_reproduce.get_active_graph(repo.index.graph),
            dvc_reproduce.collect_stages(repo, list(targets)),
        )
        one_stage = dvc_reproduce._reproduce_stage
        takes_hook = "repro_fn" in inspect.signature(dvc_reproduce._reproduce).parameters
    except (ImportError, AttributeError, TypeError, ValueError):
        return {}
    if not takes_hook:
        return {}
    progress.total = len(plan)

    def checked(stage: Any, **kwargs: Any) -> Any:
        progress.checking()
        return one_stage(stage, **kwargs)

    return {"repro_fn": checked}


def reproduce(
    root: Path,
    targets: Sequence[str],
    log: Log,
    progress: Log | None = None,
    lock_wait: float | None = None,
) -> list[str]:
    """`dvc repro TARGETS` in `root`; return the stages that ran in process.

    `log` receives DVC's messages and each stage's lines; `progress`, if given, a line as each
    stage starts ("[3/16] agreement@tickets (0:12 elapsed)") and one at the end. While another
    run holds DVC's lock on the project, wait up to `lock_wait` seconds (default
    `lock_wait_seconds()`), saying so once in `log`, then raise `RunLocked`.
    """
    wait = lock_wait_seconds() if lock_wait is None else max(0.0, lock_wait)
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            return _reproduce_once(root, targets, log, progress)
        except RunLocked:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RunLocked(
                    f"another labelgate run or dvc command holds the lock on {root} "
                    f"({LOCK_FILE}) and did not release it within {wait:g} s. Wait for it to "
                    f"finish and run again (set {LOCK_WAIT_ENV}=SECONDS to wait longer). If "
                    "nothing else is running, a run killed under core.hardlink_lock can leave "
                    f"the lock behind: remove {root / LOCK_FILE}."
                ) from None
            if not told:
                log(
                    f"another labelgate run or dvc command holds the lock on {root}; "
                    f"waiting up to {wait:g} s"
                )
                told = True
            time.sleep(min(LOCK_RETRY_SECONDS, remaining))


def _reproduce_once(
    root: Path, targets: Sequence[str], log: Log, progress: Log | None
) -> list[str]:
    """One attempt of `reproduce`; `RunLocked` (without a message) when the lock is held."""
    counter = Progress(progress) if progress is not None else None
    try:
        import dvc.stage.run as dvc_stage_run
        from dvc.exceptions import DvcException
        from dvc.repo import Repo
    except ImportError:  # pragma: no cover - dvc is a dependency
        return reproduce_as_process(root, targets, log)
    original = getattr(dvc_stage_run, "cmd_run", None)
    if original is None:
        return reproduce_as_process(root, targets, log)
    runner = InProcessStages(original, log, counter)
    dvc_stage_run.cmd_run = runner
    try:
        # DVC resolves targets (and the dvc.yaml they name) from the working directory.
        with contextlib.chdir(root), _dvc_messages(log), Repo(str(root)) as repo:
            hook = _counting(repo, targets, counter) if counter is not None else {}
            repo.reproduce(list(targets), **hook)
    except DvcException as exc:
        if _lock_error(exc):
            raise RunLocked() from None
        cause = _cause(exc)
        if cause is not None:
            raise cause from None
        reasons = [str(exc)]
        inner = exc.__cause__
        while inner is not None:  # DVC's own chain says what was missing or broken
            if str(inner) and str(inner) not in reasons:
                reasons.append(str(inner))
            inner = inner.__cause__
        raise PipelineFailed(
            f"'dvc repro' failed: {': '.join(reasons)}. Run 'labelgate check' to see every "
            "problem of the project's files."
        ) from None
    finally:
        dvc_stage_run.cmd_run = original
    if counter is not None:
        counter.finished()
    return runner.ran


def reproduce_as_process(root: Path, targets: Sequence[str], log: Log) -> list[str]:
    """`dvc repro TARGETS` as a process, each stage a `labelgate stage` process of its own.

    Its output goes to `log` line by line, without DVC's advice (`ChatterFilter`); its stderr
    (warnings, errors, stage timings) streams through. `labelgate` and `dvc` from this
    interpreter's environment come first on PATH.
    """
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    chatter = ChatterFilter()
    with subprocess.Popen(
        [sys.executable, "-m", "dvc", "repro", *targets],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    ) as done:
        assert done.stdout is not None  # stdout=PIPE
        for line in done.stdout:
            text = line.rstrip("\r\n")
            if chatter.keep(text):
                log(text)
    if done.returncode != 0:
        raise PipelineFailed(
            f"'dvc repro' failed (exit {done.returncode}); the stage's message above says why."
        )
    return []
