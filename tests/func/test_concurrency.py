"""Two runs of one project: the second waits for DVC's repository lock, says so, and gives up
after a bounded time with exit 3 and a message saying what to do (never a "config error")."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from labelgate.app import repro
from labelgate.app.repro import LOCK_FILE, RunLocked, reproduce
from tests.conftest import cli, init_repo


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return init_repo(tmp_path_factory.mktemp("concurrency") / "proj", git=False)


@pytest.fixture(autouse=True)
def quick_dvc_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """DVC retries its lock for 3 s per attempt; a tenth of that keeps the tests quick."""
    import dvc.lock

    monkeypatch.setattr(dvc.lock, "DEFAULT_TIMEOUT", 0.3)
    monkeypatch.setattr(repro, "LOCK_RETRY_SECONDS", 0.2)


@pytest.fixture
def held(project: Path) -> Iterator[object]:
    """DVC's repository lock on `project`, taken the way a running `dvc repro` takes it."""
    from dvc.lock import make_lock

    lock = make_lock(str(project / LOCK_FILE), tmp_dir=str(project / LOCK_FILE.parent))
    lock.lock()
    try:
        yield lock
    finally:
        if lock.is_locked:
            lock.unlock()


def test_a_held_lock_ends_the_run_with_exit_3_and_what_to_do(
    project: Path, held: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LABELGATE_LOCK_WAIT", "0.5")
    done = cli("run", "-C", project)
    assert done.returncode == 3, done.stderr
    assert "another labelgate run or dvc command holds the lock on" in done.stderr
    assert "waiting up to 0.5 s" in done.stdout
    assert "did not release it within 0.5 s" in done.stderr
    assert "LABELGATE_LOCK_WAIT" in done.stderr
    assert "config error" not in done.stderr.lower()


def test_without_waiting_the_run_stops_at_once(project: Path, held: object) -> None:
    shown: list[str] = []
    with pytest.raises(RunLocked, match="did not release it within 0 s"):
        reproduce(project, ["config@example"], shown.append, lock_wait=0)
    assert not any("waiting" in line for line in shown)


def test_the_run_goes_on_once_the_other_releases_the_lock(project: Path, held: object) -> None:
    release = threading.Timer(0.8, held.unlock)  # type: ignore[attr-defined]
    release.start()
    shown: list[str] = []
    try:
        reproduce(project, ["config@example"], shown.append, lock_wait=30)
    finally:
        release.cancel()
    waiting = [line for line in shown if "holds the lock" in line]
    assert waiting == [
        f"another labelgate run or dvc command holds the lock on {project}; waiting up to 30 s"
    ]
    assert any("config@example" in line for line in shown), shown


def test_the_wait_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABELGATE_LOCK_WAIT", "7")
    assert repro.lock_wait_seconds() == 7
    for bad in ("soon", "-1", "nan", ""):
        monkeypatch.setenv("LABELGATE_LOCK_WAIT", bad)
        assert repro.lock_wait_seconds() == repro.LOCK_WAIT_SECONDS
