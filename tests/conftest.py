"""Shared fixtures: write a whole labelgate project in one call (after DVC's `tmp_dir.gen`),
and run `labelgate` commands in this process (`cli`); `sh` and `labelgate` start processes,
for the few tests that are about processes (tests/func/test_processes.py)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from labelgate.scaffold.init import init_project
from labelgate.stages.registry import STAGE_NAMES

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


@dataclass(frozen=True)
class Result:
    """What one command returned and printed (the fields of `subprocess.CompletedProcess`)."""

    returncode: int
    stdout: str
    stderr: str


def cli(*args: str | os.PathLike[str], cwd: Path | None = None) -> Result:
    """`labelgate ARGS` in this process: `main(argv)` with stdout and stderr captured.

    `cwd` is entered for the call and left after it; prefer `-C DIR` or a path argument where
    the command takes one. `main` maps errors to exit codes itself (argparse's usage errors to
    2, `--help` and `--version` to 0); a `SystemExit` that still escapes becomes its code, as
    the interpreter would make it.
    """
    from labelgate.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        try:
            code = main([os.fspath(a) for a in args])
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
    return Result(code, out.getvalue(), err.getvalue())


def init_repo(root: Path, *, git: bool = True) -> Path:
    """What `labelgate init ROOT` makes (a git and a DVC repository), with `dvc init` run in
    this process instead of as a `python -m dvc init` process."""
    from dvc.repo import Repo

    init_project(root, git=git, dvc=False)
    Repo.init(str(root), no_scm=not git).close()
    return root


def sh(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing text output; never raises on a non-zero exit."""
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, check=False)


def labelgate(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m labelgate ARGS` as a process with this interpreter (slow: prefer `cli`)."""
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


# Every stage after config, in pipeline order.
ALL_STAGES = STAGE_NAMES[1:]


@pytest.fixture(scope="session")
def dask_client() -> Iterator[object]:
    """Two in-process Dask workers, one per test process: the scheduler, serialisation and
    task graph are Dask's own. Skips when Dask (the `dask` extra) is not installed."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    )
    client = distributed.Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()


def ingest_in_chunks(root: Path, chunk_rows: int) -> tuple[list[str], dict[str, bytes]]:
    """Run ingest on dataset `example` with `engine.chunk_rows` records a piece: its lines and
    the bytes of every file it wrote."""
    import dataclasses

    from labelgate.config.params import Engine
    from labelgate.project.context import dataset_context
    from labelgate.stages.registry import stage_function

    ctx = dataclasses.replace(
        dataset_context(root, "example"), engine=Engine(chunk_rows=chunk_rows)
    )
    lines = stage_function("ingest")(ctx).lines
    out = root / "build/example"
    return lines, {path.name: path.read_bytes() for path in sorted(out.iterdir()) if path.is_file()}


def pytest_configure(config: pytest.Config) -> None:
    # DVC 3.x's own use of pygtrie, seen now that `labelgate run` reproduces in this process.
    config.addinivalue_line(
        "filterwarnings",
        "ignore:_NoneStep.value will soon raise AttributeError:DeprecationWarning:dvc",
    )
