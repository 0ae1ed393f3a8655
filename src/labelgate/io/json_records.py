"""JSON records read strictly: a key given twice, at any depth, is an error, not the last; JSONL
lines one by one, each bad line a reason rather than a crash."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DUPLICATE_FIX = "Export each key once per JSON object."
JSON_KINDS = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "true or false",
    type(None): "null",
}


class DuplicateKeyError(ValueError):
    """A JSON object names one key twice: `json.loads` alone would keep the last value silently.

    `key` is the key, `path` where its object sits ("" for the record itself, else e.g.
    `meta.tags[0]`), `values` the values given for it, in order.
    """

    def __init__(self, key: str, path: str, values: list[Any]) -> None:
        self.key = key
        self.path = path
        self.values = values
        shown = ", then ".join(_shown(v) for v in values)
        self.fix = f"{key!r} is given {len(values)} times ({shown}). {DUPLICATE_FIX}"
        where = "the JSON object" if not path else f"the JSON object at {path}"
        super().__init__(f"duplicate key {key!r} in {where}")


class NotAnObjectError(ValueError):
    """The line is valid JSON but not an object (an array, a string, a number...)."""


def _shown(value: object, size: int = 60) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (RecursionError, ValueError):  # nested deeper than the encoder goes
        return JSON_KINDS.get(type(value), "a value")
    return text if len(text) <= size else text[:size] + "..."


def _step(key: str | int) -> str:
    if isinstance(key, int):
        return f"[{key}]"
    return f".{key}" if key.isidentifier() else f"[{json.dumps(key, ensure_ascii=False)}]"


def _path_to(target: dict[str, Any], top: object) -> str | None:
    """Where `target` (the very object) sits under `top`, as `a.b[0]`; None when not there."""
    stack: list[tuple[object, str]] = [(top, "")]
    while stack:  # a loop, not recursion: the record may be nested deeply
        value, path = stack.pop()
        if value is target:
            return path.removeprefix(".")
        children: list[tuple[str | int, object]] = []
        if isinstance(value, dict):
            children = list(value.items())
        elif isinstance(value, list):
            children = list(enumerate(value))
        stack.extend((child, path + _step(key)) for key, child in reversed(children))
    return None


class _Duplicate(Exception):
    """A key given twice: the fast pass stops, the slow one says where."""


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    built = dict(pairs)
    if len(built) != len(pairs):
        raise _Duplicate
    return built


# One decoder made once: a hook passed to each `json.loads` call builds a decoder per line,
# which costs more than the parse; this one keeps a record's parse close to plain json.loads.
_STRICT = json.JSONDecoder(object_pairs_hook=_unique_pairs)


def parse_object(line: str) -> dict[str, Any]:
    """The JSON object on `line`.

    Raises:
        json.JSONDecodeError: not valid JSON.
        RecursionError: nested too deeply to read.
        DuplicateKeyError: an object, the record or one nested in it, has a key twice.
        NotAnObjectError: valid JSON that is not an object.
    """
    try:
        value = _STRICT.decode(line)
    except _Duplicate:
        raise _located(line) from None
    if not isinstance(value, dict):
        kind = JSON_KINDS.get(type(value), type(value).__name__)
        raise NotAnObjectError(f"not a JSON object but {kind}")
    return value


def _located(line: str) -> DuplicateKeyError:
    """The duplicate of `line` to report, and where it is: parsed again, keeping every object
    with a duplicate (held, not by id, so a dropped one is never freed and its id reused)."""
    found: list[tuple[dict[str, Any], str, list[Any]]] = []

    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        built = dict(pairs)
        if len(built) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    found.append((built, key, [v for k, v in pairs if k == key]))
                    break
                seen.add(key)
        return built

    value = json.loads(line, object_pairs_hook=build)
    # The hook sees inner objects first; report the record's own duplicate when it has one,
    # else the first nested one still in the record (one dropped by an outer duplicate is
    # reported through that outer one, so there always is one).
    located = [(_path_to(obj, value), key, values) for obj, key, values in found]
    reachable = [(path, key, values) for path, key, values in located if path is not None]
    path, key, values = min(reachable, key=lambda one: one[0] != "")
    return DuplicateKeyError(key, path, values)


Record = tuple[int, dict[str, Any] | None, str, str]
_SHOWN = 200  # characters of a bad line quoted in its detail


def json_lines(path: Path) -> Iterator[Record]:
    """(line number, record or None, skip reason, detail) per non-blank line: a line that is
    not UTF-8, not JSON or not a JSON object comes back as None with its reason."""
    with path.open("rb") as handle:
        for number, data in enumerate(handle, start=1):
            try:
                line = data.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                shown = data.decode("utf-8", "replace")[:_SHOWN]
                yield (
                    number,
                    None,
                    "bad_encoding",
                    (
                        f"not UTF-8 text ({exc.reason} at byte {exc.start} of the line): {shown}. "
                        "Re-export the file as UTF-8."
                    ),
                )
                continue
            if not line.strip():
                continue
            try:
                value = parse_object(line)
            except DuplicateKeyError as exc:
                yield number, None, "malformed_row", f"{exc}: {exc.fix} {line[:_SHOWN]}"
                continue
            except NotAnObjectError:
                yield number, None, "malformed_row", f"not a JSON object: {line[:_SHOWN]}"
                continue
            except json.JSONDecodeError as exc:
                yield number, None, "malformed_row", f"invalid JSON ({exc.msg}): {line[:_SHOWN]}"
                continue
            except RecursionError:
                yield number, None, "malformed_row", f"JSON nested too deeply: {line[:_SHOWN]}"
                continue
            yield number, value, "", ""
