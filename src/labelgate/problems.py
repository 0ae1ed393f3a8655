"""A problem found in a project file: where it is, what is wrong, and how to fix it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import get_close_matches


@dataclass(frozen=True, order=True)
class Problem:
    """One finding, rendered as `file:line:column: key.path: message (fix)`.

    `line` and `column` are 1-based; 0 means unknown.
    """

    file: str = ""
    line: int = 0
    column: int = 0
    key_path: str = ""
    message: str = ""
    fix: str = ""

    def render(self) -> str:
        """Format as `file:line:column: key.path: message fix`, omitting unknown parts."""
        where = self.file
        if where and self.line:
            where += f":{self.line}:{self.column or 1}"
        parts = [p for p in (where, self.key_path) if p]
        text = self.message
        if self.fix:
            text += f" {self.fix}"
        return ": ".join([*parts, text])


def did_you_mean(value: object, choices: Iterable[str]) -> str:
    """A 'Did you mean ...?' hint for a misspelt name, or a list of the valid names."""
    options = sorted({str(c) for c in choices})
    if not options:
        return ""
    close = get_close_matches(str(value), options, n=1, cutoff=0.6)
    if close:
        return f"Did you mean '{close[0]}'?"
    shown = ", ".join(f"'{o}'" for o in options[:12])
    more = f" (and {len(options) - 12} more)" if len(options) > 12 else ""
    return f"Expected one of {shown}{more}."


def render_bounded(problems: Sequence[Problem], limit: int = 50) -> list[str]:
    """Render the first `limit` problems and a line counting the rest (kedro-style)."""
    lines = [p.render() for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"... and {len(problems) - limit} more problems")
    return lines
