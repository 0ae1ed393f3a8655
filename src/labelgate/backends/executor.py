"""The engine contract: place partitions once, run a function on each, gather results in order.

An analysis that scales splits its data into partitions by item (`partitions.by_item`), places
them with `scatter`, runs a kernel on every partition with `map` (each kernel returns small
partial sufficient statistics, or a prepared partition that stays where it is), and adds the
gathered partials in partition order (`add_in_order`). The partitions depend on the data and
`engine.partition_rows` only, never on the engine, and the sums run in the same order on every
engine: the local and the Dask engine give bit-identical numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from labelgate.metrics.counts import add_in_order

__all__ = ["DEFAULT_PARTITION_ROWS", "Executor", "LocalExecutor", "add_in_order", "map_gather"]

T = TypeVar("T")

# Annotations per partition when nothing says otherwise (engine.partition_rows).
DEFAULT_PARTITION_ROWS = 2_000_000


class Executor(Protocol):
    """Where partitions live and kernels run; a `Ref` is a partition or a result in place."""

    name: str
    partition_rows: int

    def scatter(self, parts: Sequence[Any]) -> list[Any]:
        """Place each partition where kernels will run; return one reference per partition."""
        ...

    def map(self, fn: Callable[..., Any], refs: Sequence[Any], *shared: Any) -> list[Any]:
        """`fn(part, *shared)` on every referenced partition; results stay in place (refs)."""
        ...

    def gather(self, refs: Sequence[Any]) -> list[Any]:
        """The referenced values, in the order of `refs`."""
        ...


class LocalExecutor:
    """In process, one partition after another: a reference is the value itself."""

    name = "local"

    def __init__(self, partition_rows: int = DEFAULT_PARTITION_ROWS) -> None:
        self.partition_rows = partition_rows

    def scatter(self, parts: Sequence[Any]) -> list[Any]:
        """The partitions themselves."""
        return list(parts)

    def map(self, fn: Callable[..., Any], refs: Sequence[Any], *shared: Any) -> list[Any]:
        """Each partition in turn."""
        return [fn(part, *shared) for part in refs]

    def gather(self, refs: Sequence[Any]) -> list[Any]:
        """The values themselves."""
        return list(refs)


def map_gather(
    executor: Executor, fn: Callable[..., T], refs: Sequence[Any], *shared: Any
) -> list[T]:
    """`map` then `gather`: the small results of a kernel, in partition order."""
    return executor.gather(executor.map(fn, refs, *shared))
