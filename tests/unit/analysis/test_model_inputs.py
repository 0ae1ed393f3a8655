"""Numeric item fields as the drift classifier and the next batch read them."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from labelgate.analysis.model_inputs import numeric_fields
from labelgate.config.pipeline import FeedbackStep
from labelgate.config.schema import Schema


def _schema() -> Schema:
    return Schema.model_validate(
        {
            "kind": "schema",
            "format_version": 1,
            "version": "1.0.0",
            "level": "nominal",
            "labels": [{"id": "a"}, {"id": "b"}],
            "item_fields": [
                {"name": "urgent", "type": "boolean"},
                {"name": "words", "type": "integer"},
                {"name": "score", "type": "float"},
                {"name": "channel", "type": "category"},
                {"name": "body", "type": "string"},
            ],
        }
    )


def test_booleans_become_one_or_zero_and_stray_values_missing() -> None:
    items = pd.DataFrame(
        {
            "item_id": ["i1", "i2", "i3"],
            "urgent": ["true", "No", "maybe"],
            "words": ["12", "n/a", "7"],
            "score": [0.5, None, "1e-3"],
            "channel": ["web", "mail", "web"],
            "body": ["x", "y", "z"],
        }
    )
    out = numeric_fields(items, _schema())
    assert list(out.columns) == ["urgent", "words", "score"]  # declared numbers only
    assert out["urgent"].tolist()[:2] == [1.0, 0.0]
    assert math.isnan(out["urgent"].iloc[2])
    assert out["words"].iloc[0] == 12.0
    assert math.isnan(out["words"].iloc[1])
    assert out["score"].iloc[2] == pytest.approx(0.001)


def test_a_drift_sample_smaller_than_a_window_is_refused() -> None:
    with pytest.raises(ValueError, match="max_items_per_window"):
        FeedbackStep(min_window_items=50, max_items_per_window=20)
