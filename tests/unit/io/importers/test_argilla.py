"""The Argilla importer: real Argilla 2.x `to_disk` exports (counts recomputed here with plain json,
and the DynToM annotators' pairwise Cohen's kappa recomputed from records.json), and synthetic
1.x FeedbackDataset, Hugging Face-format, draft/discarded, multi-label, ranking and span files."""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from labelgate.errors import InputError
from labelgate.io.importers.argilla import read
from labelgate.io.importers.base import ANNOTATION_COLUMNS, PREDICTION_COLUMNS, SPAN_COLUMNS
from tests.conftest import SHARED

REAL = SHARED / "data/real/tool_exports/argilla"
needs_shared = pytest.mark.skipif(
    not (SHARED / "data/real/tool_exports").is_dir(), reason="../shared is absent"
)
DYNTOM_META = "dyntom_human_eval/meta"
DYNTOM_SCRIPT = "dyntom_human_eval/script110"
META_QUESTIONS = (
    "rating_of_mental_state_influence",
    "rating_of_mental_state_change",
    "rating_of_plot_consistency",
    "rating_of_social_context_consistency",
    "rating_of_dialogue_real",
)


def write_json(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


def write_lines(path: Path, *records: Any) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def to_disk(
    folder: Path, records: list[Any], questions: list[dict[str, Any]], fields: list[str]
) -> Path:
    """A folder shaped as Argilla 2.x `Dataset.to_disk` writes it."""
    write_json(folder / "records.json", records)
    settings = {
        "questions": [
            {"name": q["name"], "settings": {k: v for k, v in q.items() if k != "name"}}
            for q in questions
        ],
        "fields": [{"name": f, "settings": {"type": "text"}} for f in fields],
        "metadata": [],
        "distribution": {"strategy": "overlap", "min_submitted": 1},
    }
    write_json(folder / ".argilla" / "settings.json", settings)
    return folder


def by_reason(skipped: list[Any]) -> dict[str, int]:
    return dict(Counter(s.reason for s in skipped))


# --- real exports -----------------------------------------------------------------------------


def expected(folder: str, question: str, strip: bool = False) -> dict[str, Any]:
    """Counts for one question of a to_disk export, from records.json with plain json."""
    records = json.loads((REAL / folder / "records.json").read_text(encoding="utf-8"))
    kept = no_label = 0
    annotators: set[str] = set()
    for record in records:
        users = {e["user_id"] for entries in record["responses"].values() for e in entries}
        answered = {}
        for entry in record["responses"].get(question, []):
            value = entry["value"]
            if strip and isinstance(value, str):
                value = value.strip()
            if value not in (None, ""):
                answered[entry["user_id"]] = value
        kept += len(answered)
        no_label += len(users - set(answered))
        annotators |= set(answered)
    return {
        "records": len(records),
        "items": len(records),
        "kept": kept,
        "no_label": no_label,
        "annotators": len(annotators),
        "suggestions": sum(1 for r in records if question in r["suggestions"]),
    }


REAL_CASES = [(DYNTOM_META, question, False) for question in META_QUESTIONS] + [
    (DYNTOM_SCRIPT, None, True),
    ("bubbleee030_preference", None, False),
    ("bubbleee030_preference", "reasoning", True),
    ("cerberus_guardrails", None, False),
]


@needs_shared
@pytest.mark.parametrize(("folder", "question", "strip"), REAL_CASES)
def test_real_exports_match_counts_from_plain_json(
    folder: str, question: str | None, strip: bool
) -> None:
    imported = read(REAL / folder, folder, question)
    want = expected(folder, imported.control, strip)
    report = imported.report()
    assert report["records"] == want["records"]
    assert report["items"] == want["items"]
    assert report["annotations_kept"] == want["kept"]
    assert report["annotators"] == want["annotators"]
    assert report["skipped_by_reason"] == (
        {"no_label": want["no_label"]} if want["no_label"] else {}
    )
    assert report["predictions"] == want["suggestions"]
    assert tuple(imported.annotations.columns) == (*ANNOTATION_COLUMNS, "_row")
    assert (imported.annotations["annotated_at"] == "").all()
    assert any("no status" in note for note in imported.notes)


@needs_shared
def test_real_defaults_and_the_documented_numbers() -> None:
    assert read(REAL / DYNTOM_SCRIPT, DYNTOM_SCRIPT).control == "question"  # its only question
    assert read(REAL / "bubbleee030_preference", "b").control == "preference_selection"
    meta = pd.concat([read(REAL / DYNTOM_META, "m", q).annotations for q in META_QUESTIONS])
    assert len(meta) == 895  # SOURCES.md: 895 responses, values 3/4/5 only
    assert meta["label"].value_counts().to_dict() == {"5": 618, "4": 200, "3": 77}
    script = read(REAL / DYNTOM_SCRIPT / "records.json", "script110/records.json")
    assert len(script.annotations) == 219
    assert not script.annotations["label"].str.contains("\n").any()  # 'c\n' and 'd\n\n' stripped
    assert any(
        note.startswith("Text answers with leading") and ": 2;" in note for note in script.notes
    )
    cerberus = read(REAL / "cerberus_guardrails", "c")
    assert set(cerberus.annotations["label"]) == {"safe"}
    assert set(cerberus.annotations["suggested_label"]) == {"unsafe"}
    assert cerberus.predictions["score"].isna().all()
    assert cerberus.items.columns.tolist() == ["item_id", "prompt", "_row"]
    preference = read(REAL / "bubbleee030_preference", "b")
    twice = preference.annotations.groupby("item_id")["annotator_id"].nunique()
    assert (twice == 2).sum() == 8  # SOURCES.md: 8 records answered by both annotators


def kappas_from_records(folder: str, question: str, strip: bool) -> dict[tuple[str, str], float]:
    records = json.loads((REAL / folder / "records.json").read_text(encoding="utf-8"))
    answers: dict[str, dict[str, Any]] = {}
    for record in records:
        for entry in record["responses"].get(question, []):
            value = entry["value"].strip() if strip else entry["value"]
            answers.setdefault(entry["user_id"], {})[record["id"]] = value
    result = {}
    for first, second in itertools.combinations(sorted(answers), 2):
        both = sorted(set(answers[first]) & set(answers[second]))
        result[(first, second)] = cohen_kappa_score(
            [answers[first][i] for i in both], [answers[second][i] for i in both]
        )
    return result


def kappas_from_table(annotations: pd.DataFrame) -> dict[tuple[str, str], float]:
    grid = annotations.pivot(index="item_id", columns="annotator_id", values="label")
    result = {}
    for first, second in itertools.combinations(sorted(grid.columns), 2):
        pair = grid[[first, second]].dropna()
        result[(first, second)] = cohen_kappa_score(pair[first], pair[second])
    return result


@needs_shared
@pytest.mark.parametrize(
    ("folder", "question", "strip"),
    [(DYNTOM_META, q, False) for q in META_QUESTIONS] + [(DYNTOM_SCRIPT, "question", True)],
)
def test_dyntom_pairwise_kappa_from_the_import_equals_kappa_from_records_json(
    folder: str, question: str, strip: bool
) -> None:
    want = kappas_from_records(folder, question, strip)
    got = kappas_from_table(read(REAL / folder, folder, question).annotations)
    assert len(want) == 3
    assert got.keys() == want.keys()
    for pair, value in want.items():
        assert math.isfinite(value)
        assert abs(got[pair] - value) <= 1e-12, (question, pair)


@needs_shared
def test_real_folder_of_folders_and_several_ratings_name_the_way_out() -> None:
    with pytest.raises(InputError, match="holds 2 Argilla export folders") as caught:
        read(REAL / "dyntom_human_eval", "dyntom_human_eval")
    assert "dyntom_human_eval/meta" in str(caught.value)
    with pytest.raises(InputError, match="has 5 questions") as caught:
        read(REAL / DYNTOM_META, DYNTOM_META)
    assert "--field" in str(caught.value)
    assert "rating_of_dialogue_real" in str(caught.value)


# --- Argilla 2.x to_disk, synthetic -----------------------------------------------------------


def test_status_draft_discarded_no_value_and_malformed(tmp_path: Path) -> None:
    records = [
        {
            "id": "r1",
            "fields": {"text": "good film"},
            "metadata": {"source": "imdb"},
            "responses": {
                "sentiment": [
                    {"value": "pos", "user_id": "u1", "status": "submitted"},
                    {"value": "neg", "user_id": "u2", "status": "draft"},
                    {"value": "pos", "user_id": "u3", "status": "discarded"},
                    {"value": None, "user_id": "u4", "status": "submitted"},
                ],
                "comment": [{"value": "fine", "user_id": "u5", "status": "submitted"}],
            },
            "suggestions": {"sentiment": {"value": "pos", "score": 0.75, "agent": "clf-v2"}},
        },
        "not a record",
        {
            "id": "r3",
            "fields": {"text": "bad"},
            "responses": {"sentiment": [{"value": {"x": 1}, "user_id": "u1"}]},
        },
        {
            "id": "r4",
            "fields": {"text": "meh"},
            "responses": {"sentiment": [{"value": "neg", "user_id": "u1", "status": "weird"}]},
        },
        {
            "_server_id": "s5",
            "fields": {"text": "ok"},
            "responses": {"sentiment": [{"value": "neg", "user_id": "u1"}]},
        },
    ]
    folder = to_disk(
        tmp_path / "export",
        records,
        [{"name": "sentiment", "type": "label_selection"}, {"name": "comment", "type": "text"}],
        ["text"],
    )
    imported = read(folder, "export")
    assert imported.control == "sentiment"
    assert imported.records == 5
    assert by_reason(imported.skipped) == {
        "draft": 1,
        "discarded": 1,
        "no_label": 2,
        "malformed_row": 3,
    }
    rows = imported.annotations
    assert rows[["item_id", "annotator_id", "label", "_row"]].values.tolist() == [
        ["r1", "u1", "pos", 1],
        ["s5", "u1", "neg", 5],  # no id: the _server_id
    ]
    first = rows.iloc[0]
    assert (first["suggested_label"], first["suggestion_score"], first["model_version"]) == (
        "pos",
        "0.75",
        "clf-v2",
    )
    assert first["source_id"] == "record r1 user u1"
    assert imported.predictions[list(PREDICTION_COLUMNS)].values.tolist() == [
        ["r1", "pos", 0.75, "clf-v2", "clf-v2", "record r1 suggestion"]
    ]
    assert imported.items["item_id"].tolist() == ["r1", "r3", "r4", "s5"]
    assert imported.items.loc[0, "metadata"] == '{"source": "imdb"}'
    details = [(s.row, s.reason, s.detail) for s in imported.skipped]
    assert (
        2,
        "malformed_row",
        'record 2: it is a JSON string, not an object: "not a record"',
    ) in details
    assert (
        1,
        "no_label",
        "record 1 (id 'r1'), user 'u5': no value for 'sentiment' (it answers 'comment')",
    ) in details
    assert (
        1,
        "draft",
        "record 1 (id 'r1'), user 'u2': a draft response to 'sentiment': \"neg\"",
    ) in details
    assert any('status "weird" is none of submitted, draft, discarded' in d for _, _, d in details)
    assert any('the answer {"x": 1} is not one label' in d for _, _, d in details)
    assert not any("no status" in note for note in imported.notes)


def test_multi_label_ranking_and_rating_values(tmp_path: Path) -> None:
    records = [
        {
            "id": "r1",
            "fields": {"text": "a"},
            "responses": {
                "topics": [
                    {"value": ["sport", "politics"], "user_id": "u1"},
                    {"value": ["sport"], "user_id": "u2"},
                    {"value": [], "user_id": "u3"},
                ],
                "order": [{"value": ["b", "a"], "user_id": "u1"}],
                "stars": [{"value": 4.0, "user_id": "u1"}, {"value": "x", "user_id": "u2"}],
            },
            "suggestions": {
                "topics": {"value": ["sport", "news"], "score": [0.9, 0.4], "agent": "m"}
            },
        }
    ]
    questions = [
        {"name": "topics", "type": "multi_label_selection"},
        {"name": "order", "type": "ranking"},
        {"name": "stars", "type": "rating"},
    ]
    folder = to_disk(tmp_path / "e", records, questions, ["text"])
    with pytest.raises(InputError, match="has 3 questions, 2 of them"):
        read(folder, "e")
    topics = read(folder, "e", "topics")
    assert topics.annotations[["annotator_id", "label", "labels"]].values.tolist() == [
        ["u1", "", '["sport","politics"]'],
        ["u2", "sport", '["sport"]'],
    ]
    assert by_reason(topics.skipped) == {"no_label": 1}
    assert topics.annotations.loc[0, "suggested_label"] == '["sport","news"]'
    assert topics.predictions[["label", "score"]].values.tolist() == [["sport", 0.9], ["news", 0.4]]
    order = read(folder, "e", "order")
    assert order.annotations["label"].tolist() == ['["b","a"]']
    stars = read(folder, "e", "stars")
    assert stars.annotations["label"].tolist() == ["4"]
    assert [s.reason for s in stars.skipped if "'x'" in s.detail or '"x"' in s.detail] == [
        "malformed_row"
    ]


def test_span_question_gives_span_rows_with_the_text(tmp_path: Path) -> None:
    text = "Ada Lovelace met Babbage in London."
    records = [
        {
            "id": "r1",
            "fields": {"title": "t", "body": text},
            "responses": {
                "entities": [
                    {
                        "value": [
                            {"start": 0, "end": 12, "label": "PER"},
                            {"start": 28, "end": 34, "label": "LOC"},
                        ],
                        "user_id": "u1",
                    },
                    {"value": [], "user_id": "u2"},
                    {"value": [{"start": 30, "end": 99, "label": "LOC"}], "user_id": "u3"},
                ]
            },
        }
    ]
    folder = to_disk(
        tmp_path / "e",
        records,
        [{"name": "entities", "type": "span", "field": "body"}],
        ["title", "body"],
    )
    imported = read(folder, "e")
    assert imported.annotations[["annotator_id", "label"]].values.tolist() == [
        ["u1", ""],
        ["u2", ""],
    ]
    assert imported.spans[list(SPAN_COLUMNS)].values.tolist() == [
        ["r1", "u1", 0, 12, "PER", "Ada Lovelace", "record r1 user u1 span 1"],
        ["r1", "u1", 28, 34, "LOC", "London", "record r1 user u1 span 2"],
    ]
    assert imported.spans["start"].dtype == "int64"
    assert [s.reason for s in imported.skipped] == ["malformed_row"]
    assert "out of range (field 'body' is 35 characters)" in imported.skipped[0].detail


def test_without_settings_questions_are_inferred_and_several_need_field(tmp_path: Path) -> None:
    records = [
        {
            "id": "a",
            "fields": {"text": "x"},
            "responses": {
                "label": [{"value": "yes", "user_id": "u1"}],
                "score": [{"value": 3, "user_id": "u1"}],
            },
        },
    ]
    path = write_json(tmp_path / "records.json", records)
    with pytest.raises(InputError) as caught:
        read(path, "records.json")
    message = str(caught.value)
    assert "'label' (label_selection), 'score' (rating)" in message
    assert "Pass --field QUESTION" in message
    imported = read(path, "records.json", "score")
    assert imported.annotations["label"].tolist() == ["3"]
    assert any("inferred" in note for note in imported.notes)
    with pytest.raises(InputError, match="Did you mean 'label'"):
        read(path, "records.json", "lable")


# --- Argilla 1.x FeedbackDataset and Hugging Face-format records ------------------------------


def test_v1_feedback_dataset_records_in_a_json_list_and_in_json_lines(tmp_path: Path) -> None:
    records = [
        {
            "fields": {"prompt": "2+2?", "answer": "4"},
            "external_id": "q1",
            "id": "8f1c",
            "metadata": {"split": "dev"},
            "responses": [
                {
                    "user_id": "ann-1",
                    "values": {"correct": {"value": "yes"}, "note": {"value": "ok"}},
                    "status": "submitted",
                    "updated_at": "2023-10-01T10:00:00",
                },
                {"user_id": "ann-2", "values": {"correct": {"value": "no"}}, "status": "draft"},
                {"user_id": "ann-3", "values": {}, "status": "discarded"},
                {"user_id": "ann-4", "values": {"note": {"value": "skip"}}, "status": "submitted"},
            ],
            "suggestions": [
                {"question_name": "correct", "value": "yes", "score": 0.6, "agent": "gpt-x"}
            ],
        },
        {
            "fields": {"prompt": "3+3?", "answer": "7"},
            "responses": [
                {"user_id": "ann-1", "values": {"correct": {"value": "no"}}, "status": "submitted"}
            ],
        },
    ]
    for path in (
        write_json(tmp_path / "v1.json", records),
        write_lines(tmp_path / "v1.jsonl", *records),
    ):
        with pytest.raises(InputError, match="has 2 questions"):
            read(path, path.name)
        imported = read(path, path.name, "correct")
        assert imported.annotations[
            ["item_id", "annotator_id", "label", "annotated_at"]
        ].values.tolist() == [
            ["q1", "ann-1", "yes", "2023-10-01T10:00:00"],
            ["record-2", "ann-1", "no", ""],
        ]
        assert by_reason(imported.skipped) == {"draft": 1, "discarded": 1, "no_label": 1}
        assert imported.predictions[["item_id", "label", "score", "model"]].values.tolist() == [
            ["q1", "yes", 0.6, "gpt-x"]
        ]
        assert imported.items.columns.tolist() == [
            "item_id",
            "prompt",
            "answer",
            "metadata",
            "_row",
        ]
        assert any("'record-N'" in note for note in imported.notes)


def test_hugging_face_format_v1_rows_list_and_struct_layouts(tmp_path: Path) -> None:
    rows = [
        {
            "text": "great",
            "label": [
                {"user_id": "u1", "value": "positive", "status": "submitted"},
                {"user_id": "u2", "value": "negative", "status": "discarded"},
            ],
            "label-suggestion": "positive",
            "label-suggestion-metadata": {"type": "model", "score": 0.8, "agent": "distilbert"},
            "external_id": "e1",
            "metadata": '{"lang": "en"}',
        },
        {
            "text": "awful",
            "label": {
                "user_id": ["u1", "u2"],
                "value": ["negative", "negative"],
                "status": ["submitted", "draft"],
            },
            "label-suggestion": None,
            "label-suggestion-metadata": {"type": None, "score": None, "agent": None},
            "external_id": "e2",
            "metadata": "{}",
        },
    ]
    imported = read(write_lines(tmp_path / "hf.jsonl", *rows), "hf.jsonl")
    assert imported.control == "label"
    assert imported.annotations[
        ["item_id", "annotator_id", "label", "suggested_label", "model_version"]
    ].values.tolist() == [
        ["e1", "u1", "positive", "positive", "distilbert"],
        ["e2", "u1", "negative", "", ""],
    ]
    assert by_reason(imported.skipped) == {"discarded": 1, "draft": 1}
    assert imported.items.columns.tolist() == ["item_id", "text", "metadata", "_row"]
    assert imported.items["metadata"].tolist() == ['{"lang": "en"}', ""]
    assert imported.predictions[["item_id", "label", "score"]].values.tolist() == [
        ["e1", "positive", 0.8]
    ]


def test_hugging_face_format_v2_flat_rows(tmp_path: Path) -> None:
    rows = [
        {
            "id": "r1",
            "_server_id": "s1",
            "status": "completed",
            "text": "hello",
            "label.responses": ["pos", "neg"],
            "label.responses.users": ["u1", "u2"],
            "label.responses.status": ["submitted", "draft"],
            "label.suggestion": "pos",
            "label.suggestion.score": 0.5,
            "label.suggestion.agent": "m1",
        },
        {
            "id": "r2",
            "_server_id": "s2",
            "status": "pending",
            "text": "bye",
            "label.responses": None,
            "label.responses.users": None,
            "label.responses.status": None,
            "label.suggestion": None,
            "label.suggestion.score": None,
            "label.suggestion.agent": None,
        },
        {
            "id": "r3",
            "text": "x",
            "label.responses": ["pos"],
            "label.responses.users": ["u1", "u2"],
        },
    ]
    imported = read(write_json(tmp_path / "flat.json", rows), "flat.json")
    assert imported.annotations[
        ["item_id", "annotator_id", "label", "suggestion_score"]
    ].values.tolist() == [["r1", "u1", "pos", "0.5"]]
    assert by_reason(imported.skipped) == {"draft": 1, "malformed_row": 1}
    assert (
        "not lists of the same length"
        in next(s for s in imported.skipped if s.reason == "malformed_row").detail
    )
    assert imported.items.columns.tolist() == ["item_id", "text", "_row"]
    assert imported.items["item_id"].tolist() == ["r1", "r2"]


# --- whole-file problems ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("", "is empty"),
        ("[]", "has no records"),
        ('{"a": 1}', "holds a JSON object, not a list of Argilla records"),
        ('[{"id": "a",', "is not JSON: .* at line 1"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_whole_file_problems_name_the_file_and_the_fix(
    tmp_path: Path, content: str, match: str
) -> None:
    path = tmp_path / "records.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=match) as caught:
        read(path, "exports/records.json")
    assert str(caught.value).startswith("exports/records.json")


def test_missing_path_binary_file_and_folder_without_records(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read(tmp_path / "nope.json", "nope.json")
    with pytest.raises(InputError, match=r"folder without records\.json"):
        read(tmp_path, "empty-folder")
    binary = tmp_path / "records.bin"
    binary.write_bytes(b"[\xff\xfe\x00]")
    with pytest.raises(InputError, match=r"UTF-16|not UTF-8"):
        read(binary, "records.bin")
    broken = tmp_path / "e"
    write_json(broken / "records.json", [{"id": "a", "fields": {}, "responses": {}}])
    (broken / ".argilla").mkdir()
    (broken / ".argilla" / "settings.json").write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match=r"e/\.argilla/settings\.json: is not readable JSON"):
        read(broken, "e")


def test_json_lines_bad_lines_are_malformed_rows(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    good = {"id": "a", "fields": {"t": "x"}, "responses": {"q": [{"value": "y", "user_id": "u"}]}}
    path.write_text(json.dumps(good) + "\n{broken\n\n" + "[" * 50_000 + "\n[1]\n", encoding="utf-8")
    imported = read(path, "records.jsonl")
    assert imported.records == 4
    assert [(s.row, s.reason) for s in imported.skipped] == [
        (2, "malformed_row"),
        (4, "malformed_row"),
        (5, "malformed_row"),
    ]
    assert imported.annotations["label"].tolist() == ["y"]


def test_json_lines_in_a_json_file_missing_user_and_unreadable_records(tmp_path: Path) -> None:
    path = tmp_path / "records.json"
    first = {"id": "a", "fields": {"t": "x"}, "responses": {"q": [{"value": "y", "user_id": None}]}}
    second = {"id": "b", "fields": {"t": "x"}, "responses": {"q": [{"value": "z", "user_id": "u"}]}}
    write_lines(path, first, second)
    imported = read(path, "records.json")
    assert imported.annotations[["item_id", "annotator_id", "label"]].values.tolist() == [
        ["a", "", "y"],
        ["b", "u", "z"],
    ]
    assert any(note.startswith("Answers without a user_id: 1;") for note in imported.notes)
    struct = {"text": "a", "label": {"user_id": ["u1", "u2"], "value": ["x"], "status": None}}
    write_json(path, [struct])
    with pytest.raises(InputError, match="1 of its records are malformed") as caught:
        read(path, "records.json")
    assert "user_id, value and status lists of different lengths" in str(caught.value)
