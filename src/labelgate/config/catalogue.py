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
    "gwet_ac1": MetricSpec("Gwet's AC1 (AC2 when weighted)", -1.0, 1.0, True),
    "brennan_prediger": MetricSpec("Brennan-Prediger coefficient", -1.0, 1.0, True),
    "percent_agreement": MetricSpec("(weighted) pairwise percent agreement", 0.0, 1.0, True),
    # No interval: per-pair kappas on few shared items are biased under resampling.
    "mean_pairwise_cohen_kappa": MetricSpec("mean Cohen's kappa over annotator pairs", -1.0, 1.0),
}

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
    "majority_vote": "most frequent label; ties go to the label declared first and to adjudication",
    "weighted_majority_vote": "votes weighted by each annotator's log-odds of being right (gold or consensus)",
    "dawid_skene": "EM with a confusion matrix per annotator (Dawid and Skene 1979)",
    "mace": "annotators either know the answer or spam (Hovy et al. 2013)",
    "ordinal_median": "median label on an ordered scale",
}

AGREEMENT_BREAKDOWNS = ("batch", "guideline_version", "label", "annotator")

# Agreement weights between categories (metrics.agreement.weights implements each).
WEIGHTS = ("identity", "ordinal", "linear", "quadratic")
