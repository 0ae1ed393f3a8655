"""Annotation operations: progress, throughput, latency, utilization, cost and ETA.

Frames in, one JSON-ready summary out (build/<ds>/ops.json). A figure that cannot be computed
(no timestamps, no rates, no roster) is `None`, with the reason under `not_computed`.
Times are UTC; hours are wall-clock hours unless the name says otherwise (`active_hours`: the
sum of `duration_s`). See docs/ops.md for every figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from labelgate.analysis.encoding import codes_together
from labelgate.config import columns as col
from labelgate.config.dataset import OpsSettings
from labelgate.config.roster import Roster

DONE_STATUSES = ("agreed", "aggregated", "adjudicated")
ARRIVAL_FIELDS = ("arrived_at", "created_at")
Z90 = 1.6448536269514722  # two-sided 90% normal quantile: the ETA interval
ROUND = 6


@dataclass(frozen=True)
class OpsInputs:
    """What the ops stage reads.

    annotations : canonical annotations (item_id, annotator_id, label; annotated_at, duration_s
        and suggested_label when present), one row per annotation.
    items : item_id and, optionally, the arrival field.
    final : final labels (item_id, label, status, audit_verdict).
    """

    annotations: pd.DataFrame
    items: pd.DataFrame
    final: pd.DataFrame
    roster: Roster | None
    settings: OpsSettings


@dataclass(frozen=True)
class ItemKeys:
    """Item ids as integer codes shared by the annotations, final labels and items (-1:
    missing): one factorisation, then no string join, merge or `isin` per figure."""

    annotation: np.ndarray
    final: np.ndarray
    items: np.ndarray
    ids: pd.Index


def item_keys(
    annotations: pd.DataFrame, final: pd.DataFrame, items: pd.DataFrame | None = None
) -> ItemKeys:
    """The shared item codes of the three tables (`items` optional)."""
    frames = [annotations, final] + ([items] if items is not None else [])
    codes, ids = codes_together(*(f[col.ITEM_ID] for f in frames))
    return ItemKeys(codes[0], codes[1], codes[2] if items is not None else codes[1][:0], ids)


def agrees(annotations: pd.DataFrame, final: pd.DataFrame, keys: ItemKeys) -> np.ndarray:
    """Whether each annotation's label is its item's final label (False when either is missing
    or the item has none)."""
    (mine, theirs), _ = codes_together(
        annotations[col.LABEL].astype(str), final[col.LABEL].astype(str)
    )
    truth = np.full(len(keys.ids) + 1, -1, dtype=np.int64)  # the last slot: no final label
    truth[keys.final[keys.final >= 0]] = theirs[keys.final >= 0]
    right: np.ndarray = (mine >= 0) & (mine == truth[keys.annotation])
    return right


def _n_days(when: pd.Series) -> int:
    """Distinct UTC calendar days among the times (midnights compare as fast as numbers)."""
    return int(when.dropna().dt.normalize().nunique())


def _r(value: float | None) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), ROUND)


def arrival_field(items: pd.DataFrame, settings: OpsSettings) -> str | None:
    """The item column holding arrival times: the configured one, else arrived_at or
    created_at when present, else None (latency then starts at the first annotation)."""
    if settings.arrival_field is not None:
        return settings.arrival_field if settings.arrival_field in items.columns else None
    return next((f for f in ARRIVAL_FIELDS if f in items.columns), None)


def _times(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, errors="coerce")


def _column(frame: pd.DataFrame, name: str, kind: str) -> pd.Series:
    if name in frame.columns:
        return _times(frame[name]) if kind == "time" else pd.to_numeric(frame[name], "coerce")
    return pd.Series(pd.NaT if kind == "time" else np.nan, index=frame.index)


def progress(
    final: pd.DataFrame,
    annotations: pd.DataFrame,
    target: int | None,
    known: int = 0,
    keys: ItemKeys | None = None,
) -> dict[str, Any]:
    """Items done (a settled final label), in review (unresolved), fully labelled (at least the
    usual number of annotations: the median per item), not started, and done / target; the
    target defaults to the items known (`known`: the items file's, waiting ones included)."""
    status = final["status"].astype(str) if len(final) else pd.Series(dtype=str)
    done = int(status.isin(DONE_STATUSES).sum())
    codes = keys.annotation if keys is not None else pd.factorize(annotations[col.ITEM_ID])[0]
    counts = np.bincount(codes[codes >= 0])
    counts = counts[counts > 0]  # annotations per annotated item
    k = int(np.median(counts)) if len(counts) else 0
    goal = target if target is not None else max(known, len(final))
    return {
        "items_target": goal,
        "items_done": done,
        "items_in_review": int((status == "unresolved").sum()),
        "items_fully_labelled": int((counts >= k).sum()) if k else 0,
        "items_not_started": max(goal - len(counts), 0),
        "annotations_per_item_planned": k,
        "progress": _r(min(done / goal, 1.0)) if goal else None,
    }


def _completion(annotations: pd.DataFrame, final: pd.DataFrame, keys: ItemKeys) -> pd.Series:
    """When each settled item got its last annotation (its final label could be set), by id."""
    settled = keys.final[final["status"].astype(str).isin(DONE_STATUSES).to_numpy()]
    when = _column(annotations, "annotated_at", "time")
    usable = when.notna().to_numpy() & (keys.annotation >= 0)
    last = when[usable].groupby(keys.annotation[usable]).max()  # by item code
    last = last[last.index.isin(settled)]
    return last.set_axis(keys.ids[last.index.to_numpy().astype(np.int64)])


def throughput(
    annotations: pd.DataFrame, done_at: pd.Series
) -> tuple[dict[str, Any], dict[str, str]]:
    """Annotations and final labels per hour (over the elapsed time from the first to the last
    annotation) and per working day (a day with at least one annotation), and per day."""
    when = _column(annotations, "annotated_at", "time").dropna()
    if when.empty:
        reason = "annotations have no annotated_at"
        return {"throughput_per_hour": None, "labels_per_hour": None, "labels_per_day": None}, {
            "throughput_per_hour": reason,
            "labels_per_hour": reason,
            "labels_per_day": reason,
        }
    hours = max((when.max() - when.min()).total_seconds() / 3600, 1.0)
    n_days = _n_days(when)
    return {
        "throughput_per_hour": _r(len(when) / hours),
        "labels_per_hour": _r(len(done_at) / hours),
        "annotations_per_day": _r(len(when) / n_days),
        "labels_per_day": _r(len(done_at) / n_days),
        "working_days": int(n_days),
        "first_annotation_at": when.min().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "last_annotation_at": when.max().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }, {}


def daily(annotations: pd.DataFrame, done_at: pd.Series) -> list[dict[str, Any]]:
    """Per calendar day (UTC) from the first to the last annotation: annotations, final labels
    and cumulative final labels."""
    when = _column(annotations, "annotated_at", "time").dropna()
    if when.empty:
        return []
    span = pd.date_range(when.min().normalize(), when.max().normalize(), freq="D")
    a = when.dt.normalize().value_counts().reindex(span, fill_value=0)
    d = done_at.dt.normalize().value_counts().reindex(span, fill_value=0)
    cumulative = d.cumsum()
    return [
        {
            "date": day.strftime("%Y-%m-%d"),
            "annotations": int(a[day]),
            "final_labels": int(d[day]),
            "final_labels_cumulative": int(cumulative[day]),
        }
        for day in span
    ]


def latency(
    items: pd.DataFrame, annotations: pd.DataFrame, done_at: pd.Series, field: str | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Hours from an item's arrival (`field`, else its first annotation) to its final label
    (its last annotation): median and 90th percentile over settled items."""
    if done_at.empty:
        reason = "no settled item has an annotated_at"
        return {"latency_median_hours": None, "latency_p90_hours": None, "latency_from": None}, {
            "latency_median_hours": reason,
            "latency_p90_hours": reason,
        }
    if field is not None:
        arrived = _at(done_at.index, items[col.ITEM_ID], _times(items[field]))
    else:
        when = _column(annotations, "annotated_at", "time")
        arrived = _at(done_at.index, annotations[col.ITEM_ID], when, first=True)
    hours = ((done_at - arrived).dt.total_seconds() / 3600).dropna().clip(lower=0)
    if hours.empty:
        reason = f"no settled item has a {field or 'first annotation'} time"
        return {"latency_median_hours": None, "latency_p90_hours": None, "latency_from": field}, {
            "latency_median_hours": reason,
            "latency_p90_hours": reason,
        }
    values = hours.to_numpy()
    return {
        "latency_median_hours": _r(float(np.median(values))),
        "latency_p90_hours": _r(float(np.quantile(values, 0.9))),
        "latency_from": field or "first_annotation",
        "latency_n_items": len(values),
    }, {}


def _at(wanted: pd.Index, ids: pd.Series, values: pd.Series, first: bool = False) -> pd.Series:
    """`values` (one per id; with `first`, the earliest per id) at the `wanted` ids, NaT where
    absent: a reindex on shared codes, not a join on strings."""
    (want, have), _ = codes_together(wanted.to_series(), ids)
    values = values.reset_index(drop=True)
    if first:
        usable = have >= 0
        per_code = values[usable].groupby(have[usable]).min()
    else:
        per_code = values[have >= 0].set_axis(have[have >= 0])
    return per_code.reindex(want).set_axis(wanted)


def annotation_costs(annotations: pd.DataFrame, roster: Roster | None) -> pd.Series:
    """Cost of each annotation: rate_per_item, or rate_per_hour x duration_s / 3600; NaN when
    the annotator is not in the roster, has no rate, or (hourly) the duration is missing."""
    if roster is None or annotations.empty:
        return pd.Series(np.nan, index=annotations.index)
    per_item = {a.annotator_id: a.rate_per_item for a in roster.annotators if a.rate_per_item}
    per_hour = {a.annotator_id: a.rate_per_hour for a in roster.annotators if a.rate_per_hour}
    for a in roster.annotators:  # a rate of 0 is a rate (volunteers), not a missing one
        if a.rate_per_item == 0:
            per_item[a.annotator_id] = 0.0
        if a.rate_per_hour == 0:
            per_hour[a.annotator_id] = 0.0
    who, ids = pd.factorize(annotations[col.ANNOTATOR_ID].astype(str))
    seconds = _column(annotations, "duration_s", "number")
    # Rates per distinct id, then by code: the last slot (-1) is a missing id, with no rate.
    item_rate = np.array([per_item.get(i, np.nan) for i in ids] + [np.nan], dtype=float)[who]
    hour_rate = np.array([per_hour.get(i, np.nan) for i in ids] + [np.nan], dtype=float)[who]
    index = annotations.index
    return pd.Series(item_rate, index=index).fillna(
        pd.Series(hour_rate, index=index) * seconds / 3600
    )


def cost(
    annotations: pd.DataFrame,
    final: pd.DataFrame,
    costs: pd.Series,
    currency: str,
    keys: ItemKeys | None = None,
) -> tuple[dict[str, Any], dict[str, str], dict[str, dict[str, Any]]]:
    """Total cost and cost per annotation, per final label (settled item), per accepted label
    (settled and not judged incorrect by an audit) and by final label; `cost_coverage` is the
    share of annotations with a cost (the rest are left out)."""
    names = ("cost_per_annotation", "cost_per_final_label", "cost_per_accepted_label")
    n_costed = int(costs.notna().sum())
    if n_costed == 0:
        reason = (
            "no roster (dataset ops.roster)"
            if not currency
            else "no annotation has a cost: give the roster rates (and durations for hourly rates)"
        )
        return (
            {**dict.fromkeys(names), "total_cost": None, "cost_coverage": 0.0},
            dict.fromkeys(names, reason),
            {},
        )
    status = final["status"].astype(str)
    settled = final[status.isin(DONE_STATUSES)]
    verdict = settled.get("audit_verdict", pd.Series("", index=settled.index)).astype(str)
    accepted = settled[verdict != "incorrect"]
    total = float(costs.sum())
    summary = {
        "currency": currency,
        "total_cost": _r(total),
        "cost_coverage": _r(n_costed / len(costs)),
        "cost_per_annotation": _r(total / n_costed),
        "cost_per_final_label": _r(total / len(settled)) if len(settled) else None,
        "cost_per_accepted_label": _r(total / len(accepted)) if len(accepted) else None,
        "items_accepted": len(accepted),
    }
    reasons = {k: "no settled item" for k in names[1:] if summary[k] is None}
    keys = keys if keys is not None else item_keys(annotations, final)
    usable = keys.annotation >= 0
    spent = (
        pd.Series(costs.to_numpy(dtype=float))[usable]
        .groupby(keys.annotation[usable])
        .sum(min_count=1)
    )
    by_label: dict[str, dict[str, Any]] = {}
    where = keys.final[status.isin(DONE_STATUSES).to_numpy()]
    table = settled.assign(cost=spent.reindex(where).to_numpy())
    for label, group in table.groupby(col.LABEL, sort=True):
        by_label[str(label)] = {
            "n_items": len(group),
            "cost": _r(float(group["cost"].sum())),
            "cost_per_final_label": _r(float(group["cost"].mean())),
        }
    return summary, reasons, by_label


def per_annotator(
    annotations: pd.DataFrame,
    final: pd.DataFrame,
    costs: pd.Series,
    roster: Roster | None,
    keys: ItemKeys | None = None,
    right: np.ndarray | None = None,
) -> tuple[list[dict[str, Any]], float | None, str | None]:
    """One row per annotator seen or rostered: annotations, annotations per active hour, active
    hours, available hours (hours_per_day x working days), utilization, cost, agreement with
    the final label and cost per agreeing annotation; and the total utilization. `right`:
    `agrees` of these tables, when the caller has it."""
    when = _column(annotations, "annotated_at", "time")
    seconds = _column(annotations, "duration_s", "number")
    working_days = _n_days(when)
    if right is None:
        right = agrees(annotations, final, keys or item_keys(annotations, final))
    codes, names = pd.factorize(annotations[col.ANNOTATOR_ID].astype(str))
    # Each annotator's rows in their original order, so sums add in the same order as a
    # groupby's (float sums depend on it).
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    position = {name: code for code, name in enumerate(names.tolist())}
    seconds_by = seconds.to_numpy(dtype=float, na_value=np.nan)[order]
    cost_by = costs.to_numpy(dtype=float, na_value=np.nan)[order]
    right_by = right[order]
    hours_per_day = {a.annotator_id: a.hours_per_day for a in roster.annotators} if roster else {}
    ids = sorted(set(position) | set(hours_per_day))
    rows = []
    active_total = available_total = 0.0
    for who in ids:
        code = position.get(who)
        rows_of = slice(bounds[code], bounds[code + 1]) if code is not None else slice(0, 0)
        n_group = int(rows_of.stop - rows_of.start)
        active = _sum(seconds_by[rows_of])
        active = active / 3600 if active is not None else None
        daily_hours = hours_per_day.get(who)
        available = daily_hours * working_days if daily_hours and working_days else None
        utilization = active / available if active is not None and available else None
        if utilization is not None and active is not None and available is not None:
            active_total += active
            available_total += available
        spent = _sum(cost_by[rows_of])
        n_right = int(right_by[rows_of].sum())
        rows.append(
            {
                "annotator_id": who,
                "in_roster": who in hours_per_day,
                "n_annotations": n_group,
                "annotations_per_active_hour": _r(n_group / active) if active else None,
                "active_hours": _r(active),
                "available_hours": _r(available),
                "utilization": _r(utilization),
                "cost": _r(spent),
                "agreement_with_final": _r(n_right / n_group) if n_group else None,
                "cost_per_agreeing_annotation": _r(spent / n_right)
                if spent is not None and n_right
                else None,
            }
        )
    if available_total:
        return rows, _r(active_total / available_total), None
    reason = (
        "no roster"
        if roster is None
        else "no annotator has both hours_per_day in the roster and durations with timestamps"
    )
    return rows, None, reason


def _sum(values: np.ndarray) -> float | None:
    """`Series.sum()` of the values (missing ones skipped), None when all are missing."""
    missing = np.isnan(values)
    if missing.all():
        return None
    return float(np.where(missing, 0.0, values).sum())


def prelabels(
    annotations: pd.DataFrame,
    final: pd.DataFrame,
    keys: ItemKeys | None = None,
    right: np.ndarray | None = None,
) -> dict[str, Any] | None:
    """Speed and accuracy (agreement with the final label) of annotations made with and
    without a pre-label (`suggested_label`), and how often the pre-label was kept; None when
    no annotation carries one."""
    if "suggested_label" not in annotations.columns:
        return None
    shown = annotations["suggested_label"].notna() & (annotations["suggested_label"] != "")
    if not shown.any():
        return None
    if right is None:
        right = agrees(annotations, final, keys or item_keys(annotations, final))
    seconds = _column(annotations, "duration_s", "number").to_numpy()
    out: dict[str, Any] = {}
    for name, mask in (("with", shown.to_numpy()), ("without", ~shown.to_numpy())):
        s = seconds[mask]
        s = s[np.isfinite(s)]
        out[name] = {
            "n_annotations": int(mask.sum()),
            "median_duration_s": _r(float(np.median(s))) if len(s) else None,
            "agreement_with_final": _r(float(right[mask].mean())) if mask.any() else None,
        }
    kept = annotations.loc[shown, col.LABEL].astype(str) == annotations.loc[
        shown, "suggested_label"
    ].astype(str)
    out["with"]["suggestion_kept_rate"] = _r(float(kept.mean()))
    return out


def eta(
    done_at: pd.Series, remaining: int, window_days: int
) -> tuple[dict[str, Any], dict[str, str]]:
    """Days to finish `remaining` items at the mean daily completion rate of the last
    `window_days` calendar days (up to the last completion), with a 90% interval from the
    day-to-day spread of that rate (normal approximation)."""
    names = ("eta_days", "eta_days_low", "eta_days_high", "eta_date")
    if remaining <= 0:
        return {"eta_days": 0.0, "eta_days_low": 0.0, "eta_days_high": 0.0, "eta_date": None}, {}
    if done_at.empty:
        return dict.fromkeys(names), dict.fromkeys(names, "no settled item has a timestamp")
    end = done_at.max().normalize()
    span = pd.date_range(end - pd.Timedelta(days=window_days - 1), end, freq="D")
    counts = done_at.dt.normalize().value_counts().reindex(span, fill_value=0).to_numpy(float)
    rate = float(counts.mean())
    if rate == 0:
        return dict.fromkeys(names), dict.fromkeys(names, "nothing finished in the ETA window")
    half = Z90 * float(counts.std(ddof=1)) / np.sqrt(len(counts)) if len(counts) > 1 else 0.0
    high_rate, low_rate = rate + half, rate - half
    days = remaining / rate
    out: dict[str, Any] = {
        "eta_days": _r(days),
        "eta_days_low": _r(remaining / high_rate),
        "eta_days_high": _r(remaining / low_rate) if low_rate > 0 else None,
        "eta_date": (end + pd.Timedelta(days=float(np.ceil(days)))).strftime("%Y-%m-%d"),
        "eta_rate_per_day": _r(rate),
    }
    reasons = {}
    if out["eta_days_high"] is None:
        reasons["eta_days_high"] = "the recent rate's interval reaches zero"
    return out, reasons


def roster_check(annotations: pd.DataFrame, roster: Roster | None) -> dict[str, list[str]]:
    """Ids in the data missing from the roster, and rostered ids with no annotation."""
    if roster is None:
        return {"annotators_not_in_roster": [], "roster_annotators_without_annotations": []}
    seen = set(annotations[col.ANNOTATOR_ID].astype(str).unique())
    listed = set(roster.ids())
    return {
        "annotators_not_in_roster": sorted(seen - listed),
        "roster_annotators_without_annotations": sorted(listed - seen),
    }


def ops_summary(inputs: OpsInputs) -> dict[str, Any]:
    """Everything ops.json holds: top-level headline figures (the report's and progress
    page's rows, the gateable metrics), then `daily`, `annotators`, `by_label`, `prelabels`,
    `warnings` and `not_computed` (metric -> reason)."""
    annotations, final, settings = inputs.annotations, inputs.final, inputs.settings
    field = arrival_field(inputs.items, settings)
    not_computed: dict[str, str] = {}
    if settings.arrival_field is not None and field is None:
        not_computed["latency_from"] = (
            f"items have no field '{settings.arrival_field}'; latency starts at the first "
            "annotation"
        )
    keys = item_keys(annotations, final, inputs.items)
    done_at = _completion(annotations, final, keys)
    seen = np.zeros(len(keys.ids) + 1, dtype=bool)  # the last slot: a missing id (not counted)
    seen[keys.items] = seen[keys.final] = True
    known = int(seen[:-1].sum())
    summary: dict[str, Any] = progress(final, annotations, settings.target_items, known, keys)
    rate, why = throughput(annotations, done_at)
    summary.update(rate)
    not_computed.update(why)
    late, why = latency(inputs.items, annotations, done_at, field)
    summary.update(late)
    not_computed.update(why)
    costs = annotation_costs(annotations, inputs.roster)
    currency = inputs.roster.currency if inputs.roster else None
    spent, why, by_label = cost(annotations, final, costs, currency or "", keys)
    summary.update(spent)
    summary["currency"] = currency
    not_computed.update(why)
    # Each annotation's agreement with its final label: per annotator and with pre-labels.
    right = agrees(annotations, final, keys)
    rows, utilization, why_not = per_annotator(
        annotations, final, costs, inputs.roster, keys, right
    )
    summary["utilization"] = utilization
    if why_not:
        not_computed["utilization"] = why_not
    remaining = summary["items_target"] - summary["items_done"]
    projected, why = eta(done_at, remaining, settings.eta_window_days)
    summary.update(projected)
    not_computed.update(why)
    summary.update(
        {
            "roster": inputs.roster is not None,
            "daily": daily(annotations, done_at),
            "annotators": rows,
            "by_label": by_label,
            "prelabels": prelabels(annotations, final, keys, right),
            "warnings": roster_check(annotations, inputs.roster),
            "not_computed": dict(sorted(not_computed.items())),
        }
    )
    return summary
