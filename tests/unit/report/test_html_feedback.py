"""report.html's feedback sections from plain dicts: automation bias and a skipped drift."""

from __future__ import annotations

import pandas as pd

from labelgate.analysis.suggestions import suggestion_bias
from labelgate.report.html_feedback import drift_section, suggestion_section


def _bias() -> dict[str, object]:
    # Four gold items; a01 keeps the wrong suggestion on g1 and g2, a02 corrects g1.
    annotations = pd.DataFrame(
        {
            "item_id": ["g1", "g2", "g3", "g1", "x1", "x2"],
            "annotator_id": ["a01", "a01", "a01", "a02", "a02", "a02"],
            "label": ["neg", "neg", "pos", "pos", "pos", "neg"],
            "suggested_label": ["neg", "neg", "pos", "neg", "", ""],
            "duration_s": ["10", "12", "11", "30", "25", "20"],
        }
    )
    gold = pd.DataFrame({"item_id": ["g1", "g2", "g3"], "label": ["pos", "pos", "pos"]})
    return suggestion_bias(annotations, gold)


def test_the_bias_rows_show_counts_and_a_percentage_interval() -> None:
    section = suggestion_section(_bias())
    assert section is not None
    rows = dict(section["rows"])
    assert rows["annotations with a suggestion"] == "4 of 6"
    assert rows["accepted"] == "75.0%"
    # 2 of the 3 wrong suggestions on gold were kept; the Wilson interval in percent too.
    wrong = rows["wrong suggestions on gold accepted"]
    assert wrong.startswith("66.7% [")
    assert wrong.endswith("(2 of 3)")
    assert "%," in wrong
    compare = section["compare"]
    assert [r[0].text for r in compare.rows] == ["with a suggestion", "without"]
    annotators = section["annotators"]
    assert annotators.columns[0] == "annotator"
    assert [r[0].text for r in annotators.rows] == ["a01", "a02"]


def test_no_suggestion_means_no_section() -> None:
    assert suggestion_section(None) is None
    assert suggestion_section({"n_with_suggestion": 0}) is None


def test_a_skipped_drift_is_a_note_with_its_window() -> None:
    section = drift_section({"skipped": "single-label tasks only", "window": "week"})
    assert section == {"note": "single-label tasks only", "window": "week"}
    assert drift_section(None) is None
