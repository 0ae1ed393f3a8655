"""The exception hierarchy, one class per exit code (docs/concepts.md, "Exit codes")."""

from __future__ import annotations

from collections.abc import Sequence

from labelgate.problems import Problem

ISSUES_URL = "https://github.com/labelgate/labelgate/issues"


class LabelgateError(Exception):
    """Base of every error labelgate raises on purpose; carries its exit code."""

    exit_code = 4


class GateFailed(LabelgateError):
    """The quality gate failed: data is below an error-severity threshold, or a gate could not be
    decided (error, or no_baseline counted as an error) (exit 1)."""

    exit_code = 1


class UsageError(LabelgateError):
    """Bad command-line arguments (exit 2)."""

    exit_code = 2


class ConfigError(LabelgateError):
    """Invalid configuration or input; holds every problem found (exit 3)."""

    exit_code = 3

    def __init__(self, problems: Sequence[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(message=problems)]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(p.render() for p in self.problems))


class InputError(ConfigError):
    """Unreadable or invalid data (a source file, a column, a row); exit 3."""


class InternalError(LabelgateError):
    """A bug in labelgate (exit 4)."""

    exit_code = 4
