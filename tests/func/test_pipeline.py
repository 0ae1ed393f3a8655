"""`labelgate run` (DVC's repro, in this process) end to end on a project written by
`labelgate init`; tests/func/test_processes.py checks that plain `dvc repro` builds the same."""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import cli, init_repo


def dvc_status(root: Path) -> dict[str, object]:
    """What `dvc status --json` run in `root` prints, from the same call in this process
    (DVC names stages relative to the working directory)."""
    from dvc.repo import Repo

    with contextlib.chdir(root), Repo(str(root)) as repo:
        return dict(repo.status())


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = init_repo(tmp_path_factory.mktemp("pipeline") / "proj")
    first = cli("run", cwd=root)
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
    again = cli("run", cwd=project)
    assert again.returncode == 0
    assert "didn't change, skipping" in again.stdout + again.stderr
    assert "Running stage" not in again.stdout + again.stderr


def test_editing_a_threshold_reruns_only_report_and_gate_and_a_failure_exits_1(
    project: Path,
) -> None:
    rules = project / "qa_rules/review_sentiment.yaml"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("min: 0.4", "min: 0.9"), encoding="utf-8"
    )
    # Only the config stage reads the file; of its section files, only the gates changed.
    assert sorted(dvc_status(project)) == ["config@example"]
    failed = cli("run", cwd=project)
    log = failed.stdout + failed.stderr
    assert "Running stage 'gate@example'" in log
    # report.html shows each gate's threshold and margin, so the report is redrawn too.
    assert "Running stage 'report@example'" in log
    for unaffected in ("ingest", "validate", "agreement", "aggregate", "audit"):
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
    assert cli("run", cwd=project).returncode == 0


def test_a_broken_source_stops_the_run_with_exit_3(project: Path) -> None:
    source = project / "datasets/example/raw/annotations.csv"
    original = source.read_text(encoding="utf-8")
    try:
        source.write_text(original.replace("review_id,", "rid,", 1), encoding="utf-8")
        done = cli("run", cwd=project)
        assert done.returncode == 3
        assert (
            "datasets/example/raw/annotations.csv:1:1: columns.item_id: column 'review_id' (for item_id) is not in the file"
            in done.stderr
        )
    finally:
        source.write_text(original, encoding="utf-8")


def test_unknown_dataset_is_a_config_error(project: Path) -> None:
    done = cli("run", "--dataset", "exampel", cwd=project)
    assert done.returncode == 3
    assert (
        "dataset 'exampel' is not in conf/config.yaml 'datasets'. Did you mean 'example'?"
        in done.stderr
    )


def test_trace_tells_the_story_of_one_label(project: Path) -> None:
    assert cli("run", cwd=project).returncode == 0  # earlier tests may break the build
    done = cli("trace", "example", "r04", "--format", "json", "-C", project)
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
    assert traced["warnings"] == []
    text = cli("trace", "example", "r04", "-C", project)
    assert "w3: negative" in text.stdout
    assert (
        "rulings for this label (working tree guidelines/review_sentiment.md 1.0.0): "
        "R-001 Faint praise; R-002 Complaints about delivery only" in text.stdout
    )


def test_trace_refuses_unknown_items_and_datasets(project: Path) -> None:
    assert cli("run", cwd=project).returncode == 0
    item = cli("trace", "example", "r4", "-C", project)
    assert item.returncode == 3
    assert "item 'r4' is not in dataset 'example' (12 items)." in item.stderr
    assert "Did you mean" in item.stderr
    dataset = cli("trace", "exmple", "r04", "-C", project)
    assert dataset.returncode == 3
    assert "unknown dataset 'exmple'. Did you mean 'example'?" in dataset.stderr


def test_run_finds_the_project_from_another_folder(project: Path, tmp_path: Path) -> None:
    done = cli("run", "-C", project, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "== example: gate PASS" in done.stdout


def _copy_dataset(root: Path, name: str) -> None:
    """datasets/NAME: a copy of the example dataset."""
    shutil.copytree(root / "datasets/example", root / "datasets" / name)


def test_run_overrides_apply_to_that_run_only(project: Path) -> None:
    # `extra` is not in conf/: only params.yaml with the override names its stages to DVC.
    _copy_dataset(project, "extra")
    params = project / "params.yaml"
    committed = params.read_text(encoding="utf-8")
    try:
        done = cli("run", "datasets=[example,extra]", cwd=project)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "== extra: gate PASS" in done.stdout
        assert (
            "overrides datasets=[example,extra] applied to this run only; params.yaml holds "
            "what conf/ composes to again" in done.stdout
        )
        assert params.read_text(encoding="utf-8") == committed
        assert cli("check", project).returncode == 0
        # A run that fails half-way restores params.yaml too.
        source = project / "datasets/extra/raw/annotations.csv"
        source.write_text(
            source.read_text(encoding="utf-8").replace("review_id,", "rid,", 1), encoding="utf-8"
        )
        broken = cli("run", "datasets=[example,extra]", cwd=project)
        assert broken.returncode == 3
        assert "datasets/extra/raw/annotations.csv:1:1" in broken.stderr
        assert params.read_text(encoding="utf-8") == committed
        # An override that does not validate stops before anything is written.
        empty = cli("run", "datasets=[]", cwd=project)
        assert empty.returncode == 3
        assert "datasets: List should have at least 1 item" in empty.stderr
        assert params.read_text(encoding="utf-8") == committed
    finally:
        shutil.rmtree(project / "datasets/extra")
        shutil.rmtree(project / "build/extra", ignore_errors=True)


@pytest.fixture(scope="module")
def two_guidelines(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Datasets `example` and `second`, each with its own guideline, built once."""
    root = init_repo(tmp_path_factory.mktemp("two") / "proj")
    _copy_dataset(root, "second")
    manifest = root / "datasets/second/dataset.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace(
            "guideline: review_sentiment", "guideline: second_sentiment"
        ),
        encoding="utf-8",
    )
    shutil.copy(root / "guidelines/review_sentiment.md", root / "guidelines/second_sentiment.md")
    conf = root / "conf/config.yaml"
    conf.write_text(
        conf.read_text(encoding="utf-8").replace("  - example\n", "  - example\n  - second\n"),
        encoding="utf-8",
    )
    assert cli("guidelines", "lock", "-C", root).returncode == 0
    first = cli("run", cwd=root)
    assert first.returncode == 0, first.stdout + first.stderr
    return root


def test_a_new_guideline_version_reruns_only_the_datasets_that_use_it(
    two_guidelines: Path,
) -> None:
    root = two_guidelines
    own_lock = root / "build/example/config/guidelines.lock.json"
    before = json.loads(own_lock.read_text(encoding="utf-8"))
    assert before["source"] == "guidelines/guidelines.lock"
    assert before["value"]["guideline"] == "review_sentiment"
    assert [r["version"] for r in before["value"]["released"]] == ["1.0.0"]
    guide = root / "guidelines/second_sentiment.md"
    guide.write_text(
        guide.read_text(encoding="utf-8")
        .replace('version: "1.0.0"', 'version: "1.1.0"')
        .replace(
            "## Label: neutral\n",
            "### R-009: Sarcasm\nApplies to: negative\n\nSarcastic praise is **negative**.\n\n"
            "## Label: neutral\n",
        ),
        encoding="utf-8",
    )
    assert cli("guidelines", "lock", "-C", root).returncode == 0
    assert cli("check", root).returncode == 0
    done = cli("run", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    log = done.stdout + done.stderr
    for stage in ("config", "validate", "aggregate"):
        assert f"Running stage '{stage}@second'" in log, stage
    # The shared lock changed, so example's config stage re-ran; its own entry did not.
    assert "Running stage 'config@example'" in log
    assert (
        own_lock.read_text(encoding="utf-8") == json.dumps(before, indent=2, sort_keys=True) + "\n"
    )
    for stage in ("ingest", "validate", "agreement", "aggregate", "audit", "report", "gate"):
        assert f"Running stage '{stage}@example'" not in log, stage
    second = json.loads((root / "build/second/config/guidelines.lock.json").read_text("utf-8"))
    assert second["value"]["current"] == "1.1.0"
    assert [r["version"] for r in second["value"]["released"]] == ["1.0.0", "1.1.0"]
    assert dvc_status(root) == {}
