"""The Dask engine: partitions live on the workers of a Dask cluster (labelgate[dask])."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from labelgate.config.params import Engine
from labelgate.errors import ConfigError
from labelgate.problems import Problem

INSTALL_FIX = "Install the extra: pip install 'labelgate[dask]' (or use engine=local)."
# How long to try reaching engine.address before giving up.
CONNECT_TIMEOUT = "20s"


def _call(part: Any, fn: Callable[..., Any], shared: tuple[Any, ...]) -> Any:
    return fn(part, *shared)


class DaskExecutor:
    """Kernels run as Dask tasks on the workers that hold their partition."""

    name = "dask"

    def __init__(self, client: Any, partition_rows: int) -> None:
        self.client = client
        self.partition_rows = partition_rows

    def scatter(self, parts: Sequence[Any]) -> list[Any]:
        """Send each partition to a worker once; later kernels run where it lives."""
        futures: list[Any] = self.client.scatter(list(parts), hash=False)
        return futures

    def map(self, fn: Callable[..., Any], refs: Sequence[Any], *shared: Any) -> list[Any]:
        """One task per partition; `shared` goes to the cluster once, not once per task."""
        if not refs:
            return []
        # As one object (Dask scatters a tuple's elements one by one); nothing when empty.
        shared_ref = self.client.scatter([shared], broadcast=True, hash=False)[0] if shared else ()
        futures: list[Any] = self.client.map(
            _call, list(refs), fn=fn, shared=shared_ref, pure=False
        )
        return futures

    def gather(self, refs: Sequence[Any]) -> list[Any]:
        """The results, in the order of `refs` (a task's error is raised here)."""
        values: list[Any] = self.client.gather(list(refs))
        return values


def _problem(message: str, fix: str) -> ConfigError:
    return ConfigError([Problem("params.yaml", key_path="engine", message=message, fix=fix)])


@contextlib.contextmanager
def dask_executor(settings: Engine) -> Iterator[DaskExecutor]:
    """A client of the scheduler at `settings.address`, or of a LocalCluster started for the
    block and closed after it."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise _problem("engine 'dask' needs Dask, which is not installed.", INSTALL_FIX) from None
    if settings.address:
        try:
            client = Client(settings.address, timeout=CONNECT_TIMEOUT, set_as_default=False)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise _problem(
                f"cannot reach the Dask scheduler at {settings.address!r}: {exc}",
                "Start the scheduler (dask scheduler), check engine.address, or use engine=local.",
            ) from None
        with client:
            yield DaskExecutor(client, settings.partition_rows)
        return
    options: dict[str, Any] = {
        "threads_per_worker": settings.threads_per_worker,
        "processes": True,
        "memory_limit": settings.memory_limit,
        "dashboard_address": None,
    }
    if settings.workers is not None:
        options["n_workers"] = settings.workers
    if settings.local_directory is not None:
        options["local_directory"] = settings.local_directory
    with (
        LocalCluster(**options) as cluster,  # type: ignore[no-untyped-call]
        Client(cluster, set_as_default=False) as client,  # type: ignore[no-untyped-call]
    ):
        yield DaskExecutor(client, settings.partition_rows)
