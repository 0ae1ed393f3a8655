"""The pipeline's `model:` and `label_issues:` blocks, and how they must fit the dataset."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from labelgate.config.pipeline import LabelIssuesStep, ModelStep, Pipeline
from tests.conftest import ProjectFactory
from tests.unit.project.test_checks import problems_of, replace_in

HEAD = {"kind": "pipeline", "format_version": 1}


def test_a_pipeline_has_no_model_unless_it_asks() -> None:
    assert Pipeline.model_validate(HEAD).model is None
    step = Pipeline.model_validate({**HEAD, "model": {}}).model
    assert step == ModelStep()
    assert (step.provider, step.folds, step.params.char_ngrams) == ("tfidf_logreg", 5, None)
    assert LabelIssuesStep().filter_by == "prune_by_noise_rate"


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"model": {"folds": 1}}, "greater than or equal to 2"),
        ({"model": {"provider": "bert"}}, "'tfidf_logreg' or 'predictions'"),
        ({"model": {"params": {"word_ngrams": [3, 1]}}}, r"1 <= low <= high <= 10; got \[3, 1\]"),
        ({"model": {"params": {"C": 0}}}, "greater than 0"),
        ({"label_issues": {"filter_by": "prune"}}, "prune_by_noise_rate"),
        ({"label_issues": {"near_duplicate_threshold": 1.5}}, "less than or equal to 1"),
        ({"model": {"seeds": 1}}, "Extra inputs are not permitted"),
    ],
)
def test_bad_model_settings_are_refused(block: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Pipeline.model_validate({**HEAD, **block})


def test_a_model_on_a_template_project_checks_clean(make_project: ProjectFactory) -> None:
    root = make_project()
    replace_in(root, "pipelines/default.yaml", "aggregate:", "model:\n  seed: 3\naggregate:")
    assert problems_of(root) == []


def test_model_fields_must_be_item_fields(make_project: ProjectFactory) -> None:
    root = make_project()
    replace_in(root, "pipelines/default.yaml", "aggregate:", "model:\n  fields: [txt]\naggregate:")
    found = problems_of(root)
    assert len(found) == 1
    assert "model.fields[0]: field 'txt' is not an item field" in found[0]
    assert "Did you mean 'text'?" in found[0]


def test_predictions_source_and_provider_go_together(make_project: ProjectFactory) -> None:
    root = make_project()
    replace_in(
        root,
        "pipelines/default.yaml",
        "aggregate:",
        "model:\n  provider: predictions\naggregate:",
    )
    found = problems_of(root)
    assert len(found) == 1
    assert "model.provider: pipeline 'default' takes the dataset's predictions" in found[0]
    assert "Add `sources.predictions`" in found[0]
    replace_in(
        root,
        "datasets/example/dataset.yaml",
        "  audit_results:",
        "  predictions:\n    path: raw/probs.csv\n    optional: true\n  audit_results:",
    )
    assert problems_of(root) == []
    replace_in(root, "pipelines/default.yaml", "provider: predictions", "provider: tfidf_logreg")
    found = problems_of(root)
    assert len(found) == 1
    assert "sources.predictions: dataset 'example' declares predictions, but" in found[0]


def test_a_model_needs_a_single_label_task(make_project: ProjectFactory) -> None:
    root = make_project()
    replace_in(root, "pipelines/default.yaml", "aggregate:", "model: {}\naggregate:")
    replace_in(
        root, "schemas/review_sentiment.yaml", "level: nominal", "level: nominal\ntask: multi_label"
    )
    found = [p for p in problems_of(root) if "model" in p]
    assert any("model-assisted QA works on single-label datasets" in p for p in found)
