"""review_summary: rejection rates and reasons from reviewers' verdicts, checked by hand."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from labelgate.analysis.reviews import NO_REASON, interval, review_summary, worst_annotator

ANNOTATIONS = pd.DataFrame(
    {
        "item_id": ["i1", "i2", "i3", "i1", "i2", "i4"],
        "annotator_id": ["a", "a", "a", "b", "b", "b"],
        "label": ["pos", "neg", "pos", "pos", "pos", "neu"],
    }
)

# 7 reviews with a verdict, 4 of them rejections; one verdict that is neither.
REVIEWS = pd.DataFrame(
    [
        ("i1", "a", "r1", "accept", ""),
        ("i2", "a", "r1", "reject", "wrong label"),
        ("i3", "a", "r1", "reject", ""),
        ("i1", "b", "r1", "reject", "wrong label"),
        ("i2", "b", "r2", "reject", "missed sarcasm"),
        ("i4", "b", "r2", "accept", ""),
        ("i4", "b", "r3", "ACCEPT", ""),
        ("i3", "a", "r3", "maybe", "unsure"),
    ],
    columns=["item_id", "annotator_id", "reviewer_id", "verdict", "reason"],
)


def test_overall_rate_interval_and_reasons() -> None:
    summary = review_summary(REVIEWS, ANNOTATIONS, top_reasons=2)
    assert (summary["n_reviews"], summary["n_accepted"], summary["n_rejected"]) == (7, 3, 4)
    assert summary["rejection_rate"] == pytest.approx(4 / 7)
    # Wilson 95% for 4/7 by hand: centre (4/7 + z²/14) / (1 + z²/7) = 0.5461, half-width
    # z·sqrt(4/7·3/7/7 + z²/196) / (1 + z²/7) = 0.2957.
    assert summary["ci_low"] == pytest.approx(0.2505, abs=1e-4)
    assert summary["ci_high"] == pytest.approx(0.8418, abs=1e-4)
    assert (summary["skipped"], summary["n_unknown_verdicts"], summary["n_reviewers"]) == (
        None,
        1,
        3,
    )
    # Rejections only, most given first, ties by name; the rest counted, not dropped.
    assert summary["reasons"] == [
        {"reason": "wrong label", "count": 2},
        {"reason": NO_REASON, "count": 1},
    ]
    assert summary["n_rejected_other_reasons"] == 1


def test_per_annotator_and_per_label_of_the_reviewed_annotation() -> None:
    summary = review_summary(REVIEWS, ANNOTATIONS)
    by_annotator = summary["by_annotator"]
    assert list(by_annotator) == ["a", "b"]
    a, b = by_annotator["a"], by_annotator["b"]
    assert (a["n_reviews"], a["n_rejected"], a["rejection_rate"]) == (3, 2, pytest.approx(2 / 3))
    assert a["reasons"] == [
        {"reason": NO_REASON, "count": 1},
        {"reason": "wrong label", "count": 1},
    ]
    assert (b["n_reviews"], b["n_rejected"], b["rejection_rate"]) == (4, 2, 0.5)
    # Wilson 95% for 2/4 is [0.150, 0.850].
    assert (b["ci_low"], b["ci_high"]) == (
        pytest.approx(0.1500, abs=1e-4),
        pytest.approx(0.8500, abs=1e-4),
    )
    by_label = summary["by_label"]
    assert {k: (v["n_reviews"], v["n_rejected"]) for k, v in by_label.items()} == {
        "neg": (1, 1),
        "neu": (2, 0),
        "pos": (4, 3),  # i1/a, i3/a, i1/b and i2/b (b labelled i2 pos)
    }
    assert by_label["neu"]["reasons"] == []
    assert by_label["pos"]["rejection_rate"] == 0.75


def test_no_reviews_gives_no_rate_and_says_why() -> None:
    summary = review_summary(REVIEWS.iloc[:0], ANNOTATIONS)
    assert summary["rejection_rate"] is None
    assert (summary["ci_low"], summary["ci_high"]) == (None, None)
    assert summary["skipped"] == "no reviews with an accept or reject verdict"
    assert (summary["by_annotator"], summary["by_label"], summary["reasons"]) == ({}, {}, [])


def test_row_order_does_not_change_the_result() -> None:
    shuffled = REVIEWS.sample(frac=1.0, random_state=3)
    first = json.dumps(review_summary(REVIEWS, ANNOTATIONS), sort_keys=True)
    assert json.dumps(review_summary(shuffled, ANNOTATIONS), sort_keys=True) == first


def test_a_multi_label_annotation_counts_for_each_of_its_labels() -> None:
    annotations = pd.DataFrame(
        {
            "item_id": ["i1", "i2"],
            "annotator_id": ["a", "a"],
            "label": ['["fear","joy"]', '["joy"]'],
            "labels": [["fear", "joy"], ["joy"]],
        }
    )
    reviews = pd.DataFrame(
        {
            "item_id": ["i1", "i2"],
            "annotator_id": ["a", "a"],
            "reviewer_id": ["r", "r"],
            "verdict": ["reject", "accept"],
            "reason": ["missed anger", ""],
        }
    )
    by_label = review_summary(reviews, annotations)["by_label"]
    assert {k: (v["n_reviews"], v["n_rejected"]) for k, v in by_label.items()} == {
        "fear": (1, 1),
        "joy": (2, 1),
    }


def test_confidence_outside_zero_and_one_is_refused() -> None:
    with pytest.raises(ValueError, match="not between 0 and 1"):
        interval(1, 2, 95)
    with pytest.raises(ValueError, match="confidence 95 is not between 0 and 1"):
        review_summary(REVIEWS.iloc[:0], ANNOTATIONS, confidence=95)


def test_a_wider_confidence_gives_a_wider_interval() -> None:
    # Wilson 99% for 2/4 (z = 2.5758) by hand: 0.5 -+ z·sqrt(1/16 + z²/64) / (1 + z²/4) = 0.5 -+ 0.3949.
    b = review_summary(REVIEWS, ANNOTATIONS, confidence=0.99)["by_annotator"]["b"]
    assert (b["ci_low"], b["ci_high"]) == (
        pytest.approx(0.1051, abs=1e-4),
        pytest.approx(0.8949, abs=1e-4),
    )


def test_the_worst_annotator_needs_enough_reviews_to_count() -> None:
    by_annotator = {
        "a1": {"rejection_rate": 0.05, "n_reviews": 400},
        "a2": {"rejection_rate": 1.0, "n_reviews": 1},  # one rejected review is not a rate
        "a3": {"rejection_rate": 0.25, "n_reviews": 20},
        "a4": {"rejection_rate": 0.25, "n_reviews": 40},
    }
    worst = worst_annotator(by_annotator, 20)
    assert worst == {"rejection_rate": 0.25, "n_reviews": 20, "min_reviews": 20}  # a3 first
    assert worst_annotator(by_annotator, 1)["rejection_rate"] == 1.0
    assert worst_annotator(by_annotator, 500) is None
