"""Routing to a target error rate: meets the target, edge cases, and the realised error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelgate.analysis.routing import realised_error, route


def everyone(n: int) -> np.ndarray:
    return np.ones(n, dtype=bool)


def test_routes_the_fewest_least_confident_by_hand() -> None:
    conf = np.array([0.6, 0.99, 0.9, 0.97])
    # Most confident first: 0.01, then (0.01 + 0.03)/2 = 0.02, then 0.14/3 = 0.047 > 0.03.
    result = route(conf, everyone(4), everyone(4), 0.03)
    assert result.routed.tolist() == [True, False, True, False]
    assert result.expected_error == pytest.approx(0.02)
    assert (result.n_routed, result.share_routed, result.n_accepted) == (2, 0.5, 2)
    assert result.reachable
    assert result.summary() == {
        "target": 0.03,
        "expected_error": 0.02,
        "n_routed": 2,
        "share_routed": 0.5,
        "n_accepted": 2,
        "reachable": True,
    }


@pytest.mark.parametrize("seed", range(3))
def test_meets_the_target_on_calibrated_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 100_000
    conf = rng.beta(8, 1, n)  # mean 0.89: most items are fairly sure, a tail is not
    correct = rng.random(n) < conf  # calibrated by construction
    for target in (0.01, 0.02, 0.05):
        result = route(conf, everyone(n), everyone(n), target)
        assert result.expected_error is not None
        assert target - 1e-4 < result.expected_error <= target
        realised = 1 - correct[~result.routed].mean()
        assert realised == pytest.approx(target, abs=0.003)
        # The routed are exactly the least confident.
        assert conf[result.routed].max() <= conf[~result.routed].min()


def test_no_items() -> None:
    empty = np.zeros(0, dtype=bool)
    result = route(np.zeros(0), empty, empty, 0.02)
    assert (result.n_routed, result.expected_error, result.share_routed) == (0, None, 0.0)
    assert result.reachable


def test_all_confident_routes_nothing() -> None:
    result = route(np.full(5, 0.999), everyone(5), everyone(5), 0.02)
    assert result.n_routed == 0
    assert result.expected_error == pytest.approx(0.001)


def test_unreachable_target_routes_everything_and_says_so() -> None:
    result = route(np.full(4, 0.9), everyone(4), everyone(4), 0.05)
    assert result.routed.all()
    assert not result.reachable
    assert result.expected_error is None
    assert result.n_accepted == 0


def test_without_a_target_nothing_is_routed_and_the_mean_is_reported() -> None:
    result = route(np.array([0.9, 0.7]), everyone(2), everyone(2), None)
    assert result.n_routed == 0
    assert result.expected_error == pytest.approx(0.2)
    assert result.summary()["target"] is None


def test_only_candidates_are_routed_and_adjudicated_labels_count_as_accepted() -> None:
    conf = np.array([1.0, 0.9, 0.5, 0.8])
    candidate = np.array([False, True, False, True])  # 0: adjudicated; 2: already unresolved
    accepted = np.array([True, True, False, True])
    # Accepted: the adjudicated label (error 0) and the candidates. Keeping 0.9: 0.1/2 = 0.05.
    result = route(conf, candidate, accepted, 0.05)
    assert result.routed.tolist() == [False, False, False, True]
    assert result.expected_error == pytest.approx(0.05)
    # No candidate can stay, yet the adjudicated label alone meets the target.
    tight = route(conf, candidate, accepted, 0.01)
    assert tight.routed.tolist() == [False, True, False, True]
    assert tight.reachable
    assert tight.expected_error == 0.0


def test_ties_are_routed_last_item_first() -> None:
    result = route(np.array([0.99, 0.9, 0.9, 0.9]), everyone(4), everyone(4), 0.055)
    # Keeping 0.99 then one 0.9 gives (0.01 + 0.1)/2 = 0.055: the first tied item stays.
    assert result.routed.tolist() == [False, False, True, True]


def test_realised_error_on_audited_accepted_labels() -> None:
    final = pd.DataFrame(
        {
            "item_id": ["a", "b", "c", "d", "e"],
            "status": ["agreed", "aggregated", "unresolved", "adjudicated", "aggregated"],
        }
    )
    audit = pd.DataFrame(
        {
            "item_id": ["a", "b", "c", "d", "b", "z"],
            "verdict": ["correct", "correct", "incorrect", "incorrect", "incorrect", "correct"],
        }
    )
    # b's last verdict counts; c is not accepted; z is no final label; e was not audited.
    result = realised_error(final, audit)
    assert result is not None
    assert (result["n_audited"], result["n_incorrect"]) == (3, 2)
    assert result["realised_error"] == pytest.approx(2 / 3, abs=1e-6)
    assert 0 < result["ci_low"] < 2 / 3 < result["ci_high"] < 1
    assert realised_error(final, audit.iloc[0:0]) is None
    assert realised_error(final, audit[audit["item_id"] == "c"]) is None
