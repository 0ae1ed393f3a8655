"""Pre-label files read back by our own importers, as the tools' exports of them would be."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelgate.io.exporters.prelabels import write_prelabels
from labelgate.io.importers import import_file

SUGGESTIONS = pd.DataFrame(
    {
        "item_id": ["i1", "i2", "i3"],
        "suggested_label": ["pos", "neg", ""],
        "suggestion_score": [0.91, 0.7, np.nan],
    }
)
ITEMS = pd.DataFrame({"item_id": ["i1", "i2", "i3"], "text": ["good", "bad", "meh"]})
LABELS = ["neg", "pos"]


def test_labelstudio_tasks_carry_predictions(tmp_path: Path) -> None:
    out = write_prelabels(tmp_path / "t.json", "labelstudio", SUGGESTIONS, ITEMS, LABELS, "m-1")
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert tasks[0]["predictions"] == [
        {
            "model_version": "m-1",
            "score": 0.91,
            "result": [
                {
                    "from_name": "label",
                    "to_name": "text",
                    "type": "choices",
                    "value": {"choices": ["pos"]},
                }
            ],
        }
    ]
    assert "predictions" not in tasks[2]  # below the threshold: nothing suggested
    # Label Studio gives every task an id; its export then reads back with the predictions.
    for number, task in enumerate(tasks, start=1):
        task["id"] = number
        task["annotations"] = []
    exported = tmp_path / "export.json"
    exported.write_text(json.dumps(tasks), encoding="utf-8")
    back = import_file(exported, "labelstudio", str(exported))
    predictions = back.predictions.sort_values("item_id")
    assert predictions["item_id"].tolist() == ["i1", "i2"]
    assert predictions["label"].tolist() == ["pos", "neg"]
    assert predictions["score"].tolist() == [0.91, 0.7]
    assert set(predictions["model_version"]) == {"m-1"}
    assert back.items["text"].tolist() == ["good", "bad", "meh"]


def test_prodigy_tasks_pre_select_the_suggestion(tmp_path: Path) -> None:
    out = write_prelabels(tmp_path / "t.jsonl", "prodigy", SUGGESTIONS, ITEMS, LABELS, "m-1")
    tasks = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert tasks[0]["label"] == "pos"
    assert tasks[0]["accept"] == ["pos"]
    assert tasks[0]["meta"] == {"item_id": "i1", "score": 0.91, "model_version": "m-1"}
    assert tasks[2]["accept"] == []
    assert "label" not in tasks[2]
    # An annotator keeps the first suggestion and changes the second: Prodigy's db-out.
    tasks[1]["accept"] = ["pos"]
    for number, task in enumerate(tasks, start=1):  # Prodigy hashes each task on loading
        task.update(answer="accept", _annotator_id="ann-1", _session_id="s-ann-1")
        task.update(_input_hash=number, _task_hash=100 + number)
    exported = tmp_path / "db-out.jsonl"
    exported.write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
    back = import_file(exported, "prodigy", str(exported))
    kept = back.annotations
    assert kept["label"].tolist()[:2] == ["pos", "pos"]
    assert "0.91" in back.items["meta"].iloc[0]


def test_argilla_records_carry_suggestions(tmp_path: Path) -> None:
    out = write_prelabels(tmp_path / "records.json", "argilla", SUGGESTIONS, ITEMS, LABELS, "m-1")
    records = json.loads(out.read_text(encoding="utf-8"))
    assert records[0]["suggestions"] == {"label": {"value": "pos", "score": 0.91, "agent": "m-1"}}
    assert records[0]["fields"] == {"text": "good"}
    assert records[2]["suggestions"] == {}
    # An annotator answers every record (Argilla's to_disk: responses by question).
    answers = {"i1": "pos", "i2": "pos", "i3": "neg"}
    for record in records:
        record["responses"] = {
            "label": [{"user_id": "u1", "value": answers[record["id"]], "status": "submitted"}]
        }
    exported = tmp_path / "answered.json"
    exported.write_text(json.dumps(records), encoding="utf-8")
    back = import_file(exported, "argilla", str(exported))
    got = back.annotations.sort_values("item_id")
    assert got["suggested_label"].tolist() == ["pos", "neg", ""]
    assert got["suggestion_score"].tolist() == ["0.91", "0.7", ""]
    assert got["model_version"].tolist() == ["m-1", "m-1", ""]
    assert back.predictions["model_version"].tolist() == ["m-1", "m-1"]


def test_csv_has_one_row_per_item(tmp_path: Path) -> None:
    out = write_prelabels(tmp_path / "s.csv", "csv", SUGGESTIONS, ITEMS, LABELS, "m-1")
    frame = pd.read_csv(out, keep_default_na=False)
    assert frame.columns.tolist() == [
        "item_id",
        "suggested_label",
        "suggestion_score",
        "model_version",
    ]
    assert frame["model_version"].tolist() == ["m-1", "m-1", ""]


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown pre-label format 'doccano'"):
        write_prelabels(tmp_path / "x", "doccano", SUGGESTIONS, ITEMS, LABELS, "m-1")
