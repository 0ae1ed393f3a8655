"""The agreement report as JSON: validate the annotations, encode, run the engine, name things."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from labelgate.analysis.agreement_diagnostics import diagnostics
from labelgate.analysis.encoding import first_votes
from labelgate.backends.executor import Executor, LocalExecutor, map_gather
from labelgate.backends.partitions import by_item
from labelgate.config import columns as col
from labelgate.errors import InputError
from labelgate.metrics.agreement.report import (
    Options,
    Partials,
    Report,
    agreement_partials,
    merge_partials,
    point_coefficients,
    report_from_partials,
)
from labelgate.metrics.counts import FloatArray, IntArray, item_value_counts, stable_order
from labelgate.problems import Problem

PATTERN_COEFFICIENTS = (
    "krippendorff_alpha",
    "fleiss_kappa",
    "gwet_ac1",
    "brennan_prediger",
    "percent_agreement",
)


def default_weights(level: str) -> str:
    """identity for nominal data, quadratic for ordered scales (the usual weighted kappa)."""
    return "identity" if level == "nominal" else "quadratic"


@dataclass(frozen=True)
class Encoded:
    """One annotation per (item, annotator), as integer codes; the first of repeats is kept."""

    items: IntArray  # item codes in order of first appearance
    annotators: IntArray  # annotator codes, names sorted
    labels: IntArray  # label codes in `label_ids` order; -1 outside it
    names: list[str]  # annotator name by code
    n_repeated: int  # repeated (item, annotator) annotations left out
    kept: np.ndarray | None = None  # per input row: kept (the first of its repeats)


def encode(annotations: pd.DataFrame, label_ids: list[str]) -> Encoded:
    """Factorise the id columns once; repeats are found on integer keys, not on strings."""
    items, _ = pd.factorize(annotations[col.ITEM_ID])
    annotators, names = pd.factorize(annotations[col.ANNOTATOR_ID], sort=True)
    first = first_votes(items, annotators)
    # Few distinct labels: factorise, then map each distinct one to its position (-1: unknown).
    raw, distinct = pd.factorize(annotations[col.LABEL])
    position = {label: k for k, label in enumerate(label_ids)}
    lookup = np.array([position.get(str(v), -1) for v in distinct] + [-1], dtype=np.int64)
    labels = lookup[raw]  # a missing value (-1) takes the last entry, -1
    return Encoded(
        items=items[first].astype(np.int64),
        annotators=annotators[first].astype(np.int64),
        labels=labels[first].astype(np.int64),
        names=[str(a) for a in names],
        n_repeated=int(len(first) - first.sum()),
        kept=first,
    )


def check_agreeable(codes: Encoded, where: str) -> None:
    """Refuse data on which agreement is undefined, rather than report a NaN (exit 3)."""
    if len(codes.names) < 2:
        found = ", ".join(f"'{a}'" for a in codes.names[:3]) or "none"
        raise InputError(
            [
                Problem(
                    where,
                    message=f"agreement needs at least two annotators; found {len(codes.names)} ({found}).",
                    fix="Check the annotator column mapping (--annotator-col).",
                )
            ]
        )
    per_item = np.bincount(codes.items) if len(codes.items) else np.zeros(0, np.int64)
    if not (per_item >= 2).any():
        raise InputError(
            [
                Problem(
                    where,
                    message=f"no item has two or more annotations ({len(per_item)} items, one annotation each); agreement is undefined.",
                    fix="Agreement needs overlap: have at least some items labelled by two annotators.",
                )
            ]
        )


def label_values(labels: pd.Series, level: str, where: str) -> tuple[list[str], FloatArray]:
    """Categories and their values for data outside a project (no schema to give them)."""
    distinct = sorted(labels.unique().tolist())
    numbers = pd.to_numeric(pd.Series(distinct), errors="coerce")
    if level == "nominal":
        if numbers.notna().all():
            order = np.argsort(numbers.to_numpy(), kind="stable")
            distinct = [distinct[i] for i in order]
        return distinct, np.arange(len(distinct), dtype=np.float64)
    bad = [d for d, n in zip(distinct, numbers, strict=True) if pd.isna(n)]
    if bad:
        shown = ", ".join(f"'{b}'" for b in bad[:5])
        raise InputError(
            [
                Problem(
                    where,
                    message=f"level '{level}' needs numeric labels, but found {shown}{' and more' if len(bad) > 5 else ''}.",
                    fix="Use --level nominal, or map the labels to numbers.",
                )
            ]
        )
    order = np.argsort(numbers.to_numpy(), kind="stable")
    return [distinct[i] for i in order], numbers.to_numpy()[order].astype(np.float64)


def _value(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _coefficient(
    value: float, low: float | None, high: float | None, method: str | None
) -> dict[str, Any]:
    """value, bounds (None when not computed or undefined) and the method that made them."""
    lo = None if low is None else _value(low)
    hi = None if high is None else _value(high)
    # bca can fall back to percentile for one coefficient; the method says which one ran.
    return {
        "value": _value(value),
        "ci_low": lo,
        "ci_high": hi,
        "ci_method": method if lo is not None and hi is not None else None,
    }


def _pairs(report: Report, names: list[str]) -> list[dict[str, Any]]:
    sizes = report.pairs.tables.sum(axis=(1, 2))
    return [
        {
            "annotator_a": names[a],
            "annotator_b": names[b],
            "n_items": int(n),
            "cohen_kappa": _value(k),
        }
        for a, b, n, k in zip(
            report.pairs.a, report.pairs.b, sizes, report.pair_kappas, strict=True
        )
    ]


def _per_label(report: Report, label_ids: list[str]) -> dict[str, Any]:
    return {
        label: {
            "n_annotations": int(report.per_label["n_annotations"][k]),
            "share": float(report.label_shares[k]),
            "krippendorff_alpha": _value(report.per_label["krippendorff_alpha"][k]),
            "fleiss_kappa": _value(report.per_label["fleiss_kappa"][k]),
            "percent_agreement": _value(report.per_label["percent_agreement"][k]),
        }
        for k, label in enumerate(label_ids)
    }


def _per_annotator(report: Report, names: list[str]) -> dict[str, Any]:
    return {
        name: {
            key: (int(v[a]) if key in ("n_annotations", "n_pairs") else _value(v[a]))
            for key, v in report.per_annotator.items()
        }
        for a, name in enumerate(names)
    }


def _check_labels(
    annotations: pd.DataFrame, codes: Encoded, label_ids: list[str], where: str
) -> None:
    if (codes.labels >= 0).all():
        return
    unknown = sorted(set(annotations[col.LABEL].unique()) - set(label_ids))
    raise InputError(
        [
            Problem(
                where,
                message=f"labels outside the schema: {', '.join(repr(u) for u in unknown[:5])}.",
                fix=f"Use one of {', '.join(label_ids)}.",
            )
        ]
    )


def _partials(
    chunk: tuple[IntArray, IntArray, IntArray], n_labels: int, n_annotators: int
) -> Partials:
    return agreement_partials(*chunk, n_labels, n_annotators)


def partitioned_report(
    codes: Encoded,
    n_labels: int,
    values: FloatArray,
    options: Options,
    executor: Executor | None = None,
) -> Report:
    """The report from partial statistics of item partitions, computed where `executor` runs
    them and added up in partition order: the same numbers on every engine."""
    executor = executor or LocalExecutor()
    n_items = int(codes.items.max()) + 1 if len(codes.items) else 0
    chunks = [
        (codes.items[part.rows] - part.start, codes.annotators[part.rows], codes.labels[part.rows])
        for part in by_item(codes.items, n_items, executor.partition_rows)
    ]
    refs = executor.scatter(chunks)
    partials = map_gather(executor, _partials, refs, n_labels, len(codes.names))
    return report_from_partials(merge_partials(partials), values, options)


def agreement_json(
    annotations: pd.DataFrame,
    label_ids: list[str],
    values: FloatArray,
    options: Options,
    where: str,
    min_pairable: int = 30,
    executor: Executor | None = None,
    codes: Encoded | None = None,
) -> dict[str, Any]:
    """The report of `labelgate agreement` (and the agreement stage) for canonical annotations
    (`codes`: their encoding, when the caller has it); the statistics are computed by item
    partition where `executor` runs them (default: here)."""
    codes = codes if codes is not None else encode(annotations, label_ids)
    check_agreeable(codes, where)
    _check_labels(annotations, codes, label_ids, where)
    report = partitioned_report(codes, len(label_ids), values, options, executor)
    names = codes.names
    bootstrap = {
        "resamples": options.resamples,
        "seed": options.seed,
        "confidence": options.confidence,
        "interval": options.interval,
    }
    return {
        "n_items": report.n_items,
        "n_pairable_items": report.n_pairable_items,
        "n_annotators": report.n_annotators,
        "n_annotations": report.n_annotations,
        "level": options.level,
        "weights": options.weights,
        "min_pair_items": options.min_pair_items,
        "bootstrap": bootstrap if options.resamples else None,
        "coefficients": {
            name: _coefficient(v, lo, hi, report.interval_methods.get(name))
            for name, (v, lo, hi) in report.coefficients.items()
        },
        "pairs": _pairs(report, names),
        "per_label": _per_label(report, label_ids),
        "per_annotator": _per_annotator(report, names),
        "diagnostics": diagnostics(
            report, label_ids, names, options, min_pairable, codes.n_repeated
        ),
    }


def group_coefficients(
    annotations: pd.DataFrame,
    key: str,
    label_ids: list[str],
    values: FloatArray,
    options: Options,
    codes: Encoded | None = None,
) -> dict[str, Any]:
    """Point coefficients (no intervals, no pairs) per value of `key`, e.g. batch or version.

    On the codes of the one-vote annotations (`codes`, or encoded here): the group column is
    factorised once and each group's items counted by code."""
    codes = codes if codes is not None else encode(annotations, label_ids)
    every, names = pd.factorize(annotations[key], sort=True)
    groups = every[codes.kept] if codes.kept is not None else every
    order = stable_order(groups, len(names))  # few groups: a radix sort
    bounds = np.searchsorted(groups[order], np.arange(len(names) + 1))
    n_items = int(codes.items.max()) + 1 if len(codes.items) else 0
    out: dict[str, Any] = {}
    for g, group in enumerate(names):
        rows = order[bounds[g] : bounds[g + 1]]
        if len(rows) == 0:  # a value only repeated annotations had
            continue
        # The group's items renumbered in code order, by a table rather than a sort.
        present = np.zeros(n_items, dtype=bool)
        present[codes.items[rows]] = True
        renumber = np.cumsum(present) - 1
        items = renumber[codes.items[rows]]
        counts = item_value_counts(items, codes.labels[rows], int(present.sum()), len(label_ids))
        coefficients = point_coefficients(counts, options, values)
        out[str(group) or "(none)"] = {
            "n_items": int(present.sum()),
            "n_pairable_items": int((counts.sum(axis=1) >= 2).sum()),
            "n_annotations": len(rows),
            "coefficients": {
                name: _coefficient(coefficients[name], None, None, None)
                for name in PATTERN_COEFFICIENTS
            },
        }
    return out


def schema_values(level: str, label_values: list[float | None]) -> FloatArray:
    """Each label's value on the scale (its position for nominal schemas)."""
    if level == "nominal":
        return np.arange(len(label_values), dtype=np.float64)
    return np.array([float(v or 0.0) for v in label_values])


@dataclass(frozen=True)
class DatasetAgreement:
    """What the agreement stage writes: the report and its tables."""

    report: dict[str, Any]
    pairs: pd.DataFrame
    by_group: pd.DataFrame  # breakdown, group, coefficient, value (plot data)
    by_label: pd.DataFrame


def dataset_agreement(
    annotations: pd.DataFrame,
    label_ids: list[str],
    values: FloatArray,
    options: Options,
    breakdowns: list[str],
    where: str,
    min_pairable: int,
    executor: Executor | None = None,
) -> DatasetAgreement:
    """The full report plus point coefficients per batch, guideline version, ... (breakdowns)."""
    codes = encode(annotations, label_ids)  # once, for the report and every breakdown
    result = agreement_json(
        annotations, label_ids, values, options, where, min_pairable, executor, codes
    )
    pairs = pd.DataFrame(
        result.pop("pairs"), columns=["annotator_a", "annotator_b", "n_items", "cohen_kappa"]
    )
    result["n_pairs"] = len(pairs)
    plot_rows = []
    for breakdown in breakdowns:
        groups = group_coefficients(annotations, breakdown, label_ids, values, options, codes)
        result[f"by_{breakdown}"] = groups
        for group, entry in groups.items():
            for name, value in entry["coefficients"].items():
                plot_rows.append(
                    {
                        "breakdown": breakdown,
                        "group": group,
                        "coefficient": name,
                        "value": value["value"],
                    }
                )
    per_label = pd.DataFrame([{"label": k, **v} for k, v in result["per_label"].items()])
    by_group = pd.DataFrame(plot_rows, columns=["breakdown", "group", "coefficient", "value"])
    return DatasetAgreement(result, pairs, by_group, per_label)
