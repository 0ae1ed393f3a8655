"""The names a project may use (metrics, coefficients, aggregators), as plain data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricSpec:
    """A metric a gate can test: its valid range and whether it has a bootstrap interval."""

    description: str
    low: float | None = 0.0
    high: float | None = 1.0
    has_interval: bool = False


# Chance-corrected coefficients can be negative (down to -1 in practice).
COEFFICIENTS: dict[str, MetricSpec] = {
    "krippendorff_alpha": MetricSpec("Krippendorff's alpha at the schema's level", -1.0, 1.0, True),
    "fleiss_kappa": MetricSpec("Fleiss' kappa, generalised to missing ratings", -1.0, 1.0, True),
    "percent_agreement": MetricSpec("raw pairwise percent agreement", 0.0, 1.0, True),
}
# Gwet's AC1/AC2, Brennan-Prediger and pairwise Cohen's kappa join with the agreement engine.

METRICS: dict[str, MetricSpec] = {
    **COEFFICIENTS,
    "gold_accuracy": MetricSpec("accuracy of final labels on gold items", 0.0, 1.0, True),
    "annotator_gold_accuracy_min": MetricSpec("lowest per-annotator gold accuracy"),
    "audit_pass_rate": MetricSpec("share of audited labels judged correct", 0.0, 1.0, True),
    "unresolved_rate": MetricSpec("share of items left unresolved for adjudication"),
    "quarantine_rate": MetricSpec("share of raw rows quarantined at ingest"),
    "violation_rate": MetricSpec("share of annotations with an error-severity violation"),
    "duplicate_item_rate": MetricSpec("share of items whose content duplicates another"),
    "mean_annotations_per_item": MetricSpec("annotations per item", 0.0, None),
    "n_items": MetricSpec("number of items", 0.0, None),
    "n_annotations": MetricSpec("number of annotations", 0.0, None),
    "n_annotators": MetricSpec("number of annotators", 0.0, None),
    "annotators_needing_retraining": MetricSpec("annotators below the qualification bar", 0, None),
}

AGGREGATORS: dict[str, str] = {
    "majority_vote": "most frequent label; ties broken by the documented tie rule",
}

AGREEMENT_BREAKDOWNS = ("batch", "guideline_version", "label", "annotator")
