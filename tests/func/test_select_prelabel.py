"""`labelgate select` and `labelgate prelabel` end to end, and automation bias in the pipeline."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelgate.io.importers import import_file
from labelgate.report.metrics_json import collect_metrics
from tests.conftest import ALL_STAGES, ProjectFactory, cli, run_stages

GOOD = ("great", "lovely", "excellent", "superb", "fine")
BAD = ("awful", "broken", "terrible", "poor", "bad")


def _text(rng: np.random.Generator, label: str, i: int) -> str:
    words = [*list(rng.choice(GOOD if label == "pos" else BAD, 3)), f"w{i % 7}", "item"]
    if i % 10 == 0:  # a few ambiguous items, so uncertainty has something to find
        words += list(rng.choice(BAD if label == "pos" else GOOD, 3))
    return " ".join(words)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("select")
    rng = np.random.default_rng(0)
    rows, pool = [], []
    for i in range(30):
        label = "pos" if i % 2 else "neg"
        text = _text(rng, label, i)
        for worker in ("w1", "w2"):
            answer = label if (worker == "w1" or i % 9) else ("neg" if label == "pos" else "pos")
            rows.append((f"L{i:02d}", worker, answer, text, i % 3))
    for i in range(40):
        pool.append((f"P{i:02d}", _text(rng, "pos" if i % 2 else "neg", i), i % 5))
    columns = ["id", "worker", "answer", "body", "length"]
    pd.DataFrame(rows, columns=columns).to_csv(root / "labelled.csv", index=False)
    pd.DataFrame(pool, columns=["id", "body", "length"]).to_json(
        root / "pool.jsonl", orient="records", lines=True
    )
    return root


def _select(files: Path, *extra: str | Path) -> pd.DataFrame:
    args: list[str | Path] = [
        "select",
        "--labeled",
        files / "labelled.csv",
        "--pool",
        files / "pool.jsonl",
    ]
    args += ["--item-col", "id", "--annotator-col", "worker", "--label-col", "answer"]
    result = cli(*args, *extra)
    assert result.returncode == 0, result.stderr
    from io import StringIO

    return pd.read_csv(StringIO(result.stdout), keep_default_na=False, dtype={"item_id": str})


@pytest.mark.parametrize(
    "strategy", ["uncertainty", "margin", "entropy", "rare", "novelty", "diversity", "random"]
)
def test_every_strategy_ranks_the_pool_reproducibly(files: Path, strategy: str) -> None:
    table = _select(files, "--text-col", "body", "--budget", "5", "--strategy", strategy)
    assert table.columns.tolist() == ["item_id", "rank", "score", "strategy", "reason"]
    assert table["rank"].tolist() == [1, 2, 3, 4, 5]
    assert table["item_id"].str.startswith("P").all()
    assert table["item_id"].is_unique
    assert (table["strategy"] == strategy).all()
    assert (table["reason"] != "").all()
    again = _select(files, "--text-col", "body", "--budget", "5", "--strategy", strategy)
    pd.testing.assert_frame_equal(table, again)


def test_mix_disagreement_and_features_without_text(files: Path, tmp_path: Path) -> None:
    weights = tmp_path / "mix.yaml"
    weights.write_text("weights: {uncertainty: 0.7, novelty: 0.3}\n", encoding="utf-8")
    mix = _select(files, "--text-col", "body", "--strategy", "mix", "--weights-file", weights)
    assert len(mix) == 40
    # 30 labelled items of 2 classes are a cold start: the batch represents the pool.
    cold = "cold start (30 labelled items, fewer than 50 per class): a random member of cluster"
    assert mix["reason"].str.startswith(cold).all()
    again = _select(files, "--text-col", "body", "--budget", "3", "--strategy", "disagreement")
    # Items w2 answered differently (every 9th) lead: 1 of 2 votes.
    assert again["item_id"].str.startswith("L").all()
    assert again["reason"].iloc[0].startswith("1 of 2 votes")
    numeric = _select(files, "--feature-cols", "length", "--budget", "4", "--strategy", "entropy")
    assert len(numeric) == 4


def test_select_usage_errors(files: Path) -> None:
    base: list[str | Path] = ["select", "--labeled", files / "labelled.csv", "--item-col", "id"]
    base += ["--annotator-col", "worker", "--label-col", "answer"]
    result = cli(*base, "--text-col", "body", "--budget", "3")
    assert result.returncode == 2
    assert "--pool is required" in result.stderr
    result = cli(*base, "--pool", files / "pool.jsonl", "--budget", "3")
    assert result.returncode == 2
    assert "give --text-col" in result.stderr
    result = cli(*base, "--pool", files / "pool.jsonl", "--text-col", "nope")
    assert result.returncode == 2
    assert "'nope' is not a column" in result.stderr


@pytest.mark.parametrize("fmt", ["labelstudio", "prodigy", "argilla", "csv"])
def test_prelabel_writes_each_format_with_a_coverage_table(
    files: Path, tmp_path: Path, fmt: str
) -> None:
    out, coverage = tmp_path / f"out.{fmt}", tmp_path / "coverage.csv"
    result = cli(
        "prelabel",
        "--labeled",
        files / "labelled.csv",
        "--pool",
        files / "pool.jsonl",
        "--item-col",
        "id",
        "--annotator-col",
        "worker",
        "--label-col",
        "answer",
        "--text-col",
        "body",
        "--format",
        fmt,
        "--min-confidence",
        "0.6",
        "--coverage-out",
        coverage,
        "-o",
        out,
    )
    assert result.returncode == 0, result.stderr
    assert "min_confidence  coverage  precision" in result.stderr
    table = pd.read_csv(coverage)
    assert 0.6 in table["min_confidence"].tolist()
    assert table["coverage"].is_monotonic_decreasing
    if fmt == "labelstudio":
        tasks = json.loads(out.read_text(encoding="utf-8"))
        assert len(tasks) == 40
        predicted = [t for t in tasks if "predictions" in t]
        assert predicted
        assert all(t["predictions"][0]["score"] >= 0.6 for t in predicted)
        assert predicted[0]["predictions"][0]["model_version"].startswith("tfidf_logreg-")
        # Label Studio keeps the predictions and adds what the annotator chose: its export
        # of these tasks reads back with each suggestion beside the answer.
        for k, task in enumerate(tasks):
            task["id"] = k + 1
            answer = [
                {**r, "id": f"r{k}"} for r in (task.get("predictions") or [{}])[0].get("result", [])
            ]
            task["annotations"] = [{"id": k + 1, "completed_by": 1, "result": answer}]
        out.write_text(json.dumps(tasks), encoding="utf-8")
        back = import_file(out, "labelstudio", str(out))
        assert len(back.predictions) == len(predicted)
        assert back.predictions["model_version"].str.startswith("tfidf_logreg-").all()
        labels = dict(zip(back.predictions["item_id"], back.predictions["label"], strict=True))
        answered = back.annotations.set_index("item_id")["label"]
        assert all(answered[item] == label for item, label in labels.items())
    elif fmt == "prodigy":
        tasks = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        for task in tasks:  # the annotator accepted every suggestion, as db-out writes it
            task["_input_hash"] = zlib.crc32(task["text"].encode("utf-8"))
            task["_task_hash"] = zlib.crc32(json.dumps(task, sort_keys=True).encode("utf-8"))
            task["answer"] = "accept"
            task["_annotator_id"] = "session-1"
        out.write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
        back = import_file(out, "prodigy", str(out))
        # A task below --min-confidence has no option chosen: Prodigy's export skips it too.
        assert len(back.annotations) == sum(bool(t.get("accept")) for t in tasks)
        suggested = back.annotations[back.annotations["suggested_label"] != ""]
        assert len(suggested) == len(back.annotations)
        assert (suggested["label"] == suggested["suggested_label"]).all()
    elif fmt == "argilla":
        records = json.loads(out.read_text(encoding="utf-8"))
        for record in records:  # answered by one user, as Argilla's export would be
            record["responses"] = {"label": [{"user_id": "u", "value": "pos"}]}
        out.write_text(json.dumps(records), encoding="utf-8")
        back = import_file(out, "argilla", str(out))
        suggested = back.annotations[back.annotations["suggested_label"] != ""]
        assert len(suggested) > 0
        assert suggested["model_version"].str.startswith("tfidf_logreg-").all()
    elif fmt == "csv":
        frame = pd.read_csv(out, keep_default_na=False)
        assert frame["suggested_label"].isin(["pos", "neg", ""]).all()


def _with_suggestions(answers: str) -> str:
    """The template's answers with a suggestion on every annotation: 'positive' everywhere."""
    lines = answers.strip().splitlines()
    header = lines[0] + ",suggested_label,suggestion_score,model_version"
    return "\n".join([header] + [f"{line},positive,0.8,m-1" for line in lines[1:]]) + "\n"


def test_automation_bias_reaches_aggregate_metrics_and_summary(
    make_project: ProjectFactory,
) -> None:
    root = make_project()
    raw = root / "datasets/example/raw/annotations.csv"
    raw.write_text(_with_suggestions(raw.read_text(encoding="utf-8")), encoding="utf-8")
    summaries = run_stages(root, "example", ALL_STAGES[:4])
    bias = summaries["aggregate"]["suggestions"]  # type: ignore[index]
    frame = pd.read_csv(raw)
    gold = pd.read_csv(root / "datasets/example/raw/gold.csv")
    accepted = (frame["answer"] == "positive").mean()
    assert bias["acceptance_rate"] == pytest.approx(accepted)
    wrong = frame[frame["review_id"].isin(gold.loc[gold["label"] != "positive", "review_id"])]
    assert bias["n_wrong_suggestions_on_gold"] == len(wrong)
    on_disk = json.loads((root / "build/example/aggregate.json").read_text(encoding="utf-8"))
    assert on_disk["suggestions"]["n_with_suggestion"] == len(frame)
    empty = {"coefficients": {}, "n_pairable_items": 0}
    ingest = {"n_annotations": 1, "n_annotators": 1, "quarantine_rate": 0}
    validation = {"violation_rate": 0, "duplicate_item_rate": 0}
    metrics = collect_metrics(ingest, validation, empty, on_disk, {"results": None})
    assert metrics["metrics"]["suggestion_acceptance_rate"] == pytest.approx(accepted)
    assert metrics["metrics"]["wrong_suggestion_acceptance_rate"] == pytest.approx(
        bias["wrong_suggestion_acceptance_rate"]
    )
    from labelgate.report.summary_md import suggestion_lines

    assert "automation bias" in " ".join(suggestion_lines(on_disk)) or not len(wrong)
    assert suggestion_lines({"suggestions": {"n_with_suggestion": 0}}) == []


def test_exploration_share_past_the_cold_start(files: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    rows = [(f"M{i:03d}", "w1", "pos" if i % 2 else "neg") for i in range(100)]
    texts = [_text(rng, label, i) for i, (_, _, label) in enumerate(rows)]
    frame = pd.DataFrame(rows, columns=["id", "worker", "answer"]).assign(body=texts)
    frame.to_csv(tmp_path / "labelled.csv", index=False)
    (tmp_path / "pool.jsonl").write_bytes((files / "pool.jsonl").read_bytes())
    half = _select(tmp_path, "--text-col", "body", "--budget", "10", "--exploration", "0.5")
    drawn = half["reason"].str.startswith("exploration (50% of the batch at random); top class")
    assert drawn.sum() == 5
    assert half["reason"][~drawn].str.startswith("top class").all()
    rules = tmp_path / "sampling.yaml"
    rules.write_text("next_batch:\n  budget: 10\n  exploration: 0\n", encoding="utf-8")
    ranked = _select(tmp_path, "--text-col", "body", "--rules", rules)
    assert ranked["reason"].str.startswith("top class").all()
    # The scores only order the exploiting part: the ranked batch's best 5 lead both tables.
    assert half["item_id"][~drawn].tolist() == ranked["item_id"].head(5).tolist()


def test_sampling_rules_file_sets_the_next_batch(files: Path, tmp_path: Path) -> None:
    rules = tmp_path / "sampling.yaml"
    rules.write_text(
        "next_batch:\n  strategy: mix\n  budget: 4\n  seed: 3\n"
        "  weights: {uncertainty: 0.5, rare: 0.5}\n",
        encoding="utf-8",
    )
    table = _select(files, "--text-col", "body", "--rules", rules)
    assert table["strategy"].tolist() == ["mix"] * 4
    rules.write_text("next_batch:\n  strategy: mix\n  budgett: 4\n", encoding="utf-8")
    result = cli("select", "--labeled", files / "labelled.csv", "--rules", rules)
    assert result.returncode == 3
    assert "budgett" in result.stderr
