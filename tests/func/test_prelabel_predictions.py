"""`labelgate prelabel --predictions`: a team's own model's labels as the suggestions."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.conftest import cli


@pytest.fixture
def files(tmp_path: Path) -> Path:
    with (tmp_path / "labelled.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "worker", "answer", "body"])
        for i in range(12):
            writer.writerow([f"L{i}", "w1", "pos" if i % 2 else "neg", f"text {i}"])
    with (tmp_path / "pool.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "body"])
        for i in range(4):
            writer.writerow([f"P{i}", f"pool text {i}"])
    # The team's model: right on 10 of the 12 labelled items (L0 and L1 wrong, both at 0.6),
    # sure of P0 and P1, unsure of P2, silent on P3; it knows a label nobody used yet.
    rows = [["item_id", "pos", "neg", "neutral", "model", "model_version"]]
    for i in range(12):
        right = "pos" if i % 2 else "neg"
        p = {"pos": 0.05, "neg": 0.05, "neutral": 0.05}
        if i < 2:
            p["neg" if right == "pos" else "pos"] = 0.6
            p[right] = 0.35
        else:
            p[right] = 0.9
        rows.append([f"L{i}", p["pos"], p["neg"], p["neutral"], "ours", "v7"])
    rows += [
        ["P0", 0.9, 0.05, 0.05, "ours", "v7"],
        ["P1", 0.05, 0.05, 0.9, "ours", "v7"],
        ["P2", 0.4, 0.35, 0.25, "ours", "v7"],
    ]
    with (tmp_path / "preds.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return tmp_path


def _prelabel(files: Path, *extra: str | Path) -> tuple[int, str]:
    result = cli(
        "prelabel",
        "--labeled",
        files / "labelled.csv",
        "--pool",
        files / "pool.csv",
        "--item-col",
        "id",
        "--annotator-col",
        "worker",
        "--label-col",
        "answer",
        "--text-col",
        "body",
        *extra,
    )
    return result.returncode, result.stderr


def test_suggestions_and_coverage_come_from_the_table(files: Path) -> None:
    out, coverage = files / "tasks.json", files / "coverage.csv"
    code, stderr = _prelabel(
        files,
        "--predictions",
        files / "preds.csv",
        "--min-confidence",
        "0.5",
        "--coverage-out",
        coverage,
        "-o",
        out,
    )
    assert code == 0, stderr
    tasks = {
        t["data"]["item_id"] if "item_id" in t["data"] else t["data"]["id"]: t
        for t in json.loads(out.read_text())
    }
    chosen = {
        k: (t["predictions"][0]["result"][0]["value"]["choices"][0], t["predictions"][0]["score"])
        for k, t in tasks.items()
        if t.get("predictions")
    }
    # P2's best is 0.4 < 0.5 and P3 has no prediction: no suggestion for either.
    assert chosen == {"P0": ("pos", 0.9), "P1": ("neutral", 0.9)}
    assert all(
        t["predictions"][0]["model_version"] == "v7" for t in tasks.values() if t.get("predictions")
    )
    assert "1 pool items have no prediction" in stderr
    table = {float(r["min_confidence"]): r for r in csv.DictReader(coverage.open())}
    # At 0.5 every labelled item is covered and 10 of 12 are right.
    assert float(table[0.5]["coverage"]) == 1.0
    assert float(table[0.5]["precision"]) == pytest.approx(10 / 12)
    # At 0.7 the two wrong ones (0.6) drop out: precision 1 on 10 of 12.
    assert float(table[0.7]["coverage"]) == pytest.approx(10 / 12)
    assert float(table[0.7]["precision"]) == 1.0


def test_a_bad_predictions_table_is_exit_3_naming_the_row(files: Path) -> None:
    bad = files / "bad.csv"
    bad.write_text("item_id,pos,neg,neutral\nP0,0.9,0.9,0.1\n", encoding="utf-8")
    code, stderr = _prelabel(files, "--predictions", bad, "-o", files / "x.json")
    assert code == 3
    assert "P0" in stderr or "row 1" in stderr
