"""What multi-label and span datasets aggregate with: methods and their parameters, as data."""

from __future__ import annotations

# task -> method -> parameter -> what it means (docs/aggregation.md lists the same).
TASK_PARAMS: dict[str, dict[str, dict[str, str]]] = {
    "multi_label": {
        "majority_vote": {
            "ties": "absent or present: the decision when exactly half chose a label",
            "random_state": "accepted for the estimator contract; the method is deterministic",
        },
        "dawid_skene": {
            "smoothing": "pseudo-count on each annotator's sensitivity and specificity",
            "max_iter": "EM iterations at most",
            "tol": "stop when the largest change of a posterior is below this",
            "random_state": "accepted for the estimator contract; the method is deterministic",
        },
    },
    "spans": {
        "majority_vote": {
            "rule": "exact (same start, end and label) or overlap (overlapping same-label spans)",
            "random_state": "accepted for the estimator contract; the method is deterministic",
        },
    },
}
TASK_METHODS: dict[str, tuple[str, ...]] = {task: tuple(m) for task, m in TASK_PARAMS.items()}

# The coefficients a multi-label or span dataset reports (its pipeline's `coefficients` name
# single-label ones).
TASK_COEFFICIENTS: dict[str, tuple[str, ...]] = {
    "multi_label": ("masi_alpha", "jaccard_alpha", "exact_match_rate"),
    "spans": ("span_f1_strict", "span_f1_overlap", "token_alpha"),
}
