"""Atomic writes (`io/json_io.py` `atomic_output`, behind every writer): a failure or a kill -9 at any point leaves the old file or the new one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from labelgate.io import json_io, writers


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_write_replaces_the_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.txt"
    json_io.write_text(target, "one\n")
    json_io.write_text(target, "two\n")
    assert target.read_text(encoding="utf-8") == "two\n"
    assert _leftovers(target.parent) == []


def test_a_new_file_gets_the_permissions_a_plain_write_would(tmp_path: Path) -> None:
    plain, done = tmp_path / "plain", tmp_path / "atomic"
    plain.write_text("x", encoding="utf-8")
    json_io.write_text(done, "x")
    assert done.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777
    os.chmod(done, 0o640)
    json_io.write_text(done, "y")
    assert done.stat().st_mode & 0o777 == 0o640


class HalfWritten(RuntimeError):
    pass


def _half_write(target: Path, data: bytes) -> None:
    with json_io.atomic_output(target) as handle:
        handle.write(data[: len(data) // 2])
        handle.flush()
        raise HalfWritten


def test_a_failure_mid_write_keeps_the_old_file_and_removes_the_temporary_one(
    tmp_path: Path,
) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old content")
    with pytest.raises(HalfWritten):
        _half_write(target, b"new content that is long enough to be cut in half")
    assert target.read_bytes() == b"old content"
    assert _leftovers(tmp_path) == []


FRAME = pd.DataFrame({"a": ["x", "y"], "b": [1.5, -0.05]})
WRITERS: dict[str, Callable[[Path], object]] = {
    "csv": lambda path: writers.write_csv(path, FRAME),
    "parquet": lambda path: writers.write_parquet(path, FRAME),
    "json": lambda path: json_io.write_json(path, {"a": 1}),
    "text": lambda path: json_io.write_text(path, "some text\n"),
}


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_every_writer_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """Each writer of io fails half-way (the temporary file's write raises after writing half
    the bytes): the previous file stays as it was, and no temporary file is left."""
    target = tmp_path / f"out.{kind}"
    target.write_bytes(b"previous")
    wrapper = tempfile._TemporaryFileWrapper  # what NamedTemporaryFile returns
    real_write = wrapper.__getattr__

    def half_then_fail(self: Any, data: bytes) -> int:
        real_write(self, "write")(bytes(data)[: max(1, len(data) // 2)])
        raise HalfWritten

    monkeypatch.setattr(wrapper, "write", half_then_fail, raising=False)
    with pytest.raises(HalfWritten):
        WRITERS[kind](target)
    assert target.read_bytes() == b"previous"
    assert _leftovers(tmp_path) == []


# A child that rewrites one large file forever, alternating two contents.
WRITER = """
import sys
from pathlib import Path
from labelgate.io.json_io import write_bytes
target = Path(sys.argv[1])
contents = [b"a" * 4_000_000, b"b" * 6_000_000]
print("ready", flush=True)
i = 0
while True:
    write_bytes(target, contents[i % 2])
    i += 1
"""


@pytest.mark.slow
def test_kill_9_while_writing_leaves_the_old_or_the_new_content(tmp_path: Path) -> None:
    target = tmp_path / "big.bin"
    old = b"o" * 1000
    target.write_bytes(old)
    allowed = {old, b"a" * 4_000_000, b"b" * 6_000_000}
    deadline = time.monotonic() + 3.0
    kills = 0
    while time.monotonic() < deadline or kills < 3:
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.05 + 0.03 * (kills % 5))  # kill at varying points of a write
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        kills += 1
        assert target.read_bytes() in allowed, f"torn file after kill {kills}"
        for stray in tmp_path.glob(".big.bin.*.tmp"):  # what a kill may leave beside it
            stray.unlink()
    assert kills >= 3
