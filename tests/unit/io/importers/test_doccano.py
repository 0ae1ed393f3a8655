"""doccano import: the real export examples (current and v1 multi-user formats, JSONL, JSON and
CSV) checked against plain-json counts and doccano-transformer's CoNLL output, and every branch on
small synthetic files."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from labelgate.errors import InputError
from labelgate.io.importers import import_file
from labelgate.io.importers.doccano import read
from tests.conftest import SHARED

DOCCANO = SHARED / "data/real/tool_exports/doccano"
EXAMPLES = DOCCANO / "doccano_examples"
V1 = DOCCANO / "doccano_transformer_tests"
real = pytest.mark.skipif(
    not (SHARED / "data/real/tool_exports").is_dir(), reason="../shared is absent"
)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _labels(imported: Any) -> list[tuple[str, str, str]]:
    frame = imported.annotations
    return list(frame[["item_id", "annotator_id", "label"]].itertuples(index=False, name=None))


def _bio(text: str, spans: list[tuple[int, int, str]]) -> list[str]:
    """Whitespace tokens tagged B-/I-/O from character spans (as doccano-transformer does)."""
    tags = []
    for token in re.finditer(r"\S+", text):
        tag = "O"
        for start, end, label in spans:
            if start <= token.start() and token.end() <= end:
                tag = ("B-" if token.start() == start else "I-") + label
        tags.append(tag)
    return tags


# --- real exports -------------------------------------------------------------------------------


@pytest.mark.shared
@real
def test_v1_two_users_spans_match_the_file() -> None:
    path = V1 / "labeling_labeling.jsonl"
    rows = _lines(path)
    imported = read(path, "labeling.jsonl")
    expected = [
        (str(r["id"]), str(a["user"]), a["start_offset"], a["end_offset"], str(a["label"]))
        for r in rows
        for a in r["annotations"]
    ]
    spans = imported.spans[["item_id", "annotator_id", "start", "end", "label"]]
    assert sorted(spans.itertuples(index=False, name=None)) == sorted(expected)
    report = imported.report()
    assert (report["records"], report["items"], report["annotators"], report["spans"]) == (
        2,
        2,
        2,
        16,
    )
    assert sorted(
        imported.annotations[["item_id", "annotator_id"]].itertuples(index=False, name=None)
    ) == [
        ("2578", "1"),
        ("2578", "2"),
        ("2580", "2"),
    ]
    assert imported.control == "annotations"
    assert any("label ids" in n for n in imported.notes)


@pytest.mark.shared
@real
def test_v1_spans_reproduce_doccano_transformers_conll_and_token_agreement() -> None:
    imported = read(V1 / "labeling_labeling.jsonl", "labeling.jsonl")
    texts = dict(zip(imported.items["item_id"], imported.items["text"], strict=True))
    tags: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for (item, user), group in imported.spans.groupby(["item_id", "annotator_id"]):
        spans = list(group[["start", "end", "label"]].itertuples(index=False, name=None))
        tags[user][item] = _bio(texts[item], spans)
    for user in ("1", "2"):
        conll = (V1 / f"labeling_labeling.conll2003.user{user}").read_text(encoding="utf-8")
        reference = [
            line.split()[-1]
            for line in conll.splitlines()
            if line and not line.startswith("-DOCSTART-")
        ]
        ours = [tag for item in sorted(tags[user]) for tag in tags[user][item]]
        assert ours == reference
    # Token-level agreement on the one item both users labelled, recomputed from plain json.
    row = _lines(V1 / "labeling_labeling.jsonl")[0]
    by_user: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for a in row["annotations"]:
        by_user[a["user"]].append((a["start_offset"], a["end_offset"], str(a["label"])))
    one, two = _bio(row["text"], by_user[1]), _bio(row["text"], by_user[2])
    same = sum(x == y for x, y in zip(one, two, strict=True))
    assert (same, len(one)) == (20, 20)
    assert sum(x == y for x, y in zip(tags["1"]["2578"], tags["2"]["2578"], strict=True)) == same
    # Span-level exact matches between the two users on that item.
    s1 = set(
        imported.spans.query("annotator_id == '1'")[["start", "end", "label"]].itertuples(
            index=False, name=None
        )
    )
    s2 = set(
        imported.spans.query("annotator_id == '2' and item_id == '2578'")[
            ["start", "end", "label"]
        ].itertuples(index=False, name=None)
    )
    assert len(s1 & s2) == len(set(by_user[1]) & set(by_user[2])) == 5


@pytest.mark.shared
@real
def test_text_label_variant_and_current_sequence_labeling() -> None:
    imported = read(V1 / "labeling_labeling_text_label.jsonl", "text_label.jsonl")
    rows = _lines(V1 / "labeling_labeling_text_label.jsonl")
    assert imported.control == "labels"
    assert len(imported.spans) == sum(len(r["labels"]) for r in rows) == 11
    assert set(imported.annotations["annotator_id"]) == {"labeling_labeling_text_label"}
    assert any("without a 'user'" in n for n in imported.notes)
    seq = read(EXAMPLES / "export_sequence_labeling.jsonl", "seq.jsonl")
    assert seq.spans[["item_id", "start", "end", "label", "text"]].values.tolist() == [
        ["1", 0, 2, "ORG", "EU"],
        ["1", 11, 17, "MISC", "German"],
        ["2", 0, 15, "PERSON", "Peter Blackburn"],
        ["3", 10, 15, "PERSON", "Obama"],
    ]


@pytest.mark.shared
@real
@pytest.mark.parametrize("task", ["text_classification", "sequence_to_sequence"])
def test_jsonl_json_and_csv_exports_agree(task: str) -> None:
    results = {
        ext: read(EXAMPLES / f"export_{task}.{ext}", f"x.{ext}") for ext in ("jsonl", "json", "csv")
    }
    expected = [r["label"][0] for r in _lines(EXAMPLES / f"export_{task}.jsonl")]
    for imported in results.values():
        assert imported.annotations["label"].tolist() == expected
        assert imported.items["text"].tolist() == [
            r["text"] for r in _lines(EXAMPLES / f"export_{task}.jsonl")
        ]
    if task == "sequence_to_sequence":
        assert any("sequence-to-sequence" in n for n in results["jsonl"].notes)


@pytest.mark.shared
@real
def test_v1_classification_and_seq2seq_jsonl_match_their_csv() -> None:
    for name in ("classification_classification", "seq2seq_seq2seq"):
        from_jsonl = read(V1 / f"{name}.jsonl", f"{name}.jsonl")
        from_csv = read(V1 / f"{name}.csv", f"{name}.csv")
        assert _labels(from_jsonl) == _labels(from_csv)
        rows = _lines(V1 / f"{name}.jsonl")
        expected = [
            (str(r["id"]), str(a["user"]), str(a.get("label", a.get("text"))))
            for r in rows
            for a in r["annotations"]
        ]
        assert _labels(from_jsonl) == expected
    seq = read(V1 / "seq2seq_seq2seq.csv", "s.csv")
    assert seq.report()["annotators"] == 2
    assert any("source texts are not in the file" in n for n in seq.notes)


@pytest.mark.shared
@real
def test_intent_detection_imports_cats_and_entities_or_one_by_control() -> None:
    path = EXAMPLES / "export_intent_detection.jsonl"
    both = read(path, "intent.jsonl")
    assert both.control == "cats+entities"
    assert both.annotations["label"].tolist() == ["flight", "airport"]
    assert both.spans["text"].tolist() == ["Find a flight from Memphis", "Tacoma", "Los Angeles"]
    cats = read(path, "intent.jsonl", "cats")
    assert (cats.control, len(cats.spans)) == ("cats", 0)
    entities = read(path, "intent.jsonl", "entities")
    assert (entities.annotations["label"] == "").all()
    assert len(entities.spans) == 3
    assert any("Fields not imported: cats" in n for n in entities.notes)


@pytest.mark.shared
@real
def test_relation_extraction_pretty_printed_and_relations_counted() -> None:
    for name in (
        "export_relation_extraction.jsonl",
        "import_test_relation_extraction_example.jsonl",
    ):
        imported = read(EXAMPLES / name, name)
        assert imported.spans["text"].tolist() == [
            "Google",
            "September 4, 1998",
            "Larry Page",
            "Sergey Brin",
        ]
        assert any("Relations not imported: 3" in n for n in imported.notes)
    pretty = read(EXAMPLES / "export_relation_extraction.jsonl", "r.jsonl")
    assert any("pretty-printed" in n for n in pretty.notes)


@pytest.mark.shared
@real
def test_import_test_examples_edge_cases() -> None:
    seq = read(EXAMPLES / "import_test_sequence_labeling_example.jsonl", "s.jsonl")
    assert [(s.row, s.reason) for s in seq.skipped] == [(3, "malformed_row")]
    assert "has no 'text'" in seq.skipped[0].detail
    assert len(seq.annotations) == 2  # exampleB: labelled, no entities
    assert len(seq.spans) == 1
    overlap = read(EXAMPLES / "import_test_sequence_labeling_example_overlapping.jsonl", "o.jsonl")
    assert len(overlap.spans) == 1
    assert any("repeat another span" in n for n in overlap.notes)
    cls = read(EXAMPLES / "import_test_text_classification_example.jsonl", "c.jsonl")
    assert cls.annotations[["label", "labels"]].values.tolist() == [
        ["positive", '["positive"]'],
        ["", '["positive","negative"]'],
    ]
    assert [(s.row, s.reason) for s in cls.skipped] == [(3, "no_label")]
    assert cls.items["meta"].tolist() == [
        '{"wikiPageID": 1}',
        '{"wikiPageID": 2}',
        '{"wikiPageID": 3}',
    ]


# --- synthetic files ----------------------------------------------------------------------------


def _write(tmp_path: Path, records: list[Any], name: str = "export.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


def test_bad_lines_and_bad_spans(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        b"\n".join(
            [
                b'{"id": 1, "text": "Anna in Rome", "label": [[0, 4, "PER"], [8, 12, "LOC"]]}',
                b"{broken",
                b'"a string"',
                b'{"id": 4, "text": "\xc3\x28", "label": []}',
                b'{"id": 5, "text": "short", "label": [[0, 50, "PER"]]}',
                b'{"id": 6, "text": "short", "label": [[0, 2]]}',
                b'{"id": 7, "text": "short", "label": [["a", 2, "PER"]]}',
                b'{"id": 8, "text": "none here", "label": []}',
                b'{"id": 9, "id": 10, "text": "dup", "label": []}',
            ]
        )
    )
    imported = read(path, "mixed.jsonl")
    assert [(s.row, s.reason) for s in imported.skipped] == [
        (2, "malformed_row"),
        (3, "malformed_row"),
        (4, "bad_encoding"),
        (5, "malformed_row"),
        (6, "malformed_row"),
        (7, "malformed_row"),
        (9, "malformed_row"),
    ]
    details = [s.detail for s in imported.skipped]
    assert "span 0-50 is outside the text (5 characters)" in details[3]
    assert "not [start, end, label]" in details[4]
    assert "no integer offsets" in details[5]
    assert "duplicate key 'id'" in details[6]
    assert imported.annotations["item_id"].tolist() == ["1", "8"]  # 8: labelled, no entities
    assert imported.spans["text"].tolist() == ["Anna", "Rome"]
    assert imported.records == 9


def test_missing_user_is_the_file_name_and_record_user_is_kept(tmp_path: Path) -> None:
    records = [
        {"id": 1, "text": "good", "label": ["pos"], "user": "alice"},
        {"id": 1, "text": "good", "label": ["neg"], "user": "bob"},
        {"id": 2, "text": "bad", "label": ["neg"]},
    ]
    imported = read(_write(tmp_path, records, "proj.jsonl"), "proj.jsonl")
    assert _labels(imported) == [("1", "alice", "pos"), ("1", "bob", "neg"), ("2", "proj", "neg")]
    assert imported.items["item_id"].tolist() == ["1", "2"]
    assert any("without a 'user'" in n and ": 1;" in n for n in imported.notes)


def test_v1_multi_label_and_missing_ids(tmp_path: Path) -> None:
    records = [
        {
            "text": "a",
            "annotations": [
                {"label": 1, "user": 1},
                {"label": 2, "user": 1},
                {"label": 1, "user": 2},
            ],
        },
        {"text": "b", "annotations": []},
    ]
    imported = read(_write(tmp_path, records), "v1.jsonl")
    assert imported.annotations[["item_id", "annotator_id", "label", "labels"]].values.tolist() == [
        ["1", "1", "", '["1","2"]'],
        ["1", "2", "1", '["1"]'],
    ]
    assert imported.items["item_id"].tolist() == ["1", "2"]
    assert any("no 'id'" in n for n in imported.notes)


def test_json_list_and_its_errors(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text(json.dumps([{"text": "x", "label": ["a"]}, 5]), encoding="utf-8")
    imported = read(path, "e.json")
    assert _labels(imported) == [("1", "e", "a")]
    assert [(s.row, s.reason) for s in imported.skipped] == [(2, "malformed_row")]
    path.write_text('[{"text": "x",\n "label": ]', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read(path, "e.json")
    problem = caught.value.problems[0]
    assert (problem.file, problem.line) == ("e.json", 2)
    assert "not valid JSON" in problem.message


def test_csv_branches(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        'id,text,label\n7,"Great, really",positive#happy\n8,meh,neutral\n9,broken\n',
        encoding="utf-8",
    )
    imported = read(path, "c.csv")
    assert imported.annotations[["item_id", "label", "labels"]].values.tolist() == [
        ["7", "", '["positive","happy"]'],
        ["8", "neutral", '["neutral"]'],
    ]
    assert imported.items["text"].tolist() == ["Great, really", "meh"]
    assert [(s.row, s.reason) for s in imported.skipped] == [(4, "malformed_row")]
    # doccano v1's CSV: one row per label an annotator chose.
    path.write_text("id,label,text,user\n1,A,x,u1\n1,B,x,u1\n1,A,x,u2\n", encoding="utf-8")
    v1 = read(path, "c.csv")
    assert v1.annotations[["item_id", "annotator_id", "labels", "_row"]].values.tolist() == [
        ["1", "u1", '["A","B"]', 2],
        ["1", "u2", '["A"]', 4],
    ]
    path.write_text("id,text\n1,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="has no 'label' column"):
        read(path, "c.csv")
    path.write_text("id,text,label\n", encoding="utf-8")
    with pytest.raises(InputError, match="has no records"):
        read(path, "c.csv")


@pytest.mark.parametrize(
    ("control", "message"),
    [
        ("entites", "Did you mean 'entities'?"),
        ("cats", "has no 'cats' field"),
        ("annotations", "has no 'annotations' list"),
    ],
)
def test_bad_control(tmp_path: Path, control: str, message: str) -> None:
    path = _write(tmp_path, [{"text": "x", "label": ["a"]}])
    with pytest.raises(InputError) as caught:
        read(path, "x.jsonl", control)
    problem = caught.value.problems[0]
    assert message in problem.message + " " + problem.fix
    assert problem.file == "x.jsonl"


def test_whole_file_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="has no records"):
        read(empty, "empty.jsonl")
    other = _write(tmp_path, [{"text": "x", "sentiment": "a"}], "other.jsonl")
    with pytest.raises(InputError, match="has no annotation field"):
        read(other, "other.jsonl")
    with pytest.raises(InputError, match="file not found"):
        read(tmp_path / "nope.jsonl", "nope.jsonl")


def test_registered_in_formats(tmp_path: Path) -> None:
    imported = import_file(_write(tmp_path, [{"text": "x", "label": ["a"]}]), "doccano", "d.jsonl")
    assert imported.file_format == "doccano"
    assert isinstance(imported.annotations, pd.DataFrame)
    assert imported.annotations["_row"].dtype == "int64"
