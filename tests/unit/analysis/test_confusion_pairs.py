"""Confusion hotspots: pairwise and consensus disagreement per label pair, coverage, versions."""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd
import pytest

from labelgate.analysis.confusion_pairs import NO_RULING, confusion_pairs, text_snippet
from labelgate.config.guideline import Guideline
from labelgate.metrics.proportions import wilson_interval
from tests.unit.toy_guideline import LABELS, toy_guideline


def guideline() -> Guideline:
    return toy_guideline()


LONG = "A very long item text that goes on. " * 10

# item, annotator, label; version 1.1.0 throughout.
VOTES = [
    ("i1", "ann-p", "x"),
    ("i1", "ann-q", "x"),
    ("i1", "ann-r", "y"),
    ("i2", "ann-p", "x"),
    ("i2", "ann-q", "y"),
    ("i2", "ann-r", "y"),
    ("i3", "ann-p", "y"),
    ("i3", "ann-q", "z"),
    ("i3", "ann-p", "x"),  # a duplicate vote: the first one counts
    ("i4", "ann-p", "z"),
    ("i4", "ann-q", "z"),
    ("i4", "ann-r", "z"),
    ("i4", "ann-s", "zz"),  # not a schema label: left out
    ("i5", "ann-p", "x"),
    ("i5", "ann-q", "y"),
    ("i6", "ann-p", "x"),
    ("i7", "ann-p", "y"),
    ("i7", "ann-q", "y"),
    ("i7", "ann-r", "x"),
]
# item, label, status, confidence. i5 is unresolved (its label must not count), i6 has one vote.
FINAL = [
    ("i1", "x", "aggregated", 0.95),
    ("i2", "y", "aggregated", 0.95),
    ("i3", "z", "adjudicated", 1.0),
    ("i4", "z", "agreed", 0.99),
    ("i5", "x", "unresolved", 0.5),
    ("i6", "x", "agreed", 0.9),
    ("i7", "y", "aggregated", 0.6),
]


def vote_table(version: str = "1.1.0") -> pd.DataFrame:
    frame = pd.DataFrame(VOTES, columns=["item_id", "annotator_id", "label"])
    return frame.assign(guideline_version=version)


def final() -> pd.DataFrame:
    return pd.DataFrame(FINAL, columns=["item_id", "label", "status", "confidence"])


def items() -> pd.DataFrame:
    texts = {"i1": LONG, "i2": "Two.", "i7": "Seven."}
    ids = [f"i{n}" for n in range(1, 8)]
    return pd.DataFrame({"item_id": ids, "text": [texts.get(i, "") for i in ids]})


def run(**kwargs: Any) -> dict[str, Any]:
    return confusion_pairs(
        vote_table(), final(), LABELS, guideline(), items(), text_field="text", **kwargs
    )


def by_pair(result: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {tuple(p["labels"]): p for p in result["pairs"]}


def test_pairwise_and_consensus_counts_by_hand() -> None:
    result = run()
    pairs = by_pair(result)
    assert result["n_items"] == 7
    assert result["n_annotations"] == 17  # 19 rows minus the duplicate and the 'zz'
    # Only {x,y} and {y,z} are ever split or disagree with the consensus; {x,z} is not listed.
    assert list(pairs) == [("x", "y"), ("y", "z")]

    xy = pairs[("x", "y")]
    # Annotator pairs splitting x/y: i1 2x1 = 2, i2 1x2 = 2, i5 1, i7 1x2 = 2 -> 7.
    # Pairs with an x or y in them: i1 3, i2 3, i3 (y,z) 1, i5 1, i7 3 -> 11.
    assert (xy["pairwise"]["count"], xy["pairwise"]["n"]) == (7, 11)
    assert xy["pairwise"]["rate"] == pytest.approx(7 / 11)
    # Consensus: settled items with final x or y are i1, i2, i7 (i5 unresolved, i6 one vote):
    # 9 annotations; y on i1, x on i2, x on i7 -> 3.
    assert (xy["consensus"]["count"], xy["consensus"]["n"]) == (3, 9)
    low, high = wilson_interval(3, 9)
    assert (xy["consensus"]["ci_low"], xy["consensus"]["ci_high"]) == pytest.approx((low, high))
    assert xy["directions"] == [
        {"expected": "y", "given": "x", "count": 2},
        {"expected": "x", "given": "y", "count": 1},
    ]

    yz = pairs[("y", "z")]
    # Split y/z only on i3 -> 1; pairs with y or z: i1 2, i2 3, i3 1, i4 3, i5 1, i7 3 -> 13.
    assert (yz["pairwise"]["count"], yz["pairwise"]["n"]) == (1, 13)
    # Final y or z: i2, i3, i4, i7 -> 3 + 2 + 3 + 3 = 11 annotations; y on i3 -> 1.
    assert (yz["consensus"]["count"], yz["consensus"]["n"]) == (1, 11)
    assert [p["rank"] for p in result["pairs"]] == [1, 2]


def test_unresolved_items_do_not_count_against_the_consensus() -> None:
    resolved = final().assign(status=["aggregated"] * 7)
    result = confusion_pairs(vote_table(), resolved, LABELS, guideline(), items(), text_field=None)
    # i5 (x, y with final x) now counts: 2 more annotations, 1 more disagreement.
    assert by_pair(result)[("x", "y")]["consensus"]["n"] == 11
    assert by_pair(result)[("x", "y")]["consensus"]["count"] == 4
    assert by_pair(run())[("x", "y")]["consensus"]["n"] == 9
    assert run()["n_settled_items"] == 5  # i1, i2, i3, i4, i7


def test_covering_ruling_and_the_no_ruling_case() -> None:
    pairs = by_pair(run())
    xy, yz = pairs[("x", "y")], pairs[("y", "z")]
    assert xy["covered"] is True
    assert [r["id"] for r in xy["rulings"]] == ["R-001"]
    assert xy["coverage_note"] == "covered by R-001"
    assert xy["proposal"]["kind"] == "sharpen"
    assert xy["proposal"]["ruling_id"] == "R-001"
    assert (
        "`x` given where the consensus is `y` (2 annotations; the reverse: 1)"
        in (xy["proposal"]["markdown"])
    )

    assert yz["covered"] is False
    assert yz["rulings"] == []
    assert yz["coverage_note"] == NO_RULING
    assert [s["label"] for s in yz["sections"]] == ["y", "z"]
    assert yz["sections"][0]["text"] == "Y things."
    assert yz["proposal"]["kind"] == "new"
    assert yz["proposal"]["markdown"].startswith("### R-NEW: y versus z\nApplies to: y, z\n")


def test_examples_are_deterministic_and_name_no_annotator() -> None:
    xy = by_pair(run(examples=4))[("x", "y")]
    # Items against the consensus first (i1, i2, i7 by id), then the unresolved split i5.
    assert [e["item_id"] for e in xy["examples"]] == ["i1", "i2", "i7", "i5"]
    first = xy["examples"][0]
    assert first["votes"] == [{"label": "x", "count": 2}, {"label": "y", "count": 1}]
    assert (first["final_label"], first["status"]) == ("x", "aggregated")
    assert first["text"].endswith("…")
    assert len(first["text"]) <= 161
    assert xy["examples"][3]["final_label"] is None  # unresolved
    assert "ann-" not in json.dumps(run())


def test_label_issue_ranks_are_preferred() -> None:
    ranks = pd.DataFrame({"item_id": ["i5", "i7", "i2"], "rank": [1, 2, 3]})
    xy = by_pair(run(examples=4, label_issue_ranks=ranks))[("x", "y")]
    # Still consensus disagreements first, each group by rank: i7 (2), i2 (3), i1 (none); i5.
    assert [e["item_id"] for e in xy["examples"]] == ["i7", "i2", "i1", "i5"]
    assert xy["examples"][0]["label_issue_rank"] == 2


def test_top_n_limits_the_detailed_pairs() -> None:
    result = run(top_n=1)
    first, second = result["pairs"]
    assert first["suggest"]
    assert first["examples"]
    assert first["proposal"]
    assert not second["suggest"]
    assert (second["examples"], second["proposal"]) == ([], None)


def test_same_input_same_bytes_in_any_row_order() -> None:
    shuffled = vote_table().sample(frac=1.0, random_state=3)
    # The duplicate must stay after the first vote of (i3, ann-p) for the same outcome.
    shuffled = pd.concat([shuffled[shuffled["label"] != "x"], shuffled[shuffled["label"] == "x"]])
    again = confusion_pairs(
        shuffled, final().iloc[::-1], LABELS, guideline(), items(), text_field="text"
    )
    assert json.dumps(again, allow_nan=False) == json.dumps(run(), allow_nan=False)


def _versions(old: str, new: str, old_wrong: int, new_wrong: int) -> dict[str, Any]:
    """50 items with two votes under each version, all with final x; `*_wrong` of them x/y."""
    rows, finals = [], []
    for version, wrong in ((old, old_wrong), (new, new_wrong)):
        for n in range(50):
            item = f"{version}-{n:02d}"
            rows += [(item, "a1", "x", version), (item, "a2", "y" if n < wrong else "x", version)]
            finals.append((item, "x", "aggregated", 0.9))
    frame = pd.DataFrame(rows, columns=["item_id", "annotator_id", "label", "guideline_version"])
    fin = pd.DataFrame(finals, columns=["item_id", "label", "status", "confidence"])
    return confusion_pairs(frame, fin, LABELS, guideline(), fin[["item_id"]], text_field=None)


def test_better_after_a_guideline_change() -> None:
    # Versions order as numbers: 1.9.0 comes before 1.10.0.
    result = _versions("1.9.0", "1.10.0", old_wrong=25, new_wrong=2)
    assert result["version_change"] == {"from": "1.9.0", "to": "1.10.0"}
    xy = result["pairs"][0]
    rates = [(v["version"], v["consensus"]["count"], v["consensus"]["n"]) for v in xy["by_version"]]
    assert rates == [("1.9.0", 25, 100), ("1.10.0", 2, 100)]
    # Pooled p = 27/200; se = sqrt(p (1 - p) (1/100 + 1/100)); z = (0.02 - 0.25) / se = -4.76.
    pooled = 27 / 200
    z = (0.02 - 0.25) / math.sqrt(pooled * (1 - pooled) * 0.02)
    assert xy["change"]["z"] == pytest.approx(z)
    assert xy["change"]["verdict"] == "better"
    assert xy["change"]["from"] == "1.9.0"


def test_worse_and_no_clear_change() -> None:
    assert _versions("1.0.0", "1.1.0", 2, 25)["pairs"][0]["change"]["verdict"] == "worse"
    # 10/100 vs 8/100: z = -0.50, well inside +-1.96.
    same = _versions("1.0.0", "1.1.0", 10, 8)["pairs"][0]["change"]
    assert same["verdict"] == "no clear change"


def test_one_version_means_no_change() -> None:
    result = run()
    assert result["version_change"] is None
    assert all(p["change"] is None for p in result["pairs"])
    assert result["versions"] == ["1.1.0"]


def test_no_disagreement_gives_no_pairs() -> None:
    frame = pd.DataFrame(
        [("i1", "a", "x"), ("i1", "b", "x")], columns=["item_id", "annotator_id", "label"]
    )
    fin = pd.DataFrame(
        [("i1", "x", "agreed", 1.0)], columns=["item_id", "label", "status", "confidence"]
    )
    result = confusion_pairs(frame, fin, LABELS, guideline(), fin[["item_id"]], text_field=None)
    assert result["pairs"] == []
    assert result["n_items"] == 1


def test_snippet_is_one_line_and_trimmed_at_a_word() -> None:
    assert text_snippet("a\n  b\tc") == "a b c"
    assert text_snippet("word " * 50, limit=20) == "word word word word…"
    assert text_snippet(None) is None


def test_versions_equal_as_numbers_are_ordered_by_their_text() -> None:
    # '1.0' and '1.00' are the same number: the text decides, so two builds agree.
    result = _versions("1.00", "1.0", old_wrong=25, new_wrong=2)
    assert result["version_change"] == {"from": "1.0", "to": "1.00"}
