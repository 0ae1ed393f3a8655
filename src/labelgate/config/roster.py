"""A roster (`kind: roster`, YAML or CSV): who annotates, how much they can take, what they cost.

The ops stage reads it for utilization and cost, `labelgate assign` for capacity and skills.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from labelgate.config.base import MAX_COUNT, FormatVersion, StrictModel

# The columns of a CSV roster; annotator_id, capacity and one of the rates are expected.
CSV_COLUMNS = (
    "annotator_id",
    "capacity",
    "rate_per_hour",
    "rate_per_item",
    "hours_per_day",
    "skills",
    "active",
)


class RosterAnnotator(StrictModel):
    """One annotator: capacity per plan, pay, available hours, skills (label ids)."""

    annotator_id: str = Field(min_length=1, max_length=256)
    capacity: int = Field(
        ge=0, le=MAX_COUNT, description="Most items `labelgate assign` gives them in one plan."
    )
    rate_per_hour: float | None = Field(
        None, ge=0, description="Pay per hour of annotation time (duration_s)."
    )
    rate_per_item: float | None = Field(None, ge=0, description="Pay per annotation.")
    hours_per_day: float | None = Field(
        None,
        gt=0,
        le=24,
        description="Hours available per working day, for utilization; none: not measured.",
    )
    skills: list[str] = Field(
        default_factory=list,
        description="Label ids they are trained on; `assign` prefers them for those labels.",
    )
    active: bool = Field(True, description="Inactive annotators get no assignments.")

    @model_validator(mode="after")
    def _one_rate(self) -> RosterAnnotator:
        if self.rate_per_hour is not None and self.rate_per_item is not None:
            raise ValueError(
                f"annotator '{self.annotator_id}' has both rate_per_hour and rate_per_item; "
                "give one"
            )
        return self


class Roster(StrictModel):
    """A team of annotators, unique by id."""

    kind: Literal["roster"]
    format_version: FormatVersion
    currency: str = Field("USD", max_length=16, description="The unit of every rate.")
    annotators: list[RosterAnnotator] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Roster:
        seen: set[str] = set()
        for a in self.annotators:
            if a.annotator_id in seen:
                raise ValueError(f"annotator '{a.annotator_id}' is listed twice")
            seen.add(a.annotator_id)
        return self

    def ids(self) -> list[str]:
        """Annotator ids in roster order."""
        return [a.annotator_id for a in self.annotators]
