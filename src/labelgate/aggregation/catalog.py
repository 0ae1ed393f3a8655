"""Every aggregator, imported so that its `@register` runs; look one up by name."""

from __future__ import annotations

from typing import Any

from labelgate.aggregation import dawid_skene, mace, majority_vote, ordinal  # noqa: F401  (register)
from labelgate.aggregation.base import Aggregator
from labelgate.aggregation.registry import AGGREGATORS
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
    allowed = [
        p
        for p in cls.__init__.__code__.co_varnames[1 : cls.__init__.__code__.co_argcount]
        if p != "labels"
    ]
    unknown = [p for p in params if p not in allowed]
    if unknown:
        raise ConfigError(
            [
                Problem(
                    where,
                    key_path=f"aggregate.params.{p}",
                    message=f"'{name}' has no parameter '{p}'.",
                    fix=did_you_mean(p, allowed),
                )
                for p in unknown
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
