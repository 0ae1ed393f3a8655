"""`frame_export` (app/frames.py), behind `labelgate.agreement(df)` and `labelgate.aggregate(df)`:
a frame's rows are screened as a file's are, so a list, a dict or a value over several lines is
left out and counted by reason ('nested_value', 'newline_in_value'), never read as its text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import labelgate
from labelgate.app.frames import frame_export, nested_cells
from labelgate.errors import InputError
from labelgate.io.canonical import read_export

COLUMNS = {"item_id": "item_id", "annotator_id": "annotator_id", "label": "label"}
ARGUMENTS = {"item_id": "item_col", "annotator_id": "annotator_col", "label": "label_col"}


def export(data: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    return frame_export(data, COLUMNS, ARGUMENTS, "DataFrame")


def rows(n: int = 6) -> dict[str, list[Any]]:
    """`n` items, each labelled by annotators a and b: plain values, nothing to skip."""
    return {
        "item_id": [f"i{i}" for i in range(n) for _ in "ab"],
        "annotator_id": [w for _ in range(n) for w in "ab"],
        "label": [("x", "y")[i % 2] for i in range(n) for _ in "ab"],
    }


@pytest.mark.parametrize(
    "cell",
    [["x", "y"], ("x", "y"), {"x", "y"}, frozenset({"x"}), {"x": 1}, np.array(["x", "y"])],
    ids=["list", "tuple", "set", "frozenset", "dict", "ndarray"],
)
@pytest.mark.parametrize("column", ["item_id", "annotator_id", "label"])
def test_a_nested_cell_is_skipped_as_nested_value(column: str, cell: object) -> None:
    data = rows()
    data[column][3] = cell
    frame, skipped = export(pd.DataFrame(data))
    assert skipped == {"nested_value": 1}
    assert len(frame) == 11
    assert 4 not in set(frame["_row"])  # the fourth row, 1-based
    assert not frame[column].str.contains(r"[\[\]{}()]", regex=True).any()


@pytest.mark.parametrize("text", ["x\ny", "x\r\ny", "x\rb"])
@pytest.mark.parametrize("column", ["item_id", "annotator_id", "label"])
def test_a_value_over_several_lines_is_skipped_as_newline_in_value(column: str, text: str) -> None:
    data = rows()
    data[column][0] = text
    frame, skipped = export(pd.DataFrame(data))
    assert skipped == {"newline_in_value": 1}
    assert not frame[column].str.contains(r"[\r\n]", regex=True).any()


def test_reasons_are_counted_together_in_the_file_commands_order() -> None:
    data = rows()
    data["label"][0] = ["x"]
    data["label"][1] = {"x": 1}
    data["annotator_id"][2] = "a\nb"
    data["item_id"][3] = None
    data["label"][4] = ""
    frame, skipped = export(pd.DataFrame(data))
    assert skipped == {
        "nested_value": 2,
        "newline_in_value": 1,
        "missing_item_id": 1,
        "missing_label": 1,
    }
    assert list(skipped) == ["nested_value", "newline_in_value", "missing_item_id", "missing_label"]
    assert len(frame) == 7


def test_a_value_with_a_line_end_at_its_end_only_is_kept_stripped() -> None:
    # The file path strips each value before screening; a trailing newline is not two lines.
    data = rows()
    data["label"][0] = "x\n"
    frame, skipped = export(pd.DataFrame(data))
    assert skipped == {}
    assert frame["label"].iloc[0] == "x"


def test_the_frame_and_the_same_frame_in_jsonl_skip_the_same_rows(tmp_path: Path) -> None:
    data = rows()
    data["label"][0] = ["x", "y"]
    data["label"][1] = np.array(["x"])
    data["annotator_id"][2] = {"name": "a"}
    data["item_id"][5] = "i2\ni3"
    data["label"][7] = None
    frame = pd.DataFrame(data)
    path = tmp_path / "rows.jsonl"
    frame.to_json(path, orient="records", lines=True)
    kept, skipped = export(frame)
    on_disk, on_disk_skipped = read_export(path, COLUMNS, tuple(COLUMNS))
    assert skipped == on_disk_skipped
    assert skipped == {"nested_value": 3, "newline_in_value": 1, "missing_label": 1}
    pd.testing.assert_frame_equal(kept, on_disk)


def test_a_column_of_lists_skips_as_in_a_parquet_file(tmp_path: Path) -> None:
    # Parquet holds a column of lists (not lists among strings): every row but the empty one.
    data = rows()
    data["label"] = [[v] for v in data["label"]]
    data["label"][4] = None
    frame = pd.DataFrame(data)
    path = tmp_path / "rows.parquet"
    frame.to_parquet(path)
    assert export(frame)[1] == read_export(path, COLUMNS, tuple(COLUMNS))[1]
    assert export(frame)[1] == {"nested_value": 11, "missing_label": 1}


def test_plain_and_typed_columns_are_not_scanned_as_nested() -> None:
    for values in (
        pd.Series([1, 2], dtype="int64"),
        pd.Series([1.5, None], dtype="Float64"),
        pd.Series(["a", None], dtype="string"),
        pd.Series([True, False]),
        pd.Series([pd.Timestamp("2024-01-01"), pd.NaT]),
    ):
        assert not nested_cells(values).any()
    mixed = pd.Series(["a", ["b"], None, ("c",), 3], dtype=object)
    assert nested_cells(mixed).tolist() == [False, True, False, True, False]
    tupled = pd.Index([("a", "b"), "c"], dtype=object, tupleize_cols=False)
    category = pd.Series(pd.Categorical.from_codes([0, 1], categories=tupled))
    assert nested_cells(category).tolist() == [True, False]


def test_agreement_reports_the_skipped_multi_label_rows() -> None:
    data = rows(12)
    data["label"][0] = ["x", "y"]
    data["label"][1] = "x\ny"
    report = labelgate.agreement(pd.DataFrame(data), bootstrap=0)
    assert report["skipped_reasons"] == {"nested_value": 1, "newline_in_value": 1}
    assert report["n_rows_skipped"] == 2
    assert set(report["per_label"]) == {"x", "y"}


def test_aggregate_says_which_rows_it_skipped() -> None:
    data = rows()
    data["label"][0] = ["x", "y"]
    data["annotator_id"][3] = "b\nc"
    result = labelgate.aggregate(pd.DataFrame(data))
    assert "skipped rows: nested_value 1, newline_in_value 1" in result.messages
    assert set(result.labels["label"]) <= {"x", "y"}


def test_gold_with_a_list_leaves_that_item_out() -> None:
    gold = pd.Series({"i0": ["x", "y"], "i1": "y"})
    result = labelgate.aggregate(pd.DataFrame(rows()), gold=gold)
    assert result.annotators["n_gold"].tolist() == [1, 1]


def test_a_column_given_twice_is_refused_naming_it() -> None:
    frame = pd.DataFrame(rows())
    frame.insert(3, "label", frame["label"], allow_duplicates=True)
    with pytest.raises(InputError) as caught:
        export(frame)
    text = str(caught.value)
    assert "column 'label' (label_col) appears more than once in the DataFrame" in text
    assert "df.loc[:, ~df.columns.duplicated()]" in text
