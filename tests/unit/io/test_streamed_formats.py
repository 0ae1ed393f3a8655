"""JSONL and Parquet exports read piece by piece give the records, numbers and bad records of
reading them whole."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labelgate.errors import InputError
from labelgate.io import readers
from labelgate.io.readers import RawTable, read_source, source_pieces

JSONL_LINES = [
    '{"item_id": "r1", "annotator_id": "w1", "label": "positive"}',
    '{"item_id": "r1", "annotator_id": "w2"',  # invalid JSON
    "",  # a blank line: skipped, not counted as a record
    '{"item_id": "r2", "annotator_id": "w1", "label": ["a", "b"], "note": "x"}',
    "[1, 2]",  # not an object
    '{"item_id": 12345678901234567, "annotator_id": "w2", "label": 1.0, "flag": true}',
    '{"item_id": "r3", "annotator_id": "w1", "label": "neutral", "extra": {"k": 1}}',
    '{"item_id": "r3", "annotator_id": "w2", "label": "\\ud800"}',  # a lone surrogate
    '{"item_id": "r4", "annotator_id": "w3", "label": null}',
]


def joined(pieces: list[RawTable]) -> pd.DataFrame:
    """Pieces as one frame, columns as a whole read orders them (a piece's missing ones '')."""
    frames = [p.frame for p in pieces]
    names: list[str] = []
    for frame in frames:
        names += [n for n in frame.columns if n != "_row" and n not in names]
    frame = pd.concat(
        [f.reindex(columns=[*names, "_row"], fill_value="") for f in frames], ignore_index=True
    )
    return frame.astype({n: "str" for n in names})


def nested_of(pieces: list[RawTable], names: list[str]) -> dict[str, list[bool]]:
    out = {}
    for name in names:
        masks = [p.nested.get(name, np.zeros(len(p.frame), bool)) for p in pieces]
        mask = np.concatenate(masks)
        if mask.any():
            out[name] = mask.tolist()
    return out


def jsonl_file(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("rows", [1, 2, 3, 1000])
def test_jsonl_pieces_join_to_the_whole_read(tmp_path: Path, rows: int) -> None:
    path = jsonl_file(tmp_path, JSONL_LINES)
    whole = read_source(path, "jsonl", "a.jsonl")
    pieces = list(source_pieces(path, "jsonl", "a.jsonl", rows)())
    assert all(len(p.frame) <= rows for p in pieces)
    together = joined(pieces)
    expected = whole.frame.astype({n: "str" for n in whole.frame.columns if n != "_row"})
    pd.testing.assert_frame_equal(together, expected)
    assert sorted(b for p in pieces for b in p.bad_rows) == whole.bad_rows
    assert [(r, reason) for r, reason, _ in whole.bad_rows] == [
        (2, "malformed_row"),
        (5, "malformed_row"),
        (8, "bad_encoding"),
    ]
    names = [n for n in whole.frame.columns if n != "_row"]
    assert nested_of(pieces, names) == {k: v.tolist() for k, v in whole.nested.items()}
    # A large integer id keeps its digits; record numbers are the file's lines.
    assert "12345678901234567" in set(together["item_id"])
    assert list(together["_row"]) == [1, 4, 6, 7, 9]


def test_a_jsonl_piece_has_the_expected_columns_its_records_lack(tmp_path: Path) -> None:
    lines = [
        '{"item_id": "r1", "annotator_id": "w1"}',
        '{"item_id": "r2", "annotator_id": "w1"}',
        '{"item_id": "r3", "annotator_id": "w1", "label": "x"}',
    ]
    path = jsonl_file(tmp_path, lines)
    pieces = list(source_pieces(path, "jsonl", "a.jsonl", 2, ["label"])())
    assert [list(p.frame["label"]) for p in pieces] == [["", ""], ["x"]]


def test_a_jsonl_file_without_an_expected_column_ends_in_an_empty_piece_with_its_columns(
    tmp_path: Path,
) -> None:
    path = jsonl_file(tmp_path, ['{"item_id": "r1", "who": "w1"}', '{"item_id": "r2"}'])
    pieces = list(source_pieces(path, "jsonl", "a.jsonl", 1, ["item_id", "label"])())
    assert [len(p.frame) for p in pieces] == [1, 1, 0]
    assert list(pieces[-1].frame.columns) == ["item_id", "who", "_row"]


def test_an_empty_jsonl_file_gives_one_empty_piece(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text("\n\n", encoding="utf-8")
    (piece,) = source_pieces(path, "jsonl", "a.jsonl", 5, ["item_id"])()
    assert piece.frame.empty
    assert piece.bad_rows == []


def test_jsonl_pieces_are_whole_batches_of_at_most_the_batch_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "_JSONL_BATCH", 4)
    lines = [json.dumps({"item_id": f"r{i}", "annotator_id": "w1"}) for i in range(11)]
    path = jsonl_file(tmp_path, lines)
    sizes = [len(p.frame) for p in source_pieces(path, "jsonl", "a.jsonl", 6)()]
    assert sizes == [8, 3]  # two batches of 4 reach 6; the rest
    assert [len(p.frame) for p in source_pieces(path, "jsonl", "a.jsonl", 3)()] == [3, 3, 3, 2]


def parquet_file(tmp_path: Path) -> Path:
    table = pa.table(
        {
            "item_id": pa.array([12345678901234567, None, 3, 4, 5, 6, 7], pa.int64()),
            "annotator_id": pa.array(["w1", "w2", None, "w1", "w2", "w3", "w1"]),
            "label": pa.array([b"pos", b"neg", b"caf\xe9", b"pos", None, b"neg", b"pos"]),
            "labels": pa.array([["a"], None, [], ["a", "b"], ["c"], None, ["a"]]),
            "score": pa.array([1.0, 2.5, None, 4.0, 5.0, 6.0, 7.0]),
            "when": pa.array(
                pd.to_datetime(["2026-01-01T10:00:00Z"] * 7, utc=True), pa.timestamp("us", "UTC")
            ),
            "ok": pa.array([True, False, None, True, True, False, True]),
        }
    )
    path = tmp_path / "a.parquet"
    pq.write_table(table, path, row_group_size=3)
    return path


@pytest.mark.parametrize("rows", [1, 2, 4, 1000])
def test_parquet_pieces_join_to_the_whole_read(tmp_path: Path, rows: int) -> None:
    path = parquet_file(tmp_path)
    whole = read_source(path, "parquet", "a.parquet")
    pieces = list(source_pieces(path, "parquet", "a.parquet", rows)())
    assert [len(p.frame) + len(p.bad_rows) for p in pieces[:-1]] == [rows] * (len(pieces) - 1)
    together = pd.concat([p.frame for p in pieces], ignore_index=True)
    pd.testing.assert_frame_equal(together, whole.frame)
    assert sorted(b for p in pieces for b in p.bad_rows) == whole.bad_rows
    names = [n for n in whole.frame.columns if n != "_row"]
    assert nested_of(pieces, names) == {k: v.tolist() for k, v in whole.nested.items()}


def test_parquet_values_read_as_text(tmp_path: Path) -> None:
    whole = read_source(parquet_file(tmp_path), "parquet", "a.parquet")
    frame = whole.frame
    # An integer id column with a null keeps every digit (as floats, 12345678901234567
    # would read 12345678901234568).
    assert list(frame["item_id"]) == ["12345678901234567", "", "4", "5", "6", "7"]
    assert list(frame["_row"]) == [1, 2, 4, 5, 6, 7]
    assert [(r, reason) for r, reason, _ in whole.bad_rows] == [(3, "bad_encoding")]
    assert list(frame["labels"])[:3] == ['["a"]', "", '["a", "b"]']
    assert list(frame["score"])[:2] == ["1", "2.5"]
    assert frame["ok"].iloc[0] == "true"
    assert frame["when"].iloc[0] == "2026-01-01 10:00:00+00:00"


def test_an_empty_parquet_table_gives_one_empty_piece(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"item_id": pa.array([], pa.string())}), path)
    (piece,) = source_pieces(path, "parquet", "a.parquet", 5)()
    assert piece.frame.empty
    assert list(piece.frame.columns) == ["item_id", "_row"]


def test_a_parquet_file_with_a_repeated_column_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    table = pa.Table.from_arrays([pa.array(["a"]), pa.array(["b"])], names=["x", "x"])
    pq.write_table(table, path)
    with pytest.raises(InputError, match="more than one column named 'x'"):
        source_pieces(path, "parquet", "a.parquet", 5)
