"""Read a roster (YAML `kind: roster`, or CSV with the same fields as columns) into a model,
every problem with its file, line and key path."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from labelgate.config.roster import CSV_COLUMNS, Roster
from labelgate.config.validation import validate
from labelgate.config.yaml_loader import load_yaml, read_text
from labelgate.errors import ConfigError
from labelgate.problems import Problem, did_you_mean

_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}
_NUMBERS = ("capacity", "rate_per_hour", "rate_per_item", "hours_per_day")


def _cell(column: str, text: str) -> Any:
    """A CSV cell as the model expects it; raises ValueError with the reason."""
    text = text.strip()
    if column == "skills":
        return [s.strip() for s in text.replace("|", ";").split(";") if s.strip()]
    if column == "active":
        if text.lower() in _TRUE | {""}:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(f"'{text}' is not true or false")
    if column in _NUMBERS:
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"'{text}' is not a number") from None
        return int(number) if column == "capacity" and number.is_integer() else number
    return text


def _csv_roster(text: str, display: str) -> Roster:
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    problems: list[Problem] = []
    for name in header:
        if name not in CSV_COLUMNS:
            problems.append(
                Problem(
                    display,
                    1,
                    1,
                    name,
                    f"unknown column '{name}'.",
                    did_you_mean(name, CSV_COLUMNS),
                )
            )
    for name in ("annotator_id", "capacity"):
        if name not in header:
            problems.append(
                Problem(
                    display,
                    1,
                    1,
                    name,
                    f"required column '{name}' is missing.",
                    f"Add a '{name}' column.",
                )
            )
    if problems:
        raise ConfigError(problems)
    annotators: list[dict[str, Any]] = []
    lines: list[int] = []
    for row in reader:
        if not any(c.strip() for c in row):
            continue
        line = reader.line_num
        if len(row) != len(header):
            problems.append(
                Problem(
                    display,
                    line,
                    1,
                    "",
                    f"expected {len(header)} cells, but got {len(row)} instead.",
                    "",
                )
            )
            continue
        record: dict[str, Any] = {}
        for name, value in zip(header, row, strict=True):
            try:
                parsed = _cell(name, value)
            except ValueError as exc:
                problems.append(Problem(display, line, 1, name, f"{exc}.", ""))
                continue
            if parsed is not None:
                record[name] = parsed
        annotators.append(record)
        lines.append(line)
    if problems:
        raise ConfigError(problems)
    data = {"kind": "roster", "format_version": 1, "annotators": annotators}
    try:
        return Roster.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            line = lines[loc[1]] if len(loc) > 1 and isinstance(loc[1], int) else 0
            key = str(loc[2]) if len(loc) > 2 else ""
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "missing":
                message = f"required column '{key}' is empty"
            problems.append(Problem(display, line, 1, key, f"{message}.", ""))
        raise ConfigError(problems) from None


def load_roster(path: Path, display: str) -> Roster:
    """The roster at `path` (`.csv`: a CSV; else YAML); raise ConfigError with every problem."""
    if path.suffix.lower() == ".csv":
        return _csv_roster(read_text(path, display), display)
    return validate(Roster, load_yaml(path, display))
