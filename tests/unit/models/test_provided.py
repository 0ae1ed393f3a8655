"""A team's predictions table: both layouts, and a clear problem for every kind of bad row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelgate.models.identity import ModelIdentity
from labelgate.models.provided import probabilities_from_table

ITEMS = ["i1", "i2", "i3", "i4"]
LABELS = ["pos", "neg", "neu"]


def wide(**columns: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "item_id": ["i1", "i2", "i3"],
        "pos": [0.7, 0.1, 0.2],
        "neg": [0.2, 0.8, 0.2],
        "neu": [0.1, 0.1, 0.6],
    }
    return pd.DataFrame({**base, **columns})


def test_probability_columns_become_rows_in_item_and_label_order() -> None:
    frame = wide(model=["bert"] * 3, model_version=["v2"] * 3)[
        ["neu", "item_id", "model", "pos", "neg", "model_version"]
    ]
    result = probabilities_from_table(frame.iloc[::-1], ITEMS, LABELS)
    assert result.problems == []
    np.testing.assert_allclose(result.probabilities[0], [0.7, 0.2, 0.1])
    np.testing.assert_allclose(result.probabilities[2], [0.2, 0.2, 0.6])
    assert result.has_prediction.tolist() == [True, True, True, False]
    np.testing.assert_allclose(result.probabilities[3], [1 / 3] * 3)
    assert result.identity == ModelIdentity("bert", "v2", {"layout": "probabilities"})


def test_rows_close_to_one_are_renormalised_and_others_are_problems() -> None:
    frame = wide(pos=[0.333, 0.5, 2.0], neg=[0.333, 0.3, -1.0], neu=[0.333, 0.1, 0.0])
    result = probabilities_from_table(frame, ITEMS, LABELS)
    np.testing.assert_allclose(result.probabilities[0], [1 / 3] * 3)
    assert result.problems == [
        "row 2, item 'i2': the probabilities sum to 0.9, not 1 (tolerance 0.001); write probabilities that sum to 1 (a softmax of scores, for instance).",
        "row 3, item 'i3': 'pos' is 2.0, not a probability in [0, 1]; write a number between 0 and 1 for every label.",
    ]
    assert result.has_prediction.tolist() == [True, False, False, False]


@pytest.mark.parametrize(
    ("value", "shown"), [(np.nan, "empty"), ("high", "'high'"), (np.inf, "inf"), (None, "empty")]
)
def test_a_value_that_is_not_a_number_is_a_problem(value: object, shown: str) -> None:
    frame = wide(neg=[0.2, value, 0.2])
    result = probabilities_from_table(frame.astype({"neg": object}), ITEMS, LABELS)
    assert result.problems == [
        f"row 2, item 'i2': 'neg' is {shown}, not a probability in [0, 1]; write a number between 0 and 1 for every label."
    ]


def test_label_and_score_spread_the_rest_evenly() -> None:
    frame = pd.DataFrame({"item_id": ["i2", "i4"], "label": ["neg", "pos"], "score": [0.8, 1.0]})
    result = probabilities_from_table(frame, ITEMS, LABELS)
    assert result.problems == []
    np.testing.assert_allclose(result.probabilities[1], [0.1, 0.8, 0.1])
    np.testing.assert_allclose(result.probabilities[3], [1.0, 0.0, 0.0])
    assert result.has_prediction.tolist() == [False, True, False, True]
    assert result.identity == ModelIdentity("provided", "unversioned", {"layout": "label_score"})


def test_label_and_score_problems_name_the_row_the_value_and_the_fix() -> None:
    frame = pd.DataFrame(
        {
            "item_id": ["i1", "i2", "i3", None],
            "label": ["postive", "neg", "neu", "pos"],
            "score": [0.9, 1.5, np.nan, 0.5],
        }
    )
    result = probabilities_from_table(frame, ITEMS, LABELS)
    assert result.problems == [
        "row 1, item 'i1': unknown label 'postive'. Did you mean 'pos'?",
        "row 2, item 'i2': score 1.5 is not a probability in [0, 1]; write the probability of the predicted label.",
        "row 3, item 'i3': score empty is not a probability in [0, 1]; write the probability of the predicted label.",
        "row 4: item_id is empty; give every row an item id.",
    ]
    assert not result.has_prediction.any()


def test_duplicate_and_unknown_items_are_problems() -> None:
    frame = pd.DataFrame(
        {
            "item_id": ["i1", "i1", "x9", "i3", *[f"y{k}" for k in range(6)]],
            "label": ["pos"] * 10,
            "score": [0.9] * 10,
        }
    )
    result = probabilities_from_table(frame, ITEMS, LABELS)
    assert result.problems == [
        "item 'i1' has 2 predictions (rows 1, 2); keep one row per item.",
        "7 item id(s) in the predictions table are not among the annotated items: 'x9', 'y0', 'y1', 'y2', 'y3' and 2 more; check that the ids match the annotations' item ids, or remove those rows.",
    ]
    assert result.has_prediction.tolist() == [False, False, True, False]


def test_several_models_in_one_table_are_a_problem() -> None:
    frame = wide(model=["a", "b", "a"], model_version=["1", "1", None])
    result = probabilities_from_table(frame, ITEMS, LABELS)
    assert result.problems == [
        "column 'model' has 2 distinct values ('a', 'b'); one predictions table holds one model's predictions: split it, or fill every row with the same model.",
        "column 'model_version' has 2 distinct values ('', '1'); one predictions table holds one model's predictions: split it, or fill every row with the same model_version.",
    ]
    assert result.identity.model == "provided"
    assert result.has_prediction.sum() == 3


@pytest.mark.parametrize(
    ("frame", "problems"),
    [
        (
            pd.DataFrame({"id": ["i1"], "label": ["pos"], "score": [0.9]}),
            [
                "the predictions table has no 'item_id' column (columns: id, label, score); name the column of item ids 'item_id'.",
                "unknown column 'id' in the predictions table. Expected one of 'item_id', 'label', 'model', 'model_version', 'score'.",
            ],
        ),
        (
            pd.DataFrame({"item_id": ["i1"], "label": ["pos"]}),
            ["the predictions table has no 'score' column; add it."],
        ),
        (
            pd.DataFrame({"item_id": ["i1"], "prediction": ["pos"]}),
            [
                "unknown column 'prediction' in the predictions table. Expected one of 'item_id', 'model', 'model_version', 'neg', 'neu', 'pos'.",
                "the predictions table has no prediction columns: give one probability column per label id (pos, neg, neu), or 'label' and 'score'.",
            ],
        ),
        (
            pd.DataFrame({"item_id": ["i1"], "pos": [0.5], "neg": [0.5]}),
            [
                "the predictions table has no column for label(s) 'neu'; add one probability column per label id."
            ],
        ),
        (
            pd.DataFrame({"item_id": ["i1"], "pos": [1.0], "label": ["pos"], "score": [1.0]}),
            [
                "the predictions table has both 'label'/'score' and label columns; use one layout: a probability column per label id, or 'label' and 'score'."
            ],
        ),
    ],
)
def test_column_problems_leave_every_item_without_prediction(
    frame: pd.DataFrame, problems: list[str]
) -> None:
    result = probabilities_from_table(frame, ITEMS, LABELS)
    assert result.problems == problems
    assert not result.has_prediction.any()
    np.testing.assert_allclose(result.probabilities, 1 / 3)


def test_an_unknown_column_is_reported_and_the_rows_still_read() -> None:
    result = probabilities_from_table(wide(postive=[1, 2, 3]), ITEMS, LABELS)
    assert result.problems == [
        "unknown column 'postive' in the predictions table. Did you mean 'pos'?"
    ]
    assert result.has_prediction.sum() == 3


def test_numeric_item_ids_match_their_text() -> None:
    frame = pd.DataFrame({"item_id": [1, 2], "label": ["pos", "neg"], "score": [0.5, 0.5]})
    result = probabilities_from_table(frame, ["1", "2"], LABELS)
    assert result.problems == []
    assert result.has_prediction.all()


def test_columns_that_are_not_text_match_label_ids() -> None:
    frame = pd.DataFrame({"item_id": ["i1"], 0: [0.25], 1: [0.75]})
    result = probabilities_from_table(frame, ["i1"], ["0", "1"])
    assert result.problems == []
    np.testing.assert_allclose(result.probabilities, [[0.25, 0.75]])
