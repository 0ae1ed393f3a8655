"""Routing to a target error rate: the least-confident labels go to adjudication.

Labels are routed, least confident first, until the expected error among accepted labels (the
mean of 1 - calibrated confidence) is at most the target E; audits then give the realised one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from labelgate.config import columns as col
from labelgate.metrics.counts import FloatArray
from labelgate.metrics.proportions import wilson_interval


@dataclass(frozen=True)
class Routing:
    """Which items to route, and what aggregate.json says about it."""

    routed: np.ndarray  # bool per item: send to adjudication (status unresolved)
    target: float | None
    expected_error: float | None  # mean of 1 - confidence over accepted labels; None: none
    n_accepted: int
    n_routed: int
    share_routed: float
    reachable: bool  # False: even routing every candidate leaves the target unmet

    def summary(self) -> dict[str, Any]:
        """The `routing` entry of aggregate.json."""
        return {
            "target": self.target,
            "expected_error": None
            if self.expected_error is None
            else round(self.expected_error, 6),
            "n_routed": self.n_routed,
            "share_routed": round(self.share_routed, 6),
            "n_accepted": self.n_accepted,
            "reachable": self.reachable,
        }


def route(
    confidence: FloatArray,
    candidate: np.ndarray,
    accepted: np.ndarray,
    target: float | None,
) -> Routing:
    """Route the fewest least-confident `candidate` items so that the mean of 1 - confidence
    over the accepted items left is <= `target` (None: route nothing, report the mean).

    `candidate`: items routing may send to adjudication (the aggregator's labels not already
    unresolved); `accepted`: every item counted as accepted before routing (candidates and
    adjudicated labels). Among equal confidences the last items (in the given order) are routed
    first.
    If no non-empty set of candidates meets the target, every candidate is routed and
    `reachable` is False.
    """
    conf = np.asarray(confidence, dtype=float)
    is_candidate = np.asarray(candidate, dtype=bool)
    is_accepted = np.asarray(accepted, dtype=bool) | is_candidate
    fixed = is_accepted & ~is_candidate
    fixed_error = float((1 - conf[fixed]).sum())
    n_fixed = int(fixed.sum())
    where = np.flatnonzero(is_candidate)
    # Most confident first; a stable sort on -confidence keeps item order within ties, so the
    # same inputs always route the same items (the last of a tie first).
    order = where[np.argsort(-conf[where], kind="stable")]
    errors = np.concatenate([[0.0], np.cumsum(1 - conf[order])])
    kept = np.arange(len(order) + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (fixed_error + errors) / (n_fixed + kept)
    routed = np.zeros(len(conf), dtype=bool)
    if target is None:
        keep, reachable = len(order), True
    else:
        # Tolerance: a mean that equals the target up to rounding meets it.
        meets = mean <= target + 1e-12
        keeping = np.flatnonzero(meets[1:]) + 1  # keeping at least one candidate
        keep = int(keeping.max()) if len(keeping) else 0
        # Unreachable: no candidate can be kept, and routing them all does not meet the target
        # either (or leaves nothing accepted).
        reachable = bool(keep > 0 or (n_fixed > 0 and meets[0]) or (n_fixed + len(order) == 0))
    routed[order[keep:]] = True
    n_accepted = n_fixed + keep
    expected = float(mean[keep]) if n_accepted else None
    return Routing(
        routed=routed,
        target=target,
        expected_error=expected,
        n_accepted=n_accepted,
        n_routed=int(routed.sum()),
        share_routed=float(routed.sum() / len(conf)) if len(conf) else 0.0,
        reachable=reachable,
    )


def realised_error(final: pd.DataFrame, audit: pd.DataFrame) -> dict[str, Any] | None:
    """Among accepted labels (status not unresolved) with an audit verdict of correct or
    incorrect, the share judged incorrect with its Wilson 95% interval; None if none."""
    if audit.empty or "verdict" not in audit:
        return None
    verdicts = audit[audit["verdict"].isin(["correct", "incorrect"])]
    verdicts = verdicts.drop_duplicates(col.ITEM_ID, keep="last")
    accepted = final.loc[final["status"] != "unresolved", col.ITEM_ID]
    judged = verdicts[verdicts[col.ITEM_ID].isin(set(accepted))]
    if judged.empty:
        return None
    wrong = int((judged["verdict"] == "incorrect").sum())
    low, high = wilson_interval(wrong, len(judged))
    return {
        "n_audited": len(judged),
        "n_incorrect": wrong,
        "realised_error": round(wrong / len(judged), 6),
        "ci_low": round(low, 6),
        "ci_high": round(high, 6),
    }
