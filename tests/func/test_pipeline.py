"""`labelgate run` and `dvc repro` end to end on a project written by `labelgate init`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import labelgate, sh

pytestmark = pytest.mark.slow


def dvc_status(cwd: Path) -> dict[str, object]:
    done = sh(sys.executable, "-m", "dvc", "status", "--json", cwd=cwd)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout or "{}"))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pipeline") / "proj"
    done = labelgate("init", str(root), cwd=root.parent)
    assert done.returncode == 0, done.stderr
    first = labelgate("run", cwd=root)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "== example: gate PASS" in first.stdout
    return root


def test_run_builds_every_output(project: Path) -> None:
    out = project / "build/example"
    for name in (
        "annotations.parquet",
        "violations.parquet",
        "agreement.json",
        "final_labels.parquet",
        "audit_sample.csv",
        "metrics.json",
        "summary.md",
        "gate.json",
    ):
        assert (out / name).is_file(), name
    lock = (project / "dvc.lock").read_text(encoding="utf-8")
    # dvc.lock records the hash of each rule and guideline file a dataset was built with.
    assert "qa_rules/review_sentiment.yaml" in lock
    assert "guidelines/review_sentiment.md" in lock


def test_second_repro_does_nothing(project: Path) -> None:
    assert dvc_status(project) == {}
    again = labelgate("run", cwd=project)
    assert again.returncode == 0
    assert "didn't change, skipping" in again.stdout + again.stderr
    assert "Running stage" not in again.stdout + again.stderr


def test_editing_a_threshold_reruns_only_the_gate_and_a_failure_exits_1(project: Path) -> None:
    rules = project / "qa_rules/review_sentiment.yaml"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("min: 0.4", "min: 0.9"), encoding="utf-8"
    )
    # Only the config stage reads the file; of its section files, only the gates changed.
    assert sorted(dvc_status(project)) == ["config@example"]
    failed = labelgate("run", cwd=project)
    log = failed.stdout + failed.stderr
    assert "Running stage 'gate@example'" in log
    for unaffected in ("ingest", "validate", "agreement", "aggregate", "audit", "report"):
        assert f"Running stage '{unaffected}@example'" not in log, unaffected
    assert failed.returncode == 1
    assert "== example: gate FAIL" in failed.stdout
    assert "FAIL krippendorff_alpha: krippendorff_alpha = 0.510 is below min 0.9." in failed.stdout
    assert "quality gate FAILED for: example" in failed.stdout
    verdict = json.loads((project / "build/example/gate.json").read_text(encoding="utf-8"))
    assert verdict["status"] == "fail"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("min: 0.9", "min: 0.4"), encoding="utf-8"
    )
    assert labelgate("run", cwd=project).returncode == 0


def test_a_broken_source_stops_the_run_with_exit_3(project: Path) -> None:
    source = project / "datasets/example/raw/annotations.csv"
    original = source.read_text(encoding="utf-8")
    try:
        source.write_text(original.replace("review_id,", "rid,", 1), encoding="utf-8")
        done = labelgate("run", cwd=project)
        assert done.returncode == 3
        assert (
            "datasets/example/raw/annotations.csv:1:1: columns.item_id: column 'review_id' (for item_id) is not in the file"
            in done.stderr
        )
    finally:
        source.write_text(original, encoding="utf-8")


def test_unknown_dataset_is_a_config_error(project: Path) -> None:
    done = labelgate("run", "--dataset", "exampel", cwd=project)
    assert done.returncode == 3
    assert (
        "dataset 'exampel' is not in conf/config.yaml 'datasets'. Did you mean 'example'?"
        in done.stderr
    )


def test_trace_tells_the_story_of_one_label(project: Path) -> None:
    assert labelgate("run", cwd=project).returncode == 0  # earlier tests may break the build
    done = labelgate("trace", "example", "r04", "--format", "json", cwd=project)
    assert done.returncode == 0, done.stderr
    traced = json.loads(done.stdout)
    assert traced["final"]["label"] == "neutral"
    assert traced["final"]["posterior"].startswith("negative=0.333; neutral=0.667")
    assert [a["annotator_id"] for a in traced["annotations"]] == ["w1", "w2", "w3"]
    assert traced["annotations"][0]["source"] == "datasets/example/raw/annotations.csv:11"
    assert traced["annotations"][0]["guideline_version"] == "1.0.0"
    assert [r["id"] for r in traced["rulings"]] == ["R-001", "R-002"]  # both name 'neutral'
    assert "qa_rules/review_sentiment.yaml" in traced["inputs"]["config"]
    assert traced["lineage"]["schema_version"] == "1.0.0"
    text = labelgate("trace", "example", "r04", cwd=project)
    assert "w3: negative" in text.stdout
    assert (
        "rulings for this label: R-001 Faint praise; R-002 Complaints about delivery only"
        in text.stdout
    )


def test_trace_refuses_unknown_items_and_datasets(project: Path) -> None:
    assert labelgate("run", cwd=project).returncode == 0
    item = labelgate("trace", "example", "r4", cwd=project)
    assert item.returncode == 3
    assert "item 'r4' is not in dataset 'example' (12 items)." in item.stderr
    assert "Did you mean" in item.stderr
    dataset = labelgate("trace", "exmple", "r04", cwd=project)
    assert dataset.returncode == 3
    assert "unknown dataset 'exmple'. Did you mean 'example'?" in dataset.stderr
