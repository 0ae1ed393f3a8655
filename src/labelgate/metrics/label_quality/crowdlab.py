"""CROWDLAB (Goh, Tkachenko, Mueller 2022): consensus, its quality and annotator quality.

The method, as this module reads the paper (arXiv 2210.06812, Sec. 3), on items labelled by
one or more annotators and out-of-fold model probabilities p_M. I+ is the set of items with two
or more annotations; every statistic below is taken on I+.

1. Initial consensus y_i by majority vote; ties go to the tied class the model finds likeliest.
2. Against a consensus y: the model's accuracy A_M = mean 1[argmax p_M = y_i]; the average
   annotator agreement P = mean over items of the share of their annotations equal to y_i;
   the baseline A_MLC = the share of items whose y_i is the most common consensus class; and
   each annotator's agreement a_j with the other annotators = the share of the other
   annotations on their items that chose the same class (pooled over their items).
3. Weights relative to the baseline: w_j = 1 - (1 - a_j) / (1 - A_MLC) and
   w_M = (1 - (1 - A_M) / (1 - A_MLC)) * sqrt(mean annotations per item).
4. An annotation is a likelihood over classes, P on the chosen class and (1 - P) / (K - 1) on
   each other; the posterior is the weighted ensemble
   p_CR(i) = (w_M p_M(i) + sum_j w_j L_ij) / (w_M + sum_j w_j).
5. Two passes: with the weights of the majority vote, consensus = argmax p_CR; then steps 2-4
   again against that consensus give the reported weights and posterior, and the consensus
   quality is the new p_CR of the consensus label (it may no longer be the argmax).
6. An annotation's quality is p_CR of its label; an annotator's quality is
   lambda * Q_j + (1 - lambda) * A_j with Q_j the mean quality of their annotations, A_j their
   agreement with the consensus on I+, and lambda = w_M / (w_M + mean_j w_j * mean annotations
   per item): the model's share of the ensemble's weight on an average item.

These details (pairwise agreement for a_j, the second pass, lambda) agree to 1e-15 with
cleanlab 2.9's `get_label_quality_multiannotator`, probed as a black box on seeded crowds.
Choices for cases the paper does not cover, all deterministic:
- weights are floored at 1e-6 (a source worse than the baseline contributes almost nothing
  rather than a negative vote, which could make p_CR negative); 1 - A_MLC is floored at 1e-6;
- an annotator without items in I+ gets a_j := P (an average annotator); with I+ empty, the
  statistics are taken on every annotated item and P := A_M;
- an item nobody annotated gets the model's probabilities (uniform if they are all zero);
  posterior rows are renormalised, so zero rows in p_M cannot leave them short of 1;
- `annotator_agreement` (reported) is the agreement with the consensus over all of the
  annotator's items, NaN with none; an annotator without items in I+ gets quality Q_j.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from labelgate.metrics.label_quality._validate import FloatArray, IntArray, as_codes, as_probs

_FLOOR = 1e-6


@dataclass(frozen=True)
class CrowdlabResult:
    """CROWDLAB's estimates; shapes by items (n), classes (K), annotators (m), annotations (a)."""

    consensus: IntArray  # (n,) class codes: argmax of the first pass (module docstring, 5)
    consensus_quality: FloatArray  # (n,) in [0, 1]
    posterior: FloatArray  # (n, K), rows sum to 1
    annotator_agreement: FloatArray  # (m,) agreement with the consensus; NaN without items
    annotator_quality: FloatArray  # (m,) in [0, 1]; NaN for an annotator with no annotation
    annotation_quality: FloatArray  # (a,) in [0, 1], per input row
    model_weight: float
    annotator_weights: FloatArray  # (m,)


@dataclass(frozen=True)
class _Votes:
    item: IntArray
    annotator: IntArray
    label: IntArray
    counts: IntArray  # (n, K) annotations per item and class
    per_item: IntArray  # (n,)


def _votes(
    item: npt.ArrayLike, annotator: npt.ArrayLike, label: npt.ArrayLike, n: int, k: int, m: int
) -> _Votes:
    items = as_codes(item, n, "item")
    annotators = as_codes(annotator, m, "annotator")
    labels = as_codes(label, k, "label")
    if not items.shape == annotators.shape == labels.shape:
        raise ValueError(
            f"item {items.shape}, annotator {annotators.shape} and label {labels.shape} "
            "must have one entry per annotation"
        )
    pairs = items * m + annotators
    if np.unique(pairs).shape[0] != pairs.shape[0]:
        raise ValueError("an annotator labelled the same item twice: keep one vote per pair")
    counts = np.bincount(items * k + labels, minlength=n * k).reshape(n, k).astype(np.int64)
    return _Votes(items, annotators, labels, counts, counts.sum(axis=1))


def majority_vote(counts: IntArray, probs: FloatArray) -> IntArray:
    """Most voted class per item, ties broken by the larger model probability (then the lower
    class); an item without votes gets the model's argmax. counts, probs : (n, K) -> (n,)."""
    tied = counts == counts.max(axis=1, keepdims=True)
    out: IntArray = np.where(tied, probs, -np.inf).argmax(axis=1).astype(np.int64)
    return out


def _mean_by(groups: IntArray, values: FloatArray, size: int) -> FloatArray:
    """Mean of `values` per group code, NaN for an empty group; shape (size,)."""
    total = np.bincount(groups, weights=values, minlength=size)
    count = np.bincount(groups, minlength=size)
    out = np.full(size, np.nan)
    np.divide(total, count, out=out, where=count > 0)
    return out


def _relative_weight(accuracy: FloatArray | float, baseline: float) -> FloatArray:
    """1 - (1 - accuracy) / (1 - baseline), floored so no source votes against the ensemble."""
    gap = max(1.0 - baseline, _FLOOR)
    return np.maximum(1.0 - (1.0 - np.asarray(accuracy, dtype=np.float64)) / gap, _FLOOR)


@dataclass(frozen=True)
class _Weights:
    annotator: FloatArray  # (m,)
    model: float
    p_agree: float  # P


def _pairwise_agreement(votes: _Votes, multi: npt.NDArray[np.bool_], m: int) -> FloatArray:
    """Per annotator, the share of the other annotations on their items in I+ that chose the
    same class, pooled over items (NaN without such items); shape (m,)."""
    on = multi[votes.item]
    item, annotator, label = votes.item[on], votes.annotator[on], votes.label[on]
    same = (votes.counts[item, label] - 1).astype(np.float64)
    others = (votes.per_item[item] - 1).astype(np.float64)
    total_same = np.bincount(annotator, weights=same, minlength=m)
    total_others = np.bincount(annotator, weights=others, minlength=m)
    out = np.full(m, np.nan)
    np.divide(total_same, total_others, out=out, where=total_others > 0)
    return out


def _weights(votes: _Votes, probs: FloatArray, consensus: IntArray, m: int) -> _Weights:
    """Steps 2-3 of the module docstring, against `consensus` (n,)."""
    annotated = votes.per_item >= 1
    multi = votes.per_item >= 2
    scope = multi if multi.any() else annotated
    hits = probs[scope].argmax(axis=1) == consensus[scope]
    model_acc = float(hits.mean()) if scope.any() else 0.0
    if multi.any():
        chose = votes.counts[np.arange(consensus.shape[0]), consensus]
        p_agree = float((chose[multi] / votes.per_item[multi]).mean())
    else:
        p_agree = model_acc
    k = probs.shape[1]
    if scope.any():
        most_common = np.bincount(consensus[scope], minlength=k).argmax()
        baseline = float(np.mean(consensus[scope] == most_common))
    else:
        baseline = 0.0
    pairwise = _pairwise_agreement(votes, multi, m)
    accuracy = np.where(np.isnan(pairwise), p_agree, pairwise)
    mean_annotations = float(votes.per_item[annotated].mean()) if annotated.any() else 0.0
    model = float(_relative_weight(model_acc, baseline)) * np.sqrt(mean_annotations)
    return _Weights(_relative_weight(accuracy, baseline), model, p_agree)


def _likelihood_parts(p_agree: float, k: int) -> tuple[float, float]:
    """(off, step): an annotation's likelihood is `off` on every class plus `step` on its own."""
    off = (1.0 - p_agree) / (k - 1)
    return off, p_agree - off


def _ensemble(votes: _Votes, probs: FloatArray, weights: _Weights) -> FloatArray:
    """The numerator of p_CR (step 4), shape (n, K); its rows sum to the denominator."""
    n, k = probs.shape
    w = weights.annotator[votes.annotator]
    off, step = _likelihood_parts(weights.p_agree, k)
    total_w = np.bincount(votes.item, weights=w, minlength=n)
    by_class = np.bincount(votes.item * k + votes.label, weights=w, minlength=n * k)
    numerator: FloatArray = (
        weights.model * probs + off * total_w[:, None] + step * by_class.reshape(n, k)
    )
    return numerator


def _normalise(numerator: FloatArray, probs: FloatArray) -> FloatArray:
    """Rows scaled to sum to 1; a row with no mass falls back to p_M, then to uniform."""
    k = numerator.shape[1]
    total = numerator.sum(axis=1, keepdims=True)
    model_total = probs.sum(axis=1, keepdims=True)
    fallback = np.where(model_total > 0, probs / np.where(model_total > 0, model_total, 1), 1 / k)
    return np.where(total > 0, numerator / np.where(total > 0, total, 1), fallback)


def _annotator_quality(
    votes: _Votes, weights: _Weights, annotation_quality: FloatArray, consensus: IntArray, m: int
) -> tuple[FloatArray, FloatArray]:
    """(agreement with the consensus over each annotator's items, quality of step 6), (m,)."""
    agree = (votes.label == consensus[votes.item]).astype(np.float64)
    on_multi = votes.per_item[votes.item] >= 2
    agreement_multi = _mean_by(votes.annotator[on_multi], agree[on_multi], m)
    label_quality = _mean_by(votes.annotator, annotation_quality, m)
    annotated = votes.per_item >= 1
    mean_annotations = float(votes.per_item[annotated].mean()) if annotated.any() else 0.0
    annotator_total = float(weights.annotator.mean()) * mean_annotations if m else 0.0
    total = weights.model + annotator_total
    lam = weights.model / total if total > 0 else 1.0
    mixed = lam * label_quality + (1.0 - lam) * agreement_multi
    quality = np.where(np.isnan(agreement_multi), label_quality, mixed)
    return _mean_by(votes.annotator, agree, m), quality


def crowdlab(
    item: npt.ArrayLike,
    annotator: npt.ArrayLike,
    label: npt.ArrayLike,
    pred_probs: npt.ArrayLike,
    n_annotators: int,
) -> CrowdlabResult:
    """Consensus labels, their quality and annotator quality by CROWDLAB (module docstring).

    Long format, one row per annotation: item : item codes 0..n-1, shape (a,); annotator :
    annotator codes 0..n_annotators-1, shape (a,); label : class codes 0..K-1, shape (a,).
    pred_probs : out-of-fold model probabilities, shape (n, K). An annotator may label an item
    once. Returns a CrowdlabResult; NaN only where its fields say.
    """
    if isinstance(n_annotators, bool) or int(n_annotators) < 0:
        raise ValueError(f"n_annotators must be >= 0, got {n_annotators}")
    m = int(n_annotators)
    probs = as_probs(pred_probs)
    n, k = probs.shape
    votes = _votes(item, annotator, label, n, k, m)
    # Pass 1: weights against the majority vote; the ensemble's argmax is the consensus.
    first = _ensemble(votes, probs, _weights(votes, probs, majority_vote(votes.counts, probs), m))
    consensus = _normalise(first, probs).argmax(axis=1).astype(np.int64)
    # Pass 2: weights re-estimated against that consensus give the reported posterior.
    weights = _weights(votes, probs, consensus, m)
    numerator = _ensemble(votes, probs, weights)
    posterior = _normalise(numerator, probs)
    annotation_quality = np.clip(posterior[votes.item, votes.label], 0.0, 1.0)
    agreement, annotator_quality = _annotator_quality(
        votes, weights, annotation_quality, consensus, m
    )
    return CrowdlabResult(
        consensus=consensus,
        consensus_quality=np.clip(posterior[np.arange(n), consensus], 0.0, 1.0),
        posterior=posterior,
        annotator_agreement=agreement,
        annotator_quality=annotator_quality,
        annotation_quality=annotation_quality,
        model_weight=float(weights.model),
        annotator_weights=weights.annotator,
    )
