"""The names a project may use (metrics, coefficients, aggregators), as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


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

# What multi-label and span datasets report instead (config/tasks.py, TASK_COEFFICIENTS).
TASK_METRICS: dict[str, MetricSpec] = {
    "masi_alpha": MetricSpec("Krippendorff's alpha of label sets, MASI distance", -1.0, 1.0, True),
    "jaccard_alpha": MetricSpec(
        "Krippendorff's alpha of label sets, Jaccard distance", -1.0, 1.0, True
    ),
    "exact_match_rate": MetricSpec(
        "share of annotation pairs with identical label sets", 0.0, 1.0, True
    ),
    "span_f1_strict": MetricSpec(
        "pooled pairwise span F1, exact start, end and label", 0.0, 1.0, True
    ),
    "span_f1_overlap": MetricSpec(
        "pooled pairwise span F1, overlapping same-label spans", 0.0, 1.0, True
    ),
    "token_alpha": MetricSpec(
        "Krippendorff's nominal alpha of token labels, O included", -1.0, 1.0, True
    ),
}

METRICS: dict[str, MetricSpec] = {
    **COEFFICIENTS,
    **TASK_METRICS,
    "gold_accuracy": MetricSpec("accuracy of final labels on gold items", 0.0, 1.0, True),
    "annotator_gold_accuracy_min": MetricSpec("lowest per-annotator gold accuracy"),
    "audit_pass_rate": MetricSpec("share of audited labels judged correct", 0.0, 1.0, True),
    "unresolved_rate": MetricSpec("share of items left unresolved for adjudication"),
    "quarantine_rate": MetricSpec("share of raw rows quarantined at ingest"),
    "calibration_ece": MetricSpec("expected calibration error of confidence on gold"),
    "expected_error": MetricSpec("expected share of wrong labels among accepted ones"),
    "violation_rate": MetricSpec("share of annotations with an error-severity violation"),
    "duplicate_item_rate": MetricSpec("share of items whose content duplicates another"),
    "near_duplicate_item_rate": MetricSpec("share of items in at least one near-duplicate pair"),
    "mean_annotations_per_item": MetricSpec("annotations per item", 0.0, None),
    "n_items": MetricSpec("number of items", 0.0, None),
    "n_annotations": MetricSpec("number of annotations", 0.0, None),
    "n_annotators": MetricSpec("number of annotators", 0.0, None),
    "annotators_needing_retraining": MetricSpec("annotators below the qualification bar", 0, None),
    "n_label_issues": MetricSpec("items flagged as likely label errors", 0.0, None),
    "label_issue_rate": MetricSpec("share of labelled items flagged as likely label errors"),
    "suggestion_acceptance_rate": MetricSpec("share of model suggestions annotators accepted"),
    "wrong_suggestion_acceptance_rate": MetricSpec(
        "share of wrong model suggestions on gold items that annotators accepted", 0.0, 1.0, True
    ),
    # Operations (the ops stage, docs/ops.md); None when timestamps, rates or a roster are absent.
    "progress": MetricSpec("items with a settled final label / the target"),
    "throughput_per_hour": MetricSpec("annotations per elapsed hour", 0.0, None),
    "labels_per_day": MetricSpec("final labels per working day", 0.0, None),
    "latency_median_hours": MetricSpec("median hours from arrival to final label", 0.0, None),
    "latency_p90_hours": MetricSpec("90th percentile hours from arrival to final label", 0.0, None),
    "utilization": MetricSpec("annotation time / available time from the roster", 0.0, None),
    "cost_per_annotation": MetricSpec("cost of one annotation", 0.0, None),
    "cost_per_final_label": MetricSpec("cost / items with a settled final label", 0.0, None),
    "cost_per_accepted_label": MetricSpec(
        "cost / settled items not judged incorrect by an audit", 0.0, None
    ),
    "eta_days": MetricSpec("days to reach the target at the recent rate", 0.0, None),
    # Feedback (the feedback stage, docs/feedback.md): drift between consecutive windows (the
    # largest over the pairs), review verdicts and qualification.
    "label_shift_jsd": MetricSpec(
        "largest Jensen-Shannon divergence (bits) of final-label shares between windows"
    ),
    "item_drift_auc": MetricSpec(
        "largest AUC of a classifier telling a window's items from the previous one's (0.5: "
        "no drift)",
        0.0,
        1.0,
        True,
    ),
    "agreement_drop": MetricSpec(
        "largest fall of Krippendorff's alpha from one window to the next", -2.0, 2.0, True
    ),
    "review_rejection_rate": MetricSpec("share of reviewed annotations rejected", 0.0, 1.0, True),
    "annotator_rejection_rate_max": MetricSpec(
        "highest per-annotator share of reviewed annotations rejected"
    ),
    "qualification_pass_rate": MetricSpec("share of tested annotators who passed"),
    "annotators_flagged_for_retraining": MetricSpec(
        "annotators flagged by the qualification test, gold accuracy over time or overall",
        0,
        None,
    ),
}

# The gateable figures of ops.json (the ops stage), copied into metrics.json.
OPS_METRICS = (
    "progress",
    "throughput_per_hour",
    "labels_per_day",
    "latency_median_hours",
    "latency_p90_hours",
    "utilization",
    "cost_per_annotation",
    "cost_per_final_label",
    "cost_per_accepted_label",
    "eta_days",
)

# The gateable figures of feedback.json (the feedback stage), copied into metrics.json.
FEEDBACK_METRICS = (
    "label_shift_jsd",
    "item_drift_auc",
    "agreement_drop",
    "review_rejection_rate",
    "annotator_rejection_rate_max",
    "qualification_pass_rate",
    "annotators_flagged_for_retraining",
)

AGGREGATORS: dict[str, str] = {
    "majority_vote": "most frequent label; ties go to the label declared first and to adjudication",
    "weighted_majority_vote": "votes weighted by each annotator's log-odds of being right (gold or consensus)",
    "dawid_skene": "EM with a confusion matrix per annotator (Dawid and Skene 1979)",
    "mace": "annotators either know the answer or spam (Hovy et al. 2013)",
    "one_coin_dawid_skene": "Dawid-Skene with one accuracy per annotator, errors spread evenly",
    "glad": "annotator ability times item difficulty (Whitehill et al. 2009)",
    "wawa": "votes weighted by each annotator's agreement with the majority vote (or gold)",
    "zbs": "zero-based skill: votes weighted by skills learned against the weighted vote",
    "auto": "picks one of the above per dataset by a cross-fitted, recorded rule",
    "ordinal_median": "median label on an ordered scale",
}

# Seeds fit every NumPy generator (the legacy RandomState takes at most 2**32 - 1).
MAX_SEED = 2**32 - 1
# An EM method stops after this many iterations at most (each is a pass over the annotations).
MAX_ITERATIONS = 10_000

ParamType = Literal["integer", "number", "boolean", "confusion_matrices"]


@dataclass(frozen=True)
class ParamSpec:
    """One hyper-parameter of an aggregator, as `pipeline.aggregate.params` may set it.

    `low`/`high` bound numbers (inclusive; `low_open` excludes `low`); NaN and infinity are
    never valid. `confusion_matrices` is null or a list, per annotator in sorted id order, of
    square matrices (true label x given label) of non-negative numbers.
    """

    type: ParamType
    default: int | float | bool | None
    description: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False


_SEED = ParamSpec("integer", 0, "seed of the method's randomness", 0, MAX_SEED)
_TOL = ParamSpec("number", 1e-6, "stop when the loss per item changes by less than this", 0)

# Each aggregator's parameters as plain data (config cannot import aggregation); a test checks
# them against the estimators' __init__ signatures.
AGGREGATOR_PARAMS: dict[str, dict[str, ParamSpec]] = {
    "majority_vote": {"random_state": _SEED},
    "weighted_majority_vote": {"random_state": _SEED},
    "ordinal_median": {"random_state": _SEED},
    "dawid_skene": {
        "max_iter": ParamSpec("integer", 100, "EM iterations at most", 1, MAX_ITERATIONS),
        "tol": _TOL,
        "smoothing": ParamSpec(
            "number", 1e-6, "pseudo-count added to priors and confusion rows", 0, low_open=True
        ),
        "clamp_gold": ParamSpec("boolean", False, "gold items keep their known label during EM"),
        "initial_errors": ParamSpec(
            "confusion_matrices", None, "starting confusion matrices, or null for majority vote"
        ),
        "alpha_prior": ParamSpec(
            "number",
            2.0,
            "Dirichlet pseudo-annotations per confusion row, centred on the crowd's pooled "
            "confusion matrix (0: plain maximum likelihood)",
            0,
        ),
        "random_state": _SEED,
    },
    "one_coin_dawid_skene": {
        "max_iter": ParamSpec("integer", 100, "EM iterations at most", 1, MAX_ITERATIONS),
        "tol": _TOL,
        "alpha_prior": ParamSpec(
            "number",
            2.0,
            "Beta pseudo-annotations per annotator at the crowd's pooled accuracy "
            "(0: plain maximum likelihood)",
            0,
        ),
        "clamp_gold": ParamSpec("boolean", False, "gold items keep their known label during EM"),
        "random_state": _SEED,
    },
    "glad": {
        "max_iter": ParamSpec("integer", 100, "EM iterations at most", 1, MAX_ITERATIONS),
        "tol": _TOL,
        "m_step_iter": ParamSpec("integer", 3, "Newton step pairs per M-step", 1, 100),
        "learn_priors": ParamSpec("boolean", False, "estimate class priors (else uniform)"),
        "clamp_gold": ParamSpec("boolean", False, "gold items keep their known label during EM"),
        "random_state": _SEED,
    },
    "wawa": {"random_state": _SEED},
    "zbs": {
        "max_iter": ParamSpec("integer", 100, "skill updates at most", 1, MAX_ITERATIONS),
        "lr_init": ParamSpec("number", 1.0, "initial learning rate of the skills", 0, 1, True),
        "lr_steps_to_reduce": ParamSpec(
            "integer", 20, "updates between learning-rate reductions", 1, MAX_ITERATIONS
        ),
        "lr_reduce_factor": ParamSpec(
            "number", 0.5, "factor applied to the learning rate at each reduction", 0, 1, True
        ),
        "random_state": _SEED,
    },
    "auto": {
        "folds": ParamSpec("integer", 3, "cross-fitting folds of the selection", 2, 10),
        "margin": ParamSpec(
            "number",
            0.06,
            "held-out log-likelihood per annotation another candidate must gain over "
            "dawid_skene to replace it",
            0,
        ),
        "min_gold": ParamSpec(
            "integer",
            30,
            "gold items needed to select on gold instead of annotations",
            1,
            1_000_000,
        ),
        "clamp_gold": ParamSpec(
            "boolean", False, "the final fit keeps gold items at their known label"
        ),
        "random_state": _SEED,
    },
    "mace": {
        "max_iter": ParamSpec("integer", 300, "EM iterations at most", 1, MAX_ITERATIONS),
        "tol": _TOL,
        "alpha": ParamSpec(
            "number", 0.5, "Beta prior on competence: competent pseudo-count", 0, low_open=True
        ),
        "beta": ParamSpec(
            "number", 0.5, "Beta prior on competence: spamming pseudo-count", 0, low_open=True
        ),
        "smoothing": ParamSpec(
            "number", 0.1, "Dirichlet pseudo-count of the spam distributions", 0, low_open=True
        ),
        "learn_priors": ParamSpec("boolean", True, "estimate class priors (else uniform)"),
        "random_state": _SEED,
    },
}

AGREEMENT_BREAKDOWNS = ("batch", "guideline_version", "label", "annotator")

# Agreement weights between categories (metrics.agreement.weights implements each).
WEIGHTS = ("identity", "ordinal", "linear", "quadratic")
