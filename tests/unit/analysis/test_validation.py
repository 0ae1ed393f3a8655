"""Validation checks produce the tidy violations table (rule_id, severity, item_id, annotator_id, ...)."""

from __future__ import annotations

import pandas as pd

from labelgate.analysis.validation import Tables, run_checks
from labelgate.config import columns as col
from labelgate.config.qa_rules import (
    AnnotatorLabelDistribution,
    AnnotatorSpeed,
    DuplicateAnnotations,
    DuplicateItems,
    MinAnnotationsPerItem,
    RequiredFields,
    TextLength,
)
from labelgate.config.schema import Schema

SCHEMA = Schema.model_validate(
    {
        "kind": "schema",
        "format_version": 1,
        "version": "1.0.0",
        "labels": [{"id": "a"}, {"id": "b"}],
        "item_fields": [
            {"name": "text", "type": "string", "required": True},
            {"name": "stars", "type": "integer", "min": 1, "max": 5},
        ],
    }
)


def tables(
    annotations: list[tuple[str, str, str, float]], items: list[tuple[str, str, str]]
) -> Tables:
    ann = pd.DataFrame(annotations, columns=["item_id", "annotator_id", "label", "duration_s"])
    ann["source"] = [f"f.csv:{i + 2}" for i in range(len(ann))]
    return Tables(
        ann,
        pd.DataFrame(items, columns=["item_id", "text", "stars"]),
        pd.DataFrame(columns=["table", "source", "row", "reason", "detail", "raw"]),
        SCHEMA,
    )


def test_table_shape_and_core_checks() -> None:
    t = tables(
        [
            ("i1", "w1", "a", 5.0),
            ("i1", "w1", "b", 5.0),
            ("i1", "w2", "a", 6.0),
            ("i2", "w1", "a", 4.0),
        ],
        [("i1", "Hello", "3"), ("i2", "", "9"), ("i3", "  hello ", "x")],
    )
    found = run_checks(
        [
            RequiredFields(kind="required_fields"),
            DuplicateAnnotations(kind="duplicate_annotations"),
            MinAnnotationsPerItem(kind="min_annotations_per_item", min=2, severity="warn"),
            DuplicateItems(kind="duplicate_items", id="same_text"),
            TextLength(kind="text_length", max=6),
        ],
        t,
    )
    assert list(found.columns) == list(col.VIOLATION_COLUMNS)
    got = found[
        ["rule_id", "severity", "item_id", "annotator_id", "field", "observed"]
    ].values.tolist()
    assert ["required_fields", "error", "i2", "", "text", ""] in got
    assert ["required_fields", "error", "i2", "", "stars", "9"] in got  # above max 5
    assert ["required_fields", "error", "i3", "", "stars", "x"] in got  # not an integer
    assert ["duplicate_annotations", "error", "i1", "w1", "label", "b"] in got
    assert ["min_annotations_per_item", "warn", "i2", "", "n_annotations", "1"] in got
    assert ["same_text", "error", "i3", "", "text", "i1"] in got  # case and spacing folded
    assert ["text_length", "error", "i3", "", "text", "8"] in got
    assert len(got) == 7
    short = found[found["rule_id"] == "min_annotations_per_item"]["message"].iloc[0]
    assert short == "fewer than 2 annotations; annotated at f.csv:5"


def test_fast_annotator_is_a_robust_outlier() -> None:
    rows = [(f"i{k}", f"w{w}", "a", 10.0 + w) for w in range(6) for k in range(25)]
    rows += [(f"i{k}", "fast", "a", 1.0) for k in range(25)]
    found = run_checks(
        [AnnotatorSpeed(kind="annotator_speed", min_annotations=20)], tables(rows, [])
    )
    assert found["annotator_id"].tolist() == ["fast"]
    assert "median 1.0s per annotation" in found["message"].iloc[0]


def test_one_label_dominating_an_annotator() -> None:
    rows = [(f"i{k}", "w1", "a" if k % 2 else "b", 5.0) for k in range(30)]
    rows += [(f"i{k}", "w2", "a", 5.0) for k in range(30)]
    found = run_checks(
        [AnnotatorLabelDistribution(kind="annotator_label_distribution", max_share=0.8)],
        tables(rows, []),
    )
    assert found[["annotator_id", "observed"]].values.tolist() == [["w2", "a in 100%"]]


def test_guideline_version_must_be_known_and_released() -> None:
    from labelgate.config.qa_rules import GuidelineVersion

    t = tables(
        [
            ("i1", "w1", "a", 1.0),
            ("i1", "w2", "a", 1.0),
            ("i2", "w1", "b", 1.0),
            ("i2", "w2", "b", 1.0),
        ],
        [],
    )
    t.annotations["guideline_version"] = ["1.0.0", "", "1.x", "2.0.0"]
    t = Tables(t.annotations, t.items, t.quarantine, SCHEMA, guideline_version="1.1.0")
    found = run_checks([GuidelineVersion(kind="guideline_version")], t)
    assert found[["annotator_id", "observed"]].values.tolist() == [
        ["w2", ""],
        ["w1", "1.x"],
        ["w2", "2.0.0"],
    ]
    messages = found["message"].tolist()
    assert messages[0].startswith("guideline version cannot be determined")
    assert "'1.x' is not a semantic version" in messages[1]
    assert "version 2.0.0 is newer than the guideline's 1.1.0 (f.csv:5)" in messages[2]


def test_near_duplicate_items_name_the_closest_item_and_feed_the_rate() -> None:
    from labelgate.analysis.validation import validation_summary
    from labelgate.config.qa_rules import NearDuplicateItems

    review = "The battery lasts two full days and the screen is bright enough for sunlight"
    t = tables(
        [("i1", "w1", "a", 1.0)],
        [
            ("i1", review, "3"),
            ("i2", review.replace("two", "2"), "3"),  # near copy: Jaccard 65/77
            ("i3", review.upper(), "3"),  # exact copy after lower-casing
            ("i4", "Nothing like the others at all", "3"),
            ("i5", "", "3"),
        ],
    )
    checks = [NearDuplicateItems(kind="near_duplicate_items")]
    found = run_checks(checks, t)
    got = found[["rule_id", "severity", "item_id", "field", "observed"]].values.tolist()
    assert got == [
        ["near_duplicate_items", "warn", "i1", "text", "similar to item 'i3' (Jaccard 1.00)"],
        ["near_duplicate_items", "warn", "i2", "text", "similar to item 'i1' (Jaccard 0.84)"],
        ["near_duplicate_items", "warn", "i3", "text", "similar to item 'i1' (Jaccard 1.00)"],
    ]
    assert found["message"].iloc[1] == (
        "near-duplicate of item 'i1' (one of 3 similar items): merge them or drop all but one; "
        "if they are distinct items, raise threshold above 0.84"
    )
    assert (
        found["expected"].iloc[0].startswith("Jaccard similarity of 5-character shingles below 0.8")
    )
    summary = validation_summary("d", found, checks, t)
    assert summary["near_duplicate_item_rate"] == 3 / 5
    assert validation_summary("d", found.iloc[:0], [], t)["near_duplicate_item_rate"] is None
