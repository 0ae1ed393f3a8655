"""Per-annotator feedback: gold accuracy, consensus agreement, confusions, speed, reviews, examples."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from labelgate.analysis.annotator_feedback import (
    OTHER_ANNOTATOR,
    SUMMARY_COLUMNS,
    annotator_feedback,
    feedback_summary_rows,
)
from labelgate.config.guideline import Guideline
from labelgate.metrics.proportions import wilson_interval
from tests.unit.toy_guideline import LABELS, toy_guideline


def guideline() -> Guideline:
    return toy_guideline("1.0.0")


P, Q, R, S = "ann-p", "ann-q", "ann-r", "ann-s"
# item, annotator, label, seconds. Final labels below; gold: i1 = x, i3 = y, i6 = y.
VOTES = [
    ("i1", P, "x", 10),
    ("i1", Q, "x", 4),
    ("i1", R, "y", 20),
    ("i2", P, "x", 20),
    ("i2", Q, "y", 6),
    ("i2", R, "y", 22),
    ("i3", P, "y", 30),
    ("i3", Q, "z", 8),
    ("i3", P, "x", 99),  # duplicate vote: ignored
    ("i4", P, "z", 40),
    ("i4", Q, "z", 10),
    ("i4", R, "z", 24),
    ("i4", S, "zz", 100),  # not a schema label: ignored
    ("i5", P, "x", 50),
    ("i5", Q, "y", 12),
    ("i6", P, "x", 60),
    ("i7", P, "y", 70),
    ("i7", Q, "y", 14),
    ("i7", R, "x", 26),
]
FINAL = [
    ("i1", "x", "aggregated", 0.95),
    ("i2", "y", "aggregated", 0.95),
    ("i3", "z", "adjudicated", 1.0),
    ("i4", "z", "agreed", 0.99),
    ("i5", "", "unresolved", 0.5),
    ("i6", "x", "agreed", 0.9),
    ("i7", "y", "aggregated", 0.6),  # not confident enough for an example
]
GOLD = pd.DataFrame({"item_id": ["i1", "i3", "i6"], "label": ["x", "y", "y"]})
ITEMS = pd.DataFrame(
    {
        "item_id": [f"i{n}" for n in range(1, 8)],
        "text": ["one", "two", "three", "four", "five", "Ask ann-q about it", "seven"],
    }
)
REVIEWS = pd.DataFrame(
    {
        "item_id": ["i1", "i2", "i4", "i6", "i1"],
        "annotator_id": [P, P, P, P, Q],
        "reviewer_id": [R, R, R, R, P],
        "verdict": ["reject", "reject", "reject", "accept", "accept"],
        "reason": ["wrong label, as ann-q said", "wrong label, as ann-q said", "missed", "", ""],
        "reviewed_at": ["2026-10-01T00:00:00Z"] * 5,
    }
)
QUAL = {
    P: {
        "score": 0.9,
        "n_questions": 10,
        "n_correct": 9,
        "passed": True,
        "ci_low": 0.6,
        "ci_high": 0.98,
    }
}
RETRAIN = {R: ["gold accuracy 0.00 below 0.80; compare with ann-p"]}


def vote_table() -> pd.DataFrame:
    return pd.DataFrame(VOTES, columns=["item_id", "annotator_id", "label", "duration_s"])


def final() -> pd.DataFrame:
    return pd.DataFrame(FINAL, columns=["item_id", "label", "status", "confidence"])


def run(reviews: pd.DataFrame | None = REVIEWS, **kwargs: Any) -> dict[str, Any]:
    return annotator_feedback(
        vote_table(),
        final(),
        GOLD,
        LABELS,
        guideline(),
        ITEMS,
        reviews,
        QUAL,
        RETRAIN,
        text_field="text",
        **kwargs,
    )


def test_gold_accuracy_and_consensus_agreement_by_hand() -> None:
    fb = run()
    assert list(fb) == [P, Q, R, S]
    p, q, r = fb[P], fb[Q], fb[R]
    assert (p["n_annotations"], q["n_annotations"], r["n_annotations"]) == (7, 6, 4)
    # p on gold: i1 x (right), i3 y (right), i6 x vs y (wrong) -> 2 of 3.
    assert (p["gold"]["count"], p["gold"]["n"]) == (2, 3)
    assert p["gold"]["rate"] == pytest.approx(2 / 3)
    low, high = wilson_interval(2, 3)
    assert (p["gold"]["ci_low"], p["gold"]["ci_high"]) == pytest.approx((low, high))
    # q: i1 right, i3 z vs y wrong -> 1 of 2; r: i1 y vs x -> 0 of 1.
    assert (q["gold"]["count"], q["gold"]["n"], r["gold"]["count"], r["gold"]["n"]) == (1, 2, 0, 1)
    # Consensus on settled items with 2+ votes (not i5 unresolved, not i6 single):
    # p: i1 ok, i2 x/y no, i3 y/z no, i4 ok, i7 ok -> 3 of 5; q: 5 of 5; r: i1 no, i2, i4, i7 no -> 2 of 4.
    assert (p["consensus"]["count"], p["consensus"]["n"]) == (3, 5)
    assert (q["consensus"]["count"], q["consensus"]["n"]) == (5, 5)
    assert (r["consensus"]["count"], r["consensus"]["n"]) == (2, 4)


def test_confusion_matrix_rows_are_their_labels() -> None:
    p = run()[P]["confusion"]
    assert p["labels"] == LABELS
    # p said x on x-item i1 and y-item i2; y on z-item i3 and y-item i7; z on z-item i4.
    assert p["matrix"] == [[1, 1, 0], [0, 1, 1], [0, 0, 1]]


def test_speed_against_the_median_of_all_annotators() -> None:
    fb = run(min_peers=3)
    # Medians: p 40 (10..70), q 9 (4..14), r 23 (20..26); s has no schema vote. Overall 23.
    assert fb[P]["speed"]["median_duration_s"] == 40
    assert fb[Q]["speed"]["median_duration_s"] == 9
    assert fb[R]["speed"]["all_annotators_median_s"] == 23
    assert fb[P]["speed"]["ratio"] == pytest.approx(40 / 23)
    assert fb[S]["speed"] == {
        "median_duration_s": None,
        "all_annotators_median_s": 23,
        "ratio": None,
    }


def test_a_team_too_small_to_hide_a_colleague_gets_no_team_median() -> None:
    # Three timed annotators: the default of five withholds the team median.
    for entry in run().values():
        assert entry["speed"]["all_annotators_median_s"] is None
        assert entry["speed"]["ratio"] is None
    assert run()[P]["speed"]["median_duration_s"] == 40


def test_other_ids_are_hidden_in_any_case_and_reviewers_too() -> None:
    reviews = REVIEWS.assign(
        reason=["ask ANN-Q", "ask Ann-R", "see rev-9", "", ""],
        reviewer_id=["rev-9", "rev-9", "rev-9", "rev-9", "rev-9"],
    )
    reasons = {e["reason"] for e in run(reviews)[P]["reviews"]["top_reasons"]}
    assert reasons == {f"ask {OTHER_ANNOTATOR}", f"see {OTHER_ANNOTATOR}"}


def test_reviews_rejection_rate_and_reasons() -> None:
    reviews = run()[P]["reviews"]
    assert (reviews["count"], reviews["n"]) == (3, 4)
    assert reviews["rate"] == pytest.approx(0.75)
    # Another annotator's id in a reason is replaced.
    assert reviews["top_reasons"] == [
        {"reason": f"wrong label, as {OTHER_ANNOTATOR} said", "count": 2},
        {"reason": "missed", "count": 1},
    ]
    q = run()[Q]["reviews"]
    assert (q["count"], q["n"], q["rate"], q["top_reasons"]) == (0, 1, 0.0, [])


def test_empty_reviews_and_qualification() -> None:
    for reviews in (None, REVIEWS.iloc[0:0]):
        fb = annotator_feedback(
            vote_table(),
            final(),
            GOLD,
            LABELS,
            guideline(),
            ITEMS,
            reviews,
            {},
            {},
            text_field=None,
        )
        p = fb[P]
        assert p["reviews"] == {
            "count": 0,
            "n": 0,
            "rate": None,
            "ci_low": None,
            "ci_high": None,
            "top_reasons": [],
        }
        assert p["qualification"] is None
        assert p["retraining"] == []
        assert all(e["text"] is None for e in p["examples"])


def test_qualification_and_retraining_are_the_persons_own() -> None:
    fb = run()
    assert fb[P]["qualification"] == QUAL[P]
    assert fb[Q]["qualification"] is None
    assert fb[R]["retraining"] == [f"gold accuracy 0.00 below 0.80; compare with {OTHER_ANNOTATOR}"]


def test_qualification_without_a_score_is_json_ready() -> None:
    untested = {P: {"score": float("nan"), "n_questions": 0, "n_correct": 0, "passed": None}}
    fb = annotator_feedback(
        vote_table(),
        final(),
        GOLD,
        LABELS,
        guideline(),
        ITEMS,
        None,
        untested,
        {},
        text_field=None,
    )
    assert fb[P]["qualification"] == {
        "score": None,
        "n_questions": 0,
        "n_correct": 0,
        "passed": None,
        "ci_low": None,
        "ci_high": None,
    }


def test_wrong_examples_gold_first_with_the_ruling_that_applies() -> None:
    fb = run()
    p = fb[P]["examples"]
    # Gold i6 first; then confident consensus disagreement i2 (i3 is gold and p was right
    # there; i7 has confidence 0.6 < 0.9).
    assert [(e["item_id"], e["source"]) for e in p] == [("i6", "gold"), ("i2", "consensus")]
    assert (p[0]["your_label"], p[0]["expected_label"]) == ("x", "y")
    assert p[0]["guidance"]["kind"] == "ruling"
    assert p[0]["guidance"]["id"] == "R-001"
    assert p[0]["text"] == f"Ask {OTHER_ANNOTATOR} about it"
    assert p[1]["consensus_confidence"] == 0.95
    # q was wrong on gold i3 (z for y): no ruling covers y/z, so the definition of y
    # (its heading is line 19 of GUIDE).
    q = fb[Q]["examples"]
    assert [(e["item_id"], e["your_label"], e["expected_label"]) for e in q] == [("i3", "z", "y")]
    assert q[0]["guidance"] == {"kind": "section", "label": "y", "line": 19, "text": "Y things."}
    assert [e["item_id"] for e in fb[R]["examples"]] == ["i1"]
    assert run(examples=1)[P]["examples"][0]["item_id"] == "i6"
    assert [e["item_id"] for e in run(min_confidence=0.5)[R]["examples"]] == ["i1", "i7"]


def test_no_entry_names_another_annotator() -> None:
    fb = run()
    for person, entry in fb.items():
        text = json.dumps(entry, allow_nan=False)
        assert person in text
        for other in fb:
            if other != person:
                assert other not in text, (person, other)


def test_unresolved_items_are_ignored() -> None:
    # i5 is unresolved: it counts for p's annotations but not against the consensus.
    fb = run()
    assert fb[P]["n_annotations"] == 7
    assert sum(map(sum, fb[P]["confusion"]["matrix"])) == 5
    assert all(e["item_id"] != "i5" for e in fb[Q]["examples"])


def test_same_input_same_bytes() -> None:
    shuffled = vote_table().iloc[[*range(9, 19), *range(9)]]  # the duplicate stays after i3/p
    again = annotator_feedback(
        shuffled,
        final(),
        GOLD,
        LABELS,
        guideline(),
        ITEMS,
        REVIEWS,
        QUAL,
        RETRAIN,
        text_field="text",
    )
    assert json.dumps(again, allow_nan=False) == json.dumps(run(), allow_nan=False)


def test_summary_rows_have_fixed_columns() -> None:
    rows = feedback_summary_rows(run())
    assert [r["annotator_id"] for r in rows] == [P, Q, R, S]
    assert all(tuple(r) == SUMMARY_COLUMNS for r in rows)
    p = rows[0]
    assert (p["gold_n"], p["gold_correct"], p["consensus_n"], p["consensus_agree"]) == (3, 2, 5, 3)
    assert (p["reviews_n"], p["reviews_rejected"]) == (4, 3)
    assert p["top_rejection_reason"] == f"wrong label, as {OTHER_ANNOTATOR} said"
    assert (p["qualification_score"], p["qualification_passed"], p["n_examples"]) == (0.9, True, 2)
    assert rows[3]["gold_accuracy"] is None


def test_medians_per_code_match_numpy() -> None:
    import numpy as np

    from labelgate.analysis.annotator_feedback import _medians

    rng = np.random.default_rng(3)
    codes = rng.integers(0, 7, 500)
    values = np.round(rng.exponential(5.0, 500), 1)
    values[rng.random(500) < 0.1] = np.nan
    got = _medians(codes, values, 8)
    for c in range(8):
        mine = values[(codes == c) & ~np.isnan(values)]
        assert (np.isnan(got[c]) and len(mine) == 0) or got[c] == np.median(mine)
