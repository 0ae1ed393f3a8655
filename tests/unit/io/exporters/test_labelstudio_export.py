"""Label Studio review tasks: final labels as predictions, written as an import file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from labelgate.io.exporters.labelstudio import tasks_for_review, write_tasks
from labelgate.io.importers.labelstudio import read_json


def _final() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_id": ["a1", "a2", "a3", "a4"],
            "label": ["Positive", "Négatif", "Positive", ""],
            "confidence": [0.93, 0.61, 0.4, float("nan")],
            "method": ["dawid_skene"] * 4,
            "status": ["agreed", "aggregated", "unresolved", "unresolved"],
        }
    )


def _items() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_id": ["a4", "a3", "a2", "a1"],
            "text": ["four", "three", "deux", "one"],
            "lang": ["en", "en", "fr", "en"],
            "_row": [4, 3, 2, 1],
        }
    )


def test_tasks_carry_item_fields_and_resolved_labels_as_predictions() -> None:
    tasks = tasks_for_review(_final(), _items(), "sentiment", "text")
    assert [t["data"]["item_id"] for t in tasks] == ["a1", "a2", "a3", "a4"]  # final's order
    assert tasks[0] == {
        "data": {"item_id": "a1", "text": "one", "lang": "en"},
        "predictions": [
            {
                "model_version": "labelgate",
                "score": 0.93,
                "result": [
                    {
                        "from_name": "sentiment",
                        "to_name": "text",
                        "type": "choices",
                        "value": {"choices": ["Positive"]},
                    }
                ],
            }
        ],
    }
    assert tasks[1]["predictions"][0]["result"][0]["value"] == {"choices": ["Négatif"]}
    # Unresolved items, and items without a label, are labelled from scratch.
    assert "predictions" not in tasks[2]
    assert "predictions" not in tasks[3]
    assert all("_row" not in t["data"] for t in tasks)


def test_an_item_missing_from_items_still_gets_a_task() -> None:
    final = pd.DataFrame({"item_id": ["z"], "label": ["x"], "confidence": [1.0]})
    tasks = tasks_for_review(final, _items(), "c", "text", model_version="run-7")
    assert tasks[0]["data"] == {"item_id": "z"}
    assert tasks[0]["predictions"][0]["model_version"] == "run-7"


@pytest.mark.parametrize(
    ("control_type", "label", "value"),
    [
        ("taxonomy", "Animal/Mammal", {"taxonomy": [["Animal", "Mammal"]]}),
        ("textarea", "free text", {"text": ["free text"]}),
        ("rating", "4", {"rating": 4}),
        ("number", "2.5", {"number": 2.5}),
    ],
)
def test_other_control_types(control_type: str, label: str, value: dict[str, Any]) -> None:
    final = pd.DataFrame({"item_id": ["i"], "label": [label], "confidence": [0.5]})
    tasks = tasks_for_review(final, _items(), "q", "text", control_type=control_type)
    result = tasks[0]["predictions"][0]["result"][0]
    assert result["type"] == control_type
    assert result["value"] == value


def test_bad_arguments_say_what_to_do() -> None:
    final = pd.DataFrame({"item_id": ["i"], "label": ["high"]})
    with pytest.raises(ValueError, match=r"label 'high' is not a number.*'choices'"):
        tasks_for_review(final, _items(), "q", "text", control_type="rating")
    with pytest.raises(ValueError, match="cannot carry one label"):
        tasks_for_review(final, _items(), "q", "text", control_type="labels")
    with pytest.raises(ValueError, match="final lacks label"):
        tasks_for_review(final[["item_id"]], _items(), "q", "text")


def test_write_tasks_is_deterministic_utf8_json(tmp_path: Path) -> None:
    tasks = tasks_for_review(_final(), _items(), "sentiment", "text")
    path = write_tasks(tasks, tmp_path / "review" / "tasks.json")
    text = path.read_text(encoding="utf-8")
    assert "Négatif" in text  # not \u00e9
    assert text.endswith("]\n")
    assert text.startswith('[\n  {\n    "data": {')
    assert json.loads(text) == tasks
    first = path.read_bytes()
    write_tasks(tasks, path)
    assert path.read_bytes() == first
    assert [p.name for p in path.parent.iterdir()] == ["tasks.json"]  # no temporary left


def test_round_trip_through_label_studio(tmp_path: Path) -> None:
    """Export review tasks, annotate them as Label Studio would (accept a prediction, fix
    another, label an unresolved item), and import the export: the item ids, fields and
    suggestions come back."""
    tasks = tasks_for_review(_final(), _items(), "sentiment", "text")
    path = write_tasks(tasks, tmp_path / "tasks.json")
    exported = []
    for number, task in enumerate(json.loads(path.read_text(encoding="utf-8")), start=101):
        predictions = [{**p, "id": number * 10} for p in task.get("predictions", [])]
        choice = "Negative" if number == 102 else "Positive"
        result = [
            {
                "from_name": "sentiment",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": [choice]},
            }
        ]
        annotation = {
            "id": number + 1000,
            "completed_by": {"id": 3, "email": "reviewer@example.com"},
            "result": result,
            "was_cancelled": False,
            "created_at": "2026-11-30T10:00:00.5+01:00",
            "lead_time": 4.25,
            "prediction": predictions[0] if predictions else {},
        }
        exported.append(
            {"id": number, **task, "predictions": predictions, "annotations": [annotation]}
        )
    source = tmp_path / "ls_export.json"
    source.write_text(json.dumps(exported), encoding="utf-8")
    imported = read_json(source, "ls_export.json")
    frame = imported.annotations
    assert frame["item_id"].tolist() == ["a1", "a2", "a3", "a4"]
    assert frame["label"].tolist() == ["Positive", "Negative", "Positive", "Positive"]
    assert frame["suggested_label"].tolist() == ["Positive", "Négatif", "", ""]
    assert frame["suggestion_score"].tolist() == ["0.93", "0.61", "", ""]
    assert frame["model_version"].tolist() == ["labelgate", "labelgate", "", ""]
    assert frame["annotated_at"].tolist() == ["2026-11-30T09:00:00.500000Z"] * 4
    assert frame["source_id"][0] == "task 101 annotation 1101"
    items = imported.items.set_index("item_id")
    assert list(items.loc["a2", ["text", "lang"]]) == ["deux", "fr"]
    assert imported.predictions["label"].tolist() == ["Positive", "Négatif"]
    assert any("data carries item_id" in note for note in imported.notes)


def test_item_cells_become_plain_json_values() -> None:
    items = pd.DataFrame(
        {
            "item_id": ["a"],
            "n": [np.int64(2)],
            "at": [pd.Timestamp("2024-01-01", tz="UTC")],
            "tags": [np.array(["x", "y"])],
            "missing": [float("nan")],
        }
    )
    final = pd.DataFrame({"item_id": ["a"], "label": ["L"], "confidence": [np.float32(0.5)]})
    task = tasks_for_review(final, items, "c", "text")[0]
    assert task["data"] == {
        "item_id": "a",
        "n": 2,
        "at": "2024-01-01T00:00:00+00:00",
        "tags": ["x", "y"],
        "missing": None,
    }
    assert task["predictions"][0]["score"] == 0.5
