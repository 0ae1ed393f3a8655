"""A stage's process allocates Arrow memory with jemalloc, unless the user chose a pool."""

from __future__ import annotations

import pyarrow as pa
import pytest

from labelgate.backends.memory_pool import use_lean_pool


def test_jemalloc_when_this_pyarrow_has_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    before = pa.default_memory_pool()
    try:
        try:
            pa.jemalloc_memory_pool()
        except NotImplementedError:
            pytest.skip("this pyarrow was built without jemalloc")
        assert use_lean_pool() == "jemalloc"
        assert pa.array(range(1000)).sum().as_py() == 499500  # allocations work in it
    finally:
        pa.set_memory_pool(before)


def test_the_users_choice_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
    before = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        assert use_lean_pool() == "system"
    finally:
        pa.set_memory_pool(before)
