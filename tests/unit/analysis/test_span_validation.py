"""Span validation: each rule on hand-made spans, the violations-table shape, and real
doccano exports (a clean two-user file and a file with a repeated span)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from labelgate.analysis.span_validation import (
    SPAN_RULES,
    span_bounds,
    span_labels,
    span_overlaps,
    span_text,
    validate_spans,
)
from labelgate.config.columns import VIOLATION_COLUMNS
from tests.conftest import SHARED

DOCCANO = SHARED / "data/real/tool_exports/doccano"
ITEMS = pd.DataFrame({"item_id": ["a", "b"], "text": ["Barack Obama visited Paris .", "abcdef"]})


def spans(*rows: tuple[str, str, object, object, str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        list(rows), columns=["item_id", "annotator_id", "start", "end", "label", "text"]
    )


def test_bounds() -> None:
    found = span_bounds(
        spans(
            ("b", "x", -1, 2, "X", ""),  # starts before the text
            ("b", "x", 3, 3, "X", ""),  # empty
            ("b", "x", 5, 4, "X", ""),  # reversed
            ("b", "x", 4, 7, "X", ""),  # past "abcdef" (6 characters)
            ("z", "x", 0, 1, "X", ""),  # unknown item
            ("b", "x", "1.5", 3, "X", ""),  # not an integer
            ("b", "x", 0, 6, "X", ""),  # fine: the whole text
        ),
        ITEMS,
    )
    assert tuple(found.columns) == VIOLATION_COLUMNS
    assert (found["rule_id"] == "span_bounds").all()
    assert (found["severity"] == "error").all()
    got = sorted(zip(found["field"], found["observed"], found["expected"], strict=True))
    assert got == sorted(
        [
            ("start", "-1", ">= 0"),
            ("end", "3", "> 3"),
            ("end", "4", "> 5"),
            ("end", "7", "<= 6 (text length)"),
            ("item_id", "z", "an item of the dataset"),
            ("start", "1.5, 3", "integer character offsets"),
        ]
    )
    # Without texts only the offsets themselves are checked.
    assert len(span_bounds(spans(("z", "x", 0, 99, "X", "")), None)) == 0


def test_labels() -> None:
    found = span_labels(
        spans(("a", "x", 0, 6, "PER", ""), ("a", "x", 7, 12, "per", "")), ["PER", "LOC"]
    )
    assert found[["field", "observed", "expected"]].values.tolist() == [
        ["label", "per", "one of PER, LOC"]
    ]


def test_overlaps_name_the_earlier_span() -> None:
    found = span_overlaps(
        spans(
            ("a", "x", 7, 12, "PER", ""),  # inside x's [0,12)
            ("a", "x", 0, 12, "PER", ""),
            ("a", "x", 13, 20, "O", ""),  # touches nothing: [12,13) is free
            ("a", "y", 0, 12, "PER", ""),  # another annotator: fine
            ("a", "y", 0, 12, "PER", ""),  # y's duplicate: an overlap
            ("a", "x", 19, 26, "LOC", ""),  # overlaps x's [13,20), other label still counts
        )
    )
    got = sorted(zip(found["annotator_id"], found["observed"], found["expected"], strict=True))
    assert got == [
        ("x", "[19, 26) LOC", "no overlap with [13, 20) O"),
        ("x", "[7, 12) PER", "no overlap with [0, 12) PER"),
        ("y", "[0, 12) PER", "no overlap with [0, 12) PER"),
    ]


def test_text() -> None:
    found = span_text(
        spans(
            ("a", "x", 0, 6, "PER", "Barack"),
            ("a", "x", 21, 26, "LOC", "Pariz"),
            ("a", "x", 7, 12, "PER", ""),  # no text given: nothing to compare
            ("a", "x", 21, 99, "LOC", "Paris"),  # bad bounds: span_bounds reports it
        ),
        ITEMS,
    )
    assert found[["severity", "observed", "expected"]].values.tolist() == [
        ["warn", "Pariz", "Paris"]
    ]


def test_validate_spans_and_empty_frames() -> None:
    empty = validate_spans(spans(), ITEMS, ["PER"])
    assert tuple(empty.columns) == VIOLATION_COLUMNS
    assert len(empty) == 0
    both = spans(("a", "x", 0, 12, "PER", "Barack Obama"), ("a", "x", 7, 12, "PER", "Obama"))
    assert validate_spans(both, ITEMS, ["PER"])["rule_id"].tolist() == ["span_overlap"]
    assert len(validate_spans(both, ITEMS, ["PER"], allow_overlap=True)) == 0
    assert set(SPAN_RULES) == {"span_bounds", "span_label", "span_overlap", "span_text"}
    custom = span_labels(both, ["LOC"], severity="warn", rule_id="ner_labels")
    assert set(custom["rule_id"]) == {"ner_labels"}
    assert set(custom["severity"]) == {"warn"}


@pytest.mark.skipif(not DOCCANO.exists(), reason="needs ../shared real data")
def test_real_doccano_exports() -> None:
    """The two-user export is clean; the raw 'overlapping' import example repeats one span,
    which span_overlaps flags when the raw JSON is read as it is (the importer itself keeps
    the repeat once)."""
    from labelgate.io.importers import doccano

    path = DOCCANO / "doccano_transformer_tests/labeling_labeling.jsonl"
    imported = doccano.read(path, path.name)
    labels = sorted(set(imported.spans["label"]))
    assert len(validate_spans(imported.spans, imported.items, labels)) == 0

    raw = DOCCANO / "doccano_examples/import_test_sequence_labeling_example_overlapping.jsonl"
    record = json.loads(raw.read_text().splitlines()[0])
    rows = [("1", "only", s, e, label, record["text"][s:e]) for s, e, label in record["label"]]
    found = validate_spans(
        spans(*rows), pd.DataFrame({"item_id": ["1"], "text": [record["text"]]}), ["LOC"]
    )
    assert found[["rule_id", "observed", "expected"]].values.tolist() == [
        ["span_overlap", "[0, 1) LOC", "no overlap with [0, 1) LOC"]
    ]
