"""feedback/*.md: guideline suggestions and per-annotator pages, hostile strings shown as text,
and no annotator's page naming anyone else."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from labelgate.analysis.annotator_feedback import annotator_feedback
from labelgate.analysis.confusion_pairs import confusion_pairs
from labelgate.config.guideline import Guideline
from labelgate.metrics.proportions import wilson_interval
from labelgate.report.escape import md_cell, md_code, md_text
from labelgate.report.feedback_md import annotator_feedback_md, guideline_suggestions_md
from tests.unit.toy_guideline import LABELS, toy_guideline

IMG = "<img src=x onerror=alert(1)>"
# Annotator ids a reviewer would not want on someone else's page, each hostile to Markdown.
P = f"p|{IMG}@octocat"
Q = "q`tick`*bold*"
R = "r_[link](http://x)_"
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.*?)(?<!`)\1(?!`)")


def guideline() -> Guideline:
    return toy_guideline(ruling="Choose x when the thing is <mostly> X.")


def vote_table() -> pd.DataFrame:
    rows = [
        # item, annotator, label, seconds, version
        ("i1", P, "x", 10, "1.0.0"),
        ("i1", Q, "x", 20, "1.0.0"),
        ("i1", R, "y", 30, "1.0.0"),
        ("i2", P, "y", 10, "1.0.0"),
        ("i2", Q, "y", 20, "1.0.0"),
        ("i2", R, "x", 30, "1.0.0"),
        ("i3", P, "y", 10, "1.1.0"),
        ("i3", Q, "z", 20, "1.1.0"),
    ]
    return pd.DataFrame(
        rows, columns=["item_id", "annotator_id", "label", "duration_s", "guideline_version"]
    )


FINAL = pd.DataFrame(
    {
        "item_id": ["i1", "i2", "i3"],
        "label": ["x", "y", "z"],
        "status": ["aggregated", "aggregated", "adjudicated"],
        "confidence": [0.95, 0.95, 1.0],
    }
)
ITEMS = pd.DataFrame(
    {
        "item_id": ["i1", "i2", "i3"],
        "text": [f"Hello {IMG} @octocat | pipe, ask {Q}", "two", "three"],
    }
)
GOLD = pd.DataFrame({"item_id": ["i1", "i2"], "label": ["x", "y"]})
REVIEWS = pd.DataFrame(
    {
        "item_id": ["i1", "i2"],
        "annotator_id": [R, R],
        "reviewer_id": [P, Q],
        "verdict": ["reject", "accept"],
        "reason": [f"see {P}", ""],
        "reviewed_at": ["", ""],
    }
)


def pairs() -> dict[str, Any]:
    return confusion_pairs(vote_table(), FINAL, LABELS, guideline(), ITEMS, text_field="text")


def feedback() -> dict[str, Any]:
    return annotator_feedback(
        vote_table(),
        FINAL,
        GOLD,
        LABELS,
        guideline(),
        ITEMS,
        REVIEWS,
        {P: {"score": 0.8, "n_questions": 10, "n_correct": 8, "passed": True}},
        {Q: [f"below the bar, unlike {R}"]},
        text_field="text",
        min_peers=2,
    )


def _no_live_html_or_mention(text: str) -> None:
    prose = CODE_SPAN.sub("", text)
    assert "<img" not in prose
    assert "<mostly>" not in prose
    assert "@octocat" not in prose


def test_suggestions_page_lists_pairs_with_coverage_and_proposals() -> None:
    page = guideline_suggestions_md("toy", "1.1.0", pairs())
    assert page.startswith("# Guideline suggestions: toy\n")
    # {x,y}: consensus i1 (y) + i2 (x) = 2 of 6 annotations; split pairs i1 2 + i2 2 = 4 of
    # 7 annotator pairs with an x or y (3 on i1, 3 on i2, y/z on i3).
    assert "## 1. `x` versus `y`" in page
    assert "33.3% (2 of 6; 95% CI" in page
    assert "57.1% (4 of 7; 95% CI" in page
    assert "Ruling R-001: X or Y (line 14):" in page
    assert "## 2. `y` versus `z`" in page
    assert "**No ruling covers this pair.** The label definitions:" in page
    assert "```markdown\n### R-NEW: y versus z\nApplies to: y, z\n" in page
    assert "### Proposed: Sharpen R-001" in page
    # The guideline changed between the two versions; {x,y} has no annotations under 1.1.0.
    assert "Guideline 1.0.0 → 1.1.0: **no data**" in page
    assert "| i1 | Hello &lt;img src=x onerror=alert(1)&gt; @\u200doctocat \\| pipe" in page
    _no_live_html_or_mention(page)
    assert page == guideline_suggestions_md("toy", "1.1.0", pairs())


def test_suggestions_page_without_confusion() -> None:
    empty = {
        "n_items": 3,
        "pairs": [],
        "version_change": None,
        "confidence": 0.95,
        "ranked_by": "consensus disagreement count",
    }
    page = guideline_suggestions_md("toy", "1.1.0", empty)
    assert page.endswith("No two labels were confused.\n")


def test_annotator_page_addresses_the_person() -> None:
    fb = feedback()
    page = annotator_feedback_md("toy", P, fb[P])
    # P on gold: i1 x (right), i2 y (right) -> 2 of 2.
    low, high = wilson_interval(2, 2)
    assert f"Your accuracy on gold items is 100.0% (2 of 2; 95% CI {low:.1%}–{high:.1%})." in page
    # P against the consensus: i1 x ok, i2 y ok, i3 y vs z -> 2 of 3.
    assert "is 66.7% (2 of 3; 95% CI" in page
    assert (
        "Your median time per annotation is 10.0 s, 0.50 × the median of all annotators (20.0 s)."
        in page
    )
    assert "None of your annotations has been reviewed yet." in page
    assert "Qualification test: 80.0% (8 of 10 correct): passed." in page
    # The example: i3, P said y where the consensus is z; no ruling covers y/z.
    assert "You chose `y`; the consensus is `z`." in page
    assert "The guideline's definition of `z`:" in page
    _no_live_html_or_mention(page)


def test_annotator_page_shows_rejections_and_retraining() -> None:
    fb = feedback()
    r_page = annotator_feedback_md("toy", R, fb[R])
    assert "Reviewers rejected 50.0% (1 of 2; 95% CI" in r_page
    assert "- see [another annotator] (1)" in r_page
    q_page = annotator_feedback_md("toy", Q, fb[Q])
    assert "- below the bar, unlike [another annotator]" in q_page


def test_no_page_names_another_annotator() -> None:
    fb = feedback()
    assert set(fb) == {P, Q, R}
    for person, entry in fb.items():
        page = annotator_feedback_md("toy", person, entry)
        assert md_code(person) in page
        for other in fb:
            if other == person:
                continue
            for form in (other, md_text(other), md_cell(other), md_code(other)):
                assert form not in page, (person, form)
