"""The agreement report on integer codes: every coefficient, intervals, pairs, breakdowns.

Input is long format, one annotation per (item, annotator): item, annotator and label codes.
Nothing here builds an annotators x items matrix; the work is count patterns and pair tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from labelgate.metrics.agreement.bootstrap import (
    Statistic,
    acceleration,
    bca_interval,
    bootstrap_replicates,
    jackknife,
    jackknife_se,
    percentile_interval,
    wald_interval,
)
from labelgate.metrics.agreement.chance import (
    chance_corrected_batch,
    gwet_standard_errors,
    rated_items,
)
from labelgate.metrics.agreement.krippendorff import (
    alpha_batch,
    alpha_from_coincidence,
    coincidence_matrix,
)
from labelgate.metrics.agreement.pairwise import (
    PairTables,
    cohen_kappas,
    merge_pair_tables,
    pair_tables,
)
from labelgate.metrics.agreement.patterns import Patterns, compress, merge_patterns
from labelgate.metrics.agreement.weights import weight_matrix
from labelgate.metrics.counts import (
    FloatArray,
    IntArray,
    add_in_order,
    item_value_counts,
    stable_order,
)

ALL = (
    "krippendorff_alpha",
    "fleiss_kappa",
    "gwet_ac1",
    "brennan_prediger",
    "percent_agreement",
    "mean_pairwise_cohen_kappa",
)

INTERVALS = ("percentile", "bca", "analytic")


@dataclass(frozen=True)
class Options:
    """How to compute: level, weights, intervals and the minimum shared items of a pair.

    interval : percentile | bca | analytic (INTERVALS); resamples <= 0 turns every interval
    off, the analytic one included, so one switch means "no intervals" whatever the method.
    """

    level: str = "nominal"
    weights: str = "identity"
    resamples: int = 0
    seed: int = 0
    confidence: float = 0.95
    min_pair_items: int = 10
    interval: str = "bca"


@dataclass
class Report:
    """Numbers by code; the caller names them."""

    n_items: int
    n_pairable_items: int
    n_annotators: int
    n_annotations: int
    coefficients: dict[str, tuple[float, float | None, float | None]]
    pairs: PairTables
    pair_kappas: FloatArray
    per_label: dict[str, FloatArray]
    per_annotator: dict[str, FloatArray]
    label_shares: FloatArray
    nan_resamples: dict[str, int] = field(default_factory=dict)
    # How each interval was made: percentile, bca, analytic_gwet or analytic_jackknife.
    interval_methods: dict[str, str] = field(default_factory=dict)


def pattern_batch(
    patterns: Patterns, freqs: FloatArray, options: Options, values: FloatArray, weights: FloatArray
) -> dict[str, FloatArray]:
    """alpha and the chance-corrected family for B frequency vectors (B, U) -> name -> (B,)."""
    rows = patterns.rows.astype(np.float64)
    out = chance_corrected_batch(rows, freqs, weights)
    out["krippendorff_alpha"] = alpha_batch(patterns.rows, freqs, options.level, values)
    return out


def pattern_coefficients(
    patterns: Patterns, freq: FloatArray, options: Options, values: FloatArray, weights: FloatArray
) -> dict[str, float]:
    """alpha and the chance-corrected family for patterns with (resampled) frequencies."""
    # The same code path as the replicates, so BCa compares like with like to the last bit.
    batch = pattern_batch(patterns, freq[None, :], options, values, weights)
    return {name: float(v[0]) for name, v in batch.items()}


def point_coefficients(counts: IntArray, options: Options, values: FloatArray) -> dict[str, float]:
    """Pattern-based coefficients of a count matrix, without intervals (for breakdowns)."""
    patterns = compress(counts)
    weights = weight_matrix(options.weights, values)
    return pattern_coefficients(
        patterns, patterns.freq.astype(np.float64), options, values, weights
    )


Interval = tuple[float, float, str]


def coefficient_intervals(
    patterns: Patterns,
    point: dict[str, float],
    statistic: Statistic,
    options: Options,
    weights: FloatArray,
) -> tuple[dict[str, Interval], dict[str, int]]:
    """name -> (low, high, method) by `options.interval`, and NaN resamples per name.

    bca falls back to percentile for a coefficient whose BCa correction is undefined (the
    estimate outside every replicate, or an undefined jackknife value) and says so in the
    method. analytic: Gwet's variance for the kappa family, the item jackknife for alpha,
    each as estimate -/+ t(n-1) se with n the rated items.
    """
    if options.interval not in INTERVALS:
        raise ValueError(f"unknown interval {options.interval!r}; expected one of {INTERVALS}")
    if options.resamples <= 0 or patterns.n_items == 0:
        return {}, {}
    confidence = options.confidence
    if options.interval == "analytic":
        return analytic_intervals(patterns, point, statistic, weights, confidence), {}
    replicates = bootstrap_replicates(patterns, statistic, options.resamples, options.seed)
    nan_counts = {k: int((~np.isfinite(v)).sum()) for k, v in replicates.items()}
    out: dict[str, Interval] = {}
    accel = (
        {k: acceleration(*v) for k, v in jackknife(patterns, statistic).items()}
        if options.interval == "bca"
        else {}
    )
    for name, values in replicates.items():
        if options.interval == "bca":
            bounds = bca_interval(values, point[name], accel[name], confidence)
            if bounds is not None:
                out[name] = (*bounds, "bca")
                continue
        out[name] = (*percentile_interval(values, confidence), "percentile")
    return out, {k: v for k, v in nan_counts.items() if v}


def analytic_intervals(
    patterns: Patterns,
    point: dict[str, float],
    statistic: Statistic,
    weights: FloatArray,
    confidence: float,
) -> dict[str, Interval]:
    """Wald intervals: Gwet's SE for the kappa family, the item-jackknife SE for alpha."""
    rows = patterns.rows.astype(np.float64)
    freq = patterns.freq.astype(np.float64)
    n = rated_items(rows, freq)
    ses = gwet_standard_errors(rows, freq, weights)
    out: dict[str, Interval] = {
        name: (*wald_interval(point[name], se, n, confidence), "analytic_gwet")
        for name, se in ses.items()
    }
    values, counts = jackknife(patterns, statistic)["krippendorff_alpha"]
    se_alpha = jackknife_se(values, counts)
    out["krippendorff_alpha"] = (
        *wald_interval(point["krippendorff_alpha"], se_alpha, n, confidence),
        "analytic_jackknife",
    )
    return out


def _mean_kappa(kappas: FloatArray, sizes: IntArray, minimum: int) -> float:
    keep = (sizes >= minimum) & np.isfinite(kappas)
    return float(kappas[keep].mean()) if keep.any() else float("nan")


def per_label(patterns: Patterns) -> dict[str, FloatArray]:
    """One-vs-rest agreement per label: alpha and Fleiss' kappa on 'this label or not'.

    From the count patterns: an item's binary counts depend only on its pattern.
    """
    m = patterns.rows.sum(axis=1)
    binary = Options(level="nominal", weights="identity")
    values = np.arange(2.0)
    weights = weight_matrix(binary.weights, values)
    alphas, kappas, agree = [], [], []
    for k in range(patterns.rows.shape[1]):
        two = merge_patterns(
            [
                Patterns(
                    np.stack([patterns.rows[:, k], m - patterns.rows[:, k]], axis=1), patterns.freq
                )
            ]
        )
        coefficients = pattern_coefficients(
            two, two.freq.astype(np.float64), binary, values, weights
        )
        alphas.append(coefficients["krippendorff_alpha"])
        kappas.append(coefficients["fleiss_kappa"])
        agree.append(coefficients["percent_agreement"])
    return {
        "krippendorff_alpha": np.array(alphas),
        "fleiss_kappa": np.array(kappas),
        "percent_agreement": np.array(agree),
        "n_annotations": (patterns.rows * patterns.freq[:, None]).sum(axis=0),
    }


def leave_one_out_coincidences(
    items: IntArray, annotators: IntArray, labels: IntArray, counts: IntArray, n_annotators: int
) -> tuple[FloatArray, FloatArray]:
    """Per annotator, the coincidences of their items with them and without them: (A, K, K) each.

    Both add up over item partitions; alpha without annotator a is computed from
    total - with[a] + without[a].
    """
    k = counts.shape[1]
    with_them = np.zeros((n_annotators, k, k))
    without_them = np.zeros((n_annotators, k, k))
    order = stable_order(annotators, n_annotators)
    bounds = np.searchsorted(annotators[order], np.arange(n_annotators + 1))
    for a in range(n_annotators):
        rows = order[bounds[a] : bounds[a + 1]]
        if len(rows) == 0:
            continue
        before = counts[items[rows]]
        after = before.copy()
        after[np.arange(len(rows)), labels[rows]] -= 1
        with_them[a] = coincidence_matrix(before)
        without_them[a] = coincidence_matrix(after)
    return with_them, without_them


def per_annotator(
    partials: Partials, kappas: FloatArray, options: Options, values: FloatArray
) -> dict[str, FloatArray]:
    """Each annotator against the others: pooled pair agreement, mean kappa, alpha without them."""
    pairs = partials.pairs
    n_annotators = len(partials.annotations_by_annotator)
    weights = weight_matrix(options.weights, values)
    sizes = pairs.tables.sum(axis=(1, 2))
    agreeing = (pairs.tables * weights).sum(axis=(1, 2))
    n_pairs = np.bincount(pairs.a, weights=sizes, minlength=n_annotators) + np.bincount(
        pairs.b, weights=sizes, minlength=n_annotators
    )
    n_agree = np.bincount(pairs.a, weights=agreeing, minlength=n_annotators) + np.bincount(
        pairs.b, weights=agreeing, minlength=n_annotators
    )
    usable = (sizes >= options.min_pair_items) & np.isfinite(kappas)
    kappa_sum = np.bincount(
        pairs.a[usable], weights=kappas[usable], minlength=n_annotators
    ) + np.bincount(pairs.b[usable], weights=kappas[usable], minlength=n_annotators)
    kappa_n = np.bincount(pairs.a[usable], minlength=n_annotators) + np.bincount(
        pairs.b[usable], minlength=n_annotators
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = np.where(n_pairs > 0, n_agree / np.maximum(n_pairs, 1), np.nan)
        mean_kappa = np.where(kappa_n > 0, kappa_sum / np.maximum(kappa_n, 1), np.nan)
    # Leave-one-out alpha: subtract each annotator's effect on the coincidences of their items.
    without = np.full(n_annotators, np.nan)
    for a in np.flatnonzero(partials.annotations_by_annotator):
        changed = partials.coincidence - partials.with_annotator[a] + partials.without_annotator[a]
        without[a] = alpha_from_coincidence(changed, options.level, values)
    return {
        "n_annotations": partials.annotations_by_annotator.astype(np.float64),
        "n_pairs": n_pairs,
        "percent_agreement_with_others": pooled,
        "mean_cohen_kappa": mean_kappa,
        "krippendorff_alpha_without": without,
    }


@dataclass(frozen=True)
class Partials:
    """The sufficient statistics of the report for one partition of items; they add up.

    patterns : the items' count patterns; pairs : every annotator pair's contingency table;
    coincidence : (K, K); with_annotator, without_annotator : (A, K, K) leave-one-out terms;
    annotations_by_annotator : (A,); label_counts : (K,).
    """

    patterns: Patterns
    pairs: PairTables
    coincidence: FloatArray
    with_annotator: FloatArray
    without_annotator: FloatArray
    annotations_by_annotator: IntArray
    label_counts: IntArray

    @property
    def n_annotations(self) -> int:
        """Annotations counted."""
        return int(self.label_counts.sum())


def agreement_partials(
    items: IntArray, annotators: IntArray, labels: IntArray, n_labels: int, n_annotators: int
) -> Partials:
    """Partials of one partition: items, annotators, labels are codes, shape (A,), one
    annotation per (item, annotator); annotator codes are global (below n_annotators)."""
    n_items = int(items.max()) + 1 if len(items) else 0
    counts = item_value_counts(items, labels, n_items, n_labels)
    with_them, without_them = leave_one_out_coincidences(
        items, annotators, labels, counts, n_annotators
    )
    return Partials(
        patterns=compress(counts),
        pairs=pair_tables(items, annotators, labels, n_labels),
        coincidence=coincidence_matrix(counts),
        with_annotator=with_them,
        without_annotator=without_them,
        annotations_by_annotator=np.bincount(annotators, minlength=n_annotators).astype(np.int64),
        label_counts=counts.sum(axis=0),
    )


def merge_partials(parts: list[Partials]) -> Partials:
    """The partials of the union of disjoint item partitions, added in the order given.

    One partition comes back unchanged, so the numbers equal the unpartitioned computation's.
    """
    if len(parts) == 1:
        return parts[0]
    return Partials(
        patterns=merge_patterns([p.patterns for p in parts]),
        pairs=merge_pair_tables([p.pairs for p in parts]),
        coincidence=add_in_order([p.coincidence for p in parts]),
        with_annotator=add_in_order([p.with_annotator for p in parts]),
        without_annotator=add_in_order([p.without_annotator for p in parts]),
        annotations_by_annotator=add_in_order([p.annotations_by_annotator for p in parts]),
        label_counts=add_in_order([p.label_counts for p in parts]),
    )


def report_from_partials(partials: Partials, values: FloatArray, options: Options) -> Report:
    """Every coefficient with its interval, the pairs, and the per-label/annotator views, from
    the (merged) partials of all items. values : numeric value of each label code, (K,)."""
    patterns = partials.patterns
    weights = weight_matrix(options.weights, values)
    point = pattern_coefficients(
        patterns, patterns.freq.astype(np.float64), options, values, weights
    )
    pairs = partials.pairs
    kappas = cohen_kappas(pairs.tables, weights)
    sizes = pairs.tables.sum(axis=(1, 2))
    point["mean_pairwise_cohen_kappa"] = _mean_kappa(kappas, sizes, options.min_pair_items)

    def statistic(freqs: FloatArray) -> dict[str, FloatArray]:
        return pattern_batch(patterns, freqs, options, values, weights)

    # mean_pairwise_cohen_kappa gets no interval: each pair's kappa rests on few shared items
    # and is biased under resampling, so a percentile interval of their mean misleads.
    intervals, nan_resamples = coefficient_intervals(patterns, point, statistic, options, weights)
    coefficients: dict[str, tuple[float, float | None, float | None]] = {}
    for name in ALL:
        low, high, _ = intervals.get(name, (None, None, ""))
        coefficients[name] = (point[name], low, high)
    n_annotations = partials.n_annotations
    return Report(
        n_items=patterns.n_items,
        n_pairable_items=int(patterns.freq[patterns.rows.sum(axis=1) >= 2].sum()),
        n_annotators=int((partials.annotations_by_annotator > 0).sum()),
        n_annotations=n_annotations,
        coefficients=coefficients,
        pairs=pairs,
        pair_kappas=kappas,
        per_label=per_label(patterns),
        per_annotator=per_annotator(partials, kappas, options, values),
        label_shares=partials.label_counts / max(n_annotations, 1),
        nan_resamples=nan_resamples,
        interval_methods={k: v[2] for k, v in intervals.items()},
    )


def agreement_report(
    items: IntArray,
    annotators: IntArray,
    labels: IntArray,
    n_labels: int,
    values: FloatArray,
    options: Options,
) -> Report:
    """Every coefficient with its interval, the pairs, and the per-label/annotator views.

    items, annotators, labels : int codes, shape (A,), one annotation per (item, annotator).
    values : numeric value of each label code, shape (n_labels,). One partition: the
    partitioned path (analysis.agreement) merges `agreement_partials` of several.
    """
    n_annotators = int(annotators.max()) + 1 if len(annotators) else 0
    partials = agreement_partials(items, annotators, labels, n_labels, n_annotators)
    return report_from_partials(partials, values, options)
