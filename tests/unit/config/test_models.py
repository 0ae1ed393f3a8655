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
