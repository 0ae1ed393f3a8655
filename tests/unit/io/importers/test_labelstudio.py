"""The Label Studio importer: full JSON, JSON-MIN and CSV exports onto the canonical tables."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from labelgate.errors import InputError
from labelgate.io.importers.base import ANNOTATION_COLUMNS, Imported
from labelgate.io.importers.labelstudio import read_csv, read_json, read_json_min
from tests.conftest import SHARED

REAL = SHARED / "data/real/tool_exports/labelstudio"
needs_shared = pytest.mark.skipif(
    not (SHARED / "data/real/tool_exports").is_dir(), reason="../shared is absent"
)


def _write(tmp_path: Path, data: Any, name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def _result(from_name: str, kind: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"from_name": from_name, "to_name": "text", "type": kind, "value": value}


def _annotation(aid: int, *results: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": aid,
        "completed_by": {"id": aid % 3 + 1, "email": f"a{aid % 3 + 1}@example.com"},
        "result": list(results),
        "was_cancelled": False,
        "ground_truth": False,
        "created_at": "2024-05-15T12:09:16.789536Z",
        "lead_time": 3.5,
        **extra,
    }


def _task(tid: int, *annotations: Any, **extra: Any) -> dict[str, Any]:
    return {"id": tid, "data": {"text": f"text {tid}"}, "annotations": list(annotations), **extra}


def _choice(*values: str, name: str = "sentiment") -> dict[str, Any]:
    return _result(name, "choices", {"choices": list(values)})


def _import(tmp_path: Path, tasks: Any, control: str | None = None) -> Imported:
    return read_json(_write(tmp_path, tasks), "export.json", control)


def _reasons(imported: Imported) -> dict[str, int]:
    counts: dict[str, int] = imported.report()["skipped_by_reason"]
    return counts


# --- real exports ----------------------------------------------------------------------------

# Every full JSON export in ../shared, with the control to import where it has several.
REAL_JSON = {
    "ls_converter_tests/test_export_csv_csv_test.json": None,
    "ls_converter_tests/test_export_csv_csv_test2.json": None,
    "ls_converter_tests/test_export_csv_csv_test_history.json": None,
    "ls_converter_tests/test_export_json_min_data.json": None,
    "ls_converter_tests/test_export_json_min_data_repeater.json": "categories_0",
    "ls_sdk_tests/test_export_csv_csv_test_colliding_keys.json": None,
    "ls_sdk_tests/test_export_csv_csv_test_colliding_keys_mixed.json": None,
    "ls_sdk_tests/test_export_doclang_data.json": "doclang",
    "ls_sdk_tests/test_export_json_min_chat_data.json": None,
}


def _annotator(completed_by: Any) -> str:
    if isinstance(completed_by, dict):
        return str(completed_by.get("email") or completed_by["id"])
    return "" if completed_by is None else str(completed_by)


@needs_shared
@pytest.mark.parametrize(("name", "control"), sorted(REAL_JSON.items()))
def test_real_json_exports_account_for_every_annotation(name: str, control: str | None) -> None:
    tasks = json.loads((REAL / name).read_text(encoding="utf-8"))
    annotations = [(t, a) for t in tasks for a in t.get("annotations", [])]
    imported = read_json(REAL / name, name, control)
    report = imported.report()
    assert report["records"] == len(tasks)
    assert report["items"] == len({t["id"] for t in tasks})
    assert report["annotations_found"] == len(annotations)
    assert _reasons(imported).get("cancelled", 0) == sum(
        bool(a.get("was_cancelled")) for _, a in annotations
    )
    assert list(imported.annotations.columns) == [*ANNOTATION_COLUMNS, "_row"]
    kept = [(t, a) for t, a in annotations if not a.get("was_cancelled")]
    expected = {_annotator(a.get("completed_by")) for _, a in kept}
    assert set(imported.annotations["annotator_id"]) <= expected
    for source in imported.annotations["source_id"]:
        assert source.startswith("task ")


@needs_shared
def test_real_json_with_objects_as_completed_by_and_a_prediction() -> None:
    path = REAL / "ls_converter_tests/test_export_csv_csv_test.json"
    tasks = json.loads(path.read_text(encoding="utf-8"))
    imported = read_json(path, path.name)
    frame = imported.annotations
    assert imported.control == "label"
    assert list(frame["item_id"]) == [str(t["id"]) for t in tasks]
    assert list(frame["annotator_id"]) == [
        t["annotations"][0]["completed_by"]["email"] for t in tasks
    ]
    first = tasks[0]["annotations"][0]
    boxes = [r["value"]["rectanglelabels"][0] for r in tasks[1]["annotations"][0]["result"]]
    # Image boxes keep their labels, not a single per-item label.
    assert json.loads(frame["labels"][1]) == boxes
    assert list(frame["label"]) == ["", ""]
    assert frame["source_id"][0] == f"task {tasks[0]['id']} annotation {first['id']}"
    assert frame["annotated_at"][0] == first["created_at"]
    assert float(frame["duration_s"][0]) == first["lead_time"]
    assert float(frame["suggestion_score"][0]) == pytest.approx(first["prediction"]["score"])
    assert frame["model_version"][0] == first["prediction"]["model_version"]
    assert list(frame["_row"]) == [1, 2]
    assert any("rectanglelabels" in note for note in imported.notes)


@needs_shared
def test_real_json_choice_with_quotes_newlines_and_cyrillic_is_kept_exactly() -> None:
    path = REAL / "ls_converter_tests/test_export_csv_csv_test2.json"
    task = json.loads(path.read_text(encoding="utf-8"))[0]
    imported = read_json(path, path.name)
    choice = task["annotations"][0]["result"][0]["value"]["choices"][0]
    assert imported.annotations["label"].tolist() == [choice]
    assert imported.annotations["annotator_id"].tolist() == ["test@heartex.com"]
    items = imported.items.iloc[0]
    assert items["item_id"] == str(task["id"])
    assert json.loads(items["writers"]) == task["data"]["writers"]
    assert items["iswcs"] == "[]"
    assert items["provider"] == ""  # null
    assert items["title"] == task["data"]["title"]


@needs_shared
def test_real_json_min_source_with_an_int_completed_by() -> None:
    path = REAL / "ls_converter_tests/test_export_json_min_data.json"
    task = json.loads(path.read_text(encoding="utf-8"))[0]
    imported = read_json(path, path.name)
    assert imported.annotations["annotator_id"].tolist() == [
        str(task["annotations"][0]["completed_by"])
    ]


@needs_shared
def test_real_repeater_needs_a_control_and_joins_taxonomy_paths() -> None:
    path = REAL / "ls_converter_tests/test_export_json_min_data_repeater.json"
    with pytest.raises(InputError) as caught:
        read_json(path, "repeater.json")
    message = str(caught.value)
    assert "repeater.json" in message
    assert "--field" in message
    assert "'categories_0' (taxonomy" in message
    assert "'labels_0' (rectanglelabels" in message
    imported = read_json(path, "repeater.json", "categories_0")
    assert imported.annotations["label"].tolist() == ["Archaea"]
    assert any("labels_0" in note for note in imported.notes)


@needs_shared
def test_real_doclang_cancelled_and_missing_control() -> None:
    path = REAL / "ls_sdk_tests/test_export_doclang_data.json"
    imported = read_json(path, path.name, "doclang")
    assert _reasons(imported) == {"cancelled": 1, "no_label": 1}
    assert imported.annotations["source_id"].tolist() == ["task 1 annotation 11"]
    assert imported.annotations["label"][0].startswith("<doclang>")
    regions = read_json(path, path.name, "docling")
    assert regions.annotations["labels"].tolist() == ['["Section-header"]', '["Text"]']
    with pytest.raises(InputError, match="Did you mean 'docling'"):
        read_json(path, path.name, "docln")


@needs_shared
def test_real_csv_export_reads_tabs_and_json_cells() -> None:
    path = REAL / "ls_converter_tests/test_export_csv_csv_test2_result.csv"
    source = json.loads((REAL / "ls_converter_tests/test_export_csv_csv_test2.json").read_text())
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    # This export has no control column (the converter was given none): say so, list columns.
    with pytest.raises(InputError) as caught:
        read_csv(path, "result.csv")
    assert "--field" in str(caught.value)
    assert "'writers'" in str(caught.value)
    imported = read_csv(path, "result.csv", "title")
    assert imported.report()["annotations_kept"] == len(rows) == 1
    row = imported.annotations.iloc[0]
    assert row["item_id"] == rows[0]["id"] == str(source[0]["id"])
    assert row["annotator_id"] == rows[0]["annotator"]
    assert row["label"] == source[0]["data"]["title"]
    assert row["source_id"] == f"task {rows[0]['id']} annotation {rows[0]['annotation_id']}"
    assert row["_row"] == 2  # the header is record 1
    items = imported.items.iloc[0]
    for name in ("writers", "alternative_titles", "iswcs_1"):
        assert json.loads(items[name]) == source[0]["data"][name]
    assert "agreement" not in imported.items.columns  # Label Studio's own column


# --- control types ---------------------------------------------------------------------------


def test_single_and_multiple_choices(tmp_path: Path) -> None:
    tasks = [
        _task(1, _annotation(10, _choice("Positive"))),
        _task(2, _annotation(11, _choice("Positive", "Sarcastic"))),
    ]
    imported = _import(tmp_path, tasks)
    frame = imported.annotations
    assert frame["label"].tolist() == ["Positive", ""]
    assert frame["labels"].tolist() == ['["Positive"]', '["Positive","Sarcastic"]']
    assert frame["annotator_id"].tolist() == ["a2@example.com", "a3@example.com"]
    assert frame["annotated_at"].tolist() == ["2024-05-15T12:09:16.789536Z"] * 2
    assert frame["duration_s"].tolist() == ["3.5", "3.5"]
    assert imported.skipped == []
    assert any("several values: 1" in note for note in imported.notes)


def test_taxonomy_rating_textarea_and_number(tmp_path: Path) -> None:
    cases: dict[str, tuple[dict[str, Any], str]] = {
        "taxonomy": ({"taxonomy": [["Animal", "Mammal"]]}, "Animal/Mammal"),
        "rating": ({"rating": 4}, "4"),
        "textarea": ({"text": ["a free answer"]}, "a free answer"),
        "number": ({"number": 2.5}, "2.5"),
    }
    for kind, (value, label) in cases.items():
        imported = _import(tmp_path, [_task(1, _annotation(1, _result("q", kind, value)))])
        assert imported.annotations["label"].tolist() == [label], kind
    lines = _import(
        tmp_path, [_task(1, _annotation(1, _result("q", "textarea", {"text": ["one", "two"]})))]
    )
    assert lines.annotations["label"].tolist() == [""]
    assert lines.annotations["labels"].tolist() == ['["one","two"]']
    paths = _import(
        tmp_path,
        [_task(1, _annotation(1, _result("q", "taxonomy", {"taxonomy": [["A", "B"], ["C"]]})))],
    )
    assert paths.annotations["labels"].tolist() == ['["A/B","C"]']


def test_spans_go_to_the_spans_table_and_an_empty_span_annotation_is_kept(
    tmp_path: Path,
) -> None:
    span = _result("ner", "labels", {"start": 0, "end": 5, "text": "Paris", "labels": ["LOC"]})
    other = _result("ner", "labels", {"start": 10, "end": 14, "text": "Anna", "labels": ["PER"]})
    tasks = [_task(1, _annotation(1, span, other), _annotation(2))]
    imported = _import(tmp_path, tasks, "ner")
    assert imported.annotations["label"].tolist() == ["", ""]
    assert imported.annotations["labels"].tolist() == ['["LOC","PER"]', "[]"]
    spans = imported.spans
    assert spans[["start", "end", "label", "text"]].values.tolist() == [
        [0, 5, "LOC", "Paris"],
        [10, 14, "PER", "Anna"],
    ]
    assert str(spans["start"].dtype) == "int64"
    assert spans["source_id"].tolist() == ["task 1 annotation 1"] * 2
    assert imported.skipped == []


def test_a_span_with_bad_offsets_is_a_malformed_row(tmp_path: Path) -> None:
    bad = _result("ner", "labels", {"start": "x", "end": 5, "labels": ["LOC"]})
    imported = _import(tmp_path, [_task(1, _annotation(7, bad))])
    assert _reasons(imported) == {"malformed_row": 1}
    assert "task 1 annotation 7" in imported.skipped[0].detail
    assert "start" in imported.skipped[0].detail


# --- statuses, gold, predictions -------------------------------------------------------------


def test_cancelled_no_label_and_ground_truth(tmp_path: Path) -> None:
    tasks = [
        _task(1, _annotation(1, _choice("Yes"), ground_truth=True)),
        _task(2, _annotation(2, _choice("No"), was_cancelled=True), _annotation(3)),
        _task(3),
    ]
    imported = _import(tmp_path, tasks, "sentiment")
    assert _reasons(imported) == {"cancelled": 1, "no_label": 1}
    assert [s.row for s in imported.skipped] == [2, 2]
    assert "task 2 annotation 2" in imported.skipped[0].detail
    assert imported.gold[["item_id", "label", "source_id"]].values.tolist() == [
        ["1", "Yes", "task 1 annotation 1"]
    ]
    assert imported.annotations["item_id"].tolist() == ["1"]  # the gold row is annotation too
    assert imported.items["item_id"].tolist() == ["1", "2", "3"]
    assert imported.report()["annotations_found"] == 3


def test_predictions_and_the_prediction_an_annotation_started_from(tmp_path: Path) -> None:
    prediction = {"id": 5, "model_version": "v2", "score": 0.8, "result": [_choice("Yes")]}
    tasks = [
        _task(
            1,
            _annotation(1, _choice("No"), prediction=prediction),
            _annotation(2, _choice("Yes"), prediction={}, parent_prediction=5),
            _annotation(3, _choice("Yes")),
            predictions=[prediction, {"id": 6, "model_version": "v3", "result": [_choice("No")]}],
        )
    ]
    imported = _import(tmp_path, tasks)
    frame = imported.annotations
    assert frame["suggested_label"].tolist() == ["Yes", "Yes", ""]
    assert frame["suggestion_score"].tolist() == ["0.8", "0.8", ""]
    assert frame["model_version"].tolist() == ["v2", "v2", ""]
    predictions = imported.predictions
    assert predictions[["item_id", "label", "model_version", "source_id"]].values.tolist() == [
        ["1", "Yes", "v2", "task 1 prediction 5"],
        ["1", "No", "v3", "task 1 prediction 6"],
    ]
    assert predictions["score"].tolist()[0] == 0.8
    assert str(predictions["score"].dtype) == "float64"


# --- controls --------------------------------------------------------------------------------


def test_several_controls_need_field(tmp_path: Path) -> None:
    rating = _result("quality", "rating", {"rating": 3})
    tasks = [_task(1, _annotation(1, _choice("Yes"), rating))]
    with pytest.raises(InputError) as caught:
        _import(tmp_path, tasks)
    message = str(caught.value)
    assert message.startswith("export.json: has 2 controls (from_name)")
    assert "'quality' (rating, 1 result)" in message
    assert "--field NAME" in message
    imported = _import(tmp_path, tasks, "quality")
    assert imported.annotations["label"].tolist() == ["3"]
    assert imported.control == "quality"
    assert imported.notes == [
        "Other controls (from_name), not imported: 'sentiment' (choices, 1 result)."
    ]
    with pytest.raises(InputError, match="Did you mean 'quality'"):
        _import(tmp_path, tasks, "qualty")


# --- malformed records and files -------------------------------------------------------------


def test_malformed_tasks_are_skipped_with_their_record_number(tmp_path: Path) -> None:
    tasks = [
        "not a task",
        {"data": {"text": "no id"}, "annotations": [_annotation(1, _choice("Yes"))]},
        {"id": 3, "data": "text", "annotations": []},
        _task(4, "not an annotation", _annotation(2, _choice("Yes"))),
    ]
    imported = _import(tmp_path, tasks)
    assert [(s.row, s.reason) for s in imported.skipped] == [
        (1, "malformed_row"),
        (2, "malformed_row"),
        (3, "malformed_row"),
        (4, "malformed_row"),
    ]
    assert "task 1 is a JSON string" in imported.skipped[0].detail
    assert "has no id" in imported.skipped[1].detail
    assert imported.annotations["_row"].tolist() == [4]
    assert imported.report()["records"] == 4


def test_item_fields_as_text_and_data_item_id(tmp_path: Path) -> None:
    tasks = [
        {"id": 7, "data": {"text": "x", "n": 2, "ok": True, "meta": {"a": [1, "é"]}, "none": None}},
        {"id": 8, "data": {"item_id": "doc-1", "text": "y"}, "annotations": []},
    ]
    imported = _import(tmp_path, tasks)
    items = imported.items.set_index("item_id")
    assert list(items.loc["7", ["text", "n", "ok", "meta", "none"]]) == [
        "x",
        "2",
        "true",
        '{"a":[1,"é"]}',
        "",
    ]
    assert items.loc["doc-1", "text"] == "y"
    assert any("data carries item_id" in note for note in imported.notes)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "is empty"),
        ('[{"id": 1,}]', "is not valid JSON"),
        ('{"id": 1}\n{"id": 2}\n', "JSON lines"),
        ('"tasks"', "holds a JSON string, not a list"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('[{"id": 1, "annotator": 1, "annotation_id": 2}]', "JSON-MIN export"),
    ],
)
def test_whole_file_problems_name_the_file_and_the_fix(
    tmp_path: Path, content: str, expected: str
) -> None:
    with pytest.raises(InputError) as caught:
        read_json(_write(tmp_path, content), "exports/ls.json")
    message = str(caught.value)
    assert message.startswith("exports/ls.json")
    assert expected in message
    assert "Export" in message or "labelstudio-min" in message


def test_utf16_and_binary_files(tmp_path: Path) -> None:
    path = tmp_path / "ls.json"
    path.write_bytes("[]".encode("utf-16"))
    with pytest.raises(InputError, match="UTF-16"):
        read_json(path, "ls.json")
    path.write_bytes(b'["\xff"]')
    with pytest.raises(InputError, match="not UTF-8"):
        read_json(path, "ls.json")
    with pytest.raises(InputError, match="is a directory"):
        read_json(tmp_path, "dir")


def test_duplicate_task_ids_are_merged_with_a_note(tmp_path: Path) -> None:
    tasks = [_task(1, _annotation(1, _choice("Yes"))), _task(1, _annotation(2, _choice("No")))]
    imported = _import(tmp_path, tasks)
    assert imported.items["item_id"].tolist() == ["1"]
    assert imported.annotations["item_id"].tolist() == ["1", "1"]
    assert any("'1' in records 1, 2" in note for note in imported.notes)


def test_a_single_task_object_is_one_task(tmp_path: Path) -> None:
    imported = _import(tmp_path, _task(1, _annotation(1, _choice("Yes"))))
    assert imported.annotations["label"].tolist() == ["Yes"]


# --- JSON-MIN and CSV ------------------------------------------------------------------------


def _min_record(tid: int, aid: int, annotator: Any, **values: Any) -> dict[str, Any]:
    return {
        "text": f"text {tid}",
        "id": tid,
        "annotator": annotator,
        "annotation_id": aid,
        "created_at": "2024-01-30T02:40:43.893565Z",
        "updated_at": "2024-01-30T02:40:43.893578Z",
        "lead_time": 8.65,
        **values,
    }


def test_json_min_plain_choices_need_field(tmp_path: Path) -> None:
    records = [
        _min_record(1, 10, 1, sentiment="Positive"),
        _min_record(1, 11, "b@example.com", sentiment={"choices": ["Positive", "Mixed"]}),
        _min_record(2, 12, 1),
        "junk",
    ]
    path = _write(tmp_path, records, "min.json")
    # The multi-choice object marks the column; plain text alone would not.
    imported = read_json_min(path, "min.json")
    assert imported.control == "sentiment"
    assert imported.annotations["label"].tolist() == ["Positive", ""]
    assert imported.annotations["annotator_id"].tolist() == ["1", "b@example.com"]
    assert imported.annotations["source_id"].tolist() == [
        "task 1 annotation 10",
        "task 1 annotation 11",
    ]
    assert _reasons(imported) == {"malformed_row": 1, "no_label": 1}
    assert imported.items["item_id"].tolist() == ["1", "2"]
    assert imported.items["text"].tolist() == ["text 1", "text 2"]
    assert not any("several records" in note for note in imported.notes)
    plain = _write(tmp_path, records[:1], "plain.json")
    with pytest.raises(InputError, match=r"'sentiment'.*--field NAME"):
        read_json_min(plain, "plain.json")
    assert read_json_min(plain, "plain.json", "sentiment").annotations["label"].tolist() == [
        "Positive"
    ]
    with pytest.raises(InputError, match=r"has no column 'sentimnt'\. Did you mean 'sentiment'"):
        read_json_min(plain, "plain.json", "sentimnt")


def test_json_min_spans_ratings_and_cancelled(tmp_path: Path) -> None:
    spans = [{"start": 0, "end": 4, "text": "text", "labels": ["X"]}]
    records = [
        _min_record(1, 1, 1, ner=spans),
        _min_record(2, 2, 1, ner=[]),
        _min_record(3, 3, 1, ner=spans, was_cancelled=True),
    ]
    imported = read_json_min(_write(tmp_path, records), "min.json")
    assert imported.control == "ner"
    assert imported.spans[["item_id", "start", "end", "label"]].values.tolist() == [
        ["1", 0, 4, "X"]
    ]
    assert imported.annotations["item_id"].tolist() == ["1", "2"]
    assert _reasons(imported) == {"cancelled": 1}
    rating = read_json_min(_write(tmp_path, [_min_record(1, 1, 1, q=[{"rating": 5}])]), "m")
    assert rating.annotations["label"].tolist() == ["5"]


def test_json_min_refuses_a_full_export(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file format 'labelstudio'"):
        read_json_min(_write(tmp_path, [_task(1)]), "full.json")


def test_csv_export_with_json_cells_ragged_rows_and_cancelled(tmp_path: Path) -> None:
    spans = json.dumps([{"start": 0, "end": 2, "text": "hi", "labels": ["GREETING"]}])
    header = ["annotation_id", "annotator", "created_at", "id", "lead_time", "ner", "text"]
    header.append("was_cancelled")
    path = tmp_path / "ls.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow([1, "a@x.org", "2024-01-01T00:00:00Z", 5, 1.5, spans, "hi, there", False])
        writer.writerow([2, "b@x.org", "2024-01-01T00:00:00Z", 5, 2.0, "[]", "hi, there", False])
        writer.writerow([3, "b@x.org", "2024-01-01T00:00:00Z", 6])
        writer.writerow([4, "c@x.org", "2024-01-01", 7, 1.0, spans, "line\nbreak", True])
    imported = read_csv(path, "ls.csv")
    assert imported.file_format == "labelstudio-csv"
    assert imported.control == "ner"
    assert imported.annotations["annotator_id"].tolist() == ["a@x.org", "b@x.org"]
    assert imported.annotations["_row"].tolist() == [2, 3]
    assert imported.spans["label"].tolist() == ["GREETING"]
    assert [(s.row, s.reason) for s in imported.skipped] == [
        (4, "malformed_row"),
        (5, "cancelled"),
    ]
    assert "4 fields where the header has 8" in imported.skipped[0].detail
    assert imported.items.set_index("item_id").loc["7", "text"] == "line\nbreak"


def test_tsv_and_not_a_label_studio_csv(tmp_path: Path) -> None:
    tsv = tmp_path / "ls.tsv"
    tsv.write_text("id\tannotator\tannotation_id\tq\n1\t3\t9\tYes\n", encoding="utf-8")
    imported = read_csv(tsv, "ls.tsv", "q")
    assert imported.annotations[["item_id", "annotator_id", "label"]].values.tolist() == [
        ["1", "3", "Yes"]
    ]
    plain = tmp_path / "plain.csv"
    plain.write_text("item_id,annotator_id,label\n1,a,x\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"not a Label Studio CSV export.*'id'"):
        read_csv(plain, "plain.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="no header row"):
        read_csv(empty, "empty.csv")
