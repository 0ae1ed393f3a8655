"""CSV files for people are safe to open in a spreadsheet; Parquet keeps raw values."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from labelgate.io.writers import (
    read_parquet,
    restore_cell,
    safe_cell,
    write_csv,
    write_parquet,
)


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x","click")', '\'=HYPERLINK("http://x","click")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("w07", "w07"),
        ("billing", "billing"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_triggers_get_a_leading_quote(cell: str, written: str) -> None:
    assert safe_cell(cell) == written


@pytest.mark.parametrize("cell", ["=1", "+a", "-b", "@c", "\tt", "\rr", "w07", "'quoted", 1.5])
def test_restore_cell_undoes_safe_cell(cell: object) -> None:
    assert restore_cell(safe_cell(cell)) == cell


def test_numbers_stay_numbers() -> None:
    assert safe_cell(-0.05) == -0.05
    assert safe_cell(-3) == -3
    assert safe_cell(None) is None


def test_csv_neutralises_string_cells_only(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "annotator_id": ["=HYPERLINK(1)", "w07", None],
            "delta": [-0.05, 0.1, -1.0],
            "n": [-1, 2, 3],
            "kind": pd.Categorical(["@x", "ok", "ok"]),
            "label": pd.array(["-x", "y", None], dtype="string"),
        }
    )
    path = write_csv(tmp_path / "people.csv", frame)
    assert path.read_text(encoding="utf-8") == (
        "annotator_id,delta,n,kind,label\n'=HYPERLINK(1),-0.05,-1,'@x,'-x\nw07,0.1,2,ok,y\n,-1.0,3,ok,\n"
    )
    assert frame["annotator_id"][0] == "=HYPERLINK(1)"  # the caller's frame is untouched


def test_the_quote_goes_before_a_leading_tab_or_carriage_return(tmp_path: Path) -> None:
    frame = pd.DataFrame({"note": ["\t=1", "\r=2", "a,b"]})
    text = write_csv(tmp_path / "x.csv", frame).read_bytes().decode("utf-8")
    assert text.splitlines(keepends=True)[1:3] == ["'\t=1\n", "'\r"]
    assert text.endswith('\'\r=2\n"a,b"\n')


def test_a_frame_without_triggers_is_written_as_pandas_writes_it(tmp_path: Path) -> None:
    frame = pd.DataFrame({"item_id": ["t1", "t2"], "confidence": [0.5, 1.0], "x": [1, 2]})
    text = write_csv(tmp_path / "x.csv", frame).read_text(encoding="utf-8")
    assert text == frame.to_csv(index=False, lineterminator="\n")


def test_a_column_name_that_starts_a_formula_is_neutralised_too(tmp_path: Path) -> None:
    frame = pd.DataFrame({"=cmd": ["a"]})
    assert write_csv(tmp_path / "x.csv", frame).read_text(encoding="utf-8") == "'=cmd\na\n"


def test_parquet_keeps_raw_values(tmp_path: Path) -> None:
    frame = pd.DataFrame({"annotator_id": ["=HYPERLINK(1)", "@me"], "delta": [-0.05, 1.0]})
    back = read_parquet(write_parquet(tmp_path / "t.parquet", frame))
    pd.testing.assert_frame_equal(back, frame)


def test_sheets_people_fill_in_lose_the_quote_our_csv_added() -> None:
    # An auditor saves audit_sample.csv back as audit_results: '=x must match item =x again.
    from labelgate.io.ingest import _restored

    frame = pd.DataFrame({"item_id": ["'=x", "'plain", "y"], "label": ["'-1", "a", "'@b"]})
    restored = _restored(frame)
    assert restored["item_id"].tolist() == ["=x", "'plain", "y"]
    assert restored["label"].tolist() == ["-1", "a", "@b"]
