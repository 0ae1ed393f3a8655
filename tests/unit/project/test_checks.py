"""`check_project`: every cross-reference and consistency problem, collected at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from labelgate.project.checks import check_project
from labelgate.project.loader import load_project
from tests.conftest import ProjectFactory


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
    # name 'neutral' in "Applies to": still valid; no spurious problem.
    assert len(found) == 2


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
