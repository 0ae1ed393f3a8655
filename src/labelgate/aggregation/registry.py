"""A plain dict of aggregators filled by `@register`; duplicates are refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T", bound=type[Any])

AGGREGATORS: dict[str, type[Any]] = {}


def register(name: str) -> Callable[[T], T]:
    """Class decorator adding an aggregator under `name`."""

    def add(cls: T) -> T:
        if name in AGGREGATORS:
            raise ValueError(f"aggregator '{name}' is registered twice")
        AGGREGATORS[name] = cls
        return cls

    return add
