"""Tier-2 review verdicts: rejection rates with Wilson intervals and the reasons given, overall,
per annotator and per label of the reviewed annotation."""

from __future__ import annotations

from typing import Any

import pandas as pd

from labelgate.config import columns as col
from labelgate.metrics.proportions import wilson_interval, z_value

NO_REASON = "(no reason given)"  # a rejection whose reason cell is empty
_GROUP = "_group"


def interval(successes: int, trials: int, confidence: float) -> tuple[float, float]:
    """The Wilson interval of successes/trials at `confidence`."""
    return wilson_interval(successes, trials, z_value(confidence))


def _figures(n_reviews: int, n_rejected: int, confidence: float) -> dict[str, Any]:
    low, high = interval(n_rejected, n_reviews, confidence) if n_reviews else (None, None)
    return {
        "n_reviews": n_reviews,
        "n_accepted": n_reviews - n_rejected,
        "n_rejected": n_rejected,
        "rejection_rate": n_rejected / n_reviews if n_reviews else None,
        "ci_low": low,
        "ci_high": high,
    }


def _reasons(frame: pd.DataFrame, top: int) -> dict[str, tuple[list[dict[str, Any]], int]]:
    """Per group: its `top` most given rejection reasons [{reason, count}] (most first, then
    by name) and the number of rejections with any other reason."""
    rejected = frame[frame["rejected"]]
    counts = rejected.groupby([_GROUP, "reason"], sort=False).size().rename("count").reset_index()
    counts = counts.sort_values(
        [_GROUP, "count", "reason"], ascending=[True, False, True], kind="stable"
    )
    shown = counts.groupby(_GROUP, sort=False).cumcount().to_numpy() < top
    others = counts[~shown].groupby(_GROUP)["count"].sum()
    out: dict[str, tuple[list[dict[str, Any]], int]] = {}
    for group, part in counts[shown].groupby(_GROUP, sort=True):
        listed = [
            {"reason": str(r), "count": int(c)}
            for r, c in zip(part["reason"], part["count"], strict=True)
        ]
        out[str(group)] = (listed, int(others.get(group, 0)))
    return out


def _by_group(frame: pd.DataFrame, confidence: float, top: int) -> dict[str, dict[str, Any]]:
    """The figures and reasons of each value of the `_group` column, by group name."""
    stats = frame.groupby(_GROUP, sort=True)["rejected"].agg(n="size", rejected="sum")
    reasons = _reasons(frame, top)
    out = {}
    for group, n, rejected in zip(stats.index, stats["n"], stats["rejected"], strict=True):
        listed, other = reasons.get(str(group), ([], 0))
        out[str(group)] = {
            **_figures(int(n), int(rejected), confidence),
            "reasons": listed,
            "n_rejected_other_reasons": other,
        }
    return out


def _labelled(reviews: pd.DataFrame, annotations: pd.DataFrame) -> pd.DataFrame:
    """Each review with the label of the annotation it judges (a multi-label annotation's
    review once per label of its set; span annotations have none, so no row)."""
    keys = [col.ITEM_ID, col.ANNOTATOR_ID]
    # Only the reviewed items' annotations can join; every row of a key stays, so the first
    # annotation of each key is the same as in the whole table.
    annotations = annotations[annotations[col.ITEM_ID].isin(reviews[col.ITEM_ID])]
    if "labels" in annotations:  # multi-label: the set as a list
        labels = annotations[[*keys, "labels"]].drop_duplicates(keys, keep="first")
        labels = labels.explode("labels").rename(columns={"labels": col.LABEL})
    else:
        labels = annotations[[*keys, col.LABEL]].drop_duplicates(keys, keep="first")
    labels = labels[labels[col.LABEL].notna() & (labels[col.LABEL].astype("str") != "")]
    joined = reviews.merge(labels.astype({col.LABEL: "str"}), on=keys, how="inner")
    return joined.assign(**{_GROUP: joined[col.LABEL]})


def review_summary(
    reviews: pd.DataFrame,
    annotations: pd.DataFrame,
    *,
    confidence: float = 0.95,
    top_reasons: int = 5,
) -> dict[str, Any]:
    """Rejection rate with its Wilson interval and the most given rejection reasons, overall,
    `by_annotator` (who made the reviewed annotation) and `by_label` (its label).

    Returns {n_reviews, n_accepted, n_rejected, rejection_rate, ci_low, ci_high, confidence,
    skipped (why rejection_rate is None, else None), n_reviewers, n_unknown_verdicts, reasons
    [{reason, count}], n_rejected_other_reasons, by_annotator, by_label}; each group holds
    n_reviews to ci_high, reasons and n_rejected_other_reasons. Verdicts are compared
    lower-cased; others are counted in n_unknown_verdicts and left out. A rejection with an
    empty reason counts as "(no reason given)". Groups appear only with a review.
    """
    z_value(confidence)  # a bad confidence fails here, with reviews or without
    if top_reasons < 0:
        raise ValueError(f"top_reasons {top_reasons} is negative; give 0 or more")
    verdict = reviews["verdict"].astype("str").str.strip().str.lower()
    known = verdict.isin(col.REVIEW_VERDICTS).to_numpy()

    def text(name: str) -> pd.Series:
        values = reviews[name] if name in reviews else pd.Series("", index=reviews.index)
        return values.fillna("").astype("str").str.strip()[known].reset_index(drop=True)

    frame = pd.DataFrame(
        {
            col.ITEM_ID: text(col.ITEM_ID),
            col.ANNOTATOR_ID: text(col.ANNOTATOR_ID),
            "reviewer_id": text("reviewer_id"),
            "rejected": (verdict[known] == "reject").to_numpy(),
            "reason": text("reason"),
        }
    )
    frame["reason"] = frame["reason"].where(frame["reason"] != "", NO_REASON)
    n_rejected = int(frame["rejected"].sum())
    overall = _by_group(frame.assign(**{_GROUP: "all"}), confidence, top_reasons).get("all")
    return {
        **_figures(len(frame), n_rejected, confidence),
        "confidence": confidence,
        "skipped": None if len(frame) else "no reviews with an accept or reject verdict",
        "n_reviewers": int(frame.loc[frame["reviewer_id"] != "", "reviewer_id"].nunique()),
        "n_unknown_verdicts": int((~known).sum()),
        "reasons": overall["reasons"] if overall else [],
        "n_rejected_other_reasons": overall["n_rejected_other_reasons"] if overall else 0,
        "by_annotator": _by_group(
            frame.assign(**{_GROUP: frame[col.ANNOTATOR_ID]}), confidence, top_reasons
        ),
        "by_label": _by_group(_labelled(frame, annotations), confidence, top_reasons),
    }


def worst_annotator(by_annotator: dict[str, Any], min_reviews: int) -> dict[str, Any] | None:
    """The highest rejection rate among annotators with `min_reviews` reviews or more (the
    first id of equal rates), with its review count; None when nobody has that many."""
    counted = [
        (a["rejection_rate"], who, a["n_reviews"])
        for who, a in sorted(by_annotator.items())
        if a.get("rejection_rate") is not None and a.get("n_reviews", 0) >= min_reviews
    ]
    if not counted:
        return None
    rate, _, n = max(counted, key=lambda c: c[0])  # max keeps the first of equal rates
    return {"rejection_rate": rate, "n_reviews": n, "min_reviews": min_reviews}
