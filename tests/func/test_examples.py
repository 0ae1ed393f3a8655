"""The committed example datasets are exactly what the seeded generator writes."""

from __future__ import annotations

import importlib.util

from tests.conftest import REPO_ROOT


def test_generator_recreates_the_committed_files_byte_for_byte() -> None:
    spec = importlib.util.spec_from_file_location(
        "generate_examples", REPO_ROOT / "scripts/generate_examples.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    files = module.generate()
    assert len(files) == 16  # tickets 9, toxicity 3, emotions 3, entities 1
    for name, text in files.items():
        assert (REPO_ROOT / name).read_bytes() == text.encode("utf-8"), name
