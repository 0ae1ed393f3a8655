"""metrics.json: the stage summaries flattened into the metric names gates test."""

from __future__ import annotations

from typing import Any

from labelgate.config.catalogue import OPS_METRICS


def collect_metrics(
    ingest: dict[str, Any],
    validation: dict[str, Any],
    agreement: dict[str, Any],
    aggregate: dict[str, Any],
    audit: dict[str, Any],
    label_issues: dict[str, Any] | None = None,
    ops: dict[str, Any] | None = None,
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
    sizes = {
        "agreement": agreement["n_pairable_items"],
        "gold": aggregate["n_gold_items"],
        "audit": (audit["results"] or {}).get("n_audited", 0),
    }
    if label_issues and label_issues.get("enabled"):
        sizes["label_issues"] = label_issues["n_items_checked"]
    return {"metrics": metrics, "intervals": intervals, "sample_sizes": sizes}
