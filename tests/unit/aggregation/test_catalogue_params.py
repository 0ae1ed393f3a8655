"""The aggregator parameters declared as plain data (config/catalogue.py) match the estimators,
and make() refuses what the pipeline model refuses, before anything is fitted."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pandas as pd
import pytest

from labelgate.aggregation.catalog import make
from labelgate.aggregation.registry import AGGREGATORS
from labelgate.config.catalogue import AGGREGATOR_PARAMS, ParamSpec
from labelgate.errors import ConfigError

# How an __init__ annotation (a string: `from __future__ import annotations`) maps to a type.
ANNOTATION_TYPES = {
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "FloatArray | None": "confusion_matrices",
}


def signature_params(name: str) -> dict[str, inspect.Parameter]:
    params = inspect.signature(AGGREGATORS[name].__init__).parameters
    return {k: p for k, p in params.items() if k not in ("self", "labels")}


def test_every_registered_aggregator_declares_its_params() -> None:
    assert sorted(AGGREGATOR_PARAMS) == sorted(AGGREGATORS)


@pytest.mark.parametrize("name", sorted(AGGREGATORS))
def test_declared_params_match_the_signature(name: str) -> None:
    declared = AGGREGATOR_PARAMS[name]
    params = signature_params(name)
    assert list(declared) == list(params)
    for key, spec in declared.items():
        assert params[key].default == spec.default, (name, key)
        assert ANNOTATION_TYPES[str(params[key].annotation)] == spec.type, (name, key)


def edges(spec: ParamSpec) -> list[object]:
    """Valid extreme values of a parameter."""
    if spec.type == "boolean":
        return [True, False]
    if spec.type == "confusion_matrices":
        return [None]
    low = spec.low if spec.low is not None else -1.0
    if spec.low_open:
        low = math.nextafter(low, math.inf) if spec.type == "number" else low + 1
    values: list[object] = [int(low) if spec.type == "integer" else low]
    if spec.high is not None and spec.type == "integer" and spec.high <= 1_000:
        values.append(int(spec.high))
    return values


def tiny() -> pd.DataFrame:
    rows = [(f"i{i}", f"a{a}", str((i + (a == 2)) % 2)) for i in range(12) for a in range(3)]
    return pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])


@pytest.mark.parametrize(
    ("name", "key"), [(n, k) for n, specs in AGGREGATOR_PARAMS.items() for k in specs]
)
def test_valid_extremes_fit_to_proper_probabilities(name: str, key: str) -> None:
    for value in edges(AGGREGATOR_PARAMS[name][key]):
        model = make(name, ["0", "1"], {key: value}, "pipelines/p.yaml")
        probas = model.fit(tiny()).probas_.to_numpy()
        assert np.isfinite(probas).all(), (key, value)
        assert np.allclose(probas.sum(axis=1), 1.0), (key, value)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"max_iter": 1.5}, r"aggregate.params.max_iter: .*must be an integer from 1 to 10000"),
        ({"max_iter": 0}, r"aggregate.params.max_iter: .*got 0"),
        ({"max_iter": True}, r"aggregate.params.max_iter: .*got True"),
        ({"tol": "x"}, r"aggregate.params.tol: .*must be a finite number >= 0; got 'x'"),
        ({"tol": float("nan")}, r"aggregate.params.tol: .*got nan"),
        ({"smoothing": 0}, r"aggregate.params.smoothing: .*must be a finite number > 0"),
        ({"smoothing": float("inf")}, r"aggregate.params.smoothing: .*got inf"),
        ({"clamp_gold": "yes"}, r"aggregate.params.clamp_gold: .*must be true or false"),
        ({"random_state": -1}, r"aggregate.params.random_state: .*from 0 to 4294967295"),
        ({"initial_errors": [[[1, 0]]]}, r"aggregate.params.initial_errors: .*matrix \[0\]"),
        (
            {"initial_errors": [[[1, -1], [0, 1]]]},
            r"aggregate.params.initial_errors: .*row \[0\]\[0\] holds -1",
        ),
    ],
)
def test_make_refuses_bad_values_before_fitting(params: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=rf"pipelines/p.yaml: {message}"):
        make("dawid_skene", ["0", "1"], params, "pipelines/p.yaml")


def test_make_reports_every_bad_param_at_once() -> None:
    with pytest.raises(ConfigError, match=r"alpha: .*\n.*beta: .*\n.*max_iters: .*Did you mean"):
        make("mace", ["0", "1"], {"alpha": 0, "beta": -1, "max_iters": 5}, "p.yaml")


def test_initial_errors_of_the_wrong_shape_for_the_data_is_a_config_error() -> None:
    model = make("dawid_skene", ["0", "1"], {"initial_errors": [[[1, 0], [0, 1]]]}, "p.yaml")
    with pytest.raises(ConfigError, match=r"initial_errors must have shape .* = \(3, 2, 2\)"):
        model.fit(tiny())
