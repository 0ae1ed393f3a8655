"""Evaluate the gates of qa rules against a metrics.json: pass, warn, fail, error or
no_baseline per gate, and a dataset's overall status."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labelgate.config.catalogue import COEFFICIENTS
from labelgate.config.qa_rules import Gate

NO_BASELINE = "no_baseline"
"""A regression gate (max_drop) evaluated without a baseline: the regression was not checked."""


# The sample_sizes entry (metrics.json) a metric rests on; agreement coefficients rest on
# pairable items and every other metric on the dataset's items.
SAMPLE_KEYS = {
    "gold_accuracy": "gold",
    "audit_pass_rate": "audit",
    "label_issue_rate": "label_issues",
    "n_label_issues": "label_issues",
    "suggestion_acceptance_rate": "suggestions",
    "wrong_suggestion_acceptance_rate": "wrong_suggestions_on_gold",
    "review_rejection_rate": "reviews",
    "annotator_rejection_rate_max": "annotator_reviews",
    "qualification_pass_rate": "qualification",
    "label_shift_jsd": "drift",
    "item_drift_auc": "drift",
    "agreement_drop": "drift",
}


def sample_size(metric: str, metrics: dict[str, Any]) -> int:
    """How many items (or annotations, for suggestions and reviews) a metric rests on."""
    sizes = metrics.get("sample_sizes", {})
    key = "agreement" if metric in COEFFICIENTS else SAMPLE_KEYS.get(metric)
    found = sizes.get(key) if key else metrics["metrics"].get("n_items")
    return int(found or 0)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


class _Undecidable(Exception):
    """The gate cannot be evaluated: its status is error, with this message."""


def _range_failures(gate: Gate, value: float) -> list[str]:
    failures = []
    if gate.min is not None and value < gate.min:
        failures.append(f"{gate.metric} = {_num(value)} is below min {gate.min}")
    if gate.max is not None and value > gate.max:
        failures.append(f"{gate.metric} = {_num(value)} is above max {gate.max}")
    return failures


def _bound_failures(gate: Gate, interval: dict[str, float] | None) -> list[str]:
    """Thresholds on the confidence interval's bounds, not the point estimate."""
    failures = []
    for key, side in (("min_lower_bound", "ci_low"), ("max_upper_bound", "ci_high")):
        bound = getattr(gate, key)
        if bound is None:
            continue
        if not interval:
            raise _Undecidable(
                f"{key} needs a confidence interval for {gate.metric}, and none was computed (set agreement.bootstrap.resamples > 0)."
            )
        if key == "min_lower_bound" and interval[side] < bound:
            failures.append(
                f"the lower bound of {gate.metric}'s interval, {interval[side]:.3f}, is below min_lower_bound {bound}"
            )
        if key == "max_upper_bound" and interval[side] > bound:
            failures.append(
                f"the upper bound of {gate.metric}'s interval, {interval[side]:.3f}, is above max_upper_bound {bound}"
            )
    return failures


def _drop_failures(gate: Gate, value: float, baseline: dict[str, Any] | None) -> list[str]:
    """max_drop against the baseline's value of the same metric (the caller handles no baseline)."""
    if gate.max_drop is None or baseline is None:
        return []
    base_value = baseline.get("metrics", {}).get(gate.metric)
    if base_value is None:
        raise _Undecidable(
            f"max_drop: the baseline has no value for {gate.metric}, so the regression cannot be measured."
        )
    if base_value - value > gate.max_drop + 1e-12:
        return [
            f"{gate.metric} fell from {_num(base_value)} to {_num(value)} "
            f"(by {base_value - value:.3f}), more than max_drop {gate.max_drop}"
        ]
    return []


def _no_baseline_message(gate: Gate, value: float) -> str:
    """Why a regression gate was not checked, how it counts, and the ways out."""
    if gate.on_missing_baseline == "error":
        counted = "this counts as an error"
        fix = (
            "Run 'labelgate gate --baseline REV' (e.g. origin/main), or set "
            "on_missing_baseline: warn on this gate to make a missing baseline a warning."
        )
    else:
        counted = "this counts as a warning (on_missing_baseline: warn)"
        fix = "Run 'labelgate gate --baseline REV' (e.g. origin/main) to check it."
    return (
        f"{gate.metric} = {_num(value)} was not compared with a baseline: max_drop "
        f"{gate.max_drop} needs one and none was given, so {counted}. {fix}"
    )


def _pass_message(gate: Gate, value: float, entry: dict[str, Any]) -> str:
    """What a passing gate checked: its thresholds, and what max_drop compared."""
    met = ", ".join(f"{k} {v}" for k, v in entry["thresholds"].items() if k != "max_drop")
    text = f"{gate.metric} = {_num(value)}" + (f" meets {met}" if met else "")
    if gate.max_drop is not None and entry["baseline"] is not None:
        text += (", and" if met else "") + (
            f" is within max_drop {gate.max_drop} of the baseline {_num(entry['baseline'])}"
            f" (delta {entry['delta']:+.3f})"
        )
    return text + "."


def _entry(gate: Gate, metrics: dict[str, Any], baseline: dict[str, Any] | None) -> dict[str, Any]:
    """The verdict's fields before its status: value, baseline, delta, interval, thresholds."""
    value = metrics["metrics"].get(gate.metric)
    base_value = (baseline or {}).get("metrics", {}).get(gate.metric) if baseline else None
    thresholds = {
        k: v
        for k, v in gate.model_dump(
            include={"min", "max", "min_lower_bound", "max_upper_bound", "min_items", "max_drop"}
        ).items()
        if v is not None
    }
    return {
        "id": gate.gate_id,
        "metric": gate.metric,
        "severity": gate.severity,
        "value": value,
        "baseline": base_value,
        "delta": (value - base_value) if value is not None and base_value is not None else None,
        "interval": metrics.get("intervals", {}).get(gate.metric),
        "thresholds": thresholds,
        "notes": [],
    }


def evaluate_gate(
    gate: Gate, metrics: dict[str, Any], baseline: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One gate's verdict. A metric that is missing or undefined is an error, never a pass.

    With `baseline` (the metrics.json of another revision), the gate reports the delta, and
    `max_drop` fails when the metric fell by more than that against the baseline. Without
    one, a gate with `max_drop` ends in `no_baseline` (see `_without_baseline`); its verdict
    then carries `on_missing_baseline`, which `counts_as` reads.
    """
    entry = _entry(gate, metrics, baseline)
    if gate.max_drop is not None:
        entry["on_missing_baseline"] = gate.on_missing_baseline
    value = entry["value"]

    def verdict(status: str, message: str) -> dict[str, Any]:
        return {**entry, "status": status, "message": message}

    if value is None:
        return verdict(
            "error",
            f"{gate.metric} could not be computed for this dataset (no data for it); a gate on it cannot pass.",
        )
    n = sample_size(gate.metric, metrics)
    if gate.min_items is not None and (n or 0) < gate.min_items:
        return verdict(
            "error",
            f"{gate.metric} rests on {n or 0} items, fewer than min_items {gate.min_items}.",
        )
    try:
        failures = _range_failures(gate, value) + _bound_failures(gate, entry["interval"])
        failures += _drop_failures(gate, value, baseline)
    except _Undecidable as exc:
        return verdict("error", str(exc))
    if gate.max_drop is not None and baseline is None:
        return _without_baseline(gate, value, failures, verdict)
    if failures:
        status = "fail" if gate.severity == "error" else "warn"
        return verdict(status, "; ".join(failures) + ".")
    return verdict("pass", _pass_message(gate, value, entry))


def _without_baseline(
    gate: Gate, value: float, failures: list[str], verdict: Callable[[str, str], dict[str, Any]]
) -> dict[str, Any]:
    """A regression gate with no baseline: `no_baseline`, unless a crossed threshold weighs more.

    A crossed error threshold fails the gate whatever the baseline; a crossed warn threshold
    warns when a missing baseline counts as a warning too. The message says max_drop was not
    checked either way.
    """
    unchecked = _no_baseline_message(gate, value)
    if failures and (gate.severity == "error" or gate.on_missing_baseline == "warn"):
        status = "fail" if gate.severity == "error" else "warn"
        return verdict(
            status,
            "; ".join(failures) + ". max_drop was not checked: no baseline (run "
            "'labelgate gate --baseline REV').",
        )
    return verdict(NO_BASELINE, ("; ".join(failures) + ". " if failures else "") + unchecked)


def counts_as(result: dict[str, Any]) -> str:
    """How a gate's status weighs: `no_baseline` counts as its gate's on_missing_baseline
    (`error` unless the gate says `warn`); every other status counts as itself."""
    if result["status"] == NO_BASELINE:
        return "warn" if result.get("on_missing_baseline") == "warn" else "error"
    return str(result["status"])


def overall_status(results: list[dict[str, Any]], warn_as_error: bool = False) -> str:
    """fail if any gate failed or errored (or warned, with warn_as_error); warn if any warned.

    `no_baseline` counts as an error (so the dataset fails) unless its gate has
    `on_missing_baseline: warn`: an unchecked regression gate is never a pass.
    """
    statuses = {counts_as(r) for r in results}
    if statuses & {"fail", "error"} or (warn_as_error and "warn" in statuses):
        return "fail"
    return "warn" if "warn" in statuses else "pass"


@dataclass(frozen=True)
class DatasetVerdict:
    """One dataset's gate results."""

    name: str
    status: str
    checks: list[dict[str, Any]]
    metrics: dict[str, Any]
    baseline: dict[str, Any] | None
