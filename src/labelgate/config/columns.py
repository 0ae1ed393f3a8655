"""Column names of the canonical tables (docs/concepts.md, "Canonical tables"): the contract between stages."""

from __future__ import annotations

ITEM_ID = "item_id"
ANNOTATOR_ID = "annotator_id"
LABEL = "label"

ANNOTATION_REQUIRED = (ITEM_ID, ANNOTATOR_ID, LABEL)
# suggested_label, suggestion_score and model_version: the model suggestion an annotation tool
# showed the annotator (a pre-label), kept to measure how often people simply accept it.
ANNOTATION_OPTIONAL = (
    "annotated_at",
    "duration_s",
    "batch",
    "guideline_version",
    "suggested_label",
    "suggestion_score",
    "model_version",
)
# The tool's own ids of an imported annotation ("task 17 annotation 42"): appended to `source`.
SOURCE_ID = "source_id"
ANNOTATION_COLUMNS = (
    *ANNOTATION_REQUIRED,
    *ANNOTATION_OPTIONAL,
    "source",
    "migrated_from",
)
GOLD_COLUMNS = (ITEM_ID, LABEL)
ADJUDICATION_COLUMNS = (ITEM_ID, LABEL, "adjudicator_id", "ruling_id", "note")
AUDIT_RESULT_COLUMNS = (ITEM_ID, "auditor_id", "verdict", LABEL, "reason")
# Tier-2 reviews: a reviewer's verdict on one annotation (the item and the annotator who made it).
REVIEW_COLUMNS = (ITEM_ID, ANNOTATOR_ID, "reviewer_id", "verdict", "reason", "reviewed_at")
REVIEW_VERDICTS = ("accept", "reject")
# A qualification test taken before work: one answer per annotator and question (`item_id`);
# the key holds each question's right answer, like gold (GOLD_COLUMNS).
QUALIFICATION_COLUMNS = (ANNOTATOR_ID, ITEM_ID, LABEL)
QUARANTINE_COLUMNS = ("table", "source", "row", "reason", "detail", "raw")
VIOLATION_COLUMNS = (
    "rule_id",
    "severity",
    ITEM_ID,
    ANNOTATOR_ID,
    "field",
    "observed",
    "expected",
    "message",
)
FINAL_LABEL_COLUMNS = (
    ITEM_ID,
    LABEL,
    "confidence",
    "method",
    "n_annotations",
    "status",
    "guideline_versions",
    "guideline_hashes",
    "schema_version",
    "migrations",
    "rules_hash",
    "pipeline_hash",
    "aggregator_params",
    "audit_verdict",
)
STATUSES = ("agreed", "aggregated", "adjudicated", "unresolved")

# Columns that hold one plain value on one line: an id, an annotator id or a label. A JSON
# object or array (a Parquet list or struct) there is quarantined as `nested_value`, a value
# over several lines (a quoted field that ran on, e.g. from a stray quote) as
# `newline_in_value`. Other columns (an item's `text`) may hold both.
SINGLE_VALUE_COLUMNS = (
    ITEM_ID,
    ANNOTATOR_ID,
    LABEL,
    "adjudicator_id",
    "auditor_id",
    "reviewer_id",
)
# Every reason code the quarantine table uses (docs/concepts.md, "Stages": ingest).
QUARANTINE_REASONS = (
    "malformed_row",
    "bad_encoding",
    "nested_value",
    "newline_in_value",
    "missing_item_id",
    "missing_annotator_id",
    "missing_label",
    "missing_verdict",
    "bad_verdict",
    "bad_duration",
    "bad_timestamp",
    "unknown_item",
    "unknown_annotation",
    "unknown_label",
    "split_label_needs_reannotation",
    "duplicate_item_id",
    "duplicate_answer",
    "duplicate_review",
    # Annotations a tool export holds but that are not labels (labelgate import's reasons).
    "cancelled",
    "skipped",
    "rejected",
    "draft",
    "discarded",
    "no_label",
    "multiple_labels",
)

# label_issues.parquet and `labelgate label-issues`: one row per checked item, issues first.
LABEL_ISSUE_COLUMNS = (
    ITEM_ID,
    "given_label",
    "suggested_label",
    "label_quality",
    "is_issue",
    "rank",
    "reason",
)
