"""Two runs of one project: the second waits for DVC's repository lock, says so, and gives up
after a bounded time with exit 3 and a message saying what to do (never a "config error"). The
run's own lock covers params.yaml: a second run never rewrites it under the first's DVC."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from labelgate.app import repro, run
from labelgate.app.repro import LOCK_FILE, RunLocked, reproduce
from labelgate.project.compose import params_text
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


# -- the run lock: params.yaml is written, reproduced and restored by one run at a time ------

OVERRIDE = "datasets=[example,other]"  # a params.yaml other than the committed one


@pytest.fixture
def two_datasets(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "proj", git=False)
    shutil.copytree(root / "datasets/example", root / "datasets/other")
    return root


def params(root: Path) -> str:
    return (root / "params.yaml").read_text(encoding="utf-8")


def in_thread(call: Callable[[], object], errors: list[BaseException]) -> threading.Thread:
    def target() -> None:
        try:
            call()
        except BaseException as exc:  # re-raised by the test, not lost in the thread
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_a_second_run_waits_and_never_rewrites_params_under_the_first(
    two_datasets: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run A reproduces with an override in params.yaml; plain run B starts meanwhile. B used to
    write params.yaml back to conf/ at once, under A's DVC; now it waits for A's run lock."""
    root = two_datasets
    committed = params(root)
    overridden = params_text(root, [OVERRIDE])
    started, release = threading.Event(), threading.Event()
    seen: dict[str, list[str]] = {"a": [], "b": []}

    def fake_reproduce(root: Path, targets: Sequence[str], *args: Any) -> list[str]:
        if "gate@other" in targets:  # run A
            seen["a"].append(params(root))
            started.set()
            assert release.wait(10)
            seen["a"].append(params(root))
        else:
            seen["b"].append(params(root))
        return []

    monkeypatch.setattr(run, "reproduce", fake_reproduce)
    monkeypatch.setattr(run, "_outcomes", lambda root, chosen: [])
    monkeypatch.setenv("LABELGATE_LOCK_WAIT", "30")
    errors: list[BaseException] = []
    a = in_thread(lambda: run.run_pipeline(root, overrides=[OVERRIDE]), errors)
    assert started.wait(10)
    shown: list[str] = []
    b = in_thread(lambda: run.run_pipeline(root, log=shown.append), errors)
    waiting = f"another labelgate run of {root} is under way; waiting up to 30 s"
    deadline = time.monotonic() + 10
    while waiting not in shown and time.monotonic() < deadline and not errors:
        time.sleep(0.05)
    assert shown == [waiting]
    assert params(root) == overridden  # B has not touched it
    release.set()
    a.join(10)
    b.join(10)
    if errors:
        raise errors[0]
    assert seen == {"a": [overridden, overridden], "b": [committed]}
    assert params(root) == committed


def test_a_run_that_cannot_take_the_run_lock_writes_nothing(
    two_datasets: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = two_datasets
    before = params(root)
    called: list[object] = []
    monkeypatch.setattr(run, "reproduce", lambda *args: called.append(args))
    monkeypatch.setenv("LABELGATE_LOCK_WAIT", "0")
    with run.run_lock(root, called.append), pytest.raises(RunLocked) as caught:
        run.run_pipeline(root, overrides=[OVERRIDE], log=called.append)
    assert str(caught.value) == (
        f"another labelgate run of {root} holds its run lock (.dvc/tmp/labelgate-run.lock) and "
        "did not finish within 0 s. Wait for it to finish and run again (set "
        "LABELGATE_LOCK_WAIT=SECONDS to wait longer)."
    )
    assert params(root) == before
    assert called == []
    with run.run_lock(root, called.append, lock_wait=0):  # released with its holder
        pass
