"""Gate statuses: pass, warn, fail, error and no_baseline (a regression gate without a baseline),
how each counts in a dataset's status, and how the renderers show no_baseline."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from labelgate.analysis.gates import (
    NO_BASELINE,
    DatasetVerdict,
    counts_as,
    evaluate_gate,
    overall_status,
)
from labelgate.config.qa_rules import Gate
from labelgate.report.pr_comment import markdown_report, text_report

METRICS: dict[str, Any] = {
    "metrics": {"krippendorff_alpha": 0.442, "n_items": 800, "gold_accuracy": None},
    "intervals": {"krippendorff_alpha": {"ci_low": 0.41, "ci_high": 0.47}},
    "sample_sizes": {"agreement": 600, "gold": 0},
}
BASELINE: dict[str, Any] = {"metrics": {"krippendorff_alpha": 0.45}}
LOWER_BASELINE: dict[str, Any] = {"metrics": {"krippendorff_alpha": 0.5}}


def alpha(**keys: Any) -> Gate:
    return Gate(metric="krippendorff_alpha", **keys)


# --- no baseline -------------------------------------------------------------------------


def test_a_regression_gate_without_a_baseline_is_no_baseline_and_fails_the_dataset() -> None:
    result = evaluate_gate(alpha(max_drop=0.02), METRICS)
    assert result["status"] == NO_BASELINE == "no_baseline"
    assert result["on_missing_baseline"] == "error"
    assert counts_as(result) == "error"
    assert overall_status([result]) == "fail"
    message = result["message"]
    assert message.startswith(
        "krippendorff_alpha = 0.442 was not compared with a baseline: max_drop 0.02 needs one"
    )
    assert "this counts as an error" in message
    assert "'labelgate gate --baseline REV'" in message
    assert "on_missing_baseline: warn" in message
    assert "meets" not in message
    assert (result["baseline"], result["delta"]) == (None, None)


def test_on_missing_baseline_warn_makes_it_a_warning() -> None:
    result = evaluate_gate(alpha(max_drop=0.02, on_missing_baseline="warn"), METRICS)
    assert result["status"] == "no_baseline"
    assert counts_as(result) == "warn"
    assert overall_status([result]) == "warn"
    assert overall_status([result], warn_as_error=True) == "fail"
    assert "this counts as a warning (on_missing_baseline: warn)" in result["message"]
    assert "'labelgate gate --baseline REV'" in result["message"]
    # A warning never hides an error elsewhere, and an error-counted one is never a pass.
    error_counted = evaluate_gate(alpha(max_drop=0.02), METRICS)
    assert overall_status([result, error_counted]) == "fail"
    assert overall_status([result, {"status": "pass"}]) == "warn"


def test_other_thresholds_of_a_regression_gate_are_still_checked_without_a_baseline() -> None:
    # An error threshold crossed: fail, whatever the baseline, and max_drop is said unchecked.
    failed = evaluate_gate(alpha(min=0.6, max_drop=0.02), METRICS)
    assert failed["status"] == "fail"
    assert failed["message"] == (
        "krippendorff_alpha = 0.442 is below min 0.6. "
        "max_drop was not checked: no baseline (run 'labelgate gate --baseline REV')."
    )
    # A warn threshold crossed weighs less than a missing baseline counted as an error ...
    warned = evaluate_gate(alpha(min=0.6, max_drop=0.02, severity="warn"), METRICS)
    assert warned["status"] == "no_baseline"
    assert warned["message"].startswith("krippendorff_alpha = 0.442 is below min 0.6. ")
    assert overall_status([warned]) == "fail"
    # ... and as much as one counted as a warning: then the crossed threshold names it.
    lenient = alpha(min=0.6, max_drop=0.02, severity="warn", on_missing_baseline="warn")
    assert evaluate_gate(lenient, METRICS)["status"] == "warn"
    # Thresholds met: no_baseline, not pass.
    met = evaluate_gate(alpha(min=0.4, max_drop=0.02), METRICS)
    assert met["status"] == "no_baseline"
    assert "meets" not in met["message"]


def test_an_error_still_wins_over_a_missing_baseline() -> None:
    missing = evaluate_gate(Gate(metric="gold_accuracy", max_drop=0.02), METRICS)
    assert missing["status"] == "error"
    tiny = evaluate_gate(alpha(max_drop=0.02, min_items=1000), METRICS)
    assert tiny["status"] == "error"
    no_interval = evaluate_gate(
        alpha(max_drop=0.02, min_lower_bound=0.3), {**METRICS, "intervals": {}}
    )
    assert no_interval["status"] == "error"


# --- with a baseline ---------------------------------------------------------------------


def test_a_regression_gate_with_a_baseline_says_what_it_compared() -> None:
    result = evaluate_gate(alpha(max_drop=0.02), METRICS, BASELINE)
    assert result["status"] == "pass"
    assert result["message"] == (
        "krippendorff_alpha = 0.442 is within max_drop 0.02 of the baseline 0.450 (delta -0.008)."
    )
    both = evaluate_gate(alpha(min=0.4, max_drop=0.02), METRICS, BASELINE)
    assert both["message"] == (
        "krippendorff_alpha = 0.442 meets min 0.4, and is within max_drop 0.02 of the "
        "baseline 0.450 (delta -0.008)."
    )


def test_a_drop_beyond_max_drop_fails_and_a_baseline_without_the_metric_is_an_error() -> None:
    fell = evaluate_gate(alpha(max_drop=0.02), METRICS, LOWER_BASELINE)
    assert fell["status"] == "fail"
    assert fell["message"] == (
        "krippendorff_alpha fell from 0.500 to 0.442 (by 0.058), more than max_drop 0.02."
    )
    warned = evaluate_gate(alpha(max_drop=0.02, severity="warn"), METRICS, LOWER_BASELINE)
    assert warned["status"] == "warn"
    empty = evaluate_gate(alpha(max_drop=0.02), METRICS, {"metrics": {}})
    assert empty["status"] == "error"
    assert "the baseline has no value for krippendorff_alpha" in empty["message"]


@pytest.mark.parametrize("baseline", [None, BASELINE, LOWER_BASELINE])
@pytest.mark.parametrize(
    "keys",
    [
        {"max_drop": 0.02},
        {"max_drop": 0.02, "min_items": 10},
        {"max_drop": 0.1, "min": 0.4},
        {"min": 0.4},
        {"max": 0.9},
        {"min_lower_bound": 0.4},
        {"max_drop": 0.02, "on_missing_baseline": "warn"},
    ],
)
def test_no_message_ever_reads_meets_nothing(
    keys: dict[str, Any], baseline: dict[str, Any] | None
) -> None:
    message = evaluate_gate(alpha(**keys), METRICS, baseline)["message"]
    assert "meets ." not in message
    assert "meets ," not in message
    assert message.endswith(".")


# --- gates without max_drop are unchanged ------------------------------------------------


def test_gates_without_max_drop_keep_their_fields_statuses_and_messages() -> None:
    result = evaluate_gate(alpha(min=0.4), METRICS)
    assert result["status"] == "pass"
    assert result["message"] == "krippendorff_alpha = 0.442 meets min 0.4."
    assert "on_missing_baseline" not in result
    assert sorted(result) == [
        "baseline",
        "delta",
        "id",
        "interval",
        "message",
        "metric",
        "notes",
        "severity",
        "status",
        "thresholds",
        "value",
    ]
    assert counts_as(result) == "pass"
    with_baseline = evaluate_gate(alpha(min=0.4, min_items=100), METRICS, BASELINE)
    assert with_baseline["message"] == "krippendorff_alpha = 0.442 meets min 0.4, min_items 100."
    assert with_baseline["delta"] == pytest.approx(-0.008)
    assert overall_status([{"status": s} for s in ("pass", "warn", "error")]) == "fail"


# --- the model ---------------------------------------------------------------------------


def test_on_missing_baseline_is_error_or_warn_and_only_for_regression_gates() -> None:
    assert alpha(max_drop=0.02).on_missing_baseline == "error"
    with pytest.raises(ValidationError, match="on_missing_baseline applies to regression gates"):
        alpha(min=0.4, on_missing_baseline="warn")
    with pytest.raises(ValidationError):
        alpha(max_drop=0.02, on_missing_baseline="ignore")


# --- renderers ---------------------------------------------------------------------------


def _verdict(*gates: Gate, baseline: dict[str, Any] | None = None) -> DatasetVerdict:
    checks = [evaluate_gate(g, METRICS, baseline) for g in gates]
    return DatasetVerdict("example", overall_status(checks), checks, METRICS, baseline)


def test_the_text_report_shows_no_baseline_with_its_fix() -> None:
    lines = text_report([_verdict(alpha(min=0.4), alpha(max_drop=0.02, id="no_drop"))], None)
    assert lines[0] == "example: gate FAIL"
    assert lines[1] == "  PASS  krippendorff_alpha: krippendorff_alpha = 0.442 meets min 0.4."
    assert lines[2].startswith("  NO_BASELINE no_drop: krippendorff_alpha = 0.442 was not")
    assert "'labelgate gate --baseline REV'" in lines[2]


def test_the_pull_request_comment_shows_no_baseline_as_what_it_counts_as() -> None:
    strict = markdown_report([_verdict(alpha(max_drop=0.02, id="no_drop"))], None, None)
    assert "## ❌ labelgate: data quality FAIL" in strict
    assert "No baseline was given, so the regression gates (`max_drop`) were not checked" in strict
    assert "- ❌ **example**: fail, 1 without baseline" in strict
    assert "| no_drop | 0.442 [0.410, 0.470] | n/a |  | max_drop 0.02 | ❌ no_baseline |" in strict
    assert "**no_drop** (no_baseline): krippendorff_alpha = 0.442 was not compared" in strict
    lenient = alpha(max_drop=0.02, id="no_drop", on_missing_baseline="warn")
    warned = markdown_report([_verdict(lenient)], None, None)
    assert "## ⚠️ labelgate: data quality WARN" in warned
    assert "| ⚠️ no_baseline |" in warned
    compared = markdown_report(
        [_verdict(alpha(max_drop=0.02, id="no_drop"), baseline=BASELINE)], "a" * 40, "main"
    )
    assert "No baseline" not in compared
    assert "| no_drop | 0.442 [0.410, 0.470] | 0.450 | -0.008 | max_drop 0.02 | ✅ pass |" in (
        compared
    )
