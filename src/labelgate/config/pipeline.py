"""`pipelines/NAME.yaml`: how a dataset is processed (coefficients, aggregator, report)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from labelgate.config.base import MAX_COUNT, FormatVersion, Name, StrictModel
from labelgate.config.catalogue import (
    AGGREGATOR_PARAMS,
    AGGREGATORS,
    COEFFICIENTS,
    MAX_SEED,
    ParamSpec,
)
from labelgate.problems import did_you_mean

# The error type validation.py maps to a problem at the parameter's own key.
PARAM_ERROR = "aggregate_param"


def _is_number(value: object) -> bool:
    # numbers.Real also takes NumPy scalars a Python caller may pass (config imports no NumPy).
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_integer(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _yaml_value(value: object) -> str:
    if value is None:
        return "null"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _expected(spec: ParamSpec) -> str:
    """What a valid value is, in words: 'an integer from 1 to 10000', 'a number > 0'."""
    if spec.type == "boolean":
        return "true or false"
    if spec.type == "confusion_matrices":
        return "null or a list of square matrices of numbers >= 0, one per annotator"
    noun = "an integer" if spec.type == "integer" else "a finite number"
    if spec.low is not None and spec.high is not None and not spec.low_open:
        return f"{noun} from {_number(spec.low)} to {_number(spec.high)}"
    if spec.low is not None:
        return f"{noun} {'>' if spec.low_open else '>='} {_number(spec.low)}"
    if spec.high is not None:
        return f"{noun} <= {_number(spec.high)}"
    return noun


def _matrices_problem(value: object) -> str:
    """Why `value` is not a list of square matrices of one size with non-negative numbers."""
    if not isinstance(value, list) or not value:
        return "not a non-empty list of matrices"
    size = len(value[0]) if isinstance(value[0], list) else 0
    for a, matrix in enumerate(value):
        if not isinstance(matrix, list) or len(matrix) != size or size < 2:
            return f"matrix [{a}] is not square with as many rows as matrix [0] (2 or more)"
        for t, row in enumerate(matrix):
            if not isinstance(row, list) or len(row) != size:
                return f"row [{a}][{t}] does not hold {size} numbers"
            for cell in row:
                if not _is_number(cell) or not math.isfinite(cell) or cell < 0:
                    return f"row [{a}][{t}] holds {cell!r}"
    return ""


def _valid(spec: ParamSpec, value: object) -> tuple[bool, str]:
    """Whether `value` is valid for `spec`, and for matrices where it goes wrong."""
    if spec.type == "boolean":
        return isinstance(value, bool), ""
    if spec.type == "confusion_matrices":
        why = "" if value is None else _matrices_problem(value)
        return not why, why
    if spec.type == "integer" and not _is_integer(value):
        return False, ""
    if not _is_number(value):
        return False, ""
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        return False, ""
    if spec.low is not None and (number <= spec.low if spec.low_open else number < spec.low):
        return False, ""
    return spec.high is None or number <= spec.high, ""


def aggregator_param_problems(method: str, params: Mapping[Any, Any]) -> list[tuple[str, str, str]]:
    """(key, message, fix) for each parameter that `method` does not declare, or whose value
    has the wrong type or lies out of range (AGGREGATOR_PARAMS in config/catalogue.py)."""
    declared = AGGREGATOR_PARAMS.get(method, {})
    problems = []
    for key, value in params.items():
        name = str(key)
        spec = declared.get(name)
        if spec is None:
            problems.append(
                (
                    name,
                    f"'{method}' has no parameter '{name}'.",
                    did_you_mean(name, declared),
                )
            )
            continue
        valid, where = _valid(spec, value)
        if not valid:
            shown = where or f"got {value!r}"
            problems.append(
                (
                    name,
                    f"'{name}' of '{method}' ({spec.description}) must be "
                    f"{_expected(spec)}; {shown}.",
                    f"Fix the value, or leave '{name}' out for its default "
                    f"({_yaml_value(spec.default)}).",
                )
            )
    return problems


class Bootstrap(StrictModel):
    """Item-resampling bootstrap settings."""

    resamples: int = Field(1000, ge=0, le=100_000, description="0 disables intervals.")
    seed: int = Field(0, ge=0, le=MAX_SEED)
    confidence: float = Field(0.95, gt=0.5, lt=1)


class AgreementStep(StrictModel):
    """Which agreement coefficients and breakdowns to compute."""

    coefficients: list[str] = Field(
        default_factory=lambda: ["krippendorff_alpha", "fleiss_kappa"], min_length=1
    )
    bootstrap: Bootstrap = Field(default_factory=Bootstrap)
    interval: Literal["percentile", "bca", "analytic"] = Field(
        "bca",
        description="Interval method: bca or percentile bootstrap, or analytic (Gwet's SE; jackknife for alpha).",
    )
    breakdowns: list[Literal["batch", "guideline_version"]] = Field(
        default=["batch", "guideline_version"],
        description="Groups to compute agreement in; per label and per annotator are always on.",
    )
    min_pairable_items: int = Field(
        30,
        ge=1,
        le=MAX_COUNT,
        description="Below this many items with 2+ annotations, a diagnostic warns.",
    )
    weights: Literal["auto", "identity", "ordinal", "linear", "quadratic"] = Field(
        "auto", description="Agreement weights; auto = identity (nominal) or quadratic."
    )
    min_pair_items: int = Field(
        10,
        ge=1,
        le=MAX_COUNT,
        description="Annotator pairs sharing fewer items are left out of the mean kappa.",
    )

    @field_validator("coefficients")
    @classmethod
    def _known(cls, names: list[str]) -> list[str]:
        for name in names:
            if name not in COEFFICIENTS:
                raise ValueError(
                    f"unknown coefficient '{name}'. {did_you_mean(name, COEFFICIENTS)}"
                )
        return names


class AggregateStep(StrictModel):
    """Which aggregator, with which parameters."""

    method: str = "majority_vote"
    params: dict[str, Any] = Field(default_factory=dict)
    min_confidence: float = Field(
        0.0, ge=0, le=1, description="Below this (calibrated) confidence, the item is unresolved."
    )
    calibration: Literal["auto", "gold", "agreement", "none"] = Field(
        "auto",
        description="How confidence is calibrated: auto = gold with 30+ gold items, else "
        "agreement; gold = isotonic on gold, cross-fitted; agreement = one-coin model of "
        "annotator agreement; none = the aggregator's posterior.",
    )
    target_error_rate: float | None = Field(
        None,
        gt=0,
        lt=0.5,
        description="Route the least-confident labels to adjudication until the expected "
        "error among accepted labels is at most this; null: no routing.",
    )

    @field_validator("method")
    @classmethod
    def _registered(cls, name: str) -> str:
        if name not in AGGREGATORS:
            raise ValueError(f"unknown aggregator '{name}'. {did_you_mean(name, AGGREGATORS)}")
        return name

    @field_validator("params")
    @classmethod
    def _declared(cls, params: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        method = info.data.get("method")
        if method is None:
            return params  # an unknown method is reported on its own
        errors = [
            InitErrorDetails(
                type=PydanticCustomError(PARAM_ERROR, "{message}", {"message": m, "fix": fix}),
                loc=(key,),
                input=params.get(key),
            )
            for key, m, fix in aggregator_param_problems(method, params)
        ]
        if errors:
            raise ValidationError.from_exception_data("params", errors)
        return params


class TextModelParams(StrictModel):
    """Settings of the built-in TF-IDF + logistic regression model."""

    word_ngrams: tuple[int, int] = Field(
        (1, 2), description="Smallest and largest word n-gram, e.g. [1, 2]."
    )
    char_ngrams: tuple[int, int] | None = Field(
        None,
        description="Smallest and largest character n-gram (within words), e.g. [3, 5]; null: "
        "words only (character n-grams cost about three times the time for little gain).",
    )
    min_df: int = Field(2, ge=1, le=MAX_COUNT, description="Drop n-grams in fewer items.")
    max_features: int | None = Field(
        200_000, ge=1, le=10_000_000, description="Keep this many most frequent n-grams per kind."
    )
    C: float = Field(
        30.0, gt=0, le=1e6, description="Inverse regularisation strength of the regression."
    )
    class_weight: Literal["balanced"] | None = Field(
        None, description="balanced: weigh classes inversely to their frequency; null: equally."
    )

    @field_validator("word_ngrams", "char_ngrams")
    @classmethod
    def _ordered(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not 1 <= value[0] <= value[1] <= 10:
            raise ValueError(f"give [low, high] with 1 <= low <= high <= 10; got {list(value)}")
        return value


class ModelStep(StrictModel):
    """The model whose out-of-fold probabilities point at likely label errors."""

    provider: Literal["tfidf_logreg", "predictions"] = Field(
        "tfidf_logreg",
        description="tfidf_logreg: the built-in text model, trained on the final labels by "
        "K-fold; predictions: the dataset's own `predictions` source.",
    )
    fields: list[Name] = Field(
        default_factory=list,
        description="Item fields joined into the model's text; empty: the schema's string "
        "item fields (or `text`).",
    )
    folds: int = Field(5, ge=2, le=20, description="K of the K-fold cross-fitting.")
    seed: int = Field(0, ge=0, le=MAX_SEED, description="Seed of the fold assignment.")
    params: TextModelParams = Field(default_factory=TextModelParams)


class LabelIssuesStep(StrictModel):
    """How likely label errors are found and queued for review."""

    filter_by: Literal["prune_by_noise_rate", "prune_by_class", "both", "confident_learning"] = (
        Field(
            "prune_by_noise_rate",
            description="Confident-learning rule that flags an item (Northcutt et al. 2021).",
        )
    )
    rank_by: Literal["auto", "consensus_quality", "self_confidence", "normalized_margin"] = Field(
        "auto",
        description="Label quality score: consensus_quality (CROWDLAB: annotators weighted "
        "by quality plus the model), or the model's self_confidence / normalized_margin; "
        "auto: consensus_quality when some item has 2+ annotations.",
    )
    review_budget: int = Field(
        200,
        ge=0,
        le=MAX_COUNT,
        description="Rows in review_queue.csv: flagged items first, lowest quality first.",
    )
    near_duplicate_threshold: float | None = Field(
        0.9,
        gt=0,
        le=1,
        description="Near-duplicate items (character 5-gram Jaccard at least this) whose final "
        "labels differ are flagged; null: off.",
    )


class ReportStep(StrictModel):
    """What the report contains."""

    top_n: int = Field(10, ge=1, le=MAX_COUNT, description="Rows in each 'worst offenders' table.")
    progress_show_item_text: bool = Field(
        False,
        description="progress.html (the customer view) lists the items awaiting a decision with "
        "their text; off: counts only. Annotator ids are never shown there.",
    )


class FeedbackStep(StrictModel):
    """What the feedback stage writes: guideline suggestions, annotator pages and drift."""

    window: Literal["batch", "day", "week", "month"] = Field(
        "batch",
        description="How work is cut into consecutive windows for drift and for gold accuracy "
        "over time: by the annotations' batch (ordered by first annotated_at), or by UTC day, "
        "ISO week or month of annotated_at.",
    )
    min_window_items: int = Field(
        30,
        ge=2,
        le=MAX_COUNT,
        description="A window with fewer items is not compared with its neighbour (its drift "
        "figures are null, with the reason).",
    )
    top_pairs: int = Field(
        5, ge=1, le=100, description="Confused label pairs written up in guideline_suggestions."
    )
    pair_examples: int = Field(3, ge=0, le=50, description="Example items per confused pair.")
    annotator_examples: int = Field(
        5, ge=0, le=100, description="Items each annotator got wrong, shown on their page."
    )
    min_annotator_reviews: int = Field(
        20,
        ge=1,
        le=MAX_COUNT,
        description="Reviews an annotator needs to count toward annotator_rejection_rate_max "
        "(one rejected review of someone is not a rate).",
    )
    annotator_pages: bool = Field(
        True, description="Write one feedback page per annotator (feedback/annotators/)."
    )
    seed: int = Field(
        0, ge=0, le=MAX_SEED, description="Seed of the drift classifier's folds and bootstrap."
    )
    folds: int = Field(5, ge=2, le=20, description="K of the drift classifier's cross-fitting.")
    max_items_per_window: int = Field(
        5000,
        ge=10,
        le=MAX_COUNT,
        description="Items of each window the drift classifier sees at most (a seeded sample).",
    )
    resamples: int = Field(
        1000,
        ge=0,
        le=100_000,
        description="Bootstrap resamples of alpha per window and of its drop; 0: no interval.",
    )

    @model_validator(mode="after")
    def _sample_holds_a_window(self) -> FeedbackStep:
        if self.max_items_per_window < self.min_window_items:
            raise ValueError(
                f"max_items_per_window ({self.max_items_per_window}) is below min_window_items "
                f"({self.min_window_items}): no window could be compared. Raise it."
            )
        return self


class Pipeline(StrictModel):
    """A stage recipe that datasets name."""

    kind: Literal["pipeline"]
    format_version: FormatVersion
    description: str = ""
    agreement: AgreementStep = Field(default_factory=AgreementStep)
    aggregate: AggregateStep = Field(default_factory=AggregateStep)
    report: ReportStep = Field(default_factory=ReportStep)
    model: ModelStep | None = Field(
        None,
        description="Model-assisted QA: out-of-fold probabilities and label issues; "
        "null: the predict and label_issues stages do nothing.",
    )
    label_issues: LabelIssuesStep = Field(default_factory=LabelIssuesStep)
    feedback: FeedbackStep = Field(
        default_factory=FeedbackStep,
        description="Guideline suggestions, feedback per annotator, reviews, qualification and "
        "drift (docs/feedback.md).",
    )
