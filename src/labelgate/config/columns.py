"""Column names of the canonical tables (docs/concepts.md, "Canonical tables"): the contract between stages."""

from __future__ import annotations

ITEM_ID = "item_id"
ANNOTATOR_ID = "annotator_id"
LABEL = "label"

ANNOTATION_REQUIRED = (ITEM_ID, ANNOTATOR_ID, LABEL)
ANNOTATION_OPTIONAL = ("annotated_at", "duration_s", "batch", "guideline_version")
ANNOTATION_COLUMNS = (
    *ANNOTATION_REQUIRED,
    *ANNOTATION_OPTIONAL,
    "source",
    "migrated_from",
)
GOLD_COLUMNS = (ITEM_ID, LABEL)
ADJUDICATION_COLUMNS = (ITEM_ID, LABEL, "adjudicator_id", "ruling_id", "note")
AUDIT_RESULT_COLUMNS = (ITEM_ID, "auditor_id", "verdict", LABEL, "reason")
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
