"""Multi-label consensus: each label is a binary present/absent column, by majority or Dawid-Skene.

Input: one row per (item, annotator) annotation as integer codes `items` (A,), `annotators`
(A,) and the label sets as a boolean indicator matrix `present` (A, L). Items are the codes
0..n_items-1 (an item code with no annotation gets no votes: posterior 0.5 for majority, the
label's prevalence for Dawid-Skene, n_annotations 0).

Labels are decided independently. `item_confidence` is the product of the per-label decision
confidences: under that independence it is the probability that the whole set is right (the
event exact-match agreement measures). The minimum is also returned as `item_min_confidence`;
the product falls with the number of labels, the minimum does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from labelgate.metrics.counts import FloatArray, IntArray

BoolArray = npt.NDArray[np.bool_]
Method = Literal["majority_vote", "dawid_skene"]
Tie = Literal["absent", "present"]


@dataclass(frozen=True)
class MultilabelResult:
    """Consensus label sets. N = n_items, L = len(label_ids), A = annotators.

    decisions (N, L) bool: the final set of each item.
    posterior (N, L): P(label present) -- the vote share for majority vote.
    confidence (N, L): posterior of the decision taken, max-like: p if present else 1 - p.
    item_confidence (N,): product of confidence over labels; item_min_confidence (N,): minimum.
    n_annotations (N,) int; ties (N, L) bool: majority ties (votes exactly half); all False for DS.
    sensitivity, specificity (A, L): Dawid-Skene P(vote present | present), P(vote absent |
    absent); prevalence (L,). For majority vote these are None.
    """

    label_ids: list[str]
    decisions: BoolArray
    posterior: FloatArray
    confidence: FloatArray
    item_confidence: FloatArray
    item_min_confidence: FloatArray
    n_annotations: IntArray
    ties: BoolArray
    method: str
    sensitivity: FloatArray | None = None
    specificity: FloatArray | None = None
    prevalence: FloatArray | None = None
    n_iter: int = 0
    converged: bool = True  # Dawid-Skene: the last EM step moved no posterior by tol or more

    def to_frame(self, item_ids: pd.Index | None = None) -> pd.DataFrame:
        """One row per item: `labels` (list of label ids, schema order), `confidence`,
        `min_confidence`, `n_annotations`, then `confidence[<label>]` per label."""
        names = np.asarray(self.label_ids, dtype=object)
        frame = pd.DataFrame(
            {
                "labels": [list(names[row]) for row in self.decisions],
                "confidence": self.item_confidence,
                "min_confidence": self.item_min_confidence,
                "n_annotations": self.n_annotations,
            },
            index=item_ids if item_ids is not None else pd.RangeIndex(len(self.decisions)),
        )
        per_label = pd.DataFrame(
            self.confidence,
            index=frame.index,
            columns=[f"confidence[{name}]" for name in self.label_ids],
        )
        return pd.concat([frame, per_label], axis=1)


def _votes(items: IntArray, present: BoolArray, n_items: int) -> tuple[FloatArray, FloatArray]:
    """Per item: positive votes per label (N, L) and annotations (N,)."""
    m = np.bincount(items, minlength=n_items).astype(np.float64)
    rows, labels = np.nonzero(present)  # label sets are sparse: work on the chosen cells only
    n_labels = present.shape[1]
    flat = np.bincount(items[rows] * n_labels + labels, minlength=n_items * n_labels)
    return flat.reshape(n_items, n_labels).astype(np.float64), m


def _majority(
    positives: FloatArray, m: FloatArray, ties: Tie
) -> tuple[FloatArray, BoolArray, BoolArray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(m[:, None] > 0, positives / np.where(m > 0, m, 1.0)[:, None], 0.5)
    # Compare counts, not shares: 2 * votes == m is an exact tie in integers.
    tie = (2.0 * positives == m[:, None]) & (m[:, None] > 0)
    decisions = (2.0 * positives > m[:, None]) | (tie & (ties == "present"))
    return share, decisions, tie


def _dawid_skene(
    items: IntArray,
    annotators: IntArray,
    present: BoolArray,
    n_items: int,
    start: FloatArray,
    gold: npt.NDArray[np.int8] | None,
    smoothing: float,
    max_iter: int,
    tol: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, int, bool]:
    """Binary Dawid-Skene (1979) for every label at once (two classes, one 2x2 confusion
    matrix per annotator and label, shared prior per label); EM from `start` posteriors.

    Smoothing adds `smoothing` pseudo-votes to each confusion cell and to each class of the
    prior (a Beta(1 + s, 1 + s) MAP estimate), so a rare label or an annotator seen on few
    items never gets a probability of exactly 0 or 1.
    """
    n_annotators = int(annotators.max()) + 1
    n_labels = present.shape[1]
    # Annotator x item counts (one (item, annotator) pair per annotation): with it the sums
    # over an annotator's items and over an item's annotators are sparse-dense products, and
    # the chosen labels (few per annotation) are handled as a list of (annotation, label) cells.
    pairs = sparse.csr_matrix(
        (np.ones(len(items)), (annotators, items)), shape=(n_annotators, n_items)
    )
    pairs_t = pairs.T.tocsr()
    rows, cell_label = np.nonzero(present)
    cell_item, cell_annotator = items[rows], annotators[rows]
    votes = np.bincount(
        cell_annotator * n_labels + cell_label, minlength=n_annotators * n_labels
    ).reshape(n_annotators, n_labels)
    seen = np.bincount(annotators, minlength=n_annotators).astype(np.float64)[:, None]
    known = None if gold is None else gold >= 0
    rated = np.bincount(items, minlength=n_items) > 0
    all_rated = bool(rated.all())
    t = start.copy()
    if known is not None and gold is not None:
        t[known] = gold[known]
    n_iter = 0
    converged = False
    sens = spec = np.zeros((n_annotators, n_labels))
    prior = np.full(n_labels, 0.5)
    while n_iter < max_iter:
        n_iter += 1
        # M step: expected counts per (annotator, label) under the current posteriors t.
        pos_mass = np.asarray(pairs @ t)  # sum of t over the annotator's items
        tp = np.bincount(
            cell_annotator * n_labels + cell_label,
            weights=t[cell_item, cell_label],
            minlength=n_annotators * n_labels,
        ).reshape(n_annotators, n_labels)
        fp = votes - tp
        neg_mass = seen - pos_mass
        sens = (tp + smoothing) / (pos_mass + 2.0 * smoothing)
        spec = (neg_mass - fp + smoothing) / (neg_mass + 2.0 * smoothing)
        mass = t.sum(axis=0) if all_rated else t[rated].sum(axis=0)
        prior = (mass + smoothing) / (rated.sum() + 2.0 * smoothing)
        # E step: log-odds of present = prior log-odds + each vote's likelihood ratio: every
        # annotation adds its "absent" ratio, and a chosen label adds the difference.
        absent_ratio = np.log1p(-sens) - np.log(spec)
        present_gain = np.log(sens) - np.log1p(-spec) - absent_ratio
        log_odds = np.asarray(pairs_t @ absent_ratio) + (np.log(prior) - np.log1p(-prior))
        log_odds += np.bincount(
            cell_item * n_labels + cell_label,
            weights=present_gain[cell_annotator, cell_label],
            minlength=n_items * n_labels,
        ).reshape(n_items, n_labels)
        with np.errstate(over="ignore"):  # exp overflow -> inf -> posterior 0, as it should
            new = 1.0 / (1.0 + np.exp(-log_odds))
        if known is not None and gold is not None:
            new[known] = gold[known]
        change = float(np.abs(new - t).max()) if len(new) else 0.0
        t = new
        if change < tol:
            converged = True
            break
    return t, sens, spec, prior, n_iter, converged


def aggregate_multilabel(
    items: IntArray,
    annotators: IntArray,
    present: BoolArray,
    label_ids: list[str],
    method: Method | str = "majority_vote",
    gold: npt.NDArray[np.int8] | None = None,
    random_state: int = 0,
    *,
    n_items: int | None = None,
    ties: Tie = "absent",
    smoothing: float = 1.0,
    max_iter: int = 200,
    tol: float = 1e-6,
) -> MultilabelResult:
    """Consensus label set per item; see `MultilabelResult` for the shapes.

    majority_vote: a label is present when more than half of the item's annotators chose it;
    exactly half is a tie, decided by `ties` (default absent) and flagged in `ties`.
    dawid_skene: binary Dawid-Skene per label, started from the vote shares; `gold` (N, L) int8,
    1 present / 0 absent / -1 unknown, clamps those cells during EM (majority vote ignores it).
    Deterministic: `random_state` is accepted for the estimator contract and unused.
    """
    del random_state  # both methods are deterministic
    items = np.asarray(items, np.int64)
    annotators = np.asarray(annotators, np.int64)
    present = np.asarray(present, dtype=bool)
    if present.ndim != 2 or present.shape[1] != len(label_ids):
        raise ValueError(f"present must be (annotations, {len(label_ids)}); got {present.shape}")
    if not (len(items) == len(annotators) == len(present)):
        raise ValueError("items, annotators and present need one row per annotation")
    size = n_items if n_items is not None else (int(items.max()) + 1 if len(items) else 0)
    if gold is not None and np.shape(gold) != (size, len(label_ids)):
        raise ValueError(f"gold must be (n_items, n_labels) = {(size, len(label_ids))}")
    positives, m = _votes(items, present, size)
    share, decisions, tie = _majority(positives, m, ties)
    sens: FloatArray | None = None
    spec: FloatArray | None = None
    prior: FloatArray | None = None
    n_iter = 0
    converged = True
    if method == "majority_vote":
        posterior = share
    elif method == "dawid_skene":
        if not len(items):
            raise ValueError("dawid_skene needs at least one annotation")
        posterior, sens, spec, prior, n_iter, converged = _dawid_skene(
            items, annotators, present, size, share, gold, smoothing, max_iter, tol
        )
        # Items nobody annotated carry only the prior.
        posterior = np.where(m[:, None] > 0, posterior, prior[None, :])
        decisions = posterior > 0.5
        tie = np.zeros_like(decisions)
    else:
        raise ValueError(f"unknown method {method!r}; expected 'majority_vote' or 'dawid_skene'")
    confidence = np.where(decisions, posterior, 1.0 - posterior)
    return MultilabelResult(
        label_ids=list(label_ids),
        decisions=decisions,
        posterior=posterior,
        confidence=confidence,
        item_confidence=confidence.prod(axis=1),
        item_min_confidence=confidence.min(axis=1) if len(label_ids) else np.ones(size),
        n_annotations=m.astype(np.int64),
        ties=tie,
        method=method,
        sensitivity=sens,
        specificity=spec,
        prevalence=prior,
        n_iter=n_iter,
        converged=converged,
    )
