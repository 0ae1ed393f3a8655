"""metrics.json: the stage summaries flattened into the metric names gates test."""

from __future__ import annotations

from typing import Any

from labelgate.config.catalogue import FEEDBACK_METRICS, OPS_METRICS


def collect_metrics(
    ingest: dict[str, Any],
    validation: dict[str, Any],
    agreement: dict[str, Any],
    aggregate: dict[str, Any],
    audit: dict[str, Any],
    label_issues: dict[str, Any] | None = None,
    ops: dict[str, Any] | None = None,
    feedback: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Flatten the stage summaries into the metric names gates use (config.catalogue.METRICS).

    Label-issue metrics exist only when the pipeline has a model: a gate on them otherwise
    fails as 'not computed', which is what a gate on a switched-off check should do."""
    metrics: dict[str, Any] = {
        "n_items": aggregate["n_items"],
        "n_annotations": ingest["n_annotations"],
        "n_annotators": ingest["n_annotators"],
        "mean_annotations_per_item": ingest["n_annotations"] / max(aggregate["n_items"], 1),
        "quarantine_rate": ingest["quarantine_rate"],
        "violation_rate": validation["violation_rate"],
        "duplicate_item_rate": validation["duplicate_item_rate"],
        # None without a near_duplicate_items check (and in a validation.json written before it).
        "near_duplicate_item_rate": validation.get("near_duplicate_item_rate"),
        "unresolved_rate": aggregate["unresolved_rate"],
        "gold_accuracy": aggregate["gold_accuracy"],
        "annotator_gold_accuracy_min": aggregate["annotator_gold_accuracy_min"],
        "annotators_needing_retraining": len(aggregate["annotators_needing_retraining"]),
        "audit_pass_rate": (audit["results"] or {}).get("audit_pass_rate"),
        # Expected calibration error of `confidence` on gold (out of fold); None without gold.
        "calibration_ece": (aggregate.get("calibration") or {}).get("ece_after"),
        "expected_error": (aggregate.get("routing") or {}).get("expected_error"),
    }
    # Automation bias: None without suggestions (or wrong ones on gold), so a gate errors.
    bias = aggregate.get("suggestions") or {}
    metrics["suggestion_acceptance_rate"] = bias.get("acceptance_rate")
    metrics["wrong_suggestion_acceptance_rate"] = bias.get("wrong_suggestion_acceptance_rate")
    if label_issues and label_issues.get("enabled"):
        metrics["n_label_issues"] = label_issues["n_label_issues"]
        metrics["label_issue_rate"] = label_issues["label_issue_rate"]
    if ops is not None:
        # The ops stage's gateable figures; None: not computed (ops.json says why).
        for name in OPS_METRICS:
            metrics[name] = ops.get(name)
    if feedback is not None:
        # None: not computed (feedback.json says why: one window, no reviews, no test).
        for name in FEEDBACK_METRICS:
            metrics[name] = feedback.get(name)
    intervals: dict[str, Any] = {}
    for name, value in agreement["coefficients"].items():
        metrics[name] = value["value"]
        if value["ci_low"] is not None:
            intervals[name] = {"ci_low": value["ci_low"], "ci_high": value["ci_high"]}
    if aggregate["gold_accuracy_interval"]:
        intervals["gold_accuracy"] = dict(
            zip(("ci_low", "ci_high"), aggregate["gold_accuracy_interval"], strict=True)
        )
    if bias.get("wrong_suggestion_acceptance_interval"):
        intervals["wrong_suggestion_acceptance_rate"] = dict(
            zip(("ci_low", "ci_high"), bias["wrong_suggestion_acceptance_interval"], strict=True)
        )
    if audit["results"]:
        intervals["audit_pass_rate"] = {
            "ci_low": audit["results"]["ci_low"],
            "ci_high": audit["results"]["ci_high"],
        }
    if feedback is not None:
        intervals.update(_feedback_intervals(feedback))
    sizes = {
        "agreement": agreement["n_pairable_items"],
        "gold": aggregate["n_gold_items"],
        "audit": (audit["results"] or {}).get("n_audited", 0),
    }
    if label_issues and label_issues.get("enabled"):
        sizes["label_issues"] = label_issues["n_items_checked"]
    if bias:
        sizes["suggestions"] = bias.get("n_with_suggestion", 0)
        sizes["wrong_suggestions_on_gold"] = bias.get("n_wrong_suggestions_on_gold", 0)
    if feedback is not None:
        sizes["reviews"] = (feedback.get("reviews") or {}).get("n_reviews", 0)
        sizes["annotator_reviews"] = feedback.get("annotator_rejection_rate_max_reviews", 0)
        sizes["qualification"] = feedback.get("qualification_assessed", 0)
        sizes["drift"] = _drift_items(feedback.get("drift") or {})
    return {"metrics": metrics, "intervals": intervals, "sample_sizes": sizes}


def _interval(low: Any, high: Any) -> dict[str, Any] | None:
    return None if low is None or high is None else {"ci_low": low, "ci_high": high}


def _feedback_intervals(feedback: dict[str, Any]) -> dict[str, Any]:
    """Intervals of the feedback metrics: the drift pair that set each maximum, the Wilson
    interval of the overall rejection rate."""
    drift = feedback.get("drift") or {}
    reviews = feedback.get("reviews") or {}
    found = {
        "agreement_drop": _interval(*(drift.get("agreement_drop_ci") or (None, None))),
        "item_drift_auc": _interval(*(drift.get("item_drift_auc_ci") or (None, None))),
        "review_rejection_rate": _interval(reviews.get("ci_low"), reviews.get("ci_high")),
    }
    return {k: v for k, v in found.items() if v is not None and feedback.get(k) is not None}


def _drift_items(drift: dict[str, Any]) -> int:
    """Items behind a drift figure: those of the smallest window that was compared."""
    windows = {w["window"]: w["n_items"] for w in drift.get("windows", [])}
    compared = [
        min(windows.get(p["from"], 0), windows.get(p["to"], 0))
        for p in drift.get("pairs", [])
        if not p.get("skipped")
    ]
    return min(compared) if compared else 0
