"""What a reader must know before trusting agreement coefficients, and what it means for them."""

from __future__ import annotations

import numpy as np

from labelgate.metrics.agreement.report import Options, Report

Note = dict[str, str]


def _note(code: str, message: str, meaning: str) -> Note:
    return {"code": code, "message": message, "meaning": meaning}


def _prevalence(report: Report, label_ids: list[str]) -> list[Note]:
    """The kappa paradox, or plain prevalence skew: one label dominating the annotations."""
    shares = report.label_shares
    top = int(np.argmax(shares)) if len(shares) else 0
    pa, kappa = report.coefficients["percent_agreement"][0], report.coefficients["fleiss_kappa"][0]
    if np.isfinite(pa) and np.isfinite(kappa) and pa >= 0.8 and kappa < 0.6 and shares[top] >= 0.6:
        return [
            _note(
                "kappa_paradox",
                f"raw agreement is {pa:.2f} but Fleiss' kappa is {kappa:.2f}, with '{label_ids[top]}' at {shares[top]:.0%} of annotations.",
                "with one label this common, chance agreement is high and kappa-type coefficients are low even when annotators agree; read Gwet's AC1 and the per-label view next to kappa.",
            )
        ]
    if shares[top] > 0.8:
        return [
            _note(
                "skewed_prevalence",
                f"'{label_ids[top]}' is {shares[top]:.0%} of annotations.",
                "chance-corrected coefficients are sensitive to such skew; a small number of disagreements on rare labels moves them a lot.",
            )
        ]
    return []


def _categories(report: Report, label_ids: list[str]) -> list[Note]:
    """Labels used too rarely to measure, and labels never used."""
    used = report.per_label["n_annotations"]
    notes = []
    sparse = [
        label_ids[k]
        for k in range(len(label_ids))
        if 0 < used[k] < max(5, 0.01 * report.n_annotations)
    ]
    if sparse:
        notes.append(
            _note(
                "sparse_categories",
                f"labels with few annotations: {', '.join(sparse)}.",
                "agreement on these labels is barely measured; their per-label coefficients are unreliable.",
            )
        )
    unused = [label_ids[k] for k in range(len(label_ids)) if used[k] == 0]
    if unused:
        notes.append(
            _note(
                "unused_categories",
                f"labels never used: {', '.join(unused)}.",
                "they count as categories for Brennan-Prediger and Gwet's AC1 (which depend on the number of categories) but say nothing about agreement.",
            )
        )
    return notes


def _overlap(report: Report, annotator_ids: list[str], options: Options) -> list[Note]:
    """Annotators sharing no item with anyone, and pairs too small for Cohen's kappa."""
    notes = []
    alone = [
        annotator_ids[a]
        for a in range(len(annotator_ids))
        if report.per_annotator["n_pairs"][a] == 0
    ]
    if alone:
        notes.append(
            _note(
                "annotators_without_overlap",
                f"annotators who share no item with anyone: {', '.join(alone[:10])}{' and more' if len(alone) > 10 else ''}.",
                "their work does not enter any coefficient; their quality is unmeasured by agreement (use gold items).",
            )
        )
    sizes = report.pairs.tables.sum(axis=(1, 2))
    small = int((sizes < options.min_pair_items).sum())
    if small:
        notes.append(
            _note(
                "small_pairs",
                f"{small} of {len(sizes)} annotator pairs share fewer than {options.min_pair_items} items and are left out of the mean Cohen's kappa.",
                "the mean pairwise kappa describes the pairs that overlap enough; per-pair kappas on few items are noise.",
            )
        )
    return notes


def diagnostics(
    report: Report,
    label_ids: list[str],
    annotator_ids: list[str],
    options: Options,
    min_pairable: int,
    dropped_duplicates: int,
) -> list[Note]:
    """Every note that applies, in a fixed order: data size, prevalence, labels, overlap."""
    notes = []
    if report.n_pairable_items < min_pairable:
        notes.append(
            _note(
                "too_few_pairable_items",
                f"only {report.n_pairable_items} items have two or more annotations (fewer than {min_pairable}).",
                "the coefficients and their intervals rest on little data; expect them to move when more items are labelled.",
            )
        )
    notes += _prevalence(report, label_ids)
    notes += _categories(report, label_ids)
    notes += _overlap(report, annotator_ids, options)
    if dropped_duplicates:
        notes.append(
            _note(
                "duplicate_annotations",
                f"{dropped_duplicates} repeated (item, annotator) annotations were dropped; the first of each was kept.",
                "an annotator who labels an item twice would otherwise agree with themselves.",
            )
        )
    return notes
