"""Final labels as Prodigy choice tasks: one per item, every label an option, the final label
pre-selected, deterministic and written atomically as JSONL."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from labelgate.io.exporters.prodigy import tasks_for_review, write_jsonl


def _final() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_id": ["i2", "i1", "i3"],
            "label": ["neg", "pos", ""],
            "confidence": [0.6, 0.95, math.nan],
            "method": ["dawid_skene", "dawid_skene", "majority"],
            "status": ["review", "accepted", "no_consensus"],
        }
    )


def _items() -> pd.DataFrame:
    return pd.DataFrame({"item_id": ["i1", "i2", "i3"], "text": ["great", "awful", "okay ü"]})


def test_one_choice_task_per_item_in_item_order() -> None:
    tasks = tasks_for_review(_final(), _items(), model_version="lg-1")
    assert [t["meta"]["item_id"] for t in tasks] == ["i1", "i2", "i3"]
    assert tasks[0] == {
        "text": "great",
        "options": [{"id": "neg", "text": "neg"}, {"id": "pos", "text": "pos"}],
        "accept": ["pos"],
        "meta": {
            "item_id": "i1",
            "score": 0.95,
            "method": "dawid_skene",
            "status": "accepted",
            "model_version": "lg-1",
        },
    }
    assert tasks[2]["accept"] == []  # no final label: nothing pre-selected
    assert tasks[2]["meta"]["score"] is None


def test_schema_labels_add_options_and_missing_columns_are_named() -> None:
    tasks = tasks_for_review(_final(), _items(), labels=["mixed"])
    assert [o["id"] for o in tasks[0]["options"]] == ["mixed", "neg", "pos"]
    with pytest.raises(ValueError, match="confidence"):
        tasks_for_review(_final().drop(columns="confidence"), _items())
    with pytest.raises(ValueError, match="item_id and text"):
        tasks_for_review(_final(), _items().drop(columns="text"))


def test_write_jsonl_is_deterministic_and_atomic(tmp_path: Path) -> None:
    path = tmp_path / "out" / "review.jsonl"
    tasks = tasks_for_review(_final(), _items())
    write_jsonl(tasks, path)
    first = path.read_bytes()
    shuffled = _final().sample(frac=1.0, random_state=3)
    write_jsonl(tasks_for_review(shuffled, _items()), path)
    assert path.read_bytes() == first
    lines = first.decode("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == tasks
    assert "okay ü" in lines[2]  # UTF-8, not \\u escapes
    assert not list(path.parent.glob(".*.tmp"))


def test_a_label_set_preselects_every_member() -> None:
    final = _final().assign(label=['["neg","pos"]', '["pos"]', "[]"])
    tasks = tasks_for_review(final, _items(), labels=["neg", "pos", "meh"], multi_label=True)
    assert [t["accept"] for t in tasks] == [["pos"], ["neg", "pos"], []]
    assert [o["id"] for o in tasks[0]["options"]] == ["meh", "neg", "pos"]
