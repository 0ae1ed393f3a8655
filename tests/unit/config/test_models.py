"""Every YAML kind validates strictly, and each error names the key, position and fix."""

from __future__ import annotations

import textwrap

import pytest
from pydantic import BaseModel

from labelgate.config.base import semver_key
from labelgate.config.dataset import Dataset
from labelgate.config.params import Params
from labelgate.config.pipeline import Pipeline
from labelgate.config.qa_rules import QaRules
from labelgate.config.schema import Schema
from labelgate.config.validation import validate
from labelgate.config.yaml_loader import parse_yaml
from labelgate.errors import ConfigError

SCHEMA = """
kind: schema
format_version: 1
version: "1.0.0"
level: nominal
labels:
  - id: a
  - id: b
"""


def load(model: type[BaseModel], text: str, file: str = "x.yaml") -> BaseModel:
    return validate(model, parse_yaml(textwrap.dedent(text).lstrip(), file))


def test_a_valid_schema_loads_with_defaults() -> None:
    schema = load(Schema, SCHEMA)
    assert isinstance(schema, Schema)
    assert schema.label_ids == ["a", "b"]
    assert schema.item_fields == []


def test_yaml_booleans_as_label_ids_are_a_type_error() -> None:
    # YAML 1.1 reads `yes` as True: the message shows the value so the user can quote it.
    text = SCHEMA.replace("id: a", "id: yes")
    with pytest.raises(
        ConfigError,
        match=r"x.yaml:6:5: labels\[0\].id: expected a string, but YAML read a boolean \(True\) instead. YAML reads yes/no",
    ):
        load(Schema, text)


def test_unknown_key_gets_did_you_mean() -> None:
    text = SCHEMA.replace("level: nominal", "levl: nominal")
    with pytest.raises(
        ConfigError, match=r"x.yaml:4:1: levl: unknown key 'levl'. Did you mean 'level'\?"
    ):
        load(Schema, text)


def test_wrong_literal_gets_did_you_mean() -> None:
    text = SCHEMA.replace("nominal", "ordinall")
    with pytest.raises(
        ConfigError, match=r"level: 'ordinall' is not allowed here. Did you mean 'ordinal'\?"
    ):
        load(Schema, text)


def test_missing_kind_and_wrong_format_version() -> None:
    text = SCHEMA.replace("kind: schema\n", "").replace("format_version: 1", "format_version: 2")
    with pytest.raises(ConfigError, match=r"required key 'kind' is missing") as caught:
        load(Schema, text)
    assert "format_version: '2' is not allowed here" in str(caught.value)


def test_version_must_be_semver() -> None:
    text = SCHEMA.replace('"1.0.0"', "v1")
    with pytest.raises(ConfigError, match=r"version: version 'v1' is not semantic"):
        load(Schema, text)


def test_not_a_mapping() -> None:
    with pytest.raises(ConfigError, match=r"expected a mapping of keys, but got a list instead"):
        load(Schema, "- a\n- b\n")
    with pytest.raises(ConfigError, match=r"but got an empty file instead"):
        load(Schema, "")


def test_field_constraints_must_be_consistent() -> None:
    text = SCHEMA + textwrap.dedent(
        """
        item_fields:
          - name: text
            min_length: 10
            max_length: 5
        """
    )
    with pytest.raises(ConfigError, match=r"item_fields\[0\]: min_length 10 is above max_length 5"):
        load(Schema, text)


def test_migration_ops_are_a_discriminated_union() -> None:
    text = SCHEMA + textwrap.dedent(
        """
        migrations:
          - op: renam
            since: "1.0.0"
            from: old
            to: a
        """
    )
    with pytest.raises(
        ConfigError, match=r"migrations\[0\]: unknown op 'renam'. Did you mean 'rename'\?"
    ):
        load(Schema, text)


QA = """
kind: qa_rules
format_version: 1
checks:
  - kind: allowed_labels
gates:
  - metric: krippendorff_alpha
    min_lower_bound: 0.8
"""


def test_qa_rules_load() -> None:
    rules = load(QaRules, QA)
    assert isinstance(rules, QaRules)
    assert rules.gates[0].gate_id == "krippendorff_alpha"
    assert rules.checks[0].severity == "error"


def test_unknown_check_kind() -> None:
    with pytest.raises(
        ConfigError,
        match=r"checks\[0\]: unknown kind 'allowed_label'. Did you mean 'allowed_labels'\?",
    ):
        load(QaRules, QA.replace("kind: allowed_labels", "kind: allowed_label"))


def test_unknown_key_inside_a_check_suggests_its_fields() -> None:
    text = QA.replace("- kind: allowed_labels", "- kind: min_annotations_per_item\n    mni: 2")
    with pytest.raises(
        ConfigError,
        match=r"checks\[0\].min_annotations_per_item.mni: unknown key 'mni'. Did you mean 'min'\?",
    ):
        load(QaRules, text)


def test_near_duplicate_items_defaults() -> None:
    text = QA.replace("- kind: allowed_labels", "- kind: near_duplicate_items")
    check = load(QaRules, text).checks[0]  # type: ignore[attr-defined]
    assert (check.field, check.threshold, check.ngram, check.num_perm, check.seed) == (
        "text",
        0.8,
        5,
        128,
        0,
    )
    assert check.severity == "warn"


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("threshold: 1.5", r"threshold: Input should be less than or equal to 1, got 1.5"),
        ("threshold: 0", r"threshold: Input should be greater than 0, got 0"),
        ("threshold: .nan", r"threshold: Input should be a finite number"),
        ("ngram: 0", r"ngram: Input should be greater than or equal to 1, got 0"),
        ("num_perm: 8", r"num_perm: Input should be greater than or equal to 16, got 8"),
    ],
)
def test_near_duplicate_items_bad_settings_are_clear(setting: str, message: str) -> None:
    text = QA.replace("- kind: allowed_labels", "- kind: near_duplicate_items\n    " + setting)
    with pytest.raises(
        ConfigError, match=r"x.yaml:\d+:5: checks\[0\].near_duplicate_items." + message
    ):
        load(QaRules, text)


def test_gate_on_unknown_metric() -> None:
    with pytest.raises(
        ConfigError,
        match=r"x.yaml:6:5: gates\[0\].metric: unknown metric 'kripendorff_alpha'. Did you mean 'krippendorff_alpha'\?",
    ):
        load(QaRules, QA.replace("metric: krippendorff", "metric: kripendorff"))


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ("min: 0.9\n    max: 0.8", r"contradictory thresholds: 0.9 \(min\) is above 0.8"),
        ("min: 1.5", r"min 1.5 is outside the range of krippendorff_alpha \[-1.0, 1.0\]"),
        ("severity: error", r"a gate needs min, max, min_lower_bound"),
    ],
)
def test_gate_thresholds_are_coherent(thresholds: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(QaRules, QA.replace("min_lower_bound: 0.8", thresholds))


def test_lower_bound_needs_a_metric_with_an_interval() -> None:
    text = QA.replace("krippendorff_alpha", "n_items")
    with pytest.raises(ConfigError, match=r"n_items has no confidence interval; use min/max"):
        load(QaRules, text)


def test_pipeline_aggregator_and_coefficients_are_known() -> None:
    text = """
    kind: pipeline
    format_version: 1
    agreement:
      coefficients: [krippendorf_alpha]
    aggregate:
      method: majority_votes
    """
    with pytest.raises(ConfigError) as caught:
        load(Pipeline, text)
    rendered = str(caught.value)
    assert (
        "agreement.coefficients: unknown coefficient 'krippendorf_alpha'. Did you mean 'krippendorff_alpha'?"
        in rendered
    )
    assert (
        "aggregate.method: unknown aggregator 'majority_votes'. Did you mean 'majority_vote'?"
        in rendered
    )


def test_dataset_refuses_absolute_paths() -> None:
    text = """
    kind: dataset
    format_version: 1
    schema: s
    guideline: g
    qa_rules: q
    sources:
      annotations:
        - path: /etc/passwd
    """
    with pytest.raises(
        ConfigError, match=r"sources.annotations\[0\].path: path '/etc/passwd' is absolute"
    ):
        load(Dataset, text)


def test_params_need_at_least_one_dataset() -> None:
    with pytest.raises(ConfigError, match=r"datasets: List should have at least 1 item"):
        load(Params, "kind: conf\nformat_version: 1\ndatasets: []\n")


def test_semver_key_orders_versions() -> None:
    assert semver_key("1.10.0") > semver_key("1.9.3") > semver_key("1.9") == (1, 9, 0)


# Hardening: NaN compares false with everything, so a NaN threshold silently turned a gate off.
@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf"])
@pytest.mark.parametrize("key", ["min", "max", "min_lower_bound", "max_upper_bound", "max_drop"])
def test_gate_thresholds_refuse_nan_and_infinity(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=rf"x.yaml:7:\d+: gates\[0\].{key}: .*finite number"):
        load(QaRules, QA.replace("min_lower_bound: 0.8", f"{key}: {value}"))


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ("min_lower_bound: -1.5", r"min_lower_bound -1.5 is outside the range .* \[-1.0, 1.0\]"),
        ("max_upper_bound: 2", r"max_upper_bound 2.0 is outside the range"),
        ("max_drop: 2.5", r"max_drop 2.5 is larger than the whole range of krippendorff_alpha"),
        ("max_drop: -0.1", r"gates\[0\].max_drop: Input should be greater than or equal to 0"),
        ("min: 0.5\n    min_items: 0", r"gates\[0\].min_items: Input should be greater"),
    ],
)
def test_gate_thresholds_stay_in_the_metric_range(thresholds: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(QaRules, QA.replace("min_lower_bound: 0.8", thresholds))


def test_a_count_gate_may_have_a_large_but_finite_threshold() -> None:
    rules = load(
        QaRules,
        QA.replace("krippendorff_alpha\n    min_lower_bound: 0.8", "n_items\n    min: 1e12"),
    )
    assert isinstance(rules, QaRules)
    with pytest.raises(ConfigError, match=r"gates\[0\].min: Input should be a finite number"):
        load(
            QaRules,
            QA.replace("krippendorff_alpha\n    min_lower_bound: 0.8", "n_items\n    min: .inf"),
        )


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("annotator_qualification: {min_gold_accuracy: .nan}", r"min_gold_accuracy: .*finite"),
        ("annotator_qualification: {min_gold_accuracy: 1.5}", r"less than or equal to 1"),
        ("annotator_qualification: {min_gold_items: 1.5}", r"min_gold_items: .*integer"),
        ("audit: {fraction: .nan}", r"audit.fraction: .*finite number"),
        ("audit: {fraction: 0}", r"audit.fraction: .*greater than 0"),
        ("audit: {seed: -1}", r"audit.seed: .*greater than or equal to 0"),
        ("audit: {seed: 4294967296}", r"audit.seed: .*less than or equal to 4294967295"),
        ("audit: {seed: 1.5}", r"audit.seed: .*integer"),
        ("audit: {max_items: 100000000000000000000}", r"audit.max_items: .*less than or equal"),
        ("audit: {min_per_stratum: .inf}", r"audit.min_per_stratum: .*finite"),
    ],
)
def test_qa_rules_settings_are_finite_and_in_range(section: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(QaRules, QA + section + "\n")


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ("{kind: annotator_speed, max_robust_z: .nan}", r"max_robust_z: .*finite number"),
        ("{kind: annotator_speed, min_median_seconds: .inf}", r"min_median_seconds: .*finite"),
        ("{kind: annotator_label_distribution, max_share: .nan}", r"max_share: .*finite"),
        ("{kind: text_length, max: 1e30}", r"checks\[1\].text_length.max: .*"),
        ("{kind: min_annotations_per_item, min: 0}", r"min: .*greater than or equal to 1"),
    ],
)
def test_check_settings_are_finite_and_in_range(check: str, message: str) -> None:
    text = QA.replace("  - kind: allowed_labels\n", f"  - kind: allowed_labels\n  - {check}\n")
    with pytest.raises(ConfigError, match=message):
        load(QaRules, text)


PIPELINE = """
kind: pipeline
format_version: 1
"""


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("agreement: {bootstrap: {confidence: .nan}}", r"bootstrap.confidence: .*finite"),
        ("agreement: {bootstrap: {confidence: 0.5}}", r"bootstrap.confidence: .*greater than 0.5"),
        ("agreement: {bootstrap: {confidence: 1}}", r"bootstrap.confidence: .*less than 1"),
        ("agreement: {bootstrap: {resamples: -1}}", r"bootstrap.resamples: .*greater than or"),
        ("agreement: {bootstrap: {resamples: 2.5}}", r"bootstrap.resamples: .*integer"),
        ("agreement: {bootstrap: {seed: -3}}", r"bootstrap.seed: .*greater than or equal to 0"),
        ("agreement: {min_pairable_items: 0}", r"min_pairable_items: .*greater than or equal"),
        ("aggregate: {min_confidence: .nan}", r"aggregate.min_confidence: .*finite"),
        ("aggregate: {min_confidence: 1.5}", r"aggregate.min_confidence: .*less than or equal"),
        ("report: {top_n: 0}", r"report.top_n: .*greater than or equal to 1"),
    ],
)
def test_pipeline_settings_are_finite_and_in_range(section: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(Pipeline, PIPELINE + section + "\n")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("{max_iter: 1.5}", r"x.yaml:5:12: aggregate.params.max_iter: 'max_iter' of 'dawid_skene'"),
        ("{max_iter: 0}", r"aggregate.params.max_iter: .*an integer from 1 to 10000; got 0"),
        ("{max_iter: 100000}", r"aggregate.params.max_iter: .*got 100000"),
        ("{tol: x}", r"aggregate.params.tol: .*a finite number >= 0; got 'x'"),
        ("{tol: .nan}", r"aggregate.params.tol: .*got nan"),
        ("{smoothing: -.inf}", r"aggregate.params.smoothing: .*got -inf"),
        ("{clamp_gold: 1}", r"aggregate.params.clamp_gold: .*true or false; got 1"),
        (
            "{mx_iter: 3}",
            r"aggregate.params.mx_iter: 'dawid_skene' has no parameter 'mx_iter'. "
            r"Did you mean 'max_iter'\?",
        ),
    ],
)
def test_aggregator_params_are_validated_at_their_own_key(params: str, message: str) -> None:
    text = PIPELINE + f"aggregate:\n  method: dawid_skene\n  params: {params}\n"
    with pytest.raises(ConfigError, match=message):
        load(Pipeline, text)


def test_aggregator_params_report_each_problem_on_its_own_line() -> None:
    text = PIPELINE + "aggregate:\n  method: mace\n  params:\n    alpha: 0\n    beta: .nan\n"
    with pytest.raises(ConfigError) as caught:
        load(Pipeline, text)
    assert [(p.line, p.key_path) for p in caught.value.problems] == [
        (6, "aggregate.params.alpha"),
        (7, "aggregate.params.beta"),
    ]


def test_valid_aggregator_params_load() -> None:
    text = PIPELINE + "aggregate:\n  method: mace\n  params: {max_iter: 50, learn_priors: false}\n"
    pipeline = load(Pipeline, text)
    assert isinstance(pipeline, Pipeline)
    assert pipeline.aggregate.params == {"max_iter": 50, "learn_priors": False}


def test_an_unknown_method_is_reported_once_not_with_its_params() -> None:
    text = PIPELINE + "aggregate:\n  method: dawid\n  params: {max_iter: 1.5}\n"
    with pytest.raises(ConfigError) as caught:
        load(Pipeline, text)
    assert [p.key_path for p in caught.value.problems] == ["aggregate.method"]


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("value: .nan", r"labels\[0\].value: .*finite number"),
        ("value: .inf", r"labels\[0\].value: .*finite number"),
    ],
)
def test_schema_label_values_are_finite(field: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(Schema, SCHEMA.replace("  - id: a\n", f"  - id: a\n    {field}\n"))


@pytest.mark.parametrize("path", ['"a\\0b.csv"', '"a\\tb.csv"', '"raw/\\x1b[31m.csv"'])
def test_source_paths_refuse_control_characters(path: str) -> None:
    text = """
    kind: dataset
    format_version: 1
    schema: s
    guideline: g
    qa_rules: q
    sources:
      annotations:
        - path: PATH
    """.replace("PATH", path)
    with pytest.raises(
        ConfigError, match=r"x.yaml:8:\d+: sources.annotations\[0\].path: .*control character U\+00"
    ):
        load(Dataset, text)
