"""find_issues and review_queue: ranking, flags, decisions that stick, near-duplicate conflicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score

from labelgate.analysis.label_issues import IssueInputs, find_issues, review_queue
from labelgate.config.pipeline import LabelIssuesStep
from labelgate.metrics.ranking import average_precision

LABELS = ["a", "b"]


def _inputs(n: int = 40, several: bool = True, **kwargs: object) -> IssueInputs:
    """n items; the model is sure of the truth (a for even items); item 0's consensus is b."""
    truth = np.array(["a" if i % 2 == 0 else "b" for i in range(n)], dtype=object)
    given = truth.copy()
    given[0] = "b"
    rows = []
    for i in range(n):
        voters = ("w1", "w2", "w3") if several else ("w1",)
        for k, w in enumerate(voters):
            label = given[i] if k < 2 or not several else truth[i]
            rows.append((f"i{i:02d}", w, label))
    annotations = pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])
    probs = np.where(truth[:, None] == np.array(LABELS)[None, :], 0.95, 0.05)
    frame = pd.DataFrame({"item_id": [f"i{i:02d}" for i in range(n)], "label": given})
    return IssueInputs(annotations, frame, probs, LABELS, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("several", [True, False])
def test_the_wrong_label_ranks_first_and_is_flagged(several: bool) -> None:
    result = find_issues(_inputs(several=several), LabelIssuesStep())
    top = result.table.iloc[0]
    assert (top["item_id"], top["given_label"], top["suggested_label"]) == ("i00", "b", "a")
    assert top["is_issue"]
    assert top["rank"] == 1
    assert "'a' is more likely" in top["reason"]
    assert result.summary["ranked_by"] == ("consensus_quality" if several else "self_confidence")
    assert result.summary["n_label_issues"] == int(result.table["is_issue"].sum()) >= 1
    assert list(result.table["rank"]) == list(range(1, 41))


def test_an_adjudicated_label_is_never_flagged() -> None:
    inputs = _inputs()
    given = inputs.given.assign(status=["adjudicated"] + ["agreed"] * 39)
    result = find_issues(
        IssueInputs(inputs.annotations, given, inputs.probabilities, LABELS), LabelIssuesStep()
    )
    row = result.table.set_index("item_id").loc["i00"]
    assert not row["is_issue"]
    assert row["reason"] == "adjudicated: a person decided this label"
    assert result.summary["n_adjudicated_not_flagged"] == 1


def test_every_item_of_a_near_duplicate_group_with_two_labels_is_flagged() -> None:
    texts = pd.Series({f"i{i:02d}": f"ticket number {i} about something else" for i in range(40)})
    texts["i03"] = "my order never arrived and I want my money back please"
    texts["i05"] = texts["i03"]  # an exact copy: its pair is reported once, with i03
    texts["i04"] = texts["i03"] + "!"
    result = find_issues(_inputs(texts=texts), LabelIssuesStep())
    table = result.table.set_index("item_id")
    assert result.summary["n_near_duplicate_conflicts"] == 3
    assert (
        "near-duplicate of 'i04' labelled 'a' (3 near-identical items)"
        in table.loc["i05", "reason"]
    )
    for item in ("i03", "i04", "i05"):
        assert table.loc[item, "is_issue"]
    off = find_issues(_inputs(texts=texts), LabelIssuesStep(near_duplicate_threshold=None))
    assert off.summary["n_near_duplicate_conflicts"] == 0


def test_nothing_to_check_gives_no_rate_rather_than_a_clean_zero() -> None:
    inputs = _inputs()
    empty = IssueInputs(
        inputs.annotations.iloc[:0], inputs.given.iloc[:0], np.zeros((0, 2)), LABELS
    )
    result = find_issues(empty, LabelIssuesStep())
    assert result.summary["n_items_checked"] == 0
    assert result.summary["label_issue_rate"] is None
    assert result.summary["ranked_by"] == "self_confidence"


def test_gold_checks_label_quality_against_vote_share() -> None:
    gold = pd.DataFrame({"item_id": ["i00", "i01", "i02", "i03"], "label": ["a", "b", "a", "b"]})
    result = find_issues(_inputs(gold=gold), LabelIssuesStep())
    check = result.summary["gold"]
    assert (check["n_gold_checked"], check["n_wrong_consensus_on_gold"]) == (4, 1)
    assert check["auprc_label_quality"] == 1.0
    assert check["flag_recall_on_gold"] == 1.0


def test_the_review_queue_holds_flagged_items_within_the_budget() -> None:
    result = find_issues(_inputs(), LabelIssuesStep())
    texts = pd.Series({"i00": "=HYPERLINK(1)"})
    queue = review_queue(result.table, 5, texts, "m-1")
    assert len(queue) == int(result.table["is_issue"].head(5).sum())
    assert list(queue.columns[-4:]) == ["label", "adjudicator_id", "ruling_id", "note"]
    assert queue.loc[0, "note"] == "label issue rank 1 (m-1)"
    assert queue.loc[0, "text"] == "=HYPERLINK(1)"  # write_csv neutralises it on disk
    assert review_queue(result.table, 0, None, "m-1").empty


def test_average_precision_equals_scikit_learn_on_random_rankings() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(2, 80))
        scores = rng.integers(0, 6, n).astype(float)  # many ties
        positive = rng.random(n) < 0.3
        if not positive.any():
            continue
        expected = average_precision_score(positive, scores)
        assert average_precision(scores, positive) == pytest.approx(expected, abs=1e-12)
    with pytest.raises(ValueError, match="at least one positive"):
        average_precision(np.array([0.1, 0.2]), np.array([False, False]))
