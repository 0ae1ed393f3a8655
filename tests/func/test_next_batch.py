"""The next_batch stage: a dataset's `next_batch:` rules choose, from the items nobody has
annotated, what `labelgate select` would choose from the same files; the report shows it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from labelgate.scaffold.init import init_project
from tests.conftest import ALL_STAGES, cli, run_stages, write_files

NEW_ITEMS = [f"n{i:02d}" for i in range(12)]
RULES = """
next_batch:
  strategy: {strategy}
  budget: 5
  seed: 3
  exploration: 0
"""


def _project(root: Path, strategy: str = "uncertainty") -> Path:
    init_project(root, git=False, dvc=False)
    items = root / "datasets/example/raw/items.jsonl"
    words = ["great", "awful", "okay", "superb", "broken", "fine"]
    extra = "".join(
        json.dumps(
            {"review_id": i, "text": f"the kettle is {words[k % 6]} and {words[k // 2 % 6]}"}
        )
        + "\n"
        for k, i in enumerate(NEW_ITEMS)
    )
    items.write_text(items.read_text(encoding="utf-8") + extra, encoding="utf-8")
    manifest = root / "datasets/example/dataset.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8") + RULES.format(strategy=strategy), encoding="utf-8"
    )
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _project(tmp_path_factory.mktemp("next-batch") / "proj")
    run_stages(root, "example", ("config", *ALL_STAGES))
    return root


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_batch_is_what_select_chooses_from_the_unannotated_items(built: Path) -> None:
    out = built / "build/example"
    chosen = _rows(out / "next_batch.csv")
    assert [r["rank"] for r in chosen] == ["1", "2", "3", "4", "5"]
    assert {r["item_id"] for r in chosen} <= set(NEW_ITEMS)
    summary = json.loads((out / "next_batch.json").read_text(encoding="utf-8"))
    assert summary["n_pool_items"] == len(NEW_ITEMS)
    assert summary["n_labelled_items"] == 12
    assert summary["n_chosen"] == 5
    # The same choice from files: the annotations with their text as the labelled export, the
    # new items as the pool.
    items = [json.loads(line) for line in (built / "datasets/example/raw/items.jsonl").open()]
    text = {i["review_id"]: i["text"] for i in items}
    labelled = built / "labelled.csv"
    with labelled.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id", "annotator_id", "label", "text"])
        for row in _rows(built / "datasets/example/raw/annotations.csv"):
            writer.writerow(
                [row["review_id"], row["worker"], row["answer"], text[row["review_id"]]]
            )
    pool = built / "pool.jsonl"
    pool.write_text(
        "".join(json.dumps({"item_id": i, "text": text[i]}) + "\n" for i in NEW_ITEMS),
        encoding="utf-8",
    )
    args = ("select", "--labeled", labelled, "--pool", pool, "--text-col", "text")
    result = cli(*args, "--budget", "5", "--seed", "3", "--exploration", "0")
    assert result.returncode == 0, result.stderr
    assert [r["item_id"] for r in csv.DictReader(result.stdout.splitlines())] == [
        r["item_id"] for r in chosen
    ]


def test_the_report_shows_the_batch(built: Path) -> None:
    html = (built / "build/example/report.html").read_text(encoding="utf-8")
    assert 'id="next-batch"' in html
    first = _rows(built / "build/example/next_batch.csv")[0]["item_id"]
    assert f">{first}<" in html


def test_without_rules_or_pool_the_stage_says_why_and_writes_an_empty_table(
    tmp_path: Path,
) -> None:
    root = tmp_path / "plain"
    init_project(root, git=False, dvc=False)
    run_stages(root, "example", ("config", "ingest", "next_batch"))
    out = root / "build/example"
    assert _rows(out / "next_batch.csv") == []
    assert json.loads((out / "next_batch.json").read_text())["enabled"] is False
    # Rules, but every item is annotated: nothing to choose from, and the reason.
    manifest = root / "datasets/example/dataset.yaml"
    write_files(
        root,
        {"datasets/example/dataset.yaml": manifest.read_text() + RULES.format(strategy="margin")},
    )
    summary = run_stages(root, "example", ("config", "next_batch"))["next_batch"]
    assert summary["skipped"] == "every item has annotations: no pool to choose from"


def test_a_bad_strategy_in_the_manifest_is_exit_3_with_its_key(tmp_path: Path) -> None:
    root = _project(tmp_path / "proj", strategy="newest")
    result = cli("check", root)
    assert result.returncode == 3
    assert "next_batch.strategy" in result.stderr


def test_items_waiting_for_work_count_in_the_progress_target(built: Path) -> None:
    ops = json.loads((built / "build/example/ops.json").read_text(encoding="utf-8"))
    assert ops["items_target"] == 12 + len(NEW_ITEMS)  # no ops.target_items: the items known
    assert ops["items_not_started"] == len(NEW_ITEMS)
    assert ops["progress"] == pytest.approx(ops["items_done"] / ops["items_target"], abs=1e-6)
