"""Open the engine that `engine:` in params.yaml (or --engine) names, for the length of a block."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from labelgate.backends.executor import Executor, LocalExecutor
from labelgate.config.params import Engine


@contextlib.contextmanager
def open_executor(settings: Engine | None = None) -> Iterator[Executor]:
    """The local executor, or a Dask client (its LocalCluster, when started, closes after)."""
    settings = settings or Engine()
    if settings.name == "local":
        yield LocalExecutor(settings.partition_rows)
        return
    from labelgate.backends.dask_executor import dask_executor

    with dask_executor(settings) as executor:
        yield executor
