"""Operations figures on small tables whose answers are worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from labelgate.analysis.ops import (
    OpsInputs,
    agrees,
    annotation_costs,
    eta,
    item_keys,
    latency,
    ops_summary,
    progress,
    throughput,
)
from labelgate.config.dataset import OpsSettings
from labelgate.config.roster import Roster


def _roster(**rates: dict[str, float]) -> Roster:
    return Roster.model_validate(
        {
            "kind": "roster",
            "format_version": 1,
            "annotators": [{"annotator_id": k, "capacity": 10, **v} for k, v in rates.items()],
        }
    )


def _annotations() -> pd.DataFrame:
    # Item a: two annotations on day 1 (10:00, 12:00); item b: day 1 11:00 and day 2 10:00;
    # item c: one annotation on day 2 (unresolved).
    rows = [
        ("a", "x", "pos", "2026-01-01T10:00:00Z", 60.0),
        ("a", "y", "pos", "2026-01-01T12:00:00Z", 120.0),
        ("b", "x", "neg", "2026-01-01T11:00:00Z", 60.0),
        ("b", "z", "neg", "2026-01-02T10:00:00Z", 30.0),
        ("c", "y", "pos", "2026-01-02T10:00:00Z", 30.0),
    ]
    frame = pd.DataFrame(rows, columns=["item_id", "annotator_id", "label", "at", "duration_s"])
    return frame.assign(annotated_at=pd.to_datetime(frame.pop("at"), utc=True))


FINAL = pd.DataFrame(
    {
        "item_id": ["a", "b", "c"],
        "label": ["pos", "neg", "pos"],
        "status": ["agreed", "agreed", "unresolved"],
        "audit_verdict": ["", "incorrect", ""],
    }
)
ITEMS = pd.DataFrame(
    {"item_id": ["a", "b", "c"], "arrived_at": ["2026-01-01T08:00:00Z"] * 2 + [None]}
)


def test_progress_counts_settled_items_against_the_target() -> None:
    out = progress(FINAL, _annotations(), target=4)
    # Two of three items settled, one in review; median annotations per item 2: a and b full.
    assert out["items_done"] == 2
    assert out["items_in_review"] == 1
    assert out["items_fully_labelled"] == 2
    assert out["items_not_started"] == 1
    assert out["progress"] == 0.5


def test_latency_runs_from_arrival_to_the_last_annotation() -> None:
    done = pd.Series(
        pd.to_datetime(["2026-01-01T12:00:00Z", "2026-01-02T10:00:00Z"], utc=True),
        index=["a", "b"],
    )
    out, reasons = latency(ITEMS, _annotations(), done, "arrived_at")
    # a: 08:00 -> 12:00 = 4 h; b: 08:00 -> next day 10:00 = 26 h. Median 15, p90 4 + 0.9 * 22.
    assert out["latency_median_hours"] == 15.0
    assert out["latency_p90_hours"] == pytest.approx(23.8)
    assert not reasons
    fallback, _ = latency(ITEMS, _annotations(), done, None)
    # From the first annotation: a 10:00 -> 12:00 = 2 h; b 11:00 -> 10:00 next day = 23 h.
    assert fallback["latency_median_hours"] == 12.5
    assert fallback["latency_from"] == "first_annotation"


def test_costs_per_hour_and_per_item_and_unknown_annotators() -> None:
    roster = _roster(x={"rate_per_hour": 36.0}, y={"rate_per_item": 0.5})
    costs = annotation_costs(_annotations(), roster)
    # x: 60 s at 36/h = 0.6 each; y: 0.5 each; z is not in the roster.
    assert costs.isna().tolist() == [False, False, False, True, False]
    assert costs.dropna().round(6).tolist() == [0.6, 0.5, 0.6, 0.5]


def test_summary_costs_per_final_and_accepted_label() -> None:
    roster = _roster(x={"rate_per_hour": 36.0}, y={"rate_per_item": 0.5, "hours_per_day": 1.0})
    inputs = OpsInputs(_annotations(), ITEMS, FINAL, roster, OpsSettings())
    out = ops_summary(inputs)
    # Total 0.6 + 0.5 + 0.6 + 0.5 = 2.2 over 4 costed annotations of 5; 2 settled, 1 accepted
    # (b was judged incorrect by an audit).
    assert out["total_cost"] == 2.2
    assert out["cost_coverage"] == 0.8
    assert out["cost_per_annotation"] == 0.55
    assert out["cost_per_final_label"] == 1.1
    assert out["cost_per_accepted_label"] == 2.2
    # y worked 150 s over 2 working days x 1 h available.
    assert out["utilization"] == pytest.approx(150 / 3600 / 2, abs=1e-6)
    assert out["warnings"]["annotators_not_in_roster"] == ["z"]


def test_throughput_over_elapsed_hours_and_working_days() -> None:
    annotations = _annotations()
    done = pd.Series(pd.to_datetime(["2026-01-01T12:00:00Z"], utc=True), index=["a"])
    out, _ = throughput(annotations, done)
    # 5 annotations over 24 h (day 1 10:00 to day 2 10:00), 2 working days.
    assert out["throughput_per_hour"] == pytest.approx(5 / 24, abs=1e-6)
    assert out["annotations_per_day"] == 2.5
    assert out["labels_per_day"] == 0.5


def test_eta_from_the_recent_daily_rate_with_an_interval() -> None:
    days = ["2026-01-01", "2026-01-02", "2026-01-02", "2026-01-03", "2026-01-03", "2026-01-03"]
    done = pd.Series(pd.to_datetime(days, utc=True))
    out, reasons = eta(done, remaining=10, window_days=3)
    # Daily counts 1, 2, 3: rate 2 per day -> 5 days; sd 1, half width 1.6449 / sqrt(3) = 0.949657.
    assert out["eta_days"] == 5.0
    assert out["eta_days_low"] == pytest.approx(10 / 2.949657, abs=1e-5)
    assert out["eta_days_high"] == pytest.approx(10 / 1.050343, abs=1e-5)
    assert out["eta_date"] == "2026-01-08"
    assert not reasons


def test_missing_timestamps_and_rates_give_nulls_with_reasons() -> None:
    annotations = _annotations().drop(columns=["annotated_at", "duration_s"])
    out = ops_summary(OpsInputs(annotations, ITEMS[["item_id"]], FINAL, None, OpsSettings()))
    for name in ("throughput_per_hour", "latency_p90_hours", "cost_per_accepted_label"):
        assert out[name] is None
        assert out["not_computed"][name]
    assert out["utilization"] is None
    assert out["progress"] == pytest.approx(2 / 3, abs=1e-6)


def test_prelabels_compare_speed_and_agreement_with_and_without_a_suggestion() -> None:
    annotations = _annotations().assign(
        suggested_label=pd.Series(["pos", "neg", None, None, "pos"], dtype=object)
    )
    out = ops_summary(OpsInputs(annotations, ITEMS, FINAL, None, OpsSettings()))["prelabels"]
    # With: a/x (kept, right, 60 s), a/y (changed to pos, right, 120 s), c/y (kept, right, 30 s).
    assert out["with"] == {
        "n_annotations": 3,
        "median_duration_s": 60.0,
        "agreement_with_final": 1.0,
        "suggestion_kept_rate": pytest.approx(2 / 3, abs=1e-6),
    }
    assert out["without"]["n_annotations"] == 2
    assert out["without"]["median_duration_s"] == 45.0


def test_item_keys_and_agreement_with_the_final_label() -> None:
    annotations = _annotations()
    keys = item_keys(annotations, FINAL, ITEMS)
    assert list(keys.ids[keys.final]) == ["a", "b", "c"]
    assert list(keys.ids[keys.annotation]) == annotations["item_id"].tolist()
    # a/y's label differs from a's final label; c has no final label here.
    changed = annotations.assign(label=["pos", "neg", "neg", "neg", "pos"])
    final = FINAL[FINAL["item_id"] != "c"]
    right = agrees(changed, final, item_keys(changed, final))
    assert right.tolist() == [True, False, True, True, False]
