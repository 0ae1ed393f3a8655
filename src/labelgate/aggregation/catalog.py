"""Every aggregator, imported so that its `@register` runs; look one up by name."""

from __future__ import annotations

from typing import Any

from labelgate.aggregation import (  # noqa: F401  (register)
    auto,
    dawid_skene,
    glad,
    mace,
    majority_vote,
    ordinal,
    wawa,
)
from labelgate.aggregation.base import Aggregator
from labelgate.aggregation.registry import AGGREGATORS
from labelgate.config.pipeline import aggregator_param_problems
from labelgate.errors import ConfigError
from labelgate.problems import Problem, did_you_mean


def make(name: str, labels: list[str], params: dict[str, Any], where: str = "") -> Aggregator:
    """An aggregator by name with parameters; unknown names or parameters are config errors."""
    cls = AGGREGATORS.get(name)
    if cls is None:
        raise ConfigError(
            [
                Problem(
                    where,
                    key_path="aggregate.method",
                    message=f"unknown aggregator '{name}'.",
                    fix=did_you_mean(name, AGGREGATORS),
                )
            ]
        )
    # The same check as the pipeline model's (`labelgate check`), for callers that bypass it:
    # the Python API, `labelgate aggregate --param`. Nothing out of range reaches the fit.
    problems = aggregator_param_problems(name, params)
    if problems:
        raise ConfigError(
            [
                Problem(where, key_path=f"aggregate.params.{key}", message=message, fix=fix)
                for key, message, fix in problems
            ]
        )
    try:
        aggregator: Aggregator = cls(labels=labels, **params)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            [
                Problem(
                    where,
                    key_path="aggregate.params",
                    message=f"invalid parameters for '{name}': {exc}.",
                )
            ]
        ) from None
    return aggregator
