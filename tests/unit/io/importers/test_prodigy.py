"""Prodigy db-out import: real exports checked against plain-json counts, and every branch on
small synthetic files (choice, binary, manual spans, ignore/reject, bad lines, no annotator)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from labelgate.errors import InputError
from labelgate.io.importers import import_file
from labelgate.io.importers.prodigy import read, task_kind
from tests.conftest import SHARED

PRODIGY = SHARED / "data/real/tool_exports/prodigy"
real = pytest.mark.skipif(
    not (SHARED / "data/real/tool_exports").is_dir(), reason="../shared is absent"
)


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _write(tmp_path: Path, records: list[Any], name: str = "ds.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


# --- real exports -------------------------------------------------------------------------------


@pytest.mark.shared
@real
@pytest.mark.parametrize(
    "name",
    [
        "annotated_reddit-INSULT-textcat.jsonl",
        "annotated_github-issues-DOCUMENTATION-textcat.jsonl",
    ],
)
def test_binary_textcat_counts_match_the_answers_in_the_file(name: str) -> None:
    path = PRODIGY / "prodigy_recipes" / name
    rows = _records(path)
    answers = Counter(r["answer"] for r in rows)
    imported = read(path, name)
    report = imported.report()
    assert report["records"] == len(rows)
    assert report["annotations_kept"] == answers["accept"] + answers["reject"]
    assert report["skipped_by_reason"] == {"skipped": answers["ignore"]}
    assert report["items"] == len({r["_task_hash"] for r in rows})
    assert report["annotators"] == 1
    assert dict(Counter(imported.annotations["label"])) == {
        "accept": answers["accept"],
        "reject": answers["reject"],
    }
    label = rows[0]["label"]
    assert imported.annotations["source_id"].str.endswith(f"label {label}").all()
    assert set(imported.items["question"]) == {label}
    assert set(imported.annotations["annotator_id"]) == {path.stem}


@pytest.mark.shared
@real
def test_insult_file_values_one_repeated_question_and_no_second_annotator() -> None:
    path = PRODIGY / "prodigy_recipes/annotated_reddit-INSULT-textcat.jsonl"
    rows = _records(path)
    assert Counter(r["answer"] for r in rows) == {"reject": 352, "accept": 90, "ignore": 58}
    imported = read(path, "insult.jsonl")
    kept = imported.annotations
    # Agreement input, recomputed with plain json: answered (not ignored) questions per task.
    per_task: dict[str, list[str]] = defaultdict(list)
    annotators: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        if r["answer"] != "ignore":
            per_task[str(r["_task_hash"])].append(r["answer"])
            annotators[str(r["_task_hash"])].add(r.get("_annotator_id") or path.stem)
    repeated = {t for t, a in per_task.items() if len(a) > 1}
    counts = kept.groupby("item_id").size()
    assert set(counts[counts > 1].index) == repeated == {"165431966"}
    assert sum(len(a) > 1 for a in annotators.values()) == 0
    assert kept.groupby("item_id")["annotator_id"].nunique().max() == 1
    assert any("repeat an (item, annotator) pair" in n for n in imported.notes)
    # The model's score and its implied answer; the first record is accepted at 0.73.
    first = kept.iloc[0]
    assert (first["label"], first["suggested_label"]) == ("accept", "accept")
    assert float(first["suggestion_score"]) == pytest.approx(rows[0]["score"])
    implied = ["accept" if r["score"] >= 0.5 else "reject" for r in rows if r["answer"] != "ignore"]
    assert list(kept["suggested_label"]) == implied
    assert kept["_row"].tolist() == [i + 1 for i, r in enumerate(rows) if r["answer"] != "ignore"]


@pytest.mark.shared
@real
def test_ner_teach_spans_are_questions_by_task_hash() -> None:
    path = PRODIGY / "prodigy_recipes/annotated_reddit-PRODUCT-ner.jsonl"
    rows = _records(path)
    imported = read(path, "product.jsonl")
    report = imported.report()
    answers = Counter(r["answer"] for r in rows)
    assert report["annotations_kept"] == answers["accept"] + answers["reject"] == 1714
    assert report["skipped_by_reason"] == {"skipped": answers["ignore"]} == {"skipped": 86}
    assert report["items"] == len({r["_task_hash"] for r in rows}) == 1800
    assert len({r["_input_hash"] for r in rows}) == 1766  # one text, several questions
    assert report["spans"] == 0  # suggested spans are the question, not drawn spans
    single = next(r for r in rows if len(r["spans"]) == 1 and r["answer"] != "ignore")
    row = imported.annotations.set_index("item_id").loc[str(single["_task_hash"])]
    span = single["spans"][0]
    assert float(row["suggestion_score"]) == pytest.approx(span["score"])
    assert row["model_version"] == span["source"]
    assert f"PRODUCT {span['start']}-{span['end']}" in row["source_id"]


@pytest.mark.shared
@real
def test_ner_manual_spans_match_the_file() -> None:
    path = PRODIGY / "prodigy_recipes/annotated_news_headlines-ORG-PERSON-LOCATION-ner.jsonl"
    rows = _records(path)
    imported = read(path, "news.jsonl")
    accepted = [r for r in rows if r["answer"] == "accept"]
    expected = [
        (str(r["_input_hash"]), s["start"], s["end"], s["label"], r["text"][s["start"] : s["end"]])
        for r in accepted
        for s in r.get("spans", [])
    ]
    got = list(
        imported.spans[["item_id", "start", "end", "label", "text"]].itertuples(
            index=False, name=None
        )
    )
    assert got == expected
    assert len(expected) == 303
    assert imported.report()["skipped_by_reason"] == {"skipped": 1}
    assert (imported.annotations["label"] == "").all()
    assert len(imported.annotations) == 372
    assert str(imported.spans["start"].dtype) == "int64"


@pytest.mark.shared
@real
def test_annotator_id_and_timestamp_of_nrodnova() -> None:
    path = PRODIGY / "nrodnova_prodigy_demo/resume-ner-dataset-annotated.jsonl"
    rows = _records(path)
    imported = read(path, "resume.jsonl")
    assert set(imported.annotations["annotator_id"]) == {"resume-ner-natalia"}
    stamps = [
        datetime.fromtimestamp(r["_timestamp"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for r in rows
    ]
    assert imported.annotations["annotated_at"].tolist() == stamps
    assert len(imported.spans) == sum(len(r["spans"]) for r in rows) == 73
    assert not any("annotator" in n for n in imported.notes)


@pytest.mark.shared
@real
@pytest.mark.parametrize(
    ("name", "spans"), [("annotations_prod02", 1477), ("annotations_prod04", 1172)]
)
def test_vidosuba_spans_take_the_text_at_their_offsets(name: str, spans: int) -> None:
    path = PRODIGY / f"vidosuba_slovak_ner/{name}.jsonl"
    rows = _records(path)
    imported = read(path, path.name)
    assert len(imported.spans) == spans
    differs = sum(
        1
        for r in rows
        for s in r["spans"]
        if "text" in s and s["text"] != r["text"][s["start"] : s["end"]]
    )
    assert differs > 0
    assert any(f"offsets: {differs}" in n for n in imported.notes)
    texts = dict(zip(imported.items["item_id"], imported.items["text"], strict=True))
    for item_id, start, end, text in imported.spans[["item_id", "start", "end", "text"]].itertuples(
        index=False
    ):
        assert texts[item_id][start:end] == text
    assert set(imported.annotations["annotator_id"]) == {name}  # _session_id is null


# --- synthetic files: every branch ---------------------------------------------------------------

OPTIONS = [{"id": "POS", "text": "positive"}, {"id": "NEG", "text": "negative"}]


def _choice(
    input_hash: int, who: str, answer: str, accept: list[str], **extra: Any
) -> dict[str, Any]:
    return {
        "text": f"text {input_hash}",
        "options": OPTIONS,
        "accept": accept,
        "answer": answer,
        "_input_hash": input_hash,
        "_task_hash": input_hash * 10,
        "_annotator_id": who,
        "_view_id": "choice",
        **extra,
    }


def test_choice_tasks(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _choice(1, "ann-a", "accept", ["POS"], _timestamp=1700000000),
            _choice(1, "ann-b", "accept", ["NEG"]),
            _choice(2, "ann-a", "accept", ["POS", "NEG"]),
            _choice(2, "ann-b", "reject", ["POS"]),
            _choice(3, "ann-a", "ignore", []),
            _choice(3, "ann-b", "accept", []),
        ],
    )
    imported = read(path, "choice.jsonl")
    a = imported.annotations
    assert a[["item_id", "annotator_id", "label", "labels"]].values.tolist() == [
        ["1", "ann-a", "POS", '["POS"]'],
        ["1", "ann-b", "NEG", '["NEG"]'],
        ["2", "ann-a", "", '["POS","NEG"]'],
    ]
    assert a["annotated_at"].tolist() == ["2023-11-14T22:13:20Z", "", ""]
    assert a["source_id"].iloc[0] == "input_hash 1 task_hash 10"
    assert [(s.row, s.reason) for s in imported.skipped] == [
        (4, "rejected"),
        (5, "skipped"),
        (6, "no_label"),
    ]
    assert "ann-b" in imported.skipped[0].detail
    assert imported.items["item_id"].tolist() == ["1", "2", "3"]
    # Two annotators answered item 1: the agreement input groups them on one item.
    assert (a.groupby("item_id")["annotator_id"].nunique() > 1).sum() == 1
    assert imported.report()["annotations_found"] == 6


def _binary(task: int, answer: str, score: float | None = None, **extra: Any) -> dict[str, Any]:
    record = {
        "text": "you are an idiot",
        "label": "INSULT",
        "answer": answer,
        "_input_hash": 7,
        "_task_hash": task,
        "_session_id": "insults-alex",
        **extra,
    }
    if score is not None:
        record["score"] = score
    return record


def test_binary_tasks(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _binary(70, "accept", 0.9),
            _binary(70, "reject", 0.9, _session_id="insults-bo"),
            _binary(71, "ignore", 0.2),
            _binary(72, "reject", 0.2, label="TOXIC"),
            _binary(73, "accept", meta={"score": 0.4}),
        ],
    )
    imported = read(path, "binary.jsonl")
    a = imported.annotations
    assert a[["item_id", "annotator_id", "label", "suggested_label"]].values.tolist() == [
        ["70", "insults-alex", "accept", "accept"],
        ["70", "insults-bo", "reject", "accept"],
        ["72", "insults-alex", "reject", "reject"],
        ["73", "insults-alex", "accept", "reject"],
    ]
    assert a["suggestion_score"].tolist() == ["0.9", "0.9", "0.2", "0.4"]
    assert a["source_id"].iloc[2] == "input_hash 7 task_hash 72 label TOXIC"
    assert [(s.row, s.reason) for s in imported.skipped] == [(3, "skipped")]
    items = imported.items.set_index("item_id")
    assert items.loc["72", "question"] == "TOXIC"
    assert items.loc["72", "input_hash"] == "7"
    assert any("'_task_hash'" in n for n in imported.notes)


def test_binary_span_task_without_label_key(tmp_path: Path) -> None:
    span = {"start": 0, "end": 3, "label": "ORG", "score": 0.7, "source": "en_core"}
    record = {
        "text": "ACME rocks",
        "spans": [span],
        "answer": "accept",
        "_input_hash": 1,
        "_task_hash": 2,
    }
    assert task_kind(record) == "binary"
    imported = read(_write(tmp_path, [record]), "teach.jsonl")
    row = imported.annotations.iloc[0]
    assert (row["item_id"], row["label"], row["model_version"]) == ("2", "accept", "en_core")
    assert row["source_id"].endswith("label ORG 0-3")
    assert imported.spans.empty


def _manual(input_hash: int, who: str, spans: list[Any], answer: str = "accept") -> dict[str, Any]:
    return {
        "text": "Anna met Bob in Paris",
        "spans": spans,
        "tokens": [],
        "answer": answer,
        "_view_id": "ner_manual",
        "_input_hash": input_hash,
        "_task_hash": input_hash + 1,
        "_annotator_id": who,
    }


def test_manual_span_tasks(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _manual(
                1,
                "a",
                [{"start": 0, "end": 4, "label": "PER"}, {"start": 16, "end": 21, "label": "LOC"}],
            ),
            _manual(1, "b", [{"start": 0, "end": 4, "label": "PER", "text": "Ann"}]),
            _manual(1, "c", [], answer="reject"),
            _manual(1, "d", [{"start": 9, "end": 40, "label": "PER"}]),
            _manual(1, "e", [{"start": 9, "end": 12}]),
            _manual(1, "f", [], answer="ignore"),
            _manual(1, "g", []),
        ],
    )
    imported = read(path, "manual.jsonl")
    assert imported.annotations["annotator_id"].tolist() == ["a", "b", "g"]
    assert (imported.annotations["label"] == "").all()
    spans = imported.spans[["annotator_id", "start", "end", "label", "text"]].values.tolist()
    assert spans == [
        ["a", 0, 4, "PER", "Anna"],
        ["a", 16, 21, "LOC", "Paris"],
        ["b", 0, 4, "PER", "Anna"],
    ]
    reasons = [(s.row, s.reason) for s in imported.skipped]
    assert reasons == [(3, "rejected"), (4, "malformed_row"), (5, "malformed_row"), (6, "skipped")]
    assert "span 9-40 is outside the text (21 characters)" in imported.skipped[1].detail
    assert "has no 'label'" in imported.skipped[2].detail
    assert any("offsets: 1" in n for n in imported.notes)


def test_bad_lines_become_skipped_records(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = json.dumps(_binary(1, "accept"))
    path.write_bytes(
        b"\n".join(
            [
                good.encode(),
                b"{not json",
                b"[1, 2]",
                b'{"text": "\xff\xfe", "answer": "accept"}',
                b"",
                b'{"answer": "accept", "answer": "reject", "_input_hash": 1, "_task_hash": 1}',
                json.dumps(_binary(2, "maybe")).encode(),
                b'{"text": "x", "answer": "accept"}',
            ]
        )
        + b"\n"
    )
    imported = read(path, "bad.jsonl")
    assert len(imported.annotations) == 1
    assert [(s.row, s.reason) for s in imported.skipped] == [
        (2, "malformed_row"),
        (3, "malformed_row"),
        (4, "bad_encoding"),
        (6, "malformed_row"),
        (7, "malformed_row"),
        (8, "malformed_row"),
    ]
    details = [s.detail for s in imported.skipped]
    assert details[0].startswith("invalid JSON")
    assert details[1].startswith("not a JSON object")
    assert "duplicate key 'answer'" in details[3]
    assert "'answer' is 'maybe'" in details[4]
    assert "_input_hash" in details[5]
    assert imported.records == 7  # the blank line is no record


def test_missing_annotator_uses_session_then_file_name(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _binary(1, "accept", _session_id=None),
            _binary(2, "accept"),
            _binary(3, "accept", _session_id="", _annotator_id="x"),
        ],
        name="my-dataset.jsonl",
    )
    imported = read(path, "my-dataset.jsonl")
    assert imported.annotations["annotator_id"].tolist() == ["my-dataset", "insults-alex", "x"]
    assert any("'_session_id'" in n and ": 1;" in n and "'my-dataset'" in n for n in imported.notes)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "has no records"),
        ('{"text": "a", "_input_hash": 1, "_task_hash": 2}\n', "not annotations"),
    ],
)
def test_whole_file_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read(path, "data/x.jsonl")
    assert caught.value.problems[0].file == "data/x.jsonl"
    assert message in caught.value.problems[0].message
    assert "db-out" in caught.value.problems[0].fix


def test_missing_file_directory_and_utf16(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read(tmp_path / "nope.jsonl", "nope.jsonl")
    with pytest.raises(InputError, match="is a directory"):
        read(tmp_path, "dir")
    utf16 = tmp_path / "u.jsonl"
    utf16.write_bytes('{"a": 1}\n'.encode("utf-16"))
    with pytest.raises(InputError, match="UTF-16"):
        read(utf16, "u.jsonl")


def test_registered_in_formats(tmp_path: Path) -> None:
    imported = import_file(
        _write(tmp_path, [_binary(1, "accept")]), "prodigy", "p.jsonl", "ignored"
    )
    assert imported.file_format == "prodigy"
    assert any("control 'ignored' is ignored" in n for n in imported.notes)
