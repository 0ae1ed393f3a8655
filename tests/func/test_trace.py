"""`labelgate trace` says when the build is older than the working tree: each input whose md5
differs from what dvc.lock recorded, and which guideline version the rulings come from."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import cli, init_repo

GUIDE = "guidelines/review_sentiment.md"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = init_repo(tmp_path_factory.mktemp("trace") / "proj")
    done = cli("run", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def trace(root: Path) -> dict[str, Any]:
    done = cli("trace", "example", "r04", "--format", "json", "-C", root)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def recorded(root: Path, stage: str, path: str, kind: str = "deps") -> str:
    lock = yaml.safe_load((root / "dvc.lock").read_text(encoding="utf-8"))
    entries = lock["stages"][f"{stage}@example"][kind]
    return str(next(e["md5"] for e in entries if e["path"] == path))


@contextlib.contextmanager
def edited(root: Path, path: str, old: str, new: str, count: int = 1) -> Iterator[None]:
    """`path` with `old` replaced (the first `count` times; -1: everywhere), restored after."""
    file = root / path
    original = file.read_text(encoding="utf-8")
    assert old in original, f"{old!r} not in {path}"
    file.write_text(original.replace(old, new, count), encoding="utf-8")
    try:
        yield
    finally:
        file.write_text(original, encoding="utf-8")


def test_a_fresh_build_has_no_warnings_and_names_the_rulings_version(project: Path) -> None:
    traced = trace(project)
    assert traced["warnings"] == []
    assert traced["rulings_from"] == {
        "guideline": GUIDE,
        "version": "1.0.0",
        "source": "working tree",
        "sha256": traced["lineage"]["guideline_versions"]["1.0.0"]["sha256"],
        "released": True,
    }
    text = cli("trace", "example", "r04", "-C", project).stdout
    assert "WARNING" not in text
    assert (
        "rulings for this label (working tree guidelines/review_sentiment.md 1.0.0): "
        "R-001 Faint praise; R-002 Complaints about delivery only" in text
    )


def test_an_edited_guideline_is_named_with_the_md5_the_build_used(project: Path) -> None:
    md5 = recorded(project, "aggregate", GUIDE)
    with edited(project, GUIDE, "is **positive**, not neutral.", "is **neutral**."):
        traced = trace(project)
        text = cli("trace", "example", "r04", "-C", project).stdout
    (warning,) = traced["warnings"]
    assert warning["path"] == GUIDE
    assert warning["kind"] == "guideline"
    assert warning["recorded_md5"] == md5
    assert warning["current_md5"] not in (None, md5)
    assert "aggregate" in warning["stages"]
    message = (
        f"built with guideline {GUIDE} at md5 {md5[:12]}…, the working tree differs: "
        "run labelgate run"
    )
    assert warning["message"] == message
    assert text.splitlines()[1] == f"  WARNING: {message}"
    # The rulings shown are the edited working-tree text, not the released 1.0.0.
    assert traced["rulings_from"]["released"] is False
    assert "(working tree guidelines/review_sentiment.md 1.0.0, edited since its release)" in text
    assert trace(project)["warnings"] == []


def test_schema_qa_rules_and_data_changes_are_warned_about(project: Path) -> None:
    cases = [
        ("schemas/review_sentiment.yaml", "No overall sentiment", "No sentiment", "schema"),
        ("qa_rules/review_sentiment.yaml", "min: 0.4", "min: 0.45", "qa rules"),
        ("datasets/example/raw/gold.csv", "\n", "\n\n", "dataset folder"),
    ]
    for path, old, new, kind in cases:
        with edited(project, path, old, new):
            warnings = trace(project)["warnings"]
        shown = path if kind != "dataset folder" else "datasets/example"
        assert [(w["kind"], w["path"]) for w in warnings] == [(kind, shown)], path
        assert warnings[0]["message"].startswith(f"built with {kind} {shown} at md5 ")


def test_a_build_that_is_not_the_one_dvc_lock_records_is_warned_about(project: Path) -> None:
    output = "build/example/final_labels.parquet"
    md5 = recorded(project, "aggregate", output, "outs")
    # As if dvc.lock came from another run (say, after a git checkout) than the build.
    with edited(project, "dvc.lock", f"md5: {md5}", "md5: " + "f" * 32, count=-1):
        (warning,) = trace(project)["warnings"]
    assert warning["kind"] == "build output"
    assert warning["message"] == (
        f"{output} differs from the aggregate output dvc.lock records (md5 ffffffffffff…), so "
        "the build and dvc.lock come from different runs: run labelgate run"
    )
    lock = project / "dvc.lock"
    saved = lock.read_text(encoding="utf-8")
    lock.unlink()
    try:
        (missing,) = trace(project)["warnings"]
    finally:
        lock.write_text(saved, encoding="utf-8")
    assert missing["message"].startswith("dvc.lock is missing")
