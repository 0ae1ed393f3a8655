"""Operations end to end: a roster, the ops stage's ops.json, its gateable metrics, roster
problems in `labelgate check`, and `labelgate assign` plans."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from labelgate.scaffold.init import init_project
from tests.conftest import ALL_STAGES, cli, run_stages, write_files

LABELS = ("positive", "negative", "neutral")
N_ITEMS = 60
WORKERS = [f"w{i}" for i in range(6)]
ROSTER = """
kind: roster
format_version: 1
currency: EUR
annotators:
  - {annotator_id: w0, capacity: 40, rate_per_hour: 36, hours_per_day: 1}
  - {annotator_id: w1, capacity: 40, rate_per_hour: 36, hours_per_day: 1, skills: [negative]}
  - {annotator_id: w2, capacity: 40, rate_per_item: 0.1, hours_per_day: 1}
  - {annotator_id: w3, capacity: 40, rate_per_item: 0.1}
  - {annotator_id: w4, capacity: 40, rate_per_item: 0.1}
  - {annotator_id: new, capacity: 40, rate_per_item: 0.1}
"""
OPS = """
ops:
  roster: roster.yaml
  target_items: 80
  gold_share: 0.1
"""
GATE = """
  - metric: cost_per_accepted_label
    max: 10
  - metric: latency_p90_hours
    max: 1
"""


def _data(seed: int = 0) -> tuple[str, str, str]:
    """items.jsonl (with arrived_at), annotations.csv (with times and durations), gold.csv."""
    rng = np.random.default_rng(seed)
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    items, rows = [], ["review_id,worker,answer,duration_s,annotated_at"]
    for i in range(N_ITEMS):
        label = LABELS[i % 3]
        arrived = start + timedelta(hours=2 * i)
        items.append(
            json.dumps(
                {
                    "review_id": f"r{i:02d}",
                    "text": f"review {i} {label}",
                    "arrived_at": f"{arrived:%Y-%m-%dT%H:%M:%SZ}",
                }
            )
        )
        for k, w in enumerate(rng.choice(len(WORKERS), 3, replace=False)):
            answer = label if rng.random() < 0.9 else LABELS[(i + 1) % 3]
            when = arrived + timedelta(minutes=30 * (k + 1))
            rows.append(f"r{i:02d},{WORKERS[w]},{answer},60,{when:%Y-%m-%dT%H:%M:%SZ}")
    gold = ["review_id,label"] + [f"r{i:02d},{LABELS[i % 3]}" for i in range(0, N_ITEMS, 5)]
    return "\n".join(items) + "\n", "\n".join(rows) + "\n", "\n".join(gold) + "\n"


def _project(root: Path) -> Path:
    init_project(root, git=False, dvc=False)
    items, annotations, gold = _data()
    write_files(
        root,
        {
            "datasets/example/raw/items.jsonl": items,
            "datasets/example/raw/annotations.csv": annotations,
            "datasets/example/raw/gold.csv": gold,
            "datasets/example/roster.yaml": ROSTER,
        },
    )
    manifest = root / "datasets/example/dataset.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + OPS, encoding="utf-8")
    schema = root / "schemas/review_sentiment.yaml"
    text = schema.read_text(encoding="utf-8").replace(
        "annotation_fields:", "  - {name: arrived_at, type: timestamp}\nannotation_fields:", 1
    )
    schema.write_text(text, encoding="utf-8")
    rules = root / "qa_rules/review_sentiment.yaml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("gates:\n", "gates:" + GATE, 1), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _project(tmp_path_factory.mktemp("ops") / "proj")
    run_stages(root, "example", ("config", *ALL_STAGES))
    return root


def test_ops_json_measures_progress_latency_cost_and_warns_of_unknown_ids(built: Path) -> None:
    ops = json.loads((built / "build/example/ops.json").read_text(encoding="utf-8"))
    assert ops["items_target"] == 80
    assert ops["items_done"] + ops["items_in_review"] == N_ITEMS
    assert ops["progress"] == pytest.approx(ops["items_done"] / 80)
    # Every item's last annotation comes 90 minutes after it arrived.
    assert ops["latency_from"] == "arrived_at"
    assert ops["latency_median_hours"] == ops["latency_p90_hours"] == 1.5
    assert ops["currency"] == "EUR"
    assert 0 < ops["cost_coverage"] < 1  # w5 is not in the roster
    assert ops["warnings"] == {
        "annotators_not_in_roster": ["w5"],
        "roster_annotators_without_annotations": ["new"],
    }
    assert ops["eta_days"] is not None
    assert ops["eta_days_low"] <= ops["eta_days"]
    assert {row["annotator_id"] for row in ops["annotators"]} == {*WORKERS, "new"}
    assert ops["daily"][-1]["final_labels_cumulative"] == ops["items_done"]


def test_ops_metrics_reach_metrics_json_gates_and_the_pages(built: Path) -> None:
    out = built / "build/example"
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["metrics"]
    ops = json.loads((out / "ops.json").read_text(encoding="utf-8"))
    assert metrics["cost_per_accepted_label"] == ops["cost_per_accepted_label"]
    assert metrics["latency_p90_hours"] == 1.5
    verdicts = {g["id"]: g["status"] for g in json.loads((out / "gate.json").read_text())["checks"]}
    assert verdicts["cost_per_accepted_label"] == "pass"
    assert verdicts["latency_p90_hours"] == "fail"
    progress = (out / "progress.html").read_text(encoding="utf-8")
    assert "eta_days" in progress
    assert "cost_per" not in progress  # customers see progress, not cost
    assert "cost_per_accepted_label" in (out / "report.html").read_text(encoding="utf-8")


def test_the_ops_stage_is_byte_for_byte_reproducible(built: Path) -> None:
    path = built / "build/example/ops.json"
    before = path.read_bytes()
    run_stages(built, "example", ("ops",))
    assert path.read_bytes() == before


def test_check_reports_a_broken_csv_roster_with_line_and_column(tmp_path: Path) -> None:
    root = _project(tmp_path / "proj")
    write_files(
        root,
        {
            "datasets/example/roster.csv": "annotator_id,capacity,rate_per_hour,rate_per_item\n"
            "w0,10,20,\nw1,ten,,\nw2,5,20,0.1\n",
        },
    )
    manifest = root / "datasets/example/dataset.yaml"
    text = manifest.read_text(encoding="utf-8").replace("roster: roster.yaml", "roster: roster.csv")
    manifest.write_text(text, encoding="utf-8")
    result = cli("check", root)
    assert result.returncode == 3
    assert "datasets/example/roster.csv:3:1: capacity: 'ten' is not a number." in result.stderr


def _plan(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_assign_gives_k_distinct_annotators_within_capacity_deterministically(
    built: Path,
) -> None:
    pool = built / "pool.csv"
    pool.write_text("item_id\n" + "".join(f"n{i:03d}\n" for i in range(50)), encoding="utf-8")
    roster = built / "datasets/example/roster.yaml"
    args = ("assign", "example", "--pool", pool, "--annotators", roster, "-C", built)
    first = cli(*args, "--seed", "4")
    assert first.returncode == 0, first.stderr
    assert first.stdout == cli(*args, "--seed", "4").stdout
    rows = _plan(first.stdout)
    gold = {r["item_id"] for r in rows if r["reason"].startswith("gold")}
    assert len(gold) == 6  # round(0.1 * 50 / 0.9) gold items mixed in
    per_item: dict[str, list[str]] = {}
    for row in rows:
        per_item.setdefault(row["item_id"], []).append(row["annotator_id"])
    assert len(per_item) == 56
    assert all(len(set(v)) == len(v) == 3 for v in per_item.values())  # k = 3 from the data
    load: dict[str, int] = {}
    for row in rows:
        load[row["annotator_id"]] = load.get(row["annotator_id"], 0) + 1
    assert max(load.values()) <= 40
    assert "skill" in rows[0]["reason"]


def test_assign_reports_a_capacity_shortfall_and_strict_exits_1(built: Path) -> None:
    pool = built / "big_pool.csv"
    pool.write_text("item_id\n" + "".join(f"b{i:03d}\n" for i in range(100)), encoding="utf-8")
    roster = built / "small.csv"
    roster.write_text("annotator_id,capacity,rate_per_item\nw0,50,0.1\nw1,50,0.1\nw2,50,0.1\n")
    args = ("assign", "example", "--pool", pool, "--annotators", roster, "-k", "2", "-C", built)
    result = cli(*args)
    assert result.returncode == 0
    assert "capacity short by" in result.stderr
    rows = _plan(result.stdout)
    assert any(r["annotator_id"] == "" for r in rows)
    assert cli(*args, "--strict").returncode == 1
    too_many = cli(*args[:-4], "-k", "4", "-C", built)
    assert too_many.returncode == 2
    assert "-k 4 needs 4 distinct annotators" in too_many.stderr


def test_check_refuses_an_arrival_field_the_schema_does_not_declare(tmp_path: Path) -> None:
    root = _project(tmp_path / "proj")
    manifest = root / "datasets/example/dataset.yaml"
    text = manifest.read_text(encoding="utf-8") + "  arrival_field: arived_at\n"
    manifest.write_text(text, encoding="utf-8")
    result = cli("check", root)
    assert result.returncode == 3
    assert "ops.arrival_field: 'arived_at' is not an item field" in result.stderr
    assert "Did you mean 'arrived_at'?" in result.stderr
