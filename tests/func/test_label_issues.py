"""Model-assisted QA end to end: the predict and label_issues stages on a project, the review
queue's round trip as adjudications, a team's own predictions, and `labelgate label-issues`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelgate.scaffold.init import init_project
from tests.conftest import ALL_STAGES, cli, run_stages, write_files

WORDS = {
    "positive": ["love", "great", "perfect", "recommend", "excellent", "happy"],
    "negative": ["broke", "refund", "awful", "returned", "useless", "disappointed"],
    "neutral": ["okay", "average", "fine", "expected", "decent", "ordinary"],
}
FILLER = ["the", "it", "this", "product", "item", "and", "was", "really"]
LABELS = list(WORDS)
N_ITEMS = 150
# Items whose majority is made wrong on purpose: two of three annotators give the same wrong label.
PLANTED = {f"r{i:03d}" for i in (3, 17, 40, 77, 101, 130)}


def _data(seed: int = 0) -> tuple[str, str, str, dict[str, str]]:
    """items.jsonl, annotations.csv, gold.csv text and the true label of each item."""
    rng = np.random.default_rng(seed)
    items, rows, truth = [], ["review_id,worker,answer,duration_s"], {}
    for i in range(N_ITEMS):
        item = f"r{i:03d}"
        label = LABELS[i % 3]
        truth[item] = label
        text = " ".join([*rng.choice(WORDS[label], 3), *rng.choice(FILLER, 3)])
        items.append(json.dumps({"review_id": item, "text": text}))
        wrong = LABELS[(i + 1) % 3]
        for k, worker in enumerate(rng.choice(6, 3, replace=False)):
            answer = label if rng.random() < 0.92 else wrong
            if item in PLANTED:
                answer = wrong if k < 2 else label
            rows.append(f"{item},w{worker},{answer},{int(rng.integers(5, 40))}")
    gold = ["review_id,label"] + [f"r{i:03d},{truth[f'r{i:03d}']}" for i in range(0, N_ITEMS, 4)]
    return "\n".join(items) + "\n", "\n".join(rows) + "\n", "\n".join(gold) + "\n", truth


MODEL_BLOCK = """
model:
  seed: 3
label_issues:
  review_budget: 20
"""
GATE = """
  - metric: label_issue_rate
    max: 0.5
"""


def _project(root: Path) -> Path:
    init_project(root, git=False, dvc=False)
    items, annotations, gold, _ = _data()
    write_files(
        root,
        {
            "datasets/example/raw/items.jsonl": items,
            "datasets/example/raw/annotations.csv": annotations,
            "datasets/example/raw/gold.csv": gold,
        },
    )
    pipeline = root / "pipelines/default.yaml"
    pipeline.write_text(pipeline.read_text(encoding="utf-8") + MODEL_BLOCK, encoding="utf-8")
    rules = root / "qa_rules/review_sentiment.yaml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("gates:\n", "gates:" + GATE, 1), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _project(tmp_path_factory.mktemp("issues") / "proj")
    run_stages(root, "example", ("config", *ALL_STAGES))
    return root


def test_predictions_are_out_of_fold_with_the_models_identity(built: Path) -> None:
    out = built / "build/example"
    summary = json.loads((out / "predict.json").read_text())
    assert summary["enabled"] is True
    assert summary["model_version"].startswith("tfidf_logreg-")
    assert summary["params"]["seed"] == 3
    assert summary["params"]["folds"] == 5
    assert summary["n_items"] == N_ITEMS
    assert summary["n_predicted"] == N_ITEMS
    assert summary["accuracy_vs_gold"] > 0.9  # the words tell the labels apart
    frame = pd.read_parquet(out / "predictions.parquet")
    assert list(frame.columns) == ["item_id", "model", "model_version", "fold", *LABELS]
    assert np.allclose(frame[LABELS].sum(axis=1), 1.0)
    assert set(frame["fold"]) <= set(range(5))


def test_planted_errors_lead_the_review_queue_and_reach_metrics(built: Path) -> None:
    out = built / "build/example"
    summary = json.loads((out / "label_issues.json").read_text())
    assert summary["ranked_by"] == "consensus_quality"
    with (out / "review_queue.csv").open(newline="", encoding="utf-8") as handle:
        queue = list(csv.DictReader(handle))
    assert 0 < len(queue) <= 20
    truth = _data()[3]
    table = pd.read_parquet(out / "label_issues.parquet")
    wrong = table[table["given_label"] != table["item_id"].map(truth)]
    assert set(wrong["item_id"]) >= PLANTED
    # Every wrong consensus ranks near the top, and the queue is mostly wrong labels.
    assert wrong["rank"].max() <= 2 * len(wrong)
    queued_wrong = [row["item_id"] in set(wrong["item_id"]) for row in queue]
    assert sum(queued_wrong) / len(queue) >= 0.8
    first = queue[0]
    assert first["suggested_label"] != first["given_label"]
    assert "is more likely" in first["reason"]
    assert "votes" in first["reason"]
    assert (first["label"], first["adjudicator_id"]) == ("", "")
    assert first["note"].startswith("label issue rank 1 (tfidf_logreg-")
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    assert metrics["n_label_issues"] == summary["n_label_issues"] >= len(PLANTED)
    assert metrics["label_issue_rate"] == pytest.approx(summary["n_label_issues"] / N_ITEMS)
    gate = json.loads((out / "gate.json").read_text())
    verdicts = {g["id"]: g["status"] for g in gate["checks"]}
    assert verdicts["label_issue_rate"] == "pass"
    gold = summary["gold"]
    assert gold["n_wrong_consensus_on_gold"] >= 1
    assert gold["auprc_label_quality"] >= gold["auprc_vote_share"]


def test_the_stages_are_byte_for_byte_reproducible(built: Path) -> None:
    out = built / "build/example"
    names = ("predictions.parquet", "label_issues.parquet", "review_queue.csv")
    before = {n: (out / n).read_bytes() for n in names}
    run_stages(built, "example", ("predict", "label_issues"))
    assert {n: (out / n).read_bytes() for n in names} == before


def test_a_review_decision_returns_as_an_adjudication(tmp_path: Path) -> None:
    root = _project(tmp_path / "proj")
    run_stages(root, "example", ("config", *ALL_STAGES[:6]))
    queue = pd.read_csv(root / "build/example/review_queue.csv", dtype=str, keep_default_na=False)
    decided = queue.head(2).copy()
    decided["label"] = decided["suggested_label"]
    decided["adjudicator_id"] = "lead"
    decided.to_csv(root / "datasets/example/adjudications.csv", index=False)
    run_stages(root, "example", ("ingest", "aggregate", "predict", "label_issues"))
    final = pd.read_parquet(root / "build/example/final_labels.parquet").set_index("item_id")
    for row in decided.itertuples():
        assert final.loc[row.item_id, "status"] == "adjudicated"
        assert final.loc[row.item_id, "label"] == row.suggested_label
        assert final.loc[row.item_id, "note"].startswith("label issue rank")
    after = pd.read_csv(root / "build/example/review_queue.csv", dtype=str)
    assert not set(decided["item_id"]) & set(after["item_id"])
    issues = pd.read_parquet(root / "build/example/label_issues.parquet").set_index("item_id")
    assert not issues.loc[decided["item_id"], "is_issue"].any()


def test_a_teams_own_predictions_are_used_and_bad_rows_named(tmp_path: Path) -> None:
    root = _project(tmp_path / "proj")
    pipeline = root / "pipelines/default.yaml"
    pipeline.write_text(
        pipeline.read_text().replace("  seed: 3", "  provider: predictions"), encoding="utf-8"
    )
    _, _, _, truth = _data()
    rows = ["review_id,label,score,model,model_version"]
    rows += [f"{i},{label},0.9,ours,v7" for i, label in truth.items()]
    manifest = root / "datasets/example/dataset.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "  audit_results:",
            "  predictions:\n    path: raw/predictions.csv\n    columns:\n"
            "      item_id: review_id\n  audit_results:",
        ),
        encoding="utf-8",
    )
    write_files(root, {"datasets/example/raw/predictions.csv": "\n".join(rows) + "\n"})
    checked = cli("check", root)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    summaries = run_stages(root, "example", ("config", *ALL_STAGES[:6]))
    assert (summaries["predict"]["model"], summaries["predict"]["model_version"]) == ("ours", "v7")
    issues = pd.read_parquet(root / "build/example/label_issues.parquet").set_index("item_id")
    assert issues.loc[sorted(PLANTED), "is_issue"].all()
    write_files(
        root,
        {
            "datasets/example/raw/predictions.csv": "\n".join(
                [*rows[:3], "r999,positive,1.5,ours,v7"]
            )
        },
    )
    result = cli("stage", "predict", "--dataset", "example", "-C", root)
    assert result.returncode == 3, result.stderr
    assert "datasets/example/raw/predictions.csv" in result.stderr
    assert "1.5" in result.stderr


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    items, annotations, _, _ = _data(seed=1)
    text = {
        json.loads(line)["review_id"]: json.loads(line)["text"]
        for line in items.split("\n")
        if line
    }
    frame = pd.read_csv(pd.io.common.StringIO(annotations))
    frame["review"] = frame["review_id"].map(text)
    path = tmp_path_factory.mktemp("export") / "answers.csv"
    frame.to_csv(path, index=False)
    return path


def test_label_issues_command_ranks_any_export(export: Path, tmp_path: Path) -> None:
    out = tmp_path / "issues.csv"
    result = cli(
        "label-issues", export, "--item-col", "review_id", "--annotator-col", "worker",
        "--label-col", "answer", "--text-col", "review", "--seed", "2", "-o", out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "likely label errors in 150 items" in result.stderr
    table = pd.read_csv(out)
    expected = [
        "item_id",
        "given_label",
        "suggested_label",
        "label_quality",
        "is_issue",
        "rank",
        "reason",
    ]
    assert list(table.columns) == expected
    assert table["rank"].tolist() == list(range(1, N_ITEMS + 1))
    assert table["label_quality"].between(0, 1).all()
    assert set(table[table["is_issue"]]["item_id"]) >= PLANTED
    assert table["is_issue"].iloc[: int(table["is_issue"].sum())].all()  # issues first


def test_label_issues_command_takes_predictions_instead_of_text(
    export: Path, tmp_path: Path
) -> None:
    _, _, _, truth = _data(seed=1)
    probs = tmp_path / "probs.csv"
    rows = ["review_id,negative,neutral,positive"]
    rows += [
        ",".join([i, *("0.8" if x == t else "0.1" for x in sorted(LABELS))])
        for i, t in truth.items()
    ]
    probs.write_text("\n".join(rows) + "\n")
    result = cli(
        "label-issues", export, "--item-col", "review_id", "--annotator-col", "worker",
        "--label-col", "answer", "--predictions", probs,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(pd.io.common.StringIO(result.stdout))
    assert set(table[table["is_issue"]]["item_id"]) >= PLANTED


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ((), "give --text-col"),
        (("--text-col", "body"), "--text-col 'body' is not a column"),
        (("--text-col", "review", "--folds", "1"), "--folds must be 2 to 20"),
    ],
)
def test_label_issues_command_usage_errors(
    export: Path, extra: tuple[str, ...], message: str
) -> None:
    result = cli(
        "label-issues", export, "--item-col", "review_id", "--annotator-col", "worker",
        "--label-col", "answer", *extra,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


def test_trace_shows_what_the_model_said_of_a_label(built: Path) -> None:
    queue = pd.read_csv(built / "build/example/review_queue.csv", dtype=str)
    item = queue["item_id"].iloc[0]
    result = cli("trace", "example", item, "-C", built)
    assert result.returncode == 0, result.stderr
    assert "model check (tfidf_logreg-" in result.stdout
    assert "rank 1, suggests" in result.stdout
    assert "flagged as a likely label error" in result.stdout


def test_a_predictions_file_row_that_cannot_be_read_stops_the_command(
    export: Path, tmp_path: Path
) -> None:
    probs = tmp_path / "probs.csv"
    probs.write_text('review_id,negative,neutral,positive\nr000,0.1,0.1,0.8\n"r001,0.2\n')
    result = cli(
        "label-issues", export, "--item-col", "review_id", "--annotator-col", "worker",
        "--label-col", "answer", "--predictions", probs,
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "probs.csv" in result.stderr
    assert "cannot be read" in result.stderr
