"""Qualification scores, gold accuracy per window and retraining flags, checked by hand, and
the d_sentiment qualification test (../shared/data/real) against plain pandas."""

from __future__ import annotations

import pandas as pd
import pytest

from labelgate.analysis.qualification import (
    gold_accuracy_by_window,
    qualification_scores,
    retraining_flags,
)
from labelgate.analysis.windows import assign_windows
from tests.conftest import SHARED

KEY = pd.DataFrame({"item_id": ["q1", "q2", "q3", "q4"], "label": ["A", "B", "A", "B"]})


def _answers(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["annotator_id", "item_id", "label"])


ANSWERS = _answers(
    [
        ("x", "q1", "A"), ("x", "q2", "B"), ("x", "q3", "B"), ("x", "q4", "B"),  # 3 of 4
        ("y", "q1", "B"), ("y", "q2", "A"), ("y", "q3", "A"), ("y", "q4", "B"),  # 2 of 4
        ("z", "q1", "A"), ("z", "q2", "B"),  # 2 answers: too few to assess
        ("w", "q1", "A"), ("w", "q1", "B"), ("w", "q2", "B"), ("w", "q3", "A"),  # 3 of 3
        ("v", "q9", "A"),  # a question the key lacks: nothing to score
    ]
)  # fmt: skip


def test_scores_and_the_pass_mark() -> None:
    scores = qualification_scores(ANSWERS, KEY, pass_mark=0.75, min_questions=3)
    assert list(scores) == ["v", "w", "x", "y", "z"]
    x, y = scores["x"], scores["y"]
    assert (x["n_correct"], x["n_questions"], x["score"], x["passed"]) == (3, 4, 0.75, True)
    assert (y["n_correct"], y["n_questions"], y["score"], y["passed"]) == (2, 4, 0.5, False)
    # Wilson 95% for 2/4 is [0.150, 0.850].
    assert (y["ci_low"], y["ci_high"]) == (
        pytest.approx(0.1500, abs=1e-4),
        pytest.approx(0.8500, abs=1e-4),
    )
    w = scores["w"]  # the first of two answers to q1 counts
    assert (w["n_correct"], w["n_questions"], w["passed"]) == (3, 3, True)
    z = scores["z"]
    assert (z["score"], z["passed"]) == (1.0, None)
    assert z["skipped"] == (
        "2 answered questions the key can score, fewer than min_qualification_questions 3"
    )
    v = scores["v"]
    assert (v["n_questions"], v["score"], v["ci_low"], v["passed"]) == (0, None, None, None)


def test_without_a_pass_mark_nobody_is_assessed() -> None:
    scores = qualification_scores(ANSWERS, KEY, pass_mark=None, min_questions=1)
    assert {s["passed"] for s in scores.values()} == {None}
    assert scores["y"]["skipped"] == "no qualification_pass_mark in the qa rules"
    assert scores["y"]["score"] == 0.5


GOLD = pd.DataFrame({"item_id": ["g1", "g2", "g3", "g4"], "label": ["A", "B", "A", "B"]})


def _work() -> pd.DataFrame:
    """Annotator p: b1 4 of 4 gold right, b2 1 of 2, b3 2 of 4; q: b2 2 of 2. Batch b3's rows
    come first in the table, but it is the latest batch by time."""
    rows = [
        ("p", "g1", "B", "b3", "2026-01-03"), ("p", "g2", "A", "b3", "2026-01-03"),
        ("p", "g3", "A", "b3", "2026-01-03"), ("p", "g4", "B", "b3", "2026-01-03"),
        ("p", "g1", "A", "b1", "2026-01-01"), ("p", "g2", "B", "b1", "2026-01-01"),
        ("p", "g3", "A", "b1", "2026-01-01"), ("p", "g4", "B", "b1", "2026-01-01"),
        ("p", "n1", "A", "b1", "2026-01-01"),  # not a gold item
        ("p", "g1", "A", "b2", "2026-01-02"), ("p", "g2", "A", "b2", "2026-01-02"),
        ("q", "g1", "A", "b2", "2026-01-02"), ("q", "g2", "B", "b2", "2026-01-02"),
        ("q", "g3", "B", "", "2026-01-02"),  # no batch: in no window
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["annotator_id", "item_id", "label", "batch", "t"])
    frame["annotated_at"] = pd.to_datetime(frame.pop("t"), utc=True)
    return frame


def test_gold_accuracy_per_window_in_time_order() -> None:
    work = _work()
    by_window = gold_accuracy_by_window(work, GOLD, assign_windows(work, "batch"))
    assert by_window == {
        "p": [
            {"window": "b1", "n_gold": 4, "n_correct": 4, "accuracy": 1.0},
            {"window": "b2", "n_gold": 2, "n_correct": 1, "accuracy": 0.5},
            {"window": "b3", "n_gold": 4, "n_correct": 2, "accuracy": 0.5},
        ],
        "q": [{"window": "b2", "n_gold": 2, "n_correct": 2, "accuracy": 1.0}],
    }


def test_windows_of_another_table_are_refused() -> None:
    work = _work()
    with pytest.raises(ValueError, match="pass assign_windows"):
        gold_accuracy_by_window(work, GOLD, assign_windows(work.iloc[:3], "batch"))


def test_retraining_flags_in_plain_words() -> None:
    work = _work()
    by_window = gold_accuracy_by_window(work, GOLD, assign_windows(work, "batch"))
    scores = qualification_scores(ANSWERS, KEY, pass_mark=0.75, min_questions=3)
    flags = retraining_flags(
        scores, by_window, min_gold_accuracy=0.6, min_gold_items=3, max_drop=0.3
    )
    # Test takers who never worked appear, and so do workers who took no test.
    assert list(flags) == ["p", "q", "v", "w", "x", "y", "z"]
    assert flags["y"] == ["qualification test 2 of 4 (0.50) is below the pass mark 0.75"]
    # b2 holds 2 gold items of p's, under min_gold_items 3: b1 is compared with b3.
    assert flags["p"] == [
        "gold accuracy fell from 1.00 in b1 to 0.50 in b3 (2 of 4), by more than 0.30",
        "gold accuracy in the latest window b3 is 0.50 (2 of 4), below the bar 0.60",
    ]
    assert flags["q"] == flags["x"] == flags["z"] == []


def test_a_drop_of_exactly_max_drop_is_not_flagged() -> None:
    work = _work()
    by_window = gold_accuracy_by_window(work, GOLD, assign_windows(work, "batch"))
    flags = retraining_flags({}, by_window, min_gold_accuracy=None, min_gold_items=3, max_drop=0.5)
    assert flags == {"p": [], "q": []}
    # With min_gold_items 2, b2 counts but b3 is still the latest window compared with b1.
    flags = retraining_flags({}, by_window, min_gold_accuracy=None, min_gold_items=2, max_drop=0.4)
    assert flags["p"] == [
        "gold accuracy fell from 1.00 in b1 to 0.50 in b3 (2 of 4), by more than 0.40"
    ]
    # b1 and b3 hold 4 gold items each: any drop at all is flagged with max_drop 0.
    flags = retraining_flags({}, by_window, min_gold_accuracy=0.9, min_gold_items=4, max_drop=0.0)
    assert flags["p"] == [
        "gold accuracy fell from 1.00 in b1 to 0.50 in b3 (2 of 4), by more than 0.00",
        "gold accuracy in the latest window b3 is 0.50 (2 of 4), below the bar 0.90",
    ]
    # No window with 5 gold items: nothing over time to compare, so no window flag.
    flags = retraining_flags({}, by_window, min_gold_accuracy=0.9, min_gold_items=5, max_drop=0.0)
    assert flags["p"] == []


QUALI = SHARED / "data/real/d_sentiment"


@pytest.mark.shared
@pytest.mark.skipif(not (QUALI / "quali.csv").is_file(), reason="../shared is absent")
def test_the_d_sentiment_qualification_test_against_plain_pandas() -> None:
    """85 workers answered the same 20 questions (1,700 answers)."""
    raw = pd.read_csv(QUALI / "quali.csv", dtype="str")
    truth = pd.read_csv(QUALI / "quali_truth.csv", dtype="str")
    answers = raw.rename(columns={"worker": "annotator_id", "id": "item_id", "answer": "label"})
    key = truth.rename(columns={"q": "item_id", "truth": "label"})
    scores = qualification_scores(answers, key, pass_mark=0.7, min_questions=10)

    joined = raw.merge(truth, left_on="id", right_on="q")
    expected = (joined["answer"] == joined["truth"]).groupby(joined["worker"]).agg(["sum", "size"])
    assert len(scores) == len(expected) == 85
    assert {a: (s["n_correct"], s["n_questions"]) for a, s in scores.items()} == {
        str(a): (int(r["sum"]), int(r["size"])) for a, r in expected.iterrows()
    }
    assert {s["n_questions"] for s in scores.values()} == {20}
    # Pass at 0.70 means 14 of 20 or more; the three workers with exactly 14 pass.
    passed = {a for a, s in scores.items() if s["passed"]}
    assert passed == {str(a) for a, r in expected.iterrows() if r["sum"] >= 14}
    assert len(passed) == 67
    assert sum(s["n_correct"] == 14 and s["passed"] for s in scores.values()) == 3
    assert {s["passed"] for s in scores.values()} == {True, False}


def test_with_significance_a_fall_needs_an_exact_test_to_agree() -> None:
    """9 of 9 then 2 of 6: 11 right and 4 wrong in all, so the later 6 hold at least 2 right;
    Fisher's one-sided p = P(exactly 2) = C(11,2) C(4,4) / C(15,6) = 55 / 5005 = 0.011.
    2 of 6 against a bar of 0.7: binomial P(X <= 2 | 6, 0.7) = 0.0705, not below 0.05.
    4 of 4 then 2 of 4: p = C(6,2) C(2,2) / C(8,4) = 15 / 70 = 0.214, no flag."""
    clear = {
        "a": [
            {"window": "b1", "n_gold": 9, "n_correct": 9, "accuracy": 1.0},
            {"window": "b2", "n_gold": 6, "n_correct": 2, "accuracy": 2 / 6},
        ]
    }
    flags = retraining_flags(
        {}, clear, min_gold_accuracy=0.7, min_gold_items=5, max_drop=0.2, significance=0.05
    )
    assert flags["a"] == [
        "gold accuracy fell from 1.00 in b1 to 0.33 in b2 (2 of 6), by more than 0.20 "
        "(one-sided Fisher exact p = 0.011)"
    ]  # 2 of 6 against a bar of 0.7: binomial p = 0.070, not below 0.05
    thin = {
        "a": [
            {"window": "b1", "n_gold": 4, "n_correct": 4, "accuracy": 1.0},
            {"window": "b2", "n_gold": 4, "n_correct": 2, "accuracy": 0.5},
        ]
    }
    assert retraining_flags(
        {}, thin, min_gold_accuracy=None, min_gold_items=4, max_drop=0.2, significance=0.05
    ) == {"a": []}
    assert retraining_flags({}, thin, min_gold_accuracy=None, min_gold_items=4, max_drop=0.2)["a"][
        0
    ].startswith("gold accuracy fell from 1.00 in b1 to 0.50")
