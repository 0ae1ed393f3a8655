"""A small seeded slice of the fuzz harness (`make fuzz` runs the whole of it): hostile configs
through `labelgate check`, hostile annotation files through `agreement`, `aggregate` and the
pipeline's ingest, each case in a forked child with a memory limit and a time budget.

The slice runs once per session (a module fixture); each test asserts one invariant over it, so
a known failure of one invariant does not hide the others.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz import __main__ as fuzz_main
from tests.fuzz import generators, harness

REPO_ROOT = Path(__file__).resolve().parents[2]

SEED = 1
N_CONFIGS = 12
N_DATA = 4


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[harness.CaseResult]:
    """The slice, through `python -m tests.fuzz` in a fresh process: its cases are forked from
    a process that has started no threads (pytest's may have, after other tests)."""
    failures = tmp_path_factory.mktemp("fuzz") / "failures"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.fuzz",
            *("--configs", str(N_CONFIGS), "--data", str(N_DATA), "--seed", str(SEED)),
            *("--run-every", "0", "--failures", str(failures)),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    rows = (failures.parent / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return [fuzz_main.result_from_row(json.loads(row)) for row in rows]


def _failures(results: list[harness.CaseResult], needle: str) -> list[str]:
    return [f"{r.name}: {f}" for r in results for f in r.failures if needle in f]


def test_every_case_ran(results: list[harness.CaseResult]) -> None:
    assert len(results) == N_CONFIGS + N_DATA
    assert not _failures(results, "harness error")
    assert not _failures(results, "without a result")
    assert all(r.commands for r in results)


def test_no_command_over_the_time_limit(results: list[harness.CaseResult]) -> None:
    assert not _failures(results, "over ") + _failures(results, "took ")


def test_no_case_over_1_gb(results: list[harness.CaseResult]) -> None:
    assert not _failures(results, "peak RSS")


def test_ingest_rows_in_equal_kept_plus_quarantined(results: list[harness.CaseResult]) -> None:
    assert not _failures(results, "rows_in") + _failures(results, "ingest.json")


def test_no_kept_value_contains_a_newline(results: list[harness.CaseResult]) -> None:
    assert not _failures(results, "line break")


def test_no_internal_error_on_hostile_configs(results: list[harness.CaseResult]) -> None:
    configs = [r for r in results if r.case["kind"] == "config"]
    assert not _failures(configs, "exit 4") + _failures(configs, "undocumented exit")


def test_no_internal_error_on_hostile_data(results: list[harness.CaseResult]) -> None:
    data = [r for r in results if r.case["kind"] == "data"]
    assert not _failures(data, "exit 4") + _failures(data, "undocumented exit")


def test_generators_are_deterministic(tmp_path: Path) -> None:
    from labelgate.scaffold.init import init_project

    init_project(tmp_path / "p", git=False, dvc=False)
    template = generators.template_texts(tmp_path / "p")
    for i in range(20):
        assert generators.config_case(3, i, template) == generators.config_case(3, i, template)
        assert generators.render_data(generators.data_case(3, i)) == generators.render_data(
            generators.data_case(3, i)
        )


def test_check_ingest_catches_broken_invariants(tmp_path: Path) -> None:
    """The checker itself: a miscount and a kept id with a newline are both reported."""
    import pandas as pd

    build = tmp_path / "build"
    build.mkdir()
    (build / "ingest.json").write_text(
        json.dumps(
            {"annotations": {"rows_in": 3, "rows_kept": 1, "rows_quarantined": 1}, "sources": []}
        )
    )
    pd.DataFrame({"item_id": ["a\nb"], "annotator_id": ["w"], "label": ["x"]}).to_parquet(
        build / "annotations.parquet"
    )
    failures = harness.check_ingest(build)
    assert any("rows_in 3 != kept 1 + quarantined 1" in f for f in failures)
    assert any("line break" in f for f in failures)
