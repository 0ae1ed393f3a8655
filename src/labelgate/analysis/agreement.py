"""The agreement report as JSON: validate the annotations, encode, run the engine, name things."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from labelgate.config import columns as col
from labelgate.errors import InputError
from labelgate.metrics.agreement.report import Options, Report, agreement_report, point_coefficients
from labelgate.metrics.counts import FloatArray, item_value_counts
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


def check_agreeable(annotations: pd.DataFrame, where: str) -> None:
    """Refuse data on which agreement is undefined, rather than report a NaN (exit 3)."""
    annotators = annotations[col.ANNOTATOR_ID].unique()
    if len(annotators) < 2:
        found = ", ".join(f"'{a}'" for a in annotators[:3]) or "none"
        raise InputError(
            [
                Problem(
                    where,
                    message=f"agreement needs at least two annotators; found {len(annotators)} ({found}).",
                    fix="Check the annotator column mapping (--annotator-col).",
                )
            ]
        )
    per_item = annotations.groupby(col.ITEM_ID)[col.ANNOTATOR_ID].nunique()
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


def diagnostics(
    report: Report,
    label_ids: list[str],
    annotator_ids: list[str],
    options: Options,
    min_pairable: int,
    dropped_duplicates: int,
) -> list[dict[str, str]]:
    """What a reader must know before trusting the coefficients, and what it means for them."""
    notes = []
    coefficient = {k: v[0] for k, v in report.coefficients.items()}
    shares = report.label_shares
    top = int(np.argmax(shares)) if len(shares) else 0
    if report.n_pairable_items < min_pairable:
        notes.append(
            {
                "code": "too_few_pairable_items",
                "message": f"only {report.n_pairable_items} items have two or more annotations (fewer than {min_pairable}).",
                "meaning": "the coefficients and their intervals rest on little data; expect them to move when more items are labelled.",
            }
        )
    pa, kappa = coefficient["percent_agreement"], coefficient["fleiss_kappa"]
    if np.isfinite(pa) and np.isfinite(kappa) and pa >= 0.8 and kappa < 0.6 and shares[top] >= 0.6:
        notes.append(
            {
                "code": "kappa_paradox",
                "message": f"raw agreement is {pa:.2f} but Fleiss' kappa is {kappa:.2f}, with '{label_ids[top]}' at {shares[top]:.0%} of annotations.",
                "meaning": "with one label this common, chance agreement is high and kappa-type coefficients are low even when annotators agree; read Gwet's AC1 and the per-label view next to kappa.",
            }
        )
    elif shares[top] > 0.8:
        notes.append(
            {
                "code": "skewed_prevalence",
                "message": f"'{label_ids[top]}' is {shares[top]:.0%} of annotations.",
                "meaning": "chance-corrected coefficients are sensitive to such skew; a small number of disagreements on rare labels moves them a lot.",
            }
        )
    sparse = [
        label_ids[k]
        for k in range(len(shares))
        if 0 < report.per_label["n_annotations"][k] < max(5, 0.01 * report.n_annotations)
    ]
    if sparse:
        notes.append(
            {
                "code": "sparse_categories",
                "message": f"labels with few annotations: {', '.join(sparse)}.",
                "meaning": "agreement on these labels is barely measured; their per-label coefficients are unreliable.",
            }
        )
    unused = [label_ids[k] for k in range(len(shares)) if report.per_label["n_annotations"][k] == 0]
    if unused:
        notes.append(
            {
                "code": "unused_categories",
                "message": f"labels never used: {', '.join(unused)}.",
                "meaning": "they count as categories for Brennan-Prediger and Gwet's AC1 (which depend on the number of categories) but say nothing about agreement.",
            }
        )
    alone = [
        annotator_ids[a]
        for a in range(len(annotator_ids))
        if report.per_annotator["n_pairs"][a] == 0
    ]
    if alone:
        notes.append(
            {
                "code": "annotators_without_overlap",
                "message": f"annotators who share no item with anyone: {', '.join(alone[:10])}{' and more' if len(alone) > 10 else ''}.",
                "meaning": "their work does not enter any coefficient; their quality is unmeasured by agreement (use gold items).",
            }
        )
    sizes = report.pairs.tables.sum(axis=(1, 2))
    small = int((sizes < options.min_pair_items).sum())
    if small:
        notes.append(
            {
                "code": "small_pairs",
                "message": f"{small} of {len(sizes)} annotator pairs share fewer than {options.min_pair_items} items and are left out of the mean Cohen's kappa.",
                "meaning": "the mean pairwise kappa describes the pairs that overlap enough; per-pair kappas on few items are noise.",
            }
        )
    if dropped_duplicates:
        notes.append(
            {
                "code": "duplicate_annotations",
                "message": f"{dropped_duplicates} repeated (item, annotator) annotations were dropped; the first of each was kept.",
                "meaning": "an annotator who labels an item twice would otherwise agree with themselves.",
            }
        )
    return notes


def agreement_json(
    annotations: pd.DataFrame,
    label_ids: list[str],
    values: FloatArray,
    options: Options,
    where: str,
    min_pairable: int = 30,
) -> dict[str, Any]:
    """The report of `labelgate agreement` (and the agreement stage) for canonical annotations."""
    unique = annotations.drop_duplicates([col.ITEM_ID, col.ANNOTATOR_ID], keep="first")
    check_agreeable(unique, where)
    unknown = sorted(set(unique[col.LABEL]) - set(label_ids))
    if unknown:
        raise InputError(
            [
                Problem(
                    where,
                    message=f"labels outside the schema: {', '.join(repr(u) for u in unknown[:5])}.",
                    fix=f"Use one of {', '.join(label_ids)}.",
                )
            ]
        )
    items, _ = pd.factorize(unique[col.ITEM_ID])
    annotators, annotator_ids = pd.factorize(unique[col.ANNOTATOR_ID], sort=True)
    labels = pd.Categorical(unique[col.LABEL], categories=label_ids).codes
    report = agreement_report(
        items.astype(np.int64),
        annotators.astype(np.int64),
        labels.astype(np.int64),
        len(label_ids),
        values,
        options,
    )
    names = [str(a) for a in annotator_ids]
    sizes = report.pairs.tables.sum(axis=(1, 2))
    return {
        "n_items": report.n_items,
        "n_pairable_items": report.n_pairable_items,
        "n_annotators": report.n_annotators,
        "n_annotations": report.n_annotations,
        "level": options.level,
        "weights": options.weights,
        "min_pair_items": options.min_pair_items,
        "bootstrap": {
            "resamples": options.resamples,
            "seed": options.seed,
            "confidence": options.confidence,
        }
        if options.resamples
        else None,
        "coefficients": {
            name: {"value": _value(v), "ci_low": lo, "ci_high": hi}
            for name, (v, lo, hi) in report.coefficients.items()
        },
        "pairs": [
            {
                "annotator_a": names[a],
                "annotator_b": names[b],
                "n_items": int(n),
                "cohen_kappa": _value(k),
            }
            for a, b, n, k in zip(
                report.pairs.a, report.pairs.b, sizes, report.pair_kappas, strict=True
            )
        ],
        "per_label": {
            label: {
                "n_annotations": int(report.per_label["n_annotations"][k]),
                "share": float(report.label_shares[k]),
                "krippendorff_alpha": _value(report.per_label["krippendorff_alpha"][k]),
                "fleiss_kappa": _value(report.per_label["fleiss_kappa"][k]),
                "percent_agreement": _value(report.per_label["percent_agreement"][k]),
            }
            for k, label in enumerate(label_ids)
        },
        "per_annotator": {
            name: {
                key: (int(v[a]) if key in ("n_annotations", "n_pairs") else _value(v[a]))
                for key, v in report.per_annotator.items()
            }
            for a, name in enumerate(names)
        },
        "diagnostics": diagnostics(
            report, label_ids, names, options, min_pairable, len(annotations) - len(unique)
        ),
    }


def group_coefficients(
    annotations: pd.DataFrame, key: str, label_ids: list[str], values: FloatArray, options: Options
) -> dict[str, Any]:
    """Point coefficients (no intervals, no pairs) per value of `key`, e.g. batch or version."""
    unique = annotations.drop_duplicates([col.ITEM_ID, col.ANNOTATOR_ID], keep="first")
    out: dict[str, Any] = {}
    for group, part in unique.groupby(key, sort=True):
        items, _ = pd.factorize(part[col.ITEM_ID])
        labels = pd.Categorical(part[col.LABEL], categories=label_ids).codes.astype(np.int64)
        counts = item_value_counts(
            items.astype(np.int64), labels, int(items.max()) + 1, len(label_ids)
        )
        coefficients = point_coefficients(counts, options, values)
        out[str(group) or "(none)"] = {
            "n_items": int(items.max()) + 1,
            "n_pairable_items": int((counts.sum(axis=1) >= 2).sum()),
            "n_annotations": len(part),
            "coefficients": {
                name: {"value": _value(coefficients[name]), "ci_low": None, "ci_high": None}
                for name in PATTERN_COEFFICIENTS
            },
        }
    return out
