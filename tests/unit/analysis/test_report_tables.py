"""The report's confusion counts and lineage values."""

from __future__ import annotations

import pandas as pd

from labelgate.analysis.encoding import unique_annotations
from labelgate.analysis.report_tables import label_confusion, lineage_values


def test_confusion_counts_annotator_labels_by_final_label_in_schema_order() -> None:
    annotations = pd.DataFrame(
        {
            "item_id": ["i1", "i1", "i2", "i2", "i3", "i4"],
            "label": ["b", "a", "b", "b", "a", "zzz"],
        }
    )
    final = pd.DataFrame(
        {
            "item_id": ["i1", "i2", "i3", "i4"],
            "label": ["b", "b", "a", "a"],
            "status": ["aggregated", "agreed", "unresolved", "agreed"],
        }
    )
    # i3 is unresolved (left out); i4's label outside the schema is dropped; "c" has no row.
    result = label_confusion(annotations, final, ["b", "a", "c"])
    assert result == {"labels": ["b", "a", "c"], "counts": [[3, 1, 0], [0, 0, 0], [0, 0, 0]]}


def test_lineage_values_are_distinct_and_sorted() -> None:
    final = pd.DataFrame({"rules_hash": ["x", "y", "x"], "schema_version": ["1.0.0", "", None]})
    assert lineage_values(final) == {"schema_version": ["1.0.0"], "rules_hash": ["x", "y"]}


def test_confusion_counts_every_pair_when_an_item_has_two_final_rows() -> None:
    annotations = pd.DataFrame({"item_id": ["i1", "i2"], "label": ["a", "b"]})
    final = pd.DataFrame(
        {"item_id": ["i1", "i1", "i2"], "label": ["a", "b", "b"], "status": ["agreed"] * 3}
    )
    result = label_confusion(annotations, final, ["a", "b"])
    assert result["counts"] == [[1, 0], [1, 1]]


def test_the_report_keeps_the_first_annotation_per_item_and_annotator() -> None:
    annotations = pd.DataFrame(
        {
            "item_id": ["i1", "i1", "i2", "i1"],
            "annotator_id": ["x", "y", "x", "x"],
            "label": ["a", "b", "a", "b"],
        }
    )
    assert unique_annotations(annotations).index.tolist() == [0, 1, 2]
