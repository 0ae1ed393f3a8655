"""Majority vote and its tie rule, adjudication, annotator qualification, audit and gates."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from labelgate.aggregation.majority_vote import MajorityVote
from labelgate.analysis.gates import evaluate_gate, overall_status
from labelgate.config.qa_rules import Gate
from labelgate.errors import InputError
from tests.conftest import ALL_STAGES, ProjectFactory, run_stages


def test_majority_vote_tie_rule_is_schema_order() -> None:
    # item i0: b, b, a -> b; i1: a tie between c and b -> b (declared before c); i2: one vote.
    df = pd.DataFrame(
        {
            "item_id": ["i0", "i0", "i0", "i1", "i1", "i2"],
            "annotator_id": ["w1", "w2", "w3", "w1", "w2", "w1"],
            "label": ["b", "b", "a", "c", "b", "c"],
        }
    )
    model = MajorityVote(labels=["a", "b", "c"]).fit(df)
    assert model.labels_.tolist() == ["b", "b", "c"]
    assert model.ties_.tolist() == [False, True, False]
    assert model.probas_.loc["i0"].tolist() == pytest.approx([1 / 3, 2 / 3, 0])


ANSWERS = "review_id,worker,answer,duration_s\n" + "".join(
    f"r{i:02d},{w},{lab},5\n"
    for i, labs in enumerate(
        [
            ("positive", "positive", "negative"),
            ("positive", "negative", "neutral"),
            ("neutral", "neutral", "neutral"),
        ]
        * 4,
        start=1,
    )
    for w, lab in zip(("w1", "w2", "w3"), labs, strict=True)
)


def test_ties_are_unresolved_then_adjudicated(make_project: ProjectFactory) -> None:
    root = make_project({"datasets/example/raw/annotations.csv": ANSWERS})
    summary = run_stages(root, "example", ALL_STAGES[:4])["aggregate"]
    assert summary["status"] == {"agreed": 4, "aggregated": 4, "adjudicated": 0, "unresolved": 4}
    queue = pd.read_csv(root / "build/example/adjudication_queue.csv", keep_default_na=False)
    assert queue["item_id"].tolist() == ["r02", "r05", "r08", "r11"]
    assert queue["annotations"].iloc[0] == "w1=positive; w2=negative; w3=neutral"
    assert queue["rulings"].iloc[0] == "R-001, R-002"
    (root / "datasets/example/adjudications.csv").write_text(
        "item_id,label,adjudicator_id,ruling_id,note\nr02,neutral,lead,R-002,balanced\n",
        encoding="utf-8",
    )
    summary = run_stages(root, "example", ALL_STAGES[:4])["aggregate"]
    assert summary["status"]["adjudicated"] == 1
    final = pd.read_parquet(root / "build/example/final_labels.parquet").set_index("item_id")
    assert final.loc["r02", ["label", "status", "adjudicator_id", "ruling_id"]].tolist() == [
        "neutral",
        "adjudicated",
        "lead",
        "R-002",
    ]
    assert final.loc["r01", "raw_confidence"] == pytest.approx(2 / 3)  # the vote share
    assert final.loc["r01", "guideline_versions"] == "1.0.0"


def test_adjudication_citing_an_unknown_ruling_is_refused(make_project: ProjectFactory) -> None:
    root = make_project(
        {
            "datasets/example/adjudications.csv": "item_id,label,adjudicator_id,ruling_id,note\nr02,neutral,lead,R-099,\n"
        }
    )
    with pytest.raises(
        InputError,
        match=r"adjudication of item 'r02' cites ruling 'R-099', which guideline 'review_sentiment' does not define",
    ):
        run_stages(root, "example", ALL_STAGES[:4])


def test_annotator_gold_accuracy_and_qualification(make_project: ProjectFactory) -> None:
    root = make_project()
    summary = run_stages(root, "example", ALL_STAGES[:4])["aggregate"]
    annotators = pd.read_csv(root / "build/example/annotators.csv").set_index("annotator_id")
    # Gold is r01-r06; w3 labels r04 negative and r05 positive (gold: neutral, neutral).
    assert annotators.loc["w3", ["n_gold", "gold_accuracy"]].tolist() == [6, pytest.approx(4 / 6)]
    assert annotators.loc["w1", "gold_accuracy"] == 1.0
    assert summary["annotators_needing_retraining"] == []  # the template's bar is 0.6
    assert summary["gold_accuracy"] == 1.0


def test_audit_sample_is_seeded_stratified_and_stable(make_project: ProjectFactory) -> None:
    root = make_project()
    first = run_stages(root, "example", (*ALL_STAGES[:4], "audit"))["audit"]
    sample = pd.read_csv(root / "build/example/audit_sample.csv", keep_default_na=False)
    again = run_stages(root, "example", ("audit",))["audit"]
    assert first == again
    # 12 labels: 4 positive, 4 negative, 4 neutral -> 25% of each = 1 per label.
    assert first["n_sampled"] == 3
    assert sorted(sample["stratum"]) == ["negative", "neutral", "positive"]
    assert list(sample.columns[-4:]) == ["auditor_id", "verdict", "label", "reason"]
    filled = sample.assign(auditor_id="expert", verdict=["correct", "correct", "incorrect"])
    filled.to_csv(root / "datasets/example/audit_results.csv", index=False)
    result = run_stages(root, "example", ("ingest", "audit"))["audit"]["results"]
    assert result["n_audited"] == 3
    assert result["audit_pass_rate"] == pytest.approx(2 / 3)
    assert 0 < result["ci_low"] < 2 / 3 < result["ci_high"] < 1


METRICS = {
    "metrics": {"krippendorff_alpha": 0.7, "n_items": 800, "gold_accuracy": None},
    "intervals": {},
    "sample_sizes": {"agreement": 600, "gold": 0},
}


@pytest.mark.parametrize(
    ("gate", "status", "message"),
    [
        ({"min": 0.6}, "pass", "krippendorff_alpha = 0.700 meets min 0.6."),
        ({"min": 0.8}, "fail", "krippendorff_alpha = 0.700 is below min 0.8."),
        ({"min": 0.8, "severity": "warn"}, "warn", "is below min 0.8"),
        ({"min": 0.6, "min_items": 1000}, "error", "rests on 600 items, fewer than min_items 1000"),
        ({"min_lower_bound": 0.6}, "error", "needs a confidence interval"),
    ],
)
def test_gate_statuses(gate: dict[str, object], status: str, message: str) -> None:
    result = evaluate_gate(Gate(metric="krippendorff_alpha", **gate), METRICS)
    assert result["status"] == status
    assert message in result["message"]


def test_a_metric_that_could_not_be_computed_is_an_error_not_a_pass() -> None:
    result = evaluate_gate(Gate(metric="gold_accuracy", min=0.5), METRICS)
    assert result["status"] == "error"
    assert overall_status([result]) == "fail"
    assert overall_status([{"status": "pass"}, {"status": "warn"}]) == "warn"


def test_gate_stage_writes_the_verdict(make_project: ProjectFactory) -> None:
    root = make_project()
    run_stages(root, "example", ALL_STAGES)
    verdict = json.loads((root / "build/example/gate.json").read_text(encoding="utf-8"))
    assert verdict["status"] == "pass"
    assert [c["id"] for c in verdict["checks"]] == ["krippendorff_alpha", "gold_accuracy"]
    metrics = json.loads((root / "build/example/metrics.json").read_text(encoding="utf-8"))
    assert metrics["metrics"]["krippendorff_alpha"] == pytest.approx(0.5104, abs=1e-4)
