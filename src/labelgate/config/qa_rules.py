"""`qa_rules/NAME.yaml`: validation checks, gate thresholds, annotator bars and audit sampling."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from labelgate.config.base import MAX_COUNT, FormatVersion, Name, StrictModel
from labelgate.config.catalogue import MAX_SEED, METRICS
from labelgate.problems import did_you_mean

Severity = Literal["error", "warn"]


class _Check(StrictModel):
    id: Name | None = Field(None, description="Stable id of the check; defaults to its kind.")
    severity: Severity = "error"
    description: str = ""


class AllowedLabels(_Check):
    """Every annotation's label is in the schema's label set."""

    kind: Literal["allowed_labels"]


class RequiredFields(_Check):
    """Required fields are present and non-empty (default: the schema's required fields)."""

    kind: Literal["required_fields"]
    fields: list[Name] | None = None


class TextLength(_Check):
    """A text field's length (in characters) lies within bounds."""

    kind: Literal["text_length"]
    field: Name = "text"
    min: int | None = Field(None, ge=0, le=MAX_COUNT)
    max: int | None = Field(None, ge=1, le=MAX_COUNT)

    @model_validator(mode="after")
    def _bounds(self) -> TextLength:
        if self.min is None and self.max is None:
            raise ValueError("text_length needs 'min', 'max' or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class DuplicateAnnotations(_Check):
    """An annotator labels the same item at most once."""

    kind: Literal["duplicate_annotations"]


class DuplicateItems(_Check):
    """No two items share the same content hash."""

    kind: Literal["duplicate_items"]
    field: Name = "text"
    normalize: bool = Field(True, description="Lower-case and collapse whitespace before hashing.")


class NearDuplicateItems(_Check):
    """No two items have near-identical text: Jaccard similarity of character n-gram shingles
    (after lower-casing and collapsing whitespace) below `threshold`, found by MinHash LSH."""

    kind: Literal["near_duplicate_items"]
    severity: Severity = "warn"
    field: Name = Field("text", description="The item field whose text is compared.")
    threshold: float = Field(
        0.8,
        gt=0,
        le=1,
        description="Pairs whose shingle sets have at least this Jaccard similarity are reported.",
    )
    ngram: int = Field(5, ge=1, le=20, description="Characters per shingle.")
    num_perm: int = Field(
        128,
        ge=16,
        le=1024,
        description="MinHash permutations: more find more pairs near the threshold.",
    )
    seed: int = Field(0, ge=0, le=MAX_SEED, description="Seed of the MinHash permutations.")


class MinAnnotationsPerItem(_Check):
    """Each item has at least `min` annotations."""

    kind: Literal["min_annotations_per_item"]
    min: int = Field(2, ge=1, le=MAX_COUNT)


class AnnotatorSpeed(_Check):
    """Annotators whose median time per annotation is implausibly short."""

    kind: Literal["annotator_speed"]
    min_median_seconds: float | None = Field(None, gt=0)
    max_robust_z: float = Field(3.5, gt=0, description="Robust z-score (median/MAD) bound.")
    min_annotations: int = Field(20, ge=1, le=MAX_COUNT)


class AnnotatorLabelDistribution(_Check):
    """Annotators who give one label far more often than the others do."""

    kind: Literal["annotator_label_distribution"]
    max_share: float = Field(0.8, gt=0, le=1)
    min_annotations: int = Field(20, ge=1, le=MAX_COUNT)


class GuidelineVersion(_Check):
    """Every annotation names the guideline version it was made under, and that version
    exists (semantic, not newer than the current guideline). Unknown is an error, not a guess."""

    kind: Literal["guideline_version"]


class Spans(_Check):
    """Span answers are sound: inside their item's text with start < end, labelled from the
    schema, not overlapping one another (unless the schema allows it), and their stored text
    equals the item's text at their offsets (`text_severity`)."""

    kind: Literal["spans"]
    text_severity: Severity = Field(
        "warn", description="Severity of a span whose stored text differs from its offsets."
    )


Check = Annotated[
    AllowedLabels
    | Spans
    | GuidelineVersion
    | RequiredFields
    | TextLength
    | DuplicateAnnotations
    | DuplicateItems
    | NearDuplicateItems
    | MinAnnotationsPerItem
    | AnnotatorSpeed
    | AnnotatorLabelDistribution,
    Field(discriminator="kind"),
]


class Gate(StrictModel):
    """A threshold on one metric; at least one of min, max, min_lower_bound, max_drop.

    A gate with max_drop is a regression gate: it compares the metric with a baseline
    (`labelgate gate --baseline REV`). Without one it ends in `no_baseline`, which counts as
    `on_missing_baseline` (error by default, so the dataset fails; or warn).
    """

    metric: str
    id: Name | None = None
    severity: Severity = "error"
    min: float | None = None
    max: float | None = None
    min_lower_bound: float | None = Field(
        None, description="Minimum of the bootstrap interval's lower bound."
    )
    max_upper_bound: float | None = None
    min_items: int | None = Field(
        None, ge=1, le=MAX_COUNT, description="Below this many items: error."
    )
    max_drop: float | None = Field(None, ge=0, description="Largest allowed drop vs baseline.")
    on_missing_baseline: Severity = Field(
        "error",
        description="How a max_drop gate evaluated without a baseline counts: error or warn.",
    )
    description: str = ""

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, name: str) -> str:
        if name not in METRICS:
            raise ValueError(f"unknown metric '{name}'. {did_you_mean(name, METRICS)}")
        return name

    @model_validator(mode="after")
    def _coherent(self) -> Gate:
        spec = METRICS[self.metric]
        bounds = {
            k: v
            for k, v in (
                ("min", self.min),
                ("max", self.max),
                ("min_lower_bound", self.min_lower_bound),
                ("max_upper_bound", self.max_upper_bound),
                ("max_drop", self.max_drop),
            )
            if v is not None
        }
        if not bounds:
            raise ValueError("a gate needs min, max, min_lower_bound, max_upper_bound or max_drop")
        if "on_missing_baseline" in self.model_fields_set and self.max_drop is None:
            raise ValueError(
                "on_missing_baseline applies to regression gates only: add max_drop, "
                "or remove on_missing_baseline"
            )
        for key in ("min", "max", "min_lower_bound", "max_upper_bound"):
            value = bounds.get(key)
            if value is None:
                continue
            if (spec.low is not None and value < spec.low) or (
                spec.high is not None and value > spec.high
            ):
                raise ValueError(
                    f"{key} {value} is outside the range of {self.metric} "
                    f"[{spec.low}, {spec.high if spec.high is not None else 'inf'}]"
                )
        if (
            self.max_drop is not None
            and spec.low is not None
            and spec.high is not None
            and self.max_drop > spec.high - spec.low
        ):
            raise ValueError(
                f"max_drop {self.max_drop} is larger than the whole range of {self.metric} "
                f"[{spec.low}, {spec.high}], so the gate could never fail"
            )
        if ("min_lower_bound" in bounds or "max_upper_bound" in bounds) and not spec.has_interval:
            raise ValueError(f"{self.metric} has no confidence interval; use min/max instead")
        lows = [v for k, v in bounds.items() if k in ("min", "min_lower_bound")]
        highs = [v for k, v in bounds.items() if k in ("max", "max_upper_bound")]
        if lows and highs and max(lows) > min(highs):
            raise ValueError(f"contradictory thresholds: {max(lows)} (min) is above {min(highs)}")
        return self

    @property
    def gate_id(self) -> str:
        """The id used in gate.json: explicit id, or the metric name."""
        return self.id or self.metric


class AnnotatorQualification(StrictModel):
    """The bars annotators must clear: gold accuracy, the qualification test, and gold
    accuracy over time (calibration)."""

    min_gold_accuracy: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Below this accuracy on gold items an annotator needs retraining.",
    )
    min_gold_items: int = Field(
        20,
        ge=1,
        le=MAX_COUNT,
        description="Annotators with fewer gold items are not judged.",
    )
    exclude_below: bool = Field(
        False, description="Drop the labels of annotators below the bar from aggregation."
    )
    qualification_pass_mark: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Share of the qualification test's questions (sources.qualification) an "
        "annotator must answer right; below it they are flagged for retraining.",
    )
    min_qualification_questions: int = Field(
        10,
        ge=1,
        le=MAX_COUNT,
        description="Annotators who answered fewer of the test's questions are not assessed.",
    )
    max_gold_accuracy_drop: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Flag an annotator whose gold accuracy in their latest window fell by more "
        "than this from their first window, when a one-sided Fisher exact test says the fall "
        "is real (p < 0.05); windows need min_gold_items_per_window gold items.",
    )
    min_gold_items_per_window: int = Field(
        5,
        ge=1,
        le=MAX_COUNT,
        description="Gold items of an annotator a window needs to be compared over time; "
        "fewer and the window is left out.",
    )


class AuditSampling(StrictModel):
    """How the expert-audit sample is drawn."""

    fraction: float = Field(0.1, gt=0, le=1)
    strata: list[Literal["label", "annotator", "batch", "status"]] = Field(default=["label"])
    seed: int = Field(0, ge=0, le=MAX_SEED)
    min_per_stratum: int = Field(1, ge=0, le=MAX_COUNT)
    max_items: int | None = Field(None, ge=1, le=MAX_COUNT)


class QaRules(StrictModel):
    """Checks, gates, annotator qualification and audit sampling for a dataset."""

    kind: Literal["qa_rules"]
    format_version: FormatVersion
    description: str = ""
    checks: list[Check] = Field(default_factory=list)
    gates: list[Gate] = Field(default_factory=list)
    annotator_qualification: AnnotatorQualification | None = None
    audit: AuditSampling = Field(default_factory=AuditSampling)
