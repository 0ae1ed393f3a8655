"""Deterministic JSON and text files: the same data always gives the same bytes (no pandas here)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


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
    """Write `data` as deterministic JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json_text(data), encoding="utf-8")
    return path


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object written by `write_json`."""
    return dict(json.loads(path.read_text(encoding="utf-8")))


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text as given (callers end it with a newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
