"""`pipelines/NAME.yaml`: how a dataset is processed (coefficients, aggregator, report)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from labelgate.config.base import FormatVersion, StrictModel
from labelgate.config.catalogue import AGGREGATORS, COEFFICIENTS
from labelgate.problems import did_you_mean


class Bootstrap(StrictModel):
    """Item-resampling bootstrap settings."""

    resamples: int = Field(1000, ge=0, le=100_000, description="0 disables intervals.")
    seed: int = Field(0, ge=0)
    confidence: float = Field(0.95, gt=0.5, lt=1)


class AgreementStep(StrictModel):
    """Which agreement coefficients and breakdowns to compute."""

    coefficients: list[str] = Field(
        default_factory=lambda: ["krippendorff_alpha", "fleiss_kappa"], min_length=1
    )
    bootstrap: Bootstrap = Field(default_factory=Bootstrap)
    breakdowns: list[Literal["batch", "guideline_version"]] = Field(
        default=["batch", "guideline_version"],
        description="Groups to compute agreement in; per label and per annotator are always on.",
    )
    min_pairable_items: int = Field(
        30, ge=1, description="Below this many items with 2+ annotations, a diagnostic warns."
    )
    weights: Literal["auto", "identity", "ordinal", "linear", "quadratic"] = Field(
        "auto", description="Agreement weights; auto = identity (nominal) or quadratic."
    )
    min_pair_items: int = Field(
        10, ge=1, description="Annotator pairs sharing fewer items are left out of the mean kappa."
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
        0.0, ge=0, le=1, description="Below this posterior, the item is unresolved."
    )

    @field_validator("method")
    @classmethod
    def _registered(cls, name: str) -> str:
        if name not in AGGREGATORS:
            raise ValueError(f"unknown aggregator '{name}'. {did_you_mean(name, AGGREGATORS)}")
        return name


class ReportStep(StrictModel):
    """What the report contains."""

    top_n: int = Field(10, ge=1, description="Rows in each 'worst offenders' table.")


class Pipeline(StrictModel):
    """A stage recipe that datasets name."""

    kind: Literal["pipeline"]
    format_version: FormatVersion
    description: str = ""
    agreement: AgreementStep = Field(default_factory=AgreementStep)
    aggregate: AggregateStep = Field(default_factory=AggregateStep)
    report: ReportStep = Field(default_factory=ReportStep)
