"""Deterministic JSON and text files: the same data always gives the same bytes (no pandas here).

Every file labelgate writes goes through `atomic_output` (here, so that every stage's code
list in dvc.yaml, which names this file, covers it): a reader, or a run killed half-way, sees
the old file or the new one. The content goes to a temporary file in the target's directory
(same file system, so the rename is atomic), is flushed and fsynced, and then `os.replace`
puts it in place. A failure before the rename removes the temporary file and leaves the
previous file untouched; a `kill -9` may leave a stray `.NAME.*.tmp` beside it, never a torn
target.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from labelgate.errors import InputError
from labelgate.problems import Problem


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable; not every platform can open a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[IO[bytes]]:
    """A binary file to write `path`'s new content to; it replaces `path` on a clean exit.

    The parent directory is created. An existing file's permission bits are kept.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, on every path
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    temp = Path(handle.name)
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            os.chmod(temp, _mode(path))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_dir(path.parent)


@functools.cache
def _umask() -> int:
    """The process umask, read once (setting it to read it is not thread-safe, so only once)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def _mode(path: Path) -> int:
    """The target's permission bits, or what a plain `open` would give under the umask (a
    temporary file is created 0600)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def write_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to `path` atomically."""
    with atomic_output(path) as handle:
        handle.write(data)
    return path


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null; NumPy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, float):
        return round(value, 10)
    return value


def json_text(data: Any, sort_keys: bool = True) -> str:
    """Two-space indent, floats rounded to 10 places, trailing newline; keys sorted unless the
    caller's order carries meaning (e.g. labels in schema order)."""
    return json.dumps(_clean(data), indent=2, sort_keys=sort_keys, ensure_ascii=False) + "\n"


def write_json(path: Path, data: Any) -> Path:
    """Write `data` as deterministic JSON, atomically."""
    return write_bytes(path, json_text(data).encode("utf-8"))


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object written by `write_json`."""
    return dict(json.loads(path.read_text(encoding="utf-8")))


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text as given (callers end it with a newline; line ends are kept),
    atomically."""
    return write_bytes(path, text.encode("utf-8"))


def prepare_output(path: Path, folder: bool) -> None:
    """Make sure `path` can be written: a folder (created if missing) or a file whose folder
    exists or can be made; anything else is an InputError naming the path and the reason."""
    display = str(path)
    if folder and path.exists() and not path.is_dir():
        reason, fix = "is a file, not a folder", "Give a folder (-o DIR) that is not a file."
    elif not folder and path.is_dir():
        reason, fix = "is a folder, not a file", "Give a file name (-o DIR/NAME)."
    else:
        try:
            (path if folder else path.parent).mkdir(parents=True, exist_ok=True)
            return
        except OSError as exc:
            reason = f"cannot be created ({exc.strerror or exc})"
            fix = "Give an output path whose folders are folders you can write to."
    raise InputError([Problem(display, message=f"the output {reason}.", fix=fix)])
