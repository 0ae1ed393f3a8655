"""The estimator contract every aggregator follows (after crowd-kit and scikit-learn).

Declared parameters in __init__, `fit(df, gold=None) -> self` on a long table with columns
item_id, annotator_id, label; learned state with a trailing underscore: `labels_` (Series by
item), `probas_` (DataFrame items x labels, rows sum to 1); `fit_predict`,
`fit_predict_proba`; randomness only from `random_state`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from labelgate.backends.executor import Executor, LocalExecutor
from labelgate.config import columns as col
from labelgate.metrics.counts import FloatArray, IntArray

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Codes:
    """Annotations as integer codes, with the id tables to name them back."""

    items: IntArray
    annotators: IntArray
    labels: IntArray
    item_ids: pd.Index
    annotator_ids: pd.Index
    label_ids: list[str]
    gold: IntArray  # per item: gold label code, or -1

    @property
    def shape(self) -> tuple[int, int, int]:
        """(items, annotators, labels)."""
        return len(self.item_ids), len(self.annotator_ids), len(self.label_ids)


def first_vote_mask(items: IntArray, annotators: IntArray, n_annotators: int) -> BoolArray | None:
    """Mask of the first vote per (item, annotator) code pair; None when no pair repeats
    (the usual case: then no row is copied).

    Each pair is one int64 key; a sort of the keys (NumPy sorts int64 several times faster
    than pandas hashes them) tells whether any repeats before any hashing is done."""
    key = items.astype(np.int64) * max(n_annotators, 1) + annotators
    ordered = np.sort(key)
    if not (ordered[1:] == ordered[:-1]).any():
        return None
    del ordered
    first: BoolArray = ~pd.Series(key).duplicated(keep="first").to_numpy()
    return first


def encode(df: pd.DataFrame, label_ids: list[str] | None, gold: pd.Series | None) -> Codes:
    """Factorise a long annotation table once; labels follow `label_ids` when given."""
    missing = [c for c in (col.ITEM_ID, col.ANNOTATOR_ID, col.LABEL) if c not in df.columns]
    if missing:
        raise ValueError(
            f"annotations need columns item_id, annotator_id, label; missing {missing}"
        )
    items, item_ids = pd.factorize(df[col.ITEM_ID], sort=True)
    annotators, annotator_ids = pd.factorize(df[col.ANNOTATOR_ID], sort=True)
    # One vote per (item, annotator): the first.
    first = first_vote_mask(items, annotators, len(annotator_ids))
    # On the column itself: to_numpy would make every label a Python string.
    labels_given = df[col.LABEL] if first is None else df[col.LABEL].array[first]
    raw_codes, raw_values = pd.factorize(labels_given)
    names = [str(v) for v in raw_values]  # only the distinct labels become strings
    labels = list(label_ids) if label_ids is not None else sorted(set(names))
    position = {name: index for index, name in enumerate(labels)}
    mapping = np.array([position.get(name, -1) for name in names], dtype=np.int64)
    label_codes = mapping[raw_codes] if len(raw_codes) else np.zeros(0, np.int64)
    if (label_codes < 0).any():
        bad = sorted({name for name in names if name not in position})[:5]
        raise ValueError(f"labels not in the label set: {bad}")
    if first is not None:
        items, annotators = items[first], annotators[first]
    gold_codes = np.full(len(item_ids), -1, dtype=np.int64)
    if gold is not None and len(gold):
        # get_indexer hashes; isin on Arrow strings would loop in Python over all item ids.
        where = pd.Index(item_ids).get_indexer(gold.index)
        known = gold[where >= 0]
        gold_codes[where[where >= 0]] = pd.Categorical(known.astype(str), categories=labels).codes
    return Codes(
        items.astype(np.int64, copy=False),
        annotators.astype(np.int64, copy=False),
        label_codes.astype(np.int64, copy=False),
        pd.Index(item_ids),
        pd.Index(annotator_ids),
        list(labels),
        gold_codes,
    )


def normalize_log_joint(joint: FloatArray) -> tuple[FloatArray, float]:
    """Posteriors from log joint probabilities (N, K), in place, and the log-likelihood.

    Log-sum-exp per row with a single exp pass; `joint` is overwritten by the posteriors.
    """
    top = joint.max(axis=1, keepdims=True)
    joint -= top
    np.exp(joint, out=joint)
    total = joint.sum(axis=1, keepdims=True)
    joint /= total
    return joint, float(top.sum() + np.log(total).sum())


class Aggregator:
    """Base class: subclasses implement `_fit(codes) -> probas (N, K)`."""

    name = "aggregator"

    def __init__(self, labels: list[str] | None = None, random_state: int = 0) -> None:
        self.labels = labels
        self.random_state = random_state
        self._executor: Executor = LocalExecutor()

    def use_engine(self, executor: Executor) -> Aggregator:
        """Run the partitioned steps (EM's E-step and expected counts) where `executor` runs
        kernels; results are the same on every engine. Returns self."""
        self._executor = executor
        return self

    def get_params(self) -> dict[str, Any]:
        """The declared parameters (for lineage: the final labels record them)."""
        return {
            k: v for k, v in vars(self).items() if not k.endswith("_") and not k.startswith("_")
        }

    def _fit(self, codes: Codes) -> FloatArray:
        raise NotImplementedError

    def fit(self, df: pd.DataFrame, gold: pd.Series | None = None) -> Aggregator:
        """Learn consensus labels; `gold` maps item_id -> known label where the method uses it."""
        codes = encode(df, self.labels, gold)
        probas = self._fit(codes)
        self.codes_ = codes
        self.probas_ = pd.DataFrame(probas, index=codes.item_ids, columns=codes.label_ids)
        # argmax takes the first maximum: ties go to the label declared first.
        self.labels_ = pd.Series(
            np.asarray(codes.label_ids, dtype=object)[probas.argmax(axis=1)],
            index=codes.item_ids,
            name=col.LABEL,
        )
        return self

    def fit_predict(self, df: pd.DataFrame, gold: pd.Series | None = None) -> pd.Series:
        """Fit, then return `labels_`."""
        return self.fit(df, gold).labels_

    def fit_predict_proba(self, df: pd.DataFrame, gold: pd.Series | None = None) -> pd.DataFrame:
        """Fit, then return `probas_`."""
        return self.fit(df, gold).probas_
