"""The feedback stage end to end: reviews and a qualification test ingested (bad rows
quarantined), an annotator whose gold accuracy falls flagged with the test's p-value, a
confused pair mapped to the ruling that covers it, pages that never name a colleague, drift
between batches, and the gates and report that read them."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from labelgate.scaffold.init import init_project
from tests.conftest import ALL_STAGES, cli, run_stages, write_files

LABELS = ("positive", "negative", "neutral")
ANNOTATORS = [f"a{i:02d}" for i in range(1, 9)]
DRIFTING = "a08"  # careful in b1, wrong on most of b2
WEAK_TEST = "a05"  # fails the qualification test
N_ITEMS = 240  # b1: the first half, b2: the second, whose items are about something else
QUESTIONS = [f"q{i:02d}" for i in range(10)]
SOURCES = """
  reviews:
    path: raw/reviews.csv
  qualification:
    path: raw/qualification.csv
  qualification_key:
    path: raw/qualification_key.csv
"""
RULES = """
  qualification_pass_mark: 0.7
  min_qualification_questions: 8
  max_gold_accuracy_drop: 0.2
"""
GATES = """
  - metric: review_rejection_rate
    max: 0.05
  - metric: item_drift_auc
    max: 0.75
    severity: warn
  - metric: annotators_flagged_for_retraining
    max: 0
    severity: warn
"""


def _truth(i: int) -> str:
    return LABELS[i % 3]


def _data(seed: int = 3) -> dict[str, str]:
    """Raw files: two batches, gold on every fourth item, reviews, and the test."""
    rng = np.random.default_rng(seed)
    start = {"b1": datetime(2026, 1, 5, 9, tzinfo=UTC), "b2": datetime(2026, 2, 2, 9, tzinfo=UTC)}
    items, rows = [], {"b1": [], "b2": []}
    for i in range(N_ITEMS):
        batch = "b1" if i < N_ITEMS // 2 else "b2"
        topic = "the blender" if batch == "b1" else "the streaming subscription renewal"
        items.append(json.dumps({"review_id": f"r{i:03d}", "text": f"review {i} of {topic}"}))
        for k, w in enumerate(rng.choice(len(ANNOTATORS), 3, replace=False)):
            who, truth = ANNOTATORS[w], _truth(i)
            wrong = 0.8 if who == DRIFTING and batch == "b2" else 0.05
            label = truth
            if rng.random() < wrong:
                label = LABELS[(i + 1 + int(rng.integers(2))) % 3]
            elif truth == "positive" and rng.random() < 0.25:
                label = "neutral"  # faint praise read as neutral: the confused pair
            when = start[batch] + timedelta(hours=i % 100, minutes=10 * k)
            rows[batch].append([f"r{i:03d}", who, label, 20, f"{when:%Y-%m-%dT%H:%M:%SZ}"])
    reviews = []
    for batch in ("b1", "b2"):
        for item, who, label, _, when in rows[batch][::4]:
            truth = _truth(int(item[1:]))
            reason = "faint praise is positive (R-001)" if label == "neutral" else "wrong sentiment"
            verdict = "accept" if label == truth else "reject"
            reviews.append([item, who, "rev1", verdict, "" if label == truth else reason, when])
    reviews.append(["r000", "zz99", "rev1", "reject", "no such annotation", "2026-01-06T09:00:00Z"])
    reviews.append([reviews[0][0], reviews[0][1], "rev2", "maybe", "", "2026-01-06T09:05:00Z"])
    key = [LABELS[int(x)] for x in rng.integers(3, size=len(QUESTIONS))]
    answers = []
    for who in ANNOTATORS:
        right = 4 if who == WEAK_TEST else 9
        for q, (question, answer) in enumerate(zip(QUESTIONS, key, strict=True)):
            given = answer if q < right else LABELS[(LABELS.index(answer) + 1) % 3]
            answers.append([who, question, given])
    head = ["review_id", "worker", "answer", "duration_s", "annotated_at"]
    return {
        "datasets/example/raw/items.jsonl": "\n".join(items) + "\n",
        "datasets/example/raw/b1.csv": _csv(head, rows["b1"]),
        "datasets/example/raw/b2.csv": _csv(head, rows["b2"]),
        "datasets/example/raw/gold.csv": _csv(
            ["review_id", "label"], [[f"r{i:03d}", _truth(i)] for i in range(0, N_ITEMS, 4)]
        ),
        "datasets/example/raw/reviews.csv": _csv(
            ["item_id", "annotator_id", "reviewer_id", "verdict", "reason", "reviewed_at"],
            reviews,
        ),
        "datasets/example/raw/qualification.csv": _csv(
            ["annotator_id", "item_id", "label"], answers
        ),
        "datasets/example/raw/qualification_key.csv": _csv(
            ["item_id", "label"], [list(p) for p in zip(QUESTIONS, key, strict=True)]
        ),
    }


def _csv(head: list[str], rows: list[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(head)
    writer.writerows(rows)
    return out.getvalue()


def build_feedback_project(root: Path) -> Path:
    """The template project on the data above, its manifest, rules and gates extended."""
    init_project(root, git=False, dvc=False)
    write_files(root, {"datasets/example/raw/annotations.csv": None, **_data()})
    manifest = root / "datasets/example/dataset.yaml"
    text = manifest.read_text(encoding="utf-8")
    old = text[text.index("  annotations:") : text.index("  items:")]
    batches = "".join(
        f"""    - path: raw/{b}.csv
      batch: {b}
      guideline_version: "1.0.0"
      columns: {{item_id: review_id, annotator_id: worker, label: answer}}
"""
        for b in ("b1", "b2")
    )
    manifest.write_text(
        text.replace(old, "  annotations:\n" + batches) + SOURCES.lstrip("\n"), encoding="utf-8"
    )
    rules = root / "qa_rules/review_sentiment.yaml"
    text = rules.read_text(encoding="utf-8")
    text = text.replace("gates:\n", "gates:" + GATES, 1)
    text = text.replace("  min_gold_items: 2\n", "  min_gold_items: 2" + RULES, 1)
    rules.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = build_feedback_project(tmp_path_factory.mktemp("feedback") / "proj")
    run_stages(root, "example", ("config", *ALL_STAGES))
    return root


def _json(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text(encoding="utf-8"))


def test_bad_reviews_are_quarantined_and_counted_and_the_rest_summarised(built: Path) -> None:
    ingest = _json(built / "build/example/ingest.json")
    source = next(s for s in ingest["sources"] if s["table"] == "reviews")
    assert source["reasons"] == {"bad_verdict": 1, "unknown_annotation": 1}
    assert source["rows_kept"] == source["rows_in"] - 2
    with (built / "datasets/example/raw/reviews.csv").open(encoding="utf-8") as handle:
        kept = [r for r in csv.DictReader(handle) if r["annotator_id"] != "zz99"]
    kept = [r for r in kept if r["verdict"] in ("accept", "reject")]
    rejected = sum(r["verdict"] == "reject" for r in kept)
    feedback = _json(built / "build/example/feedback.json")
    assert feedback["reviews"]["n_reviews"] == len(kept)
    assert feedback["review_rejection_rate"] == pytest.approx(rejected / len(kept), abs=1e-9)
    reasons = {r["reason"]: r["count"] for r in feedback["reviews"]["reasons"]}
    assert sum(reasons.values()) == rejected
    assert max(reasons, key=lambda r: reasons[r]) in {
        "faint praise is positive (R-001)",
        "wrong sentiment",
    }
    # The drifting annotator has the highest rejection rate.
    by_annotator = feedback["reviews"]["by_annotator"]
    assert max(by_annotator, key=lambda a: by_annotator[a]["rejection_rate"]) == DRIFTING


def test_the_drifting_annotator_and_the_failed_test_are_flagged_with_reasons(built: Path) -> None:
    feedback = _json(built / "build/example/feedback.json")
    retraining = feedback["retraining"]
    assert any("one-sided Fisher exact p =" in r for r in retraining[DRIFTING])
    assert retraining[WEAK_TEST] == [
        "qualification test 4 of 10 (0.40) is below the pass mark 0.70"
    ]
    assert feedback["qualification_pass_rate"] == pytest.approx(7 / 8)
    windows = {w["window"]: w for w in feedback["gold_accuracy_by_window"][DRIFTING]}
    assert set(windows) == {"b1", "b2"}
    assert windows["b1"]["accuracy"] - windows["b2"]["accuracy"] > 0.2
    table = list(csv.DictReader((built / "build/example/feedback/annotators.csv").open()))
    row = next(r for r in table if r["annotator_id"] == DRIFTING)
    assert "fell from" in row["retraining_reasons"]
    assert row["page"] == f"annotators/{DRIFTING}.md"


def test_the_confused_pair_is_ranked_first_with_the_ruling_that_covers_it(built: Path) -> None:
    folder = built / "build/example/feedback"
    suggestions = _json(folder / "guideline_suggestions.json")
    top = suggestions["pairs"][0]
    assert sorted(top["labels"]) == ["neutral", "positive"]
    assert [r["id"] for r in top["rulings"]] == ["R-001"]
    consensus = top["consensus"]
    assert consensus["ci_low"] <= consensus["rate"] <= consensus["ci_high"]
    assert top["examples"]
    text = (folder / "guideline_suggestions.md").read_text(encoding="utf-8")
    assert (
        "## 1. `positive` versus `neutral`" in text or "## 1. `neutral` versus `positive`" in text
    )
    assert "R-001: Faint praise" in text


def test_a_page_is_written_to_its_annotator_and_names_no_colleague(built: Path) -> None:
    pages = built / "build/example/feedback/annotators"
    assert sorted(p.stem for p in pages.glob("*.md")) == ANNOTATORS
    for page in pages.glob("*.md"):
        text = page.read_text(encoding="utf-8")
        others = [a for a in ANNOTATORS if a != page.stem]
        named = [a for a in others if re.search(rf"\b{a}\b", text)]
        assert not named, f"{page.name} names {named}"
        assert "Your accuracy on gold items" in text
    drifting = (pages / f"{DRIFTING}.md").read_text(encoding="utf-8")
    assert "Retraining is suggested because" in drifting
    assert "Examples to look at again" in drifting


def test_drift_between_batches_reaches_metrics_gates_and_the_plot(built: Path) -> None:
    out = built / "build/example"
    feedback = _json(out / "feedback.json")
    # b2's items are about another product: a classifier tells them apart.
    assert feedback["item_drift_auc"] > 0.9
    assert feedback["label_shift_jsd"] < 0.05  # the label mix is the same
    metrics = _json(out / "metrics.json")
    assert metrics["metrics"]["item_drift_auc"] == feedback["item_drift_auc"]
    for metric in ("review_rejection_rate", "item_drift_auc"):
        interval = metrics["intervals"][metric]
        assert interval["ci_low"] <= metrics["metrics"][metric] <= interval["ci_high"]
    verdicts = {c["id"]: c["status"] for c in _json(out / "gate.json")["checks"]}
    assert verdicts["review_rejection_rate"] == "fail"
    assert verdicts["item_drift_auc"] == "warn"
    assert verdicts["annotators_flagged_for_retraining"] == "warn"
    plot = list(csv.DictReader((out / "plots/drift_by_window.csv").open()))
    assert [r["window"] for r in plot] == ["b1", "b2"]
    assert plot[0]["item_drift_auc"] == ""
    assert float(plot[1]["item_drift_auc"]) == pytest.approx(feedback["item_drift_auc"])
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="feedback"' in html
    assert 'id="drift"' in html


def test_the_stage_command_rebuilds_the_same_bytes(built: Path) -> None:
    out = built / "build/example"
    files = [out / "feedback.json", *sorted((out / "feedback").rglob("*.*"))]
    before = {p: p.read_bytes() for p in files}
    result = cli("stage", "feedback", "--dataset", "example", cwd=built)
    assert result.returncode == 0, result.stderr
    assert "annotators flagged for retraining" in result.stdout + result.stderr
    assert {p: p.read_bytes() for p in files} == before


def test_check_refuses_a_pass_mark_without_a_qualification_source(tmp_path: Path) -> None:
    root = build_feedback_project(tmp_path / "proj")
    manifest = root / "datasets/example/dataset.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text[: text.index("  qualification:")], encoding="utf-8")
    result = cli("check", root)
    assert result.returncode == 3
    assert "qualification_pass_mark" in result.stderr
