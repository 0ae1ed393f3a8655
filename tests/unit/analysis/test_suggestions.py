"""Automation bias: acceptance of suggestions, of wrong ones on gold, with vs without."""

from __future__ import annotations

import pandas as pd
import pytest

from labelgate.analysis.suggestions import suggestion_bias
from labelgate.metrics.proportions import wilson_interval


def shown() -> pd.DataFrame:
    # Gold: g1 = pos, g2 = neg. Annotator a saw suggestions on 4 items, b on 1 of 3.
    rows = [
        # item, annotator, label, suggested, duration
        ("g1", "a", "pos", "pos", "10"),  # right suggestion, accepted
        ("g2", "a", "pos", "pos", "4"),  # wrong suggestion on gold, accepted
        ("x1", "a", "neg", "pos", "8"),  # not accepted
        ("x2", "a", "neg", "neg", ""),  # accepted, no duration
        ("g2", "b", "neg", "pos", "30"),  # wrong suggestion on gold, rejected
        ("g1", "b", "pos", "", "20"),  # no suggestion, right on gold
        ("x1", "b", "neg", "", "40"),  # no suggestion
    ]
    frame = pd.DataFrame(
        rows, columns=["item_id", "annotator_id", "label", "suggested_label", "duration_s"]
    )
    return frame.assign(model_version=["m1" if s else "" for s in frame["suggested_label"]])


GOLD = pd.DataFrame({"item_id": ["g1", "g2"], "label": ["pos", "neg"]})


def test_overall_counts_by_hand() -> None:
    bias = suggestion_bias(shown(), GOLD)
    assert bias["n_annotations"] == 7
    assert bias["n_with_suggestion"] == 5
    assert bias["suggestion_share"] == pytest.approx(5 / 7)
    assert bias["n_accepted"] == 3  # g1/a, g2/a, x2/a
    assert bias["acceptance_rate"] == pytest.approx(3 / 5)
    assert bias["n_wrong_suggestions_on_gold"] == 2  # g2/a and g2/b
    assert bias["wrong_suggestion_acceptance_rate"] == pytest.approx(1 / 2)
    assert bias["wrong_suggestion_acceptance_interval"] == pytest.approx(
        list(wilson_interval(1, 2))
    )
    assert bias["model_versions"] == ["m1"]


def test_with_and_without_a_suggestion() -> None:
    bias = suggestion_bias(shown(), GOLD)
    with_, without = bias["with_suggestion"], bias["without_suggestion"]
    # With: gold annotations g1/a (right), g2/a (wrong), g2/b (right) -> 2/3.
    assert (with_["n_gold"], with_["gold_accuracy"]) == (3, pytest.approx(2 / 3))
    assert with_["median_duration_s"] == pytest.approx(9.0)  # of 10, 4, 8, 30
    assert (without["n_gold"], without["gold_accuracy"]) == (1, 1.0)
    assert without["median_duration_s"] == pytest.approx(30.0)


def test_per_annotator() -> None:
    by = {a["annotator_id"]: a for a in suggestion_bias(shown(), GOLD)["annotators"]}
    assert by["a"]["acceptance_rate"] == pytest.approx(3 / 4)
    assert by["a"]["wrong_suggestion_acceptance_rate"] == 1.0
    assert by["b"]["n_with_suggestion"] == 1
    assert by["b"]["acceptance_rate"] == 0.0
    assert by["b"]["wrong_suggestion_acceptance_rate"] == 0.0


def test_no_suggestions_gives_none_rates() -> None:
    frame = shown().drop(columns=["suggested_label", "model_version", "duration_s"])
    bias = suggestion_bias(frame, GOLD)
    assert bias["n_with_suggestion"] == 0
    assert bias["acceptance_rate"] is None
    assert bias["wrong_suggestion_acceptance_rate"] is None
    assert bias["wrong_suggestion_acceptance_interval"] is None
    assert bias["annotators"] == []
    assert bias["with_suggestion"]["gold_accuracy"] is None
