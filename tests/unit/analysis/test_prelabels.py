"""Pre-labels: the suggestion threshold and precision at coverage, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from labelgate.analysis.prelabels import precision_at_coverage, suggest


def test_suggest_leaves_out_items_below_the_threshold() -> None:
    p = np.array([[0.9, 0.1], [0.4, 0.6], [0.5, 0.5]])
    out = suggest(["i1", "i2", "i3"], p, ["neg", "pos"], min_confidence=0.55)
    assert out["suggested_label"].tolist() == ["neg", "pos", ""]
    assert out["suggestion_score"].iloc[:2].tolist() == [0.9, 0.6]
    assert np.isnan(out["suggestion_score"].iloc[2])


def test_precision_at_coverage_by_hand() -> None:
    p = np.array([[0.95, 0.05], [0.8, 0.2], [0.3, 0.7], [0.55, 0.45]])
    truth = np.array([0, 1, 1, 0])  # right, wrong, right, right
    table = precision_at_coverage(p, truth, (0.0, 0.75, 0.9, 0.99))
    assert table["coverage"].tolist() == [1.0, 0.5, 0.25, 0.0]
    assert table["precision"].iloc[:3].tolist() == [pytest.approx(0.75), 0.5, 1.0]
    assert np.isnan(table["precision"].iloc[3])
    assert table["n_suggested"].tolist() == [4, 2, 1, 0]
