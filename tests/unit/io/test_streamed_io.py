"""Reading a CSV export piece by piece and writing a table row group by row group give the
tables and bytes of doing it whole."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labelgate.errors import InputError, InternalError
from labelgate.io import readers, writers
from labelgate.io.readers import RawTable, read_source, source_pieces
from labelgate.io.writers import ParquetStream, write_parquet

HEADER = "item_id,annotator_id,label,note\n"
BODY = (
    "r1,w1,positive,plain\n"
    "r1,w2,negative,too,many,fields\n"  # malformed: 6 fields
    'r2,w1,negative,"two\nlines"\n'
    "r2,w2,positive,\n"
    "\n"  # a blank line: skipped, not counted
    "r3,w1,neutral,x\n"
    'r3,w2,"unclosed,x\n'  # a stray quote swallows the rest of the file
    "r4,w1,positive,y\n"
)


def joined(pieces: list[RawTable]) -> RawTable:
    frame = pd.concat([p.frame for p in pieces], ignore_index=True)
    return RawTable(frame, sorted(b for p in pieces for b in p.bad_rows))


def whole_and_pieces(path: Path, rows: int) -> tuple[RawTable, list[RawTable]]:
    return read_source(path, "csv", path.name), list(source_pieces(path, "csv", path.name, rows)())


@pytest.mark.parametrize("rows", [1, 2, 3, 1000])
def test_pieces_join_to_the_whole_read(tmp_path: Path, rows: int) -> None:
    path = tmp_path / "a.csv"
    path.write_text(HEADER + BODY, encoding="utf-8")
    whole, pieces = whole_and_pieces(path, rows)
    assert all(len(p.frame) <= rows for p in pieces)
    together = joined(pieces)
    pd.testing.assert_frame_equal(together.frame, whole.frame)
    assert together.bad_rows == whole.bad_rows
    assert [r for r, _, _ in whole.bad_rows] == [3, 7]  # records (the header is 1, blanks skip)


def test_every_bad_record_goes_with_the_piece_it_precedes(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    lines = [f"r{i},w1,positive,x\n" for i in range(10)]
    lines[4] = "r4,w1\n"  # record 6 of the file
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    pieces = list(source_pieces(path, "csv", "a.csv", 3)())
    assert [list(p.frame["_row"]) for p in pieces] == [[2, 3, 4], [5, 7, 8], [9, 10, 11]]
    assert [[r for r, _, _ in p.bad_rows] for p in pieces] == [[], [6], []]


def test_a_header_only_file_gives_one_empty_piece(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(HEADER, encoding="utf-8")
    (piece,) = source_pieces(path, "csv", "a.csv", 5)()
    assert piece.frame.empty
    assert list(piece.frame.columns) == [*HEADER.strip().split(","), "_row"]


def test_no_empty_piece_after_a_whole_last_one(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(HEADER + "".join(f"r{i},w1,positive,x\n" for i in range(4)), encoding="utf-8")
    assert [len(p.frame) for p in source_pieces(path, "csv", "a.csv", 2)()] == [2, 2]


def test_a_record_longer_than_a_block_reads_the_rest_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "_BLOCK", 64)
    path = tmp_path / "a.csv"
    lines = [f"r{i},w1,positive,x\n" for i in range(30)]
    lines[20] = "r20,w1,positive," + "y" * 200 + "\n"
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    whole, pieces = whole_and_pieces(path, 4)
    pd.testing.assert_frame_equal(joined(pieces).frame, whole.frame)
    assert len(whole.frame) == 30


def test_a_file_that_is_not_utf8_is_read_whole_and_cut(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes((HEADER + "r1,w1,positive,caf\xe9\nr2,w1,positive,ok\n").encode("latin-1"))
    whole, pieces = whole_and_pieces(path, 1)
    together = joined(pieces)
    pd.testing.assert_frame_equal(together.frame, whole.frame)
    assert [reason for _, reason, _ in together.bad_rows] == ["bad_encoding"]


def test_a_missing_file_fails_when_read_not_when_checked(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        source_pieces(tmp_path / "none.csv", "csv", "none.csv", 5)


def frame_of(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = pd.Series(rng.integers(0, n, n).astype(str), dtype="str")
    return pd.DataFrame({"item_id": ids, "score": rng.random(n), "n": np.arange(n)})


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("piece", [1_000, 333_333])
def test_a_stream_writes_the_bytes_of_the_joined_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    monkeypatch.setattr(writers, "ROW_GROUP_ROWS", 4_096)  # several row groups, quickly
    frame = frame_of(20_000)
    write_parquet(tmp_path / "whole.parquet", frame)
    with ParquetStream(tmp_path / "stream.parquet") as stream:
        stream.add(frame.iloc[:0])
        for start in range(0, len(frame), piece):
            stream.add(frame.iloc[start : start + piece])
    assert md5(tmp_path / "stream.parquet") == md5(tmp_path / "whole.parquet")
    assert md5(tmp_path / "whole.parquet") == md5(pyarrow_whole(frame, tmp_path, 4_096))
    assert pq.ParquetFile(tmp_path / "stream.parquet").metadata.num_row_groups == 5


def pyarrow_whole(frame: pd.DataFrame, folder: Path, rows: int = 1024 * 1024) -> Path:
    """The reference: pyarrow's own write of the contiguous table, with our settings."""
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    path = folder / "pyarrow.parquet"
    pq.write_table(
        table.combine_chunks(),
        path,
        row_group_size=rows,
        compression="zstd",
        write_statistics=False,
    )
    return path


def test_a_stream_of_empty_frames_writes_the_empty_table(tmp_path: Path) -> None:
    empty = frame_of(10).iloc[:0]
    write_parquet(tmp_path / "whole.parquet", empty)
    with ParquetStream(tmp_path / "stream.parquet") as stream:
        stream.add(empty)
        stream.add(empty)
    assert md5(tmp_path / "stream.parquet") == md5(tmp_path / "whole.parquet")
    assert md5(tmp_path / "whole.parquet") == md5(pyarrow_whole(empty, tmp_path))


def test_a_failed_stream_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "t.parquet"
    write_parquet(target, frame_of(5))
    before = md5(target)

    def fail_midway() -> None:
        with ParquetStream(target) as stream:
            stream.add(frame_of(50))
            raise ValueError("stop")

    with pytest.raises(ValueError, match="stop"):
        fail_midway()
    assert md5(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.parquet"]


def test_pieces_that_disagree_in_types_are_a_bug(tmp_path: Path) -> None:

    def disagree() -> None:
        with ParquetStream(tmp_path / "t.parquet") as stream:
            stream.add(frame_of(5))
            stream.add(frame_of(5).assign(score="text"))

    with pytest.raises(InternalError, match="differ"):
        disagree()
    assert not (tmp_path / "t.parquet").exists()


def test_a_stream_gives_a_list_column_its_type_whatever_a_piece_holds(tmp_path: Path) -> None:
    # Alone, a piece of empty label sets is a list column of no item type: it would differ
    # from the other pieces' type, and a table of only empty sets would have none.
    types = {"labels": pa.list_(pa.string())}
    pieces = [
        pd.DataFrame({"item_id": ["a"], "labels": [[]]}),
        pd.DataFrame({"item_id": ["b"], "labels": [["joy", "fear"]]}),
    ]
    with ParquetStream(tmp_path / "t.parquet", types) as stream:
        for piece in pieces:
            stream.add(piece)
    table = pq.read_table(tmp_path / "t.parquet")
    assert table.schema.field("labels").type == pa.list_(pa.string())
    assert table.column("labels").to_pylist() == [[], ["joy", "fear"]]
    write_parquet(tmp_path / "whole.parquet", pd.concat(pieces, ignore_index=True))
    assert md5(tmp_path / "t.parquet") == md5(tmp_path / "whole.parquet")
    with ParquetStream(tmp_path / "empty.parquet", types) as stream:
        stream.add(pieces[0])
    assert pq.read_schema(tmp_path / "empty.parquet").field("labels").type == types["labels"]
