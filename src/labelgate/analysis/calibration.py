"""Calibrated confidence: cross-fitted isotonic regression on gold, or a one-coin agreement model.

Two calibrations, and none:

- `gold_isotonic_crossfit`: the aggregator's confidence is mapped to P(label correct) by
  isotonic regression (pool-adjacent-violators) of gold correctness on confidence. Gold items
  are split into seeded folds; each fold is scored by the fit on the other folds, so a gold
  item is never scored by a model that saw its own gold label (its calibrated confidence, and
  ECE on gold, are out of sample). Items without gold use the fit on all gold.
- `agreement_one_coin`: without gold, nothing says whether the aggregator is right, so the
  aggregator's output is not used as truth. Each annotator j is assumed to give the true label
  with probability p_j and otherwise one of the K-1 others uniformly, independently of other
  annotators given the true label (the one-coin model). Then two annotators agree with
  probability 1/K + (K-1)/K * q_j * q_k, with q = (K p - 1)/(K - 1), so the chance-corrected
  pairwise agreements m_jk = (K a_jk - 1)/(K - 1) form a rank-one matrix q q^T (off the
  diagonal). q is fitted to the observed m_jk by weighted least squares (weights: shared
  items), the method of moments of Dawid-Skene's one-coin special case. The calibrated
  confidence of an item is the posterior, under those accuracies and class priors fitted by
  EM with the accuracies fixed, of the label the aggregator chose. Correlated errors (hard
  items that mislead everyone) or confusions concentrated on some labels break the
  assumption and make this confidence too high.
- `none`: the aggregator's confidence as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from labelgate.metrics.counts import FloatArray, IntArray

Requested = Literal["auto", "gold", "agreement", "none"]
Method = Literal["gold_isotonic_crossfit", "agreement_one_coin", "none"]

# `auto` calibrates on gold from this many gold items, else on agreement: below it, isotonic
# steps are fitted on a handful of points per fold and are noisier than the agreement model.
MIN_GOLD_AUTO = 30
# `gold` asked for explicitly needs at least two gold items per fold.
N_FOLDS = 5
MIN_GOLD = 2 * N_FOLDS
# Shrinkage of each annotator's one-coin accuracy toward the mean, in shared items: an
# annotator seen on few pairs would otherwise get an accuracy of 0 or 1 from noise.
PRIOR_PAIRS = 10.0
# One-coin accuracies stay inside (1/K, 1): at 1 a single vote would make a label certain.
MAX_ACCURACY = 0.995
MIN_SKILL = 0.02


@dataclass(frozen=True)
class IsotonicFit:
    """A fitted increasing step-and-ramp function: knots `x` (sorted, distinct) and values `y`.

    Prediction interpolates linearly between knots and clips outside them, as scikit-learn's
    `IsotonicRegression(out_of_bounds="clip")` does.
    """

    x: FloatArray
    y: FloatArray

    def predict(self, values: FloatArray) -> FloatArray:
        """The fitted function at `values`."""
        if len(self.x) == 0:
            return np.full(len(values), np.nan)
        result: FloatArray = np.interp(np.asarray(values, dtype=float), self.x, self.y)
        return result


def pav(y: FloatArray, weights: FloatArray | None = None) -> FloatArray:
    """The increasing least-squares fit to `y` (in the order given): pool adjacent violators.

    One pass with a stack of blocks (mean, weight, length); each new point merges backwards
    while it would break monotonicity, so the cost is linear in len(y).
    """
    values = np.asarray(y, dtype=float)
    w = np.ones(len(values)) if weights is None else np.asarray(weights, dtype=float)
    means: list[float] = []
    totals: list[float] = []
    lengths: list[int] = []
    for value, weight in zip(values.tolist(), w.tolist(), strict=True):
        mean, total, length = value, weight, 1
        while means and means[-1] >= mean:
            # `>=` also pools equal neighbours: same fit, fewer blocks.
            previous, previous_total = means.pop(), totals.pop()
            merged = previous_total + total
            mean = (previous * previous_total + mean * total) / merged
            total = merged
            length += lengths.pop()
        means.append(mean)
        totals.append(total)
        lengths.append(length)
    fitted: FloatArray = np.repeat(np.asarray(means, dtype=float), lengths)
    return fitted


def isotonic_fit(x: FloatArray, y: FloatArray, weights: FloatArray | None = None) -> IsotonicFit:
    """Isotonic regression of `y` on `x`: equal x values are pooled (weighted mean), then PAV."""
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    w = np.ones(len(xs)) if weights is None else np.asarray(weights, dtype=float)
    if len(xs) == 0:
        return IsotonicFit(np.zeros(0), np.zeros(0))
    knots, position = np.unique(xs, return_inverse=True)
    total = np.bincount(position, weights=w, minlength=len(knots)).astype(float)
    mean = np.bincount(position, weights=w * ys, minlength=len(knots)) / total
    return IsotonicFit(knots, pav(mean, total))


def smoothed_isotonic_fit(x: FloatArray, correct: np.ndarray) -> IsotonicFit:
    """Isotonic regression of 0/1 correctness on `x`, each fitted block then given one
    correct and one wrong pseudo-observation (its Beta(1, 1) posterior mean) and pooled
    again where that breaks monotonicity.

    Plain isotonic regression gives its top block the raw share of correct gold labels, often
    exactly 1 (and it is the maximum of pooled means, so biased upward): a label calibrated
    to 1 claims no error at all, and routing to a target error would accept any number of
    them. With the pseudo-counts a block of n gold items, all correct, gets (n + 1)/(n + 2).
    """
    fit = isotonic_fit(x, np.asarray(correct, dtype=float))
    if len(fit.x) == 0:
        return fit
    xs = np.asarray(x, dtype=float)
    knots, position = np.unique(xs, return_inverse=True)
    count = np.bincount(position, minlength=len(knots)).astype(float)
    hits = np.bincount(position, weights=np.asarray(correct, dtype=float), minlength=len(knots))
    # Blocks are runs of equal fitted values; each is smoothed from its own counts.
    block = np.concatenate([[0], np.cumsum(np.diff(fit.y) != 0)])
    n = np.bincount(block, weights=count).astype(float)
    k = np.bincount(block, weights=hits).astype(float)
    smoothed = pav((k + 1) / (n + 2), n + 2)
    return IsotonicFit(fit.x, smoothed[block])


def fold_of(n: int, n_folds: int, seed: int) -> IntArray:
    """A seeded, balanced fold number (0..n_folds-1) for each of n items."""
    order = np.random.default_rng(seed).permutation(n)
    folds: IntArray = np.empty(n, dtype=np.int64)
    folds[order] = np.arange(n) % max(n_folds, 1)
    return folds


def crossfit_isotonic(
    confidence: FloatArray,
    gold: np.ndarray,
    correct: np.ndarray,
    n_folds: int = N_FOLDS,
    seed: int = 0,
) -> FloatArray:
    """Calibrated confidence: gold items by the isotonic fit on the other folds, the rest by
    the fit on all gold. `gold` marks gold items, `correct` whether their label is right."""
    conf = np.asarray(confidence, dtype=float)
    is_gold = np.asarray(gold, dtype=bool)
    hit = np.asarray(correct, dtype=float)
    where = np.flatnonzero(is_gold)
    result = conf.copy()
    if len(where) == 0:
        return result
    everything = smoothed_isotonic_fit(conf[where], hit[where])
    result[~is_gold] = everything.predict(conf[~is_gold])
    folds = fold_of(len(where), min(n_folds, len(where)), seed)
    for fold in np.unique(folds):
        held, train = where[folds == fold], where[folds != fold]
        if len(train) == 0:
            # One gold item: nothing else to learn from, so it keeps its raw confidence.
            continue
        result[held] = smoothed_isotonic_fit(conf[train], hit[train]).predict(conf[held])
    return result


def _pairs(items: IntArray, annotators: IntArray, labels: IntArray) -> tuple[IntArray, ...]:
    """Every pair of annotations of the same item: (annotator a, annotator b, agree)."""
    order = np.argsort(items, kind="stable")
    it, an, la = items[order], annotators[order], labels[order]
    left, right, agree = [], [], []
    # Pair each annotation with the one `gap` places later while both are of the same item:
    # sum over gaps of the items' pair counts, without a Python loop over items.
    gap = 1
    while gap < len(it):
        same = np.flatnonzero(it[:-gap] == it[gap:])
        if len(same) == 0:
            break
        left.append(an[same])
        right.append(an[same + gap])
        agree.append((la[same] == la[same + gap]).astype(np.int64))
        gap += 1
    if not left:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return np.concatenate(left), np.concatenate(right), np.concatenate(agree)


@dataclass(frozen=True)
class OneCoin:
    """One-coin accuracies estimated from agreement, and the posteriors they imply."""

    accuracy: FloatArray  # per annotator code
    shared_items: FloatArray  # per annotator: items shared with another annotator (pairs)
    priors: FloatArray  # per label
    posterior: FloatArray  # items x labels


def one_coin_accuracy(
    items: IntArray,
    annotators: IntArray,
    labels: IntArray,
    n_annotators: int,
    n_labels: int,
    max_iter: int = 500,
) -> tuple[FloatArray, FloatArray]:
    """Per annotator: the one-coin accuracy fitted to pairwise agreement, and its weight
    (items shared with others). Annotators with no shared item get the weighted mean."""
    k = max(n_labels, 2)
    a, b, agree = _pairs(items, annotators, labels)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keep = lo != hi
    key = lo[keep] * max(n_annotators, 1) + hi[keep]
    pair_keys, position = np.unique(key, return_inverse=True)
    shared = np.bincount(position, minlength=len(pair_keys)).astype(float)
    agreed = np.bincount(position, weights=agree[keep], minlength=len(pair_keys))
    first, second = pair_keys // max(n_annotators, 1), pair_keys % max(n_annotators, 1)
    moment = (k * agreed / np.maximum(shared, 1) - 1) / (k - 1)  # estimates q_a * q_b
    weight: FloatArray = np.bincount(first, weights=shared, minlength=n_annotators).astype(float)
    weight += np.bincount(second, weights=shared, minlength=n_annotators)
    seen = weight > 0
    start = (
        float(np.sqrt(max(np.average(moment, weights=shared), MIN_SKILL**2)))
        if len(moment)
        else 0.5
    )
    q = np.full(n_annotators, start)
    # Weighted rank-one fit off the diagonal by alternating least squares: each q_j is the
    # least-squares coefficient of m_jk on q_k over j's partners, the others held fixed.
    # Updating all at once maps q = c q* to q*/c and back, so each step takes the geometric
    # mean of the old and new values, which lands on the right scale.
    for _ in range(max_iter):
        numer = np.bincount(first, weights=shared * moment * q[second], minlength=n_annotators)
        numer += np.bincount(second, weights=shared * moment * q[first], minlength=n_annotators)
        denom = np.bincount(first, weights=shared * q[second] ** 2, minlength=n_annotators)
        denom += np.bincount(second, weights=shared * q[first] ** 2, minlength=n_annotators)
        new = np.where(denom > 0, numer / np.where(denom > 0, denom, 1), q)
        new = np.sqrt(q * np.clip(new, MIN_SKILL, 1.0))
        if np.max(np.abs(new - q), initial=0.0) < 1e-12:
            q = new
            break
        q = new
    accuracy = (1 + (k - 1) * q) / k
    mean = float(np.average(accuracy[seen], weights=weight[seen])) if seen.any() else 0.7
    accuracy = (weight * accuracy + PRIOR_PAIRS * mean) / (weight + PRIOR_PAIRS)
    floor = 1 / k + MIN_SKILL * (k - 1) / k
    return np.clip(accuracy, floor, MAX_ACCURACY), weight


def one_coin(
    items: IntArray,
    annotators: IntArray,
    labels: IntArray,
    n_items: int,
    n_annotators: int,
    n_labels: int,
    max_iter: int = 500,
) -> OneCoin:
    """The one-coin model fitted from agreement alone, and each item's label posterior."""
    k = max(n_labels, 2)
    accuracy, shared = one_coin_accuracy(items, annotators, labels, n_annotators, n_labels)
    wrong = np.log((1 - accuracy) / (k - 1))
    # A vote for label l multiplies l's likelihood by p and every other label's by (1-p)/(K-1):
    # up to a factor common to all labels (which normalising removes), it adds
    # log p - log((1-p)/(K-1)) to its own label's log-likelihood.
    gain = (np.log(accuracy) - wrong)[annotators]
    log_like = np.bincount(
        items * n_labels + labels, weights=gain, minlength=n_items * n_labels
    ).reshape(n_items, n_labels)
    if n_items:
        log_like -= log_like.max(axis=1, keepdims=True)
    like = np.exp(log_like)
    # EM for the class priors with the accuracies fixed: each step is two matrix-vector
    # products on the likelihoods (computed once), not a pass of exp over items x labels.
    priors = np.full(n_labels, 1 / max(n_labels, 1))
    for _ in range(max_iter):
        evidence = like @ priors
        new = priors * (like.T @ (1 / evidence)) / max(n_items, 1)
        new = (new * n_items + 1e-3) / (n_items + 1e-3 * n_labels)  # no prior exactly 0
        converged = np.max(np.abs(new - priors), initial=0.0) < 1e-10
        priors = new
        if converged:
            break
    posterior = like * priors
    posterior /= np.maximum(posterior.sum(axis=1, keepdims=True), 1e-300)
    return OneCoin(accuracy, shared, priors, posterior)


def agreement_confidence(
    items: IntArray,
    annotators: IntArray,
    labels: IntArray,
    chosen: IntArray,
    n_items: int,
    n_annotators: int,
    n_labels: int,
) -> tuple[FloatArray, OneCoin]:
    """Per item, the one-coin posterior of the label the aggregator chose (`chosen`, a code)."""
    model = one_coin(items, annotators, labels, n_items, n_annotators, n_labels)
    confidence: FloatArray = model.posterior[np.arange(n_items), np.asarray(chosen)]
    return confidence, model


def reliability_table(confidence: FloatArray, correct: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Per equal-width bin: bin b holds b/bins <= confidence < (b+1)/bins (the last also 1).

    Columns: bin, lower, upper, n, mean_confidence, accuracy (NaN for an empty bin).
    """
    conf = np.asarray(confidence, dtype=float)
    hit = np.asarray(correct, dtype=float)
    index = np.clip(np.floor(conf * bins).astype(np.int64), 0, bins - 1)
    n = np.bincount(index, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(index, weights=conf, minlength=bins) / n
        accuracy = np.bincount(index, weights=hit, minlength=bins) / n
    return pd.DataFrame(
        {
            "bin": np.arange(bins),
            "lower": np.arange(bins) / bins,
            "upper": np.arange(1, bins + 1) / bins,
            "n": n,
            "mean_confidence": mean_conf,
            "accuracy": accuracy,
        }
    )


def expected_calibration_error(
    confidence: FloatArray, correct: np.ndarray, bins: int = 10
) -> float:
    """ECE: the item-weighted mean over bins of |accuracy - mean confidence| (NaN if no item)."""
    table = reliability_table(confidence, correct, bins)
    filled = table[table["n"] > 0]
    if filled.empty:
        return float("nan")
    gap = (filled["accuracy"] - filled["mean_confidence"]).abs()
    return float((gap * filled["n"]).sum() / filled["n"].sum())


# Methods whose posterior is a vote share. Without gold, `auto` calibrates only these by
# agreement: on data with hard items and errors towards one neighbouring label the one-coin
# assumption fails, and it made Dawid-Skene's and MACE's confidence worse (ECE 0.026 -> 0.089
# in benchmarks/bench_calibration.py) while it still improved majority vote's (0.109 -> 0.063).
VOTE_SHARE_METHODS = ("majority_vote", "weighted_majority_vote", "wawa", "zbs")


def resolve(requested: Requested, n_gold: int, vote_share: bool = True) -> Method:
    """The calibration `requested` stands for with `n_gold` gold items (auto: gold from
    MIN_GOLD_AUTO items, else agreement for a vote-share method and none for a model's
    posterior). `gold` with fewer than MIN_GOLD items raises ValueError."""
    if requested == "none" or (requested == "auto" and n_gold < MIN_GOLD_AUTO and not vote_share):
        return "none"
    if requested == "gold" or (requested == "auto" and n_gold >= MIN_GOLD_AUTO):
        if n_gold < MIN_GOLD:
            raise ValueError(
                f"calibration 'gold' needs at least {MIN_GOLD} gold items with annotations, "
                f"got {n_gold}"
            )
        return "gold_isotonic_crossfit"
    return "agreement_one_coin"


@dataclass(frozen=True)
class Calibration:
    """Calibrated confidence per item, and what aggregate.json says about it."""

    method: Method
    confidence: FloatArray
    summary: dict[str, Any] = field(default_factory=dict)


def _table_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Non-empty bins as JSON-ready records (floats rounded to 6 places)."""
    filled = table[table["n"] > 0]
    return [
        {
            "bin": f"[{lower:.1f}, {upper:.1f}{']' if upper >= 1 else ')'}",
            "n": int(n),
            "mean_confidence": round(float(conf), 6),
            "accuracy": round(float(acc), 6),
        }
        for lower, upper, n, conf, acc in zip(
            filled["lower"].tolist(),
            filled["upper"].tolist(),
            filled["n"].tolist(),
            filled["mean_confidence"].tolist(),
            filled["accuracy"].tolist(),
            strict=True,
        )
    ]


def _rounded(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 6)


def calibrate(
    requested: Requested,
    raw: FloatArray,
    gold: np.ndarray,
    correct: np.ndarray,
    votes: tuple[IntArray, IntArray, IntArray, IntArray, int, int],
    seed: int = 0,
    bins: int = 10,
    vote_share: bool = True,
) -> Calibration:
    """Calibrate `raw` (per item) by the method `requested` stands for.

    `gold` marks gold items and `correct` whether the aggregator's label matches gold there;
    `votes` is (items, annotators, labels, chosen, n_annotators, n_labels) as integer codes,
    `chosen` being the aggregator's label per item. Raises ValueError as `resolve` does.
    """
    raw = np.asarray(raw, dtype=float)
    is_gold = np.asarray(gold, dtype=bool)
    hit = np.asarray(correct, dtype=bool)
    n_gold = int(is_gold.sum())
    method = resolve(requested, n_gold, vote_share)
    extra: dict[str, Any] = {}
    if method == "gold_isotonic_crossfit":
        calibrated = crossfit_isotonic(raw, is_gold, hit, N_FOLDS, seed)
        extra["n_folds"] = min(N_FOLDS, n_gold)
    elif method == "agreement_one_coin":
        items, annotators, labels, chosen, n_annotators, n_labels = votes
        calibrated, model = agreement_confidence(
            items, annotators, labels, chosen, len(raw), n_annotators, n_labels
        )
        extra["mean_annotator_accuracy"] = _rounded(
            float(np.mean(model.accuracy)) if len(model.accuracy) else float("nan")
        )
    else:
        calibrated = raw.copy()
    calibrated = np.clip(calibrated, 0.0, 1.0)
    before = reliability_table(raw[is_gold], hit[is_gold], bins)
    after = reliability_table(calibrated[is_gold], hit[is_gold], bins)
    summary = {
        "requested": requested,
        "method": method,
        "n_gold": n_gold,
        "ece_before": _rounded(expected_calibration_error(raw[is_gold], hit[is_gold], bins))
        if n_gold
        else None,
        "ece_after": _rounded(expected_calibration_error(calibrated[is_gold], hit[is_gold], bins))
        if n_gold
        else None,
        "reliability_before": _table_records(before),
        "reliability": _table_records(after),
        **extra,
    }
    return Calibration(method, calibrated, summary)
