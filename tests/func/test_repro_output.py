"""What `labelgate run` shows while DVC reproduces: the stages that run or are skipped, lock file
updates, warnings and errors, but none of DVC's advice for someone typing `dvc repro` (stage
dvc.lock with git, turn on auto staging, push) and no blank lines; and, given a progress
callback, which stage of how many is running (app/repro.py)."""

from __future__ import annotations

import logging
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from labelgate.app import repro
from labelgate.app.repro import ChatterFilter, Progress, reproduce
from labelgate.stages.registry import STAGE_NAMES
from tests.conftest import cli, init_repo

CHATTER = (
    "To track the changes with git",
    "git add dvc.lock",
    "To enable auto staging",
    "dvc config core.autostage true",
    "Use `dvc push`",
)

# What `dvc repro` prints as a process (DVC 3.x), advice included.
DVC_OUTPUT = """\
Stage 'config@example' didn't change, skipping

Running stage 'gate@example':
> labelgate stage gate --dataset example
[gate@example] gate PASS
Updating lock file 'dvc.lock'

To track the changes with git, run:

\tgit add dvc.lock

To enable auto staging, run:

\tdvc config core.autostage true
Use `dvc push` to send your updates to remote storage.
"""

KEPT = [
    "Stage 'config@example' didn't change, skipping",
    "Running stage 'gate@example':",
    "> labelgate stage gate --dataset example",
    "[gate@example] gate PASS",
    "Updating lock file 'dvc.lock'",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git and DVC repository from the template: git is what makes DVC give its advice."""
    return init_repo(tmp_path_factory.mktemp("repro-output") / "proj")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project already built, so a test that changes one file sees only what it re-runs
    (its own, whatever order the parallel workers run the tests in)."""
    root = init_repo(tmp_path_factory.mktemp("repro-built") / "proj")
    assert cli("run", "-C", root).returncode == 0
    return root


def _log_part(stdout: str) -> list[str]:
    """The lines before the per-dataset screens (`labelgate run` prints one blank line there)."""
    return stdout.split("\n\n== ", 1)[0].splitlines()


def test_a_run_shows_stages_and_lock_updates_without_dvc_advice(project: Path) -> None:
    done = cli("run", "-C", project)
    assert done.returncode == 0, done.stdout + done.stderr
    log = _log_part(done.stdout)
    assert log[0] == "Running stage 'config@example':"
    for line in ("Running stage 'gate@example':", "Updating lock file 'dvc.lock'"):
        assert line in log
    assert "[gate@example] gate PASS" in log
    for advice in CHATTER:
        assert advice not in done.stdout + done.stderr, advice
    assert "" not in log
    again = cli("run", "-C", project)
    assert _log_part(again.stdout) == [
        f"Stage '{name}@example' didn't change, skipping" for name in STAGE_NAMES
    ]


def test_progress_names_each_stage_that_runs_with_its_place_in_the_plan(built: Path) -> None:
    rules = built / "qa_rules/review_sentiment.yaml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("min: 0.4", "min: 0.45"), encoding="utf-8")
    log: list[str] = []
    progress: list[str] = []
    try:
        ran = reproduce(built, ["gate@example"], log.append, progress.append)
    finally:
        rules.write_text(text, encoding="utf-8")
    # The config stage reads the rules, and of its section files only the gates changed: the
    # report (whose pages show each gate) and the gate re-run.
    assert ran == ["config@example", "report@example", "gate@example"]
    assert len(progress) == 4
    assert re.fullmatch(r"\[1/13\] config@example \(0:\d\d elapsed\)", progress[0])
    assert re.fullmatch(r"\[12/13\] report@example \(0:\d\d elapsed\)", progress[1])
    assert re.fullmatch(r"\[13/13\] gate@example \(0:\d\d elapsed\)", progress[2])
    assert re.fullmatch(r"3 of 13 stages ran in 0:\d\d", progress[3])
    assert not any(line.startswith("[1/13]") for line in log)  # progress never goes to the log
    for advice in CHATTER:
        assert not any(advice in line for line in log), advice


def test_progress_without_dvcs_plan_counts_the_stages_that_ran() -> None:
    shown: list[str] = []
    progress = Progress(shown.append)
    progress.running("ingest@tickets")
    progress.running("agreement@tickets")
    progress.finished()
    assert [re.sub(r"\d+:\d\d", "m:ss", line) for line in shown] == [
        "[1] ingest@tickets (m:ss elapsed)",
        "[2] agreement@tickets (m:ss elapsed)",
        "2 stages ran in m:ss",
    ]


def test_the_filter_keeps_dvcs_stage_lines_and_drops_its_advice() -> None:
    assert ChatterFilter().lines(DVC_OUTPUT) == KEPT


def test_warnings_and_errors_pass_whole_and_info_advice_does_not() -> None:
    shown: list[str] = []
    logger = logging.getLogger("dvc.repo.reproduce")
    with repro._dvc_messages(shown.append):
        logger.info("Running stage '%s':", "agreement@tickets")
        logger.info("")  # DVC's newline between stages
        logger.info("\nTo track the changes with git, run:\n\n%s", "\tgit add dvc.lock")
        logger.info("\nTo enable auto staging, run:\n\n\tdvc config core.autostage true")
        logger.warning("'%s' is frozen.\n\n\tIts dependencies are not going to be reproduced.", "x")
        logger.error("failed to reproduce 'gate@tickets'")
        logger.debug("Staging files: dvc.lock")
    assert shown == [
        "Running stage 'agreement@tickets':",
        "'x' is frozen.",
        "\tIts dependencies are not going to be reproduced.",
        "failed to reproduce 'gate@tickets'",
    ]


class _FakeDvc:
    """Stands in for the `dvc repro` process: prints DVC_OUTPUT and exits 0."""

    calls: ClassVar[list[list[str]]] = []

    def __init__(self, args: list[str], **kwargs: Any) -> None:
        self.calls.append(args)
        assert kwargs["stdout"] == subprocess.PIPE
        self.stdout: Iterator[str] = iter(DVC_OUTPUT.splitlines(keepends=True))
        self.returncode = 0

    def __enter__(self) -> _FakeDvc:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def test_dvc_repro_as_a_process_is_filtered_the_same_way(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The fallback for a DVC without the in-process hook: its stdout goes through `log`."""
    monkeypatch.setattr(repro.subprocess, "Popen", _FakeDvc)
    shown: list[str] = []
    assert repro.reproduce_as_process(tmp_path, ["gate@example"], shown.append) == []
    assert _FakeDvc.calls[-1][-3:] == ["dvc", "repro", "gate@example"]
    assert shown == KEPT
