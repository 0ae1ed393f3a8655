"""Hostile data files: each ends in a clear InputError (exit 3) naming the file, or its rows are
quarantined (skipped, for the file commands) with a reason code; never a traceback (exit 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labelgate.config import columns as col
from labelgate.errors import InputError
from labelgate.io.canonical import read_export
from labelgate.io.readers import read_source
from tests.conftest import DATASET_HEAD, ProjectFactory, cli, run_stages

HEADER = "item_id,annotator_id,label\n"
GOOD = "r1,w1,positive\nr1,w2,negative\nr2,w1,positive\nr2,w2,positive\n"


def export(path: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    return read_export(path, {}, col.ANNOTATION_REQUIRED)


def jsonl(*records: object) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def refused(path: Path, match: str) -> None:
    """`labelgate agreement FILE` exits 3 (not 4) naming the file, and says why."""
    result = cli("agreement", path, "--bootstrap", "0")
    assert result.returncode == 3, result.stderr
    assert str(path) in result.stderr
    assert "Traceback" not in result.stderr
    with pytest.raises(InputError, match=match):
        export(path)


# Whole-file problems: an InputError (exit 3) naming the file and the fix.


def test_a_duplicated_csv_header_names_the_column_and_its_positions(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("item_id,annotator_id,label,item_id\nr1,w1,positive,r1\n", encoding="utf-8")
    refused(
        path,
        r"dup.csv:1:1: the header names a column more than once \('item_id' is columns 1, 4\).*Rename or remove",
    )


def test_a_duplicated_parquet_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.parquet"
    arrays = [pa.array(["r1"]), pa.array(["w1"]), pa.array(["positive"]), pa.array(["w2"])]
    names = ["item_id", "annotator_id", "label", "annotator_id"]
    pq.write_table(pa.Table.from_arrays(arrays, names=names), path)
    refused(path, r"dup.parquet: has more than one column named 'annotator_id'.*Rename or remove")


def test_a_utf16_file_says_to_re_export_as_utf8(tmp_path: Path) -> None:
    for name in ("utf16.csv", "utf16.jsonl"):
        path = tmp_path / name
        path.write_bytes((HEADER + GOOD).encode("utf-16"))
        refused(path, rf"{name}:1:1: is UTF-16 .*byte-order mark.*Re-export the file as UTF-8")


def test_binary_garbage_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 20)
    refused(path, r"garbage.csv: has a NUL byte at byte 0: it is binary data")
    path = tmp_path / "garbage.parquet"
    path.write_bytes(b"not parquet at all \xff\xfe" * 50)
    refused(path, r"garbage.parquet: cannot read parquet: .*Check the file's format")


def test_a_parquet_file_named_csv_says_so(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    pq.write_table(pa.table({"item_id": ["r1"], "annotator_id": ["w1"], "label": ["a"]}), path)
    refused(path, r"export.csv: is a Parquet file, not csv. Give it the .parquet suffix")


def test_empty_csv_and_parquet_files(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    refused(tmp_path / "empty.csv", r"empty.csv:1:1: has no header row.*Export the file with")
    (tmp_path / "empty.parquet").write_bytes(b"")
    refused(tmp_path / "empty.parquet", r"empty.parquet: is empty \(0 bytes\)")


def test_an_empty_jsonl_file_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    frame, skipped = export(path)
    assert (len(frame), skipped) == (0, {})
    assert cli("agreement", path).returncode == 3


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.mkdir()
    refused(path, r"export.csv: is a directory, not a file")


def test_an_invalid_utf8_header_names_row_1(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("item_id,annotator_id,label,caf\xe9\n".encode("latin-1"))
    refused(path, r"latin.csv:1:1: the header is not UTF-8 text.*Re-export the file as UTF-8")


# Row problems: the row is left out with a reason code, and every row is counted.


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    (tmp_path / "bom.csv").write_text("\ufeff" + HEADER + GOOD, encoding="utf-8")
    (tmp_path / "bom.jsonl").write_text(
        "\ufeff" + jsonl(*({"item_id": "r1", "annotator_id": w, "label": "a"} for w in "ab")),
        encoding="utf-8",
    )
    frame, skipped = export(tmp_path / "bom.csv")
    assert (len(frame), skipped) == (4, {})
    frame, skipped = export(tmp_path / "bom.jsonl")
    assert (len(frame), skipped) == (2, {})
    assert list(frame["_row"]) == [1, 2]


def test_rows_that_are_not_utf8_are_skipped_as_bad_encoding(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes((HEADER + GOOD).encode() + b"r3,w\xe9,positive\n")
    (tmp_path / "a.jsonl").write_bytes(
        jsonl({"item_id": "r1", "annotator_id": "w1", "label": "a"}).encode()
        + b'{"item_id": "r1", "annotator_id": "w\xe9", "label": "a"}\n'
    )
    arrays = {"item_id": pa.array([b"r1", b"r\xff"]), "annotator_id": ["w1", "w2"], "label": "ab"}
    pq.write_table(
        pa.table({k: list(v) if isinstance(v, str) else v for k, v in arrays.items()}),
        tmp_path / "a.parquet",
    )
    for name, kept in (("a.csv", 4), ("a.jsonl", 1), ("a.parquet", 1)):
        frame, skipped = export(tmp_path / name)
        assert (len(frame), skipped) == (kept, {"bad_encoding": 1}), name
    raw = read_source(tmp_path / "a.csv", "csv", "a.csv")
    assert raw.rows_in == 5
    ((row, reason, detail),) = raw.bad_rows
    assert (row, reason) == (6, "bad_encoding")
    assert "column 'annotator_id' is not UTF-8 text" in detail
    assert detail.endswith("Re-export the file as UTF-8.")


def test_deeply_nested_json_is_a_malformed_row(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "deep.jsonl"
    path.write_text(
        '{"item_id": "r1", "annotator_id": "w1", "label": '
        + deep
        + "}\n"
        + jsonl({"item_id": "r1", "annotator_id": "w2", "label": "a"}),
        encoding="utf-8",
    )
    frame, skipped = export(path)
    assert (len(frame), skipped) == (1, {"malformed_row": 1})
    raw = read_source(path, "jsonl", "deep.jsonl")
    assert raw.bad_rows[0][:2] == (1, "malformed_row")
    assert raw.bad_rows[0][2].startswith("JSON nested too deeply to read")


def test_nested_json_ids_and_labels_are_skipped_as_nested_value(tmp_path: Path) -> None:
    path = tmp_path / "nested.jsonl"
    path.write_text(
        jsonl(
            {"item_id": {"id": "r1"}, "annotator_id": "w1", "label": "a"},
            {"item_id": "r1", "annotator_id": ["w2"], "label": "a"},
            {"item_id": "r1", "annotator_id": "w3", "label": {"deep": [1, {"x": None}]}},
            {"item_id": "r1", "annotator_id": "w4", "label": "a", "meta": {"ok": True}},
            {"item_id": 7, "annotator_id": True, "label": 2.0},
        ),
        encoding="utf-8",
    )
    frame, skipped = export(path)
    assert skipped == {"nested_value": 3}
    assert frame[["item_id", "annotator_id", "label"]].values.tolist() == [
        ["r1", "w4", "a"],
        ["7", "true", "2"],
    ]


def test_parquet_list_and_struct_columns_are_skipped_as_nested_value(tmp_path: Path) -> None:
    path = tmp_path / "nested.parquet"
    table = pa.table(
        {
            "item_id": ["r1", "r1", "r2"],
            "annotator_id": pa.array([["w1"], ["w2"], None], type=pa.list_(pa.string())),
            "label": pa.array([{"a": 1, "b": [1, 2]}, {"a": 2, "b": []}, None]),
            "count": pa.array([1, 2, 3], type=pa.int64()),
        }
    )
    pq.write_table(table, path)
    frame, skipped = export(path)
    assert skipped == {"nested_value": 2, "missing_annotator_id": 1}
    assert frame.empty
    result = cli("agreement", path)
    assert result.returncode == 3
    assert str(path) in result.stderr


def test_wrong_parquet_types_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "types.parquet"
    table = {"item_id": [1, 1], "annotator_id": [1.5, 2.0], "label": [True, False]}
    pq.write_table(pa.table(table), path)
    frame, skipped = export(path)
    assert skipped == {}
    assert frame[["item_id", "annotator_id", "label"]].values.tolist() == [
        ["1", "1.5", "true"],
        ["1", "2", "false"],
    ]


def test_a_field_longer_than_a_read_block_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(HEADER + "r1,w1," + "x" * (17 << 20) + "\n" + GOOD, encoding="utf-8")
    frame, skipped = export(path)
    assert (len(frame), skipped) == (5, {})
    assert len(frame["label"].iloc[0]) == 17 << 20


def test_a_stray_quote_cannot_hide_records_in_one_id(tmp_path: Path) -> None:
    """The quote opened in row 3 closes 50 lines later: those lines would be one item id."""
    swallowed = "".join(f"r{i},w{i},positive\n" for i in range(50))
    path = tmp_path / "stray.csv"
    path.write_text(
        HEADER + 'r1,w1,positive\n"r2,w1,positive\n' + swallowed + 'r3",w2,negative\n' + GOOD,
        encoding="utf-8",
    )
    frame, skipped = export(path)
    assert skipped == {"newline_in_value": 1}
    assert len(frame) == 5
    assert list(frame["_row"]) == [2, 4, 5, 6, 7]


def test_an_unclosed_quote_to_the_end_of_the_file_says_how_many_lines_it_spans(
    tmp_path: Path,
) -> None:
    path = tmp_path / "open.csv"
    path.write_text(HEADER + GOOD + '"r9,w1,positive\n' + "r8,w2,negative\n" * 5, encoding="utf-8")
    frame, skipped = export(path)
    assert (len(frame), skipped) == (4, {"malformed_row": 1})
    ((row, _, detail),) = read_source(path, "csv", "open.csv").bad_rows
    assert row == 6
    assert detail.startswith("expected 3 fields, found 1 in 6 lines (a quoted value runs on")


# The pipeline: quarantine with the reason, rows in = kept + quarantined.

MANIFEST = (
    DATASET_HEAD
    + """sources:
  annotations:
    - path: raw/a.csv
    - path: raw/b.jsonl
  items:
    path: raw/items.csv
"""
)
ITEMS = 'item_id,text\nr1,"Great\nproduct, would buy again"\nr2,Bad\nr3,"line one\r\nline two"\n'


def pipeline(make_project: ProjectFactory, a_csv: str, b_jsonl: str) -> Path:
    return make_project(
        {
            "datasets/example/dataset.yaml": MANIFEST,
            "datasets/example/raw/a.csv": a_csv,
            "datasets/example/raw/b.jsonl": b_jsonl,
            "datasets/example/raw/items.csv": ITEMS,
        }
    )


def test_ingest_quarantines_hostile_rows_with_reasons(make_project: ProjectFactory) -> None:
    swallowed = "".join(f"r{i % 3 + 1},w{i},positive\n" for i in range(10))
    a_csv = HEADER + GOOD + '"r3,w1,positive\n' + swallowed + 'r3",w2,negative\n'
    b_jsonl = (
        jsonl(
            {"item_id": "r3", "annotator_id": "w1", "label": "neutral"},
            {"item_id": ["r3"], "annotator_id": "w2", "label": "neutral"},
            {"item_id": "r3", "annotator_id": "w3", "label": "pos\nitive"},
        )
        + '{"item_id": "r3", "annotator_id": "w\xe9", "label": "neutral"}\n'
    )
    root = pipeline(make_project, a_csv, "")
    (root / "datasets/example/raw/b.jsonl").write_bytes(b_jsonl.encode("latin-1"))
    summary = run_stages(root, "example", ("ingest",))["ingest"]
    by_file = {s["file"]: s for s in summary["sources"]}
    a = by_file["datasets/example/raw/a.csv"]
    assert (a["rows_in"], a["rows_kept"], a["reasons"]) == (5, 4, {"newline_in_value": 1})
    b = by_file["datasets/example/raw/b.jsonl"]
    assert (b["rows_in"], b["rows_kept"]) == (4, 1)
    assert b["reasons"] == {"bad_encoding": 1, "nested_value": 1, "newline_in_value": 1}
    items = by_file["datasets/example/raw/items.csv"]
    assert (items["rows_in"], items["rows_kept"]) == (3, 3)  # multi-line text is fine
    built = pd.read_parquet(root / "build/example/items.parquet")
    assert built["text"].tolist()[0] == "Great\nproduct, would buy again"
    quarantine = pd.read_parquet(root / "build/example/quarantine.parquet")
    spans = quarantine[quarantine["reason"] == "newline_in_value"].iloc[0]
    assert (spans["source"], spans["row"]) == ("datasets/example/raw/a.csv", 6)
    assert spans["detail"].startswith(
        "row 6: item_id spans 12 lines, starting 'r3,w1,positive\u21b5r1,w0,positive\u21b5"
    )
    nested = quarantine[quarantine["reason"] == "nested_value"].iloc[0]
    assert nested["row"] == 2
    assert nested["detail"].startswith("item_id holds a nested value")
    assert '["r3"]' in nested["detail"]


def test_ingest_refuses_a_duplicated_header(make_project: ProjectFactory) -> None:
    root = pipeline(make_project, "item_id,label,annotator_id,label\nr1,a,w1,b\n", "")
    with pytest.raises(
        InputError,
        match=r"datasets/example/raw/a.csv:1:1: the header names a column more than once \('label' is columns 2, 4\)",
    ):
        run_stages(root, "example", ("ingest",))


def test_ingest_refuses_a_utf16_export(make_project: ProjectFactory) -> None:
    root = pipeline(make_project, HEADER + GOOD, "")
    (root / "datasets/example/raw/a.csv").write_bytes((HEADER + GOOD).encode("utf-16"))
    with pytest.raises(InputError, match=r"datasets/example/raw/a.csv:1:1: is UTF-16"):
        run_stages(root, "example", ("ingest",))


def test_ingest_of_only_nested_rows_says_why(make_project: ProjectFactory) -> None:
    root = pipeline(make_project, HEADER, "")
    table = pa.table(
        {
            "item_id": pa.array([{"id": "r1"}, {"id": "r2"}]),
            "annotator_id": ["w1", "w2"],
            "label": ["positive", "negative"],
        }
    )
    pq.write_table(table, root / "datasets/example/raw/c.parquet")
    manifest = MANIFEST.replace("raw/b.jsonl", "raw/c.parquet")
    (root / "datasets/example/dataset.yaml").write_text(manifest, encoding="utf-8")
    with pytest.raises(
        InputError,
        match=r"no usable annotations: all 2 rows were quarantined \(nested_value 2\). First: datasets/example/raw/c.parquet row 1: item_id holds a nested value",
    ):
        run_stages(root, "example", ("ingest",))


def test_large_integer_ids_keep_every_digit(tmp_path: Path) -> None:
    path = tmp_path / "ids.jsonl"
    path.write_text(
        jsonl(
            {"item_id": 12345678901234567, "annotator_id": "w1", "label": "a"},
            {"item_id": 12345678901234567, "annotator_id": "w2", "label": "a", "note": "x"},
            {"annotator_id": "w3", "label": "a"},
        ),
        encoding="utf-8",
    )
    frame, skipped = export(path)
    assert skipped == {"missing_item_id": 1}
    assert set(frame["item_id"]) == {"12345678901234567"}


def test_old_mac_line_endings_still_read(tmp_path: Path) -> None:
    (tmp_path / "cr.csv").write_bytes((HEADER + GOOD).replace("\n", "\r").encode())
    records = jsonl(*({"item_id": "r1", "annotator_id": w, "label": "a"} for w in "abc"))
    (tmp_path / "cr.jsonl").write_bytes(records.replace("\n", "\r").encode())
    (tmp_path / "crlf.jsonl").write_bytes(records.replace("\n", "\r\n").encode())
    for name, kept in (("cr.csv", 4), ("cr.jsonl", 3), ("crlf.jsonl", 3)):
        frame, skipped = export(tmp_path / name)
        assert (len(frame), skipped) == (kept, {}), name
        assert frame["_row"].tolist()[-1] == kept + name.endswith(".csv"), name


def test_a_lone_surrogate_escape_is_bad_encoding(tmp_path: Path) -> None:
    path = tmp_path / "surrogate.jsonl"
    path.write_text(
        '{"item_id": "r1", "annotator_id": "\\ud800", "label": "a"}\n'
        + '{"item_id": "r1", "annotator_id": "\\ud83d\\ude00", "label": "a"}\n'
        + jsonl({"item_id": "r1", "annotator_id": "w3", "label": "b"}),
        encoding="utf-8",
    )
    frame, skipped = export(path)
    assert skipped == {"bad_encoding": 1}
    assert frame["annotator_id"].tolist() == ["\U0001f600", "w3"]
    assert cli("aggregate", path).returncode == 0


def test_a_huge_bad_value_is_clipped_in_its_detail_and_raw(make_project: ProjectFactory) -> None:
    """One 1 MB duration among 3,000 rows: the details (and raw records) hold its start only,
    instead of a copy of it per row (a fuzz case asked for 20 GB)."""
    rows = "".join(f"r{i % 3 + 1},w{i},positive,1\n" for i in range(3000))
    a_csv = "item_id,annotator_id,label,duration_s\nr1,w0,positive," + "H" * 10**6 + "\n" + rows
    root = pipeline(make_project, a_csv, "")
    summary = run_stages(root, "example", ("ingest",))["ingest"]
    a = next(s for s in summary["sources"] if s["file"].endswith("a.csv"))
    assert (a["rows_in"], a["rows_kept"], a["reasons"]) == (3001, 3000, {"bad_duration": 1})
    quarantine = pd.read_parquet(root / "build/example/quarantine.parquet")
    (detail,) = quarantine["detail"]
    assert detail.startswith("duration_s '" + "H" * 200 + "... (1000000 characters)' is not")
    assert len(quarantine["raw"].iloc[0]) < 2200


def test_a_malformed_row_that_is_not_utf8_is_bad_encoding(tmp_path: Path) -> None:
    """pyarrow cannot hand such a row to its bad-row handler: the file is read record by record."""
    path = tmp_path / "badrow.csv"
    path.write_bytes(HEADER.encode() + b"r1,w1,a\nr1,w\xff,b,extra\n\nr1,w2,b\nr1,w3\n")
    frame, skipped = export(path)
    assert skipped == {"bad_encoding": 1, "malformed_row": 1}
    assert frame[["annotator_id", "_row"]].values.tolist() == [["w1", 2], ["w2", 4]]
    raw = read_source(path, "csv", "badrow.csv")
    assert raw.bad_rows == [
        (
            3,
            "bad_encoding",
            "column 'annotator_id' is not UTF-8 text: r1,w\ufffd,b,extra. "
            "Re-export the file as UTF-8.",
        ),
        (5, "malformed_row", "expected 3 fields, found 2: r1,w3"),
    ]


def test_a_key_given_twice_in_a_jsonl_record_is_a_malformed_row(tmp_path: Path) -> None:
    from labelgate.io.readers import read_source

    path = tmp_path / "dup.jsonl"
    path.write_text(
        '{"item_id": "r1", "annotator_id": "w1", "label": "positive"}\n'
        '{"item_id": "r1", "annotator_id": "w2", "label": "positive", "label": "negative"}\n'
        '{"item_id": "r2", "annotator_id": "w1", "label": "positive", "meta": {"k": 1, "k": 2}}\n',
        encoding="utf-8",
    )
    frame, skipped = read_export(path, {}, col.ANNOTATION_REQUIRED)
    assert (len(frame), skipped) == (1, {"malformed_row": 2})
    bad = read_source(path, "jsonl", str(path)).bad_rows
    assert bad[0][2].startswith("duplicate key 'label' in the JSON object: ")
    assert bad[1][2].startswith("duplicate key 'k' in the JSON object at meta: ")


def test_a_jsonl_file_read_in_batches_equals_it_read_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from labelgate.io import readers

    lines = [
        '{"item_id": "r1", "label": "a"}',
        '{"item_id": "r2", "label": "b", "meta": {"k": 1}}',
        "not json",
        '{"item_id": "r3", "score": 2.0}',
        "",
        '{"item_id": "r4", "label": ["x", "y"], "flag": true}',
        '{"label": "c", "item_id": "r5"}',
    ]
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole = readers.read_source(path, "jsonl", "a.jsonl")
    for batch in (1, 2, 3):
        monkeypatch.setattr(readers, "_JSONL_BATCH", batch)
        parts = readers.read_source(path, "jsonl", "a.jsonl")
        pd.testing.assert_frame_equal(parts.frame, whole.frame)
        assert parts.bad_rows == whole.bad_rows
        assert parts.nested.keys() == whole.nested.keys()
        for name, mask in whole.nested.items():
            assert parts.nested[name].tolist() == mask.tolist()
    assert list(whole.frame.columns) == ["item_id", "label", "meta", "score", "flag", "_row"]
    assert whole.frame["meta"].tolist() == ["", '{"k": 1}', "", "", ""]
