"""`check_project`: every cross-reference and consistency problem, collected at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from labelgate.project.checks import check_project
from labelgate.project.loader import load_project
from tests.conftest import DATASET_HEAD, ProjectFactory


def problems_of(root: Path) -> list[str]:
    return [p.render() for p in check_project(load_project(root))]


def replace_in(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_template_is_clean(make_project: ProjectFactory) -> None:
    assert problems_of(make_project()) == []


def test_all_problems_are_collected_not_just_the_first(make_project: ProjectFactory) -> None:
    root = make_project()
    replace_in(root, "pipelines/default.yaml", "method: majority_vote", "method: majority")
    replace_in(root, "qa_rules/review_sentiment.yaml", "min: 0.4", "min: 0.9\n    max: 0.5")
    replace_in(root, "schemas/review_sentiment.yaml", "level: nominal", "levle: nominal")
    found = problems_of(root)
    assert len(found) == 3
    assert any("pipelines/default.yaml:10:3: aggregate.method" in p for p in found)
    assert any("contradictory thresholds" in p for p in found)
    assert any("unknown key 'levle'. Did you mean 'level'?" in p for p in found)


def test_duplicate_label_id(make_project: ProjectFactory) -> None:
    root = make_project()
    replace_in(root, "schemas/review_sentiment.yaml", "- id: neutral", "- id: positive")
    found = problems_of(root)
    assert (
        "schemas/review_sentiment.yaml:14:5: labels[2].id: duplicate label id 'positive' "
        "(first declared at labels[0]). Give every label a distinct id." in found
    )


def test_missing_references_suggest_the_close_name(make_project: ProjectFactory) -> None:
    root = make_project()
    replace_in(
        root,
        "datasets/example/dataset.yaml",
        "qa_rules: review_sentiment",
        "qa_rules: review_sentimnt",
    )
    replace_in(root, "datasets/example/dataset.yaml", "pipeline: default", "pipeline: defualt")
    found = problems_of(root)
    assert (
        "datasets/example/dataset.yaml:7:1: qa_rules: qa_rules 'review_sentimnt' does not exist "
        "in qa_rules/. Did you mean 'review_sentiment'?" in found
    )
    assert any(
        "pipeline 'defualt' does not exist in pipelines/. Did you mean 'default'?" in p
        for p in found
    )


def test_missing_data_file_and_escaping_path(make_project: ProjectFactory) -> None:
    root = make_project()
    replace_in(
        root, "datasets/example/dataset.yaml", "path: raw/items.jsonl", "path: raw/itemz.jsonl"
    )
    replace_in(
        root, "datasets/example/dataset.yaml", "path: raw/gold.csv", "path: ../../../secrets.csv"
    )
    found = "\n".join(problems_of(root))
    assert "sources.items.path: file 'raw/itemz.jsonl' does not exist" in found
    assert "sources.gold.path: path '../../../secrets.csv' resolves to" in found
    assert "outside the project" in found


def test_symlink_out_of_the_project_is_refused(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    root = make_project()
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("review_id,label\n", encoding="utf-8")
    gold = root / "datasets/example/raw/gold.csv"
    gold.unlink()
    gold.symlink_to(outside)
    assert any("sources.gold.path" in p and "outside the project" in p for p in problems_of(root))


def test_optional_and_dvc_tracked_sources_may_be_absent(make_project: ProjectFactory) -> None:
    root = make_project()
    (root / "datasets/example/raw/gold.csv").rename(root / "datasets/example/raw/gold.csv.dvc")
    assert problems_of(root) == []


def test_guideline_and_schema_labels_match_both_ways(make_project: ProjectFactory) -> None:
    root = make_project()
    replace_in(root, "guidelines/review_sentiment.md", "## Label: neutral", "## Label: neutrl")
    found = problems_of(root)
    assert any(
        "guidelines/review_sentiment.md:32:1: section for label 'neutrl', which schema "
        "'review_sentiment' does not define. Did you mean 'neutral'?" in p
        for p in found
    )
    assert any(
        "label 'neutral' (schemas/review_sentiment.yaml:14) has no section" in p for p in found
    )
    # The text changed under the same version, which guidelines.lock catches too.
    assert any("guideline changed but its version was not bumped" in p for p in found)
    # name 'neutral' in "Applies to": still valid; no spurious problem.
    assert len(found) == 3


def test_ruling_ids_are_unique(make_project: ProjectFactory) -> None:
    root = make_project()
    replace_in(root, "guidelines/review_sentiment.md", "R-002", "R-001")
    assert (
        "guidelines/review_sentiment.md:27:1: ruling id 'R-001' is used twice (first on line 18). "
        "Give each ruling its own id; never reuse a withdrawn one." in problems_of(root)
    )


def test_ruling_applies_to_an_unknown_label(make_project: ProjectFactory) -> None:
    root = make_project()
    replace_in(
        root,
        "guidelines/review_sentiment.md",
        "Applies to: positive, neutral",
        "Applies to: positive, neutal",
    )
    assert any(
        "ruling R-001 applies to unknown label 'neutal'. Did you mean 'neutral'?" in p
        for p in problems_of(root)
    )


def test_guideline_for_another_schema(make_project: ProjectFactory) -> None:
    root = make_project(
        {
            "schemas/other.yaml": """
            kind: schema
            format_version: 1
            version: "1.0.0"
            labels: [{id: a}, {id: b}]
            """,
        }
    )
    replace_in(root, "datasets/example/dataset.yaml", "schema: review_sentiment", "schema: other")
    found = "\n".join(problems_of(root))
    assert (
        "guideline 'review_sentiment' is written for schema 'review_sentiment', but this dataset uses schema 'other'"
        in found
    )
    assert "field 'text' is not an item field of schema 'other'" in found


def test_numeric_levels_need_label_values(make_project: ProjectFactory) -> None:
    root = make_project()
    replace_in(root, "schemas/review_sentiment.yaml", "level: nominal", "level: ordinal")
    found = problems_of(root)
    assert any(
        "labels[0]: label 'positive' has no 'value', which a ordinal schema needs" in p
        for p in found
    )


def test_migrations_point_at_current_labels(make_project: ProjectFactory) -> None:
    root = make_project()
    schema = root / "schemas/review_sentiment.yaml"
    schema.write_text(
        schema.read_text(encoding="utf-8")
        + 'migrations:\n  - op: rename\n    since: "2.0.0"\n    from: positive\n    to: posit\n',
        encoding="utf-8",
    )
    found = "\n".join(problems_of(root))
    assert (
        "migrations[0].to: migration target 'posit' is not a label of this schema. Did you mean 'positive'?"
        in found
    )
    assert "'positive' is migrated away but is still a label of this schema" in found
    assert "since 2.0.0 is after the schema version 1.0.0" in found


def test_duplicate_gate_ids(make_project: ProjectFactory) -> None:
    root = make_project()
    replace_in(
        root,
        "qa_rules/review_sentiment.yaml",
        "metric: gold_accuracy",
        "metric: krippendorff_alpha",
    )
    assert any(
        "gates[1]: gate id 'krippendorff_alpha' is used twice" in p for p in problems_of(root)
    )


def test_a_broken_schema_is_reported_once(make_project: ProjectFactory) -> None:
    root = make_project({"schemas/review_sentiment.yaml": "kind: schema\nlabels: [\n"})
    found = problems_of(root)
    assert len(found) == 1
    assert found[0].startswith("schemas/review_sentiment.yaml:3:1: invalid YAML")


def test_conf_names_existing_datasets(make_project: ProjectFactory) -> None:
    root = make_project()
    replace_in(root, "conf/config.yaml", "  - example", "  - exampel")
    found = problems_of(root)
    assert (
        "conf/config.yaml:13:5: datasets[0]: dataset 'exampel' does not exist in datasets/. Did you mean 'example'?"
        in found
    )
    assert any("params.yaml is stale" in p for p in found)


@pytest.mark.parametrize("folder", ["schemas", "pipelines"])
def test_missing_folder(make_project: ProjectFactory, folder: str) -> None:
    root = make_project()
    for path in sorted((root / folder).iterdir()):
        path.unlink()
    (root / folder).rmdir()
    assert any(p.startswith(f"{folder}/: folder is missing") for p in problems_of(root))


VERSIONED = (
    DATASET_HEAD
    + """sources:
  annotations:
    - {path: raw/annotations.csv, batch: b1}
    - {path: raw/annotations.csv, batch: b2}
guideline_versions:
{mappings}
"""
)


def mapping_problems(make_project: ProjectFactory, mappings: str) -> list[str]:
    root = make_project()
    text = VERSIONED.replace("{mappings}", mappings.strip("\n"))
    (root / "datasets/example/dataset.yaml").write_text(text.lstrip(), encoding="utf-8")
    return problems_of(root)


def test_version_mapping_gaps_and_overlaps_are_errors(make_project: ProjectFactory) -> None:
    found = mapping_problems(
        make_project,
        """
  - {version: "1.0.0", batches: [b1]}
  - {version: "1.0.0", batches: [b1]}
  - {version: "1.0.0", from: 2026-01-01, until: 2026-02-01}
  - {version: "1.0.0", from: 2026-01-15, until: 2026-03-01}
  - {version: "1.0.0", from: 2026-04-01}
  - {version: "2.0.0", from: 2025-01-01, until: 2025-06-01}
""",
    )
    joined = "\n".join(found)
    assert "guideline_versions[1].batches[0]: batch 'b1' overlaps" in joined
    assert (
        "time ranges overlap: guideline_versions[2] (1.0.0) runs until 2026-02-01T00:00:00Z"
        in joined
    )
    assert (
        "gap between time ranges: nothing maps annotations made from 2026-03-01T00:00:00Z" in joined
    )
    assert "version 2.0.0 of guideline 'review_sentiment' was never released" in joined
    assert "version 1.0.0 follows 2.0.0 in time: versions go backwards" in joined
    assert "nothing maps annotations made from 2025-06-01T00:00:00Z until 2026-01-01" in joined
    assert len(found) == 6


def test_a_source_batch_that_no_mapping_covers_is_a_gap(make_project: ProjectFactory) -> None:
    found = mapping_problems(make_project, '  - {version: "1.0.0", batches: [b1]}')
    assert len(found) == 1
    assert "sources.annotations[1].batch: batch 'b2' has no guideline version" in found[0]


def test_a_mapping_needs_batches_or_a_range(make_project: ProjectFactory) -> None:
    found = mapping_problems(
        make_project,
        """
  - {version: "1.0.0"}
  - {version: "1.0.0", batches: [b1], from: 2026-01-01}
  - {version: "1.0.0", from: 2026-02-01, until: 2026-01-01}
""",
    )
    joined = "\n".join(found)
    assert "guideline_versions[0]: give 'batches' or a 'from'/'until' range" in joined
    assert "guideline_versions[1]: give either 'batches' or a 'from'/'until' range" in joined
    assert "is not before 'until'" in joined


def test_the_guidelines_lock_is_required_and_kept_honest(make_project: ProjectFactory) -> None:
    root = make_project()
    lock = root / "guidelines/guidelines.lock"
    text = lock.read_text(encoding="utf-8")
    lock.unlink()
    assert problems_of(root) == [
        "guidelines/guidelines.lock: the guidelines lock is missing. Run 'labelgate guidelines "
        "lock' and commit guidelines/guidelines.lock."
    ]
    # A hashless entry may only precede the recorded ones.
    hashless = (
        text.replace(
            "  review_sentiment:\n",
            "  review_sentiment:\n  - version: 0.8.0\n    sha256: null\n    commit: null\n",
        )
        + "  - version: 1.1.0\n    sha256: null\n    commit: null\n"
    )
    lock.write_text(hashless, encoding="utf-8")
    joined = "\n".join(problems_of(root))
    assert "version 1.1.0 has no content hash but comes after a recorded one" in joined
    assert (
        "version 1.0.0 goes backwards: guidelines/guidelines.lock already records 1.1.0" in joined
    )
    assert "0.8.0" not in joined  # declared as released before the guideline was in git


def test_aggregator_params_are_checked_with_file_line_and_key(
    make_project: ProjectFactory,
) -> None:
    root = make_project()
    replace_in(
        root,
        "pipelines/default.yaml",
        "method: majority_vote",
        "method: dawid_skene\n  params:\n    max_iter: 1.5\n    tol: x\n    mx_iter: 3\n"
        "    smoothing: -1",
    )
    found = problems_of(root)
    assert found == [
        "pipelines/default.yaml:12:5: aggregate.params.max_iter: 'max_iter' of 'dawid_skene' "
        "(EM iterations at most) must be an integer from 1 to 10000; got 1.5. Fix the value, "
        "or leave 'max_iter' out for its default (100).",
        "pipelines/default.yaml:13:5: aggregate.params.tol: 'tol' of 'dawid_skene' (stop when "
        "the loss per item changes by less than this) must be a finite number >= 0; got 'x'. "
        "Fix the value, or leave 'tol' out for its default (1e-06).",
        "pipelines/default.yaml:14:5: aggregate.params.mx_iter: 'dawid_skene' has no parameter "
        "'mx_iter'. Did you mean 'max_iter'?",
        "pipelines/default.yaml:15:5: aggregate.params.smoothing: 'smoothing' of 'dawid_skene' "
        "(pseudo-count added to priors and confusion rows) must be a finite number > 0; got -1. "
        "Fix the value, or leave 'smoothing' out for its default (1e-06).",
    ]


def test_params_of_a_method_without_any_are_unknown(make_project: ProjectFactory) -> None:
    root = make_project()
    replace_in(
        root,
        "pipelines/default.yaml",
        "method: majority_vote",
        "method: majority_vote\n  params: {max_iter: 5}",
    )
    found = problems_of(root)
    assert len(found) == 1
    assert found[0].startswith("pipelines/default.yaml:11:12: aggregate.params.max_iter: ")
    assert (
        "'majority_vote' has no parameter 'max_iter'. Expected one of 'random_state'." in found[0]
    )


def test_a_nan_threshold_no_longer_turns_the_gate_off(make_project: ProjectFactory) -> None:
    root = make_project()
    replace_in(root, "qa_rules/review_sentiment.yaml", "min: 0.4", "min_lower_bound: .nan")
    found = problems_of(root)
    assert len(found) == 1
    assert "qa_rules/review_sentiment.yaml:" in found[0]
    assert "gates[0].min_lower_bound: Input should be a finite number" in found[0]


def test_a_control_character_in_a_config_is_an_error_not_a_crash(
    make_project: ProjectFactory,
) -> None:
    root = make_project()
    replace_in(root, "pipelines/default.yaml", "method: majority_vote", "method: majority\x00vote")
    found = problems_of(root)
    assert any(
        p.startswith("pipelines/default.yaml:10:19: U+0000 (NUL) is not allowed") for p in found
    ), found


QUALIFICATION = """
  qualification: {path: raw/quali.csv}
  qualification_key: {path: raw/quali_key.csv}
"""


def _with_test(make_project: ProjectFactory, sources: str) -> Path:
    root = make_project(
        {"datasets/example/raw/quali.csv": "", "datasets/example/raw/quali_key.csv": ""}
    )
    manifest = root / "datasets/example/dataset.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").rstrip("\n") + sources, encoding="utf-8"
    )
    return root


def test_a_qualification_test_with_its_key_and_a_pass_mark_is_clean(
    make_project: ProjectFactory,
) -> None:
    root = _with_test(make_project, QUALIFICATION)
    replace_in(
        root,
        "qa_rules/review_sentiment.yaml",
        "min_gold_items: 2",
        "min_gold_items: 2\n  qualification_pass_mark: 0.7\n  max_gold_accuracy_drop: 0.2",
    )
    assert problems_of(root) == []


@pytest.mark.parametrize(
    ("kept", "missing", "fix"),
    [
        ("qualification", "qualification_key", "item_id: the question, label: its right answer"),
        ("qualification_key", "qualification", "annotator_id, item_id: the question"),
    ],
)
def test_qualification_answers_and_key_need_each_other(
    make_project: ProjectFactory, kept: str, missing: str, fix: str
) -> None:
    line = next(s for s in QUALIFICATION.splitlines() if s.startswith(f"  {kept}:"))
    root = _with_test(make_project, "\n" + line + "\n")
    (found,) = problems_of(root)
    assert found.startswith(f"datasets/example/dataset.yaml:32:3: sources.{kept}: ")
    assert (
        f"dataset 'example' declares sources.{kept} but no sources.{missing}: the test's "
        "answers are scored against its key, so each needs the other." in found
    )
    assert f"Add sources.{missing} ({fix}" in found
    assert found.endswith(f"or remove sources.{kept}.")


def test_a_pass_mark_without_a_qualification_test_is_an_error(
    make_project: ProjectFactory,
) -> None:
    root = make_project()
    replace_in(
        root,
        "qa_rules/review_sentiment.yaml",
        "min_gold_items: 2",
        "min_gold_items: 2\n  qualification_pass_mark: 0.7",
    )
    (found,) = problems_of(root)
    assert found == (
        "qa_rules/review_sentiment.yaml:25:3: annotator_qualification.qualification_pass_mark: "
        "qualification_pass_mark is set, but dataset 'example' (datasets/example/dataset.yaml) "
        "declares no sources.qualification, so nobody would be assessed against it. Add "
        "sources.qualification and sources.qualification_key to datasets/example/dataset.yaml "
        "(optional: true until the test has been taken), or remove qualification_pass_mark."
    )


def test_a_qualification_test_needs_a_single_label_task(make_project: ProjectFactory) -> None:
    root = _with_test(make_project, QUALIFICATION)
    replace_in(root, "schemas/review_sentiment.yaml", "level: nominal", "task: multi_label")
    found = [p for p in problems_of(root) if "qualification" in p]
    assert found == [
        "datasets/example/dataset.yaml:32:3: sources.qualification: a qualification test is "
        "scored on single-label tasks; dataset 'example' is multi-label (schema "
        "'review_sentiment'). Remove sources.qualification and sources.qualification_key."
    ]
