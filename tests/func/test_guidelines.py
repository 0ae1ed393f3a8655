"""End to end on a small git history: guideline 1.0.0, annotate, change and bump to 1.1.0,
annotate again; then version-bump enforcement, `trace` and `guidelines diff`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import cli, init_repo, sh

GUIDE = "guidelines/review_sentiment.md"


def git(root: Path, *args: str) -> str:
    done = sh("git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args, cwd=root)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def edit(root: Path, path: str, old: str, new: str) -> None:
    file = root / path
    text = file.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


BATCH2 = """review_id,worker,answer,duration_s,submitted_at
r01,w1,positive,20,2026-03-02T10:00:00Z
r01,w2,positive,22,2026-03-02T10:05:00Z
r01,w4,positive,19,2026-03-02T10:06:00Z
r03,w1,neutral,25,2026-03-02T11:00:00Z
r03,w2,neutral,21,2026-03-02T11:02:00Z
r03,w4,neutral,30,2026-03-02T11:03:00Z
r07,w1,negative,18,2026-03-03T09:00:00Z
r07,w2,negative,17,2026-03-03T09:01:00Z
r07,w4,negative,16,2026-03-03T09:02:00Z
"""

SOURCE2 = """    - path: raw/batch2.csv
      batch: b2
      columns:
        item_id: review_id
        annotator_id: worker
        label: answer
        annotated_at: submitted_at
  items:"""


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A project whose guideline went 1.0.0 -> 1.1.0, with a batch annotated under each."""
    root = tmp_path_factory.mktemp("hist") / "proj"
    init_repo(root)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "guideline 1.0.0, batch 1")
    first = git(root, "rev-parse", "HEAD")
    steps: dict[str, object] = {"root": root, "first": first}

    # Change the guideline and forget to bump: refused by check and by lock.
    edit(
        root,
        GUIDE,
        '"It\'s fine, does the job" with no complaint is **positive**, not neutral.',
        '"It\'s fine, does the job" with no complaint is **neutral**.',
    )
    edit(
        root,
        GUIDE,
        "## Label: neutral\n",
        "### R-003: Sarcasm\nApplies to: negative\n\nSarcastic praise is **negative**.\n\n"
        "## Label: neutral\n",
    )
    steps["check_unbumped"] = cli("check", str(root))
    steps["lock_unbumped"] = cli("guidelines", "lock", "-C", str(root))
    edit(root, GUIDE, 'version: "1.0.0"', 'version: "0.9.0"')
    steps["check_backwards"] = cli("check", str(root))

    edit(root, GUIDE, 'version: "0.9.0"', 'version: "1.1.0"')
    steps["check_unlocked"] = cli("check", str(root))
    steps["lock"] = cli("guidelines", "lock", "-C", str(root))
    steps["check_locked"] = cli("check", str(root))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "guideline 1.1.0: R-001 reversed, R-003 added")
    steps["bump"] = git(root, "rev-parse", "HEAD")

    (root / "datasets/example/raw/batch2.csv").write_text(BATCH2, encoding="utf-8")
    edit(root, "datasets/example/dataset.yaml", "  items:", SOURCE2)
    manifest = root / "datasets/example/dataset.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8")
        + 'guideline_versions:\n  - version: "1.1.0"\n    batches: [b2]\n',
        encoding="utf-8",
    )
    steps["lock_fill"] = cli("guidelines", "lock", "-C", str(root))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "batch 2 under 1.1.0")
    steps["run"] = cli("run", "-C", str(root))
    return steps


def test_content_change_without_bump_fails_check_and_lock(history: dict[str, object]) -> None:
    check = history["check_unbumped"]
    lock = history["lock_unbumped"]
    first = str(history["first"])
    assert check.returncode == 3  # type: ignore[attr-defined]
    assert f"{GUIDE}:5:1: version: the content differs from commit {first[:10]}" in check.stderr  # type: ignore[attr-defined]
    assert "version was not bumped" in check.stderr  # type: ignore[attr-defined]
    assert "Bump 'version' (1.0.1 for a correction, 1.1.0 for a new rule)" in check.stderr  # type: ignore[attr-defined]
    assert lock.returncode == 3  # type: ignore[attr-defined]
    assert "was not bumped" in lock.stderr  # type: ignore[attr-defined]


def test_version_going_backwards_fails_check(history: dict[str, object]) -> None:
    done = history["check_backwards"]
    assert done.returncode == 3  # type: ignore[attr-defined]
    assert (
        "version 0.9.0 goes backwards: guidelines/guidelines.lock already records 1.0.0"
        in done.stderr
    )  # type: ignore[attr-defined]


def test_bump_is_recorded_in_the_lock_with_its_commit(history: dict[str, object]) -> None:
    root = Path(str(history["root"]))
    unlocked = history["check_unlocked"]
    assert unlocked.returncode == 3  # type: ignore[attr-defined]
    assert "version 1.1.0 is not in guidelines/guidelines.lock" in unlocked.stderr  # type: ignore[attr-defined]
    assert history["lock"].returncode == 0  # type: ignore[attr-defined]
    assert history["check_locked"].returncode == 0, history["check_locked"].stderr  # type: ignore[attr-defined]
    # After the commit, `lock` fills in the commit that introduced 1.1.0.
    assert "review_sentiment 1.1.0" in history["lock_fill"].stdout  # type: ignore[attr-defined]
    lock = (root / "guidelines/guidelines.lock").read_text(encoding="utf-8")
    assert f"commit: {history['first']}" in lock
    assert f"commit: {history['bump']}" in lock
    assert cli("check", str(root)).returncode == 0


def test_a_hand_edited_lock_entry_is_caught(history: dict[str, object], tmp_path: Path) -> None:
    root = Path(str(history["root"]))
    clone = tmp_path / "clone"
    assert sh("git", "clone", "-q", str(root), str(clone)).returncode == 0
    lock = clone / "guidelines/guidelines.lock"
    text = lock.read_text(encoding="utf-8")
    entry = text.index("version: 1.0.0")
    start = text.index("sha256: ", entry) + len("sha256: ")
    lock.write_text(text[:start] + "ab" * 32 + text[start + 64 :], encoding="utf-8")
    done = cli("check", str(clone))
    assert done.returncode == 3
    assert f"commit {str(history['first'])[:10]} has version 1.0.0 with sha256" in done.stderr


def test_trace_names_each_annotations_version_and_commit(history: dict[str, object]) -> None:
    root = Path(str(history["root"]))
    assert history["run"].returncode in (0, 1), history["run"].stderr  # type: ignore[attr-defined]
    done = cli("trace", "example", "r01", "--format", "json", "-C", str(root))
    assert done.returncode == 0, done.stderr
    traced = json.loads(done.stdout)
    by_version = {
        a["annotator_id"] + "@" + a["guideline_version"]: a for a in traced["annotations"]
    }
    assert by_version["w4@1.1.0"]["guideline_commit"] == history["bump"]
    assert by_version["w3@1.0.0"]["guideline_commit"] == history["first"]
    assert by_version["w4@1.1.0"]["source"] == "datasets/example/raw/batch2.csv:4"
    versions = traced["lineage"]["guideline_versions"]
    assert versions["1.0.0"]["commit"] == history["first"]
    assert versions["1.1.0"]["commit"] == history["bump"]
    text = cli("trace", "example", "r01", "-C", str(root))
    assert (
        f"1.1.0: sha256 {versions['1.1.0']['sha256'][:12]}…, commit {str(history['bump'])[:10]}"
        in text.stdout
    )


def test_final_labels_carry_the_lineage_columns(history: dict[str, object]) -> None:
    root = Path(str(history["root"]))
    final = pd.read_parquet(root / "build/example/final_labels.parquet").set_index("item_id")
    lock = (root / "guidelines/guidelines.lock").read_text(encoding="utf-8")
    assert final.loc["r01", "guideline_versions"] == "1.0.0,1.1.0"
    hashes = final.loc["r01", "guideline_hashes"].split(",")
    assert len(hashes) == 2
    assert all(len(h) == 16 and f"sha256: {h}" in lock for h in hashes)
    assert final.loc["r02", "guideline_versions"] == "1.0.0"
    assert json.loads(final.loc["r01", "aggregator_params"]) == json.loads(
        final.loc["r02", "aggregator_params"]
    )
    assert {"schema_version", "migrations", "rules_hash", "pipeline_hash", "audit_verdict"} <= set(
        final.columns
    )


def test_guidelines_diff_is_semantic_and_measures_the_impact(history: dict[str, object]) -> None:
    root = Path(str(history["root"]))
    first, bump = str(history["first"]), str(history["bump"])
    md = cli("guidelines", "diff", first, bump, "-C", str(root))
    assert md.returncode == 0, md.stderr
    out = md.stdout
    assert "### `review_sentiment` 1.0.0 → 1.1.0" in out
    assert "- **Ruling added** R-003: Sarcasm (`negative`)" in out
    assert "- **Ruling changed** R-001: Faint praise (text changed; `neutral`, `positive`)" in out
    assert '+"It\'s fine, does the job" with no complaint is **neutral**.' in out
    assert "| example | 36 of 45 | 12 of 12 |" in out
    as_json = ("--format", "json", "--sample-size", "5", "--seed", "3", "-C", str(root))
    js = cli("guidelines", "diff", first, bump, *as_json)
    data = json.loads(js.stdout)["guidelines"][0]
    assert data["labels"] == {"added": [], "removed": [], "redefined": [], "migrated": []}
    assert [r["id"] for r in data["rulings"]["added"]] == ["R-003"]
    assert data["affected_labels"] == ["negative", "neutral", "positive"]
    sample = data["impact"][0]["reannotation_sample"]
    assert sample["seed"] == 3
    assert len(sample["items"]) == 5
    # Stratified: every affected label present in the final labels is sampled.
    assert {i["label"] for i in sample["items"]} == {"negative", "neutral", "positive"}
    again = cli("guidelines", "diff", first, bump, *as_json)
    assert again.stdout == js.stdout


def test_guidelines_diff_defaults_to_merge_base_and_working_tree(
    history: dict[str, object], tmp_path: Path
) -> None:
    clone = tmp_path / "clone"
    assert sh("git", "clone", "-q", str(history["root"]), str(clone)).returncode == 0
    unchanged = cli("guidelines", "diff", "-C", str(clone))
    assert unchanged.returncode == 0, unchanged.stderr
    assert "No guideline changed." in unchanged.stdout
    edit(clone, GUIDE, "## Label: neutral\n\n", "## Label: neutral\n\nAlso: mixed feelings.\n")
    changed = cli("guidelines", "diff", "-C", str(clone))
    assert "merge-base with origin/" in changed.stdout
    assert "- **Labels redefined**: `neutral`" in changed.stdout
    assert "the version is still 1.1.0" in changed.stdout
    missing = cli("guidelines", "diff", "no-such-rev", "-C", str(clone))
    assert missing.returncode == 3
    assert "REV_A" in missing.stderr
    assert "no-such-rev" in missing.stderr


def test_guidelines_diff_reports_a_schema_rename_as_a_rename(
    history: dict[str, object], tmp_path: Path
) -> None:
    clone = tmp_path / "clone"
    assert sh("git", "clone", "-q", str(history["root"]), str(clone)).returncode == 0
    schema = "schemas/review_sentiment.yaml"
    edit(clone, schema, 'version: "1.0.0"', 'version: "1.1.0"')
    edit(clone, schema, "  - id: neutral\n", "  - id: mixed\n")
    (clone / schema).write_text(
        (clone / schema).read_text(encoding="utf-8")
        + 'migrations:\n  - op: rename\n    since: "1.1.0"\n    from: neutral\n    to: mixed\n',
        encoding="utf-8",
    )
    edit(clone, GUIDE, 'version: "1.1.0"', 'version: "1.2.0"')
    edit(
        clone,
        GUIDE,
        "## Label: neutral\n\nQuestions, off-topic text, or praise",
        "## Label: mixed\n\nPraise",
    )
    md = cli("guidelines", "diff", "HEAD", "-C", clone)
    assert md.returncode == 0, md.stderr
    out = md.stdout
    assert "### `review_sentiment` 1.1.0 → 1.2.0" in out
    assert (
        "- **Label renamed** `neutral` → `mixed` (schema migration `rename` since 1.1.0 in "
        "`schemas/review_sentiment.yaml`)" in out
    )
    assert "Labels added" not in out
    assert "Labels removed" not in out
    assert "<summary>Definition of <code>neutral</code> → <code>mixed</code></summary>" in out
    assert (
        "-## Label: neutral\n-Questions, off-topic text, or praise and complaints that balance "
        "out.\n+## Label: mixed\n+Praise and complaints that balance out.\n```" in out
    )
    js = cli("guidelines", "diff", "HEAD", "--format", "json", "-C", clone)
    data = json.loads(js.stdout)["guidelines"][0]
    assert data["labels"]["added"] == data["labels"]["removed"] == []
    (moved,) = data["labels"]["migrated"]
    assert {k: v for k, v in moved.items() if k != "diff"} == {
        "op": "rename",
        "from": ["neutral"],
        "to": ["mixed"],
        "since": "1.1.0",
        "schema": "schemas/review_sentiment.yaml",
    }
    assert {"neutral", "mixed"} <= set(data["affected_labels"])
    # Without the migration, the same change is a label removed and one added.
    (clone / schema).write_text(
        (clone / schema).read_text(encoding="utf-8").split("migrations:")[0], encoding="utf-8"
    )
    plain = cli("guidelines", "diff", "HEAD", "-C", clone).stdout
    assert "- **Labels added**: `mixed`" in plain
    assert "- **Labels removed**: `neutral`" in plain
