"""Drift between consecutive windows of annotation work: label shift, item drift, agreement drop.

For each pair of consecutive windows (previous -> next), on the items that entered the work in
each window:

- `label_shift_jsd`: Jensen-Shannon divergence (bits, 0..1) of the final-label distributions.
- `item_drift_auc`: a classifier two-sample test. Items of the previous window are class 0,
  those of the next class 1; a logistic regression on their text (TF-IDF) or feature columns
  scores every item out of fold, and the AUC of those scores is 0.5 when the windows hold the
  same kind of items and near 1 when a model tells them apart.
- `agreement_drop`: Krippendorff's alpha of the previous window's annotations minus the
  next's, with a percentile interval from resampling items within each window independently.

Single-label tasks only (one `label` per annotation); callers skip multi-label and span tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from labelgate.analysis.encoding import positions
from labelgate.analysis.model_inputs import TRAINED_STATUSES, model_text
from labelgate.analysis.windows import IdCodes, Windows
from labelgate.config import columns as col
from labelgate.metrics.agreement.bootstrap import bootstrap_replicates, percentile_interval
from labelgate.metrics.agreement.krippendorff import alpha_batch, krippendorff_alpha
from labelgate.metrics.agreement.patterns import compress
from labelgate.metrics.counts import FloatArray, IntArray, item_value_counts
from labelgate.metrics.drift import auc_interval, jensen_shannon_divergence, roc_auc

METRICS = ("label_shift_jsd", "item_drift_auc", "agreement_drop")
TOP_SHIFTED = 3
# Inverse L2 strength of the drift classifier. On the tickets demo's day windows C=1 took 40 %
# of the time of the text model's C=30 and found a planted token in 30 % of the next
# window's texts as well (mean AUC 0.635 vs 0.638; unplanted pairs 0.45-0.54 under both).
DRIFT_C = 1.0


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _interval(low: float, high: float) -> list[float] | None:
    return [float(low), float(high)] if np.isfinite(low) and np.isfinite(high) else None


def _stream(seed: int, *key: int) -> np.random.SeedSequence:
    """An independent seeded stream per (window, purpose): no draw depends on another's."""
    return np.random.SeedSequence([seed, *key])


def _codes(values: pd.Series, label_ids: Sequence[str]) -> IntArray:
    """Label codes in `label_ids` order; -1 for a missing or unknown label (as agreement does)."""
    raw, distinct = pd.factorize(values)
    position = {label: k for k, label in enumerate(label_ids)}
    lookup = np.array([position.get(str(v), -1) for v in distinct] + [-1], dtype=np.int64)
    return lookup[raw]  # a missing value (-1) takes the last entry, -1


def default_values(labels: Sequence[str], level: str) -> FloatArray:
    """Positions for nominal labels; the labels as numbers for other levels when all parse,
    else positions (exact for ordinal, where only the order counts)."""
    numbers = pd.to_numeric(pd.Series(list(labels), dtype=object), errors="coerce")
    if level == "nominal" or numbers.isna().any():
        return np.arange(len(labels), dtype=np.float64)
    return numbers.to_numpy(dtype=np.float64)


def _appearance(codes: IntArray) -> tuple[IntArray, int]:
    """Codes renumbered in order of first appearance, as pd.factorize numbers the values
    themselves (-1 stays -1), and how many there are."""
    out, distinct = pd.factorize(np.where(codes >= 0, codes, np.nan))
    return out.astype(np.int64), len(distinct)


def _first_seen_codes(ids: IdCodes) -> tuple[IntArray, IntArray, int, int]:
    """Item and annotator codes in order of first appearance, and how many of each."""
    # Renumbering integer codes gives the same numbers without hashing the id strings again.
    items, n_items = _appearance(ids.item)
    annotators, n_annotators = _appearance(ids.annotator)
    return items, annotators, n_items, n_annotators


def _window_counts(
    annotations: pd.DataFrame,
    window: IntArray,
    label_ids: Sequence[str],
    n_windows: int,
    ids: IdCodes,
) -> list[IntArray]:
    """Per window, the (items, labels) count matrix of its annotations: one annotation per
    (item, annotator), the first kept; unknown labels and rows without a window left out.
    Rows follow the items' first appearance (the summation order of alpha)."""
    items, annotators, n_item_names, n_names = _first_seen_codes(ids)
    key = items * max(n_names, 1) + annotators
    first = ~pd.Series(key).duplicated(keep="first").to_numpy()
    labels = _codes(annotations[col.LABEL], label_ids)
    keep = first & (labels >= 0) & (window >= 0)
    n_items = max(n_item_names, 1)
    # One row per (window, item): the key sorts by window, so each window is a slice.
    cell = window[keep].astype(np.int64) * n_items + items[keep]
    cells, row = np.unique(cell, return_inverse=True)
    counts = item_value_counts(row.astype(np.int64), labels[keep], len(cells), len(label_ids))
    bounds = np.searchsorted(cells // n_items, np.arange(n_windows + 1))
    return [counts[bounds[w] : bounds[w + 1]] for w in range(n_windows)]


def _alpha_replicates(
    counts: IntArray, level: str, values: FloatArray, resamples: int, seed: int
) -> tuple[float, FloatArray]:
    """alpha of a window and its item-bootstrap replicates (resamples,) (NaN where undefined)."""
    alpha = krippendorff_alpha(counts, level, values)
    patterns = compress(counts)

    def statistic(freqs: FloatArray) -> dict[str, FloatArray]:
        return {"alpha": alpha_batch(patterns.rows, freqs, level, values)}

    replicates = bootstrap_replicates(patterns, statistic, resamples, seed)
    return alpha, replicates.get("alpha", np.full(0, np.nan))


def _window_codes(labels: pd.Series, rank: dict[str, int]) -> IntArray:
    """The rank of each window label (-1 for none), mapped once per distinct label."""
    codes, distinct = pd.factorize(labels)
    lookup = np.array([rank.get(str(w), -1) for w in distinct] + [-1], dtype=np.int64)
    out: IntArray = lookup[codes]  # a missing label (code -1) takes the last entry, -1
    return out


def _entry_lookup(of_item: pd.Series, rank: dict[str, int]) -> Callable[[pd.Series], IntArray]:
    """A function from item ids to the rank of the window each entered in (-1: none).

    Looked up by Arrow hashing (`positions`): pandas' Arrow-string `isin`, `map` and
    `get_indexer` took seconds per call on 300,000 items."""
    index = pd.Index(of_item.index)
    ranks = np.append(_window_codes(of_item, rank), -1)

    def entered(ids: pd.Series) -> IntArray:
        out: IntArray = ranks[positions(ids, index)]  # a missing id (-1) takes the last -1
        return out

    return entered


def _label_counts(
    final: pd.DataFrame,
    entered: Callable[[pd.Series], IntArray],
    n_windows: int,
    label_ids: Sequence[str],
) -> IntArray:
    """(windows, labels) counts of the settled final labels of the items entering each window."""
    # Looked up on the whole table (one row per item in id order matches the windows' items
    # without hashing), then narrowed to the settled rows.
    window = entered(final[col.ITEM_ID])
    if "status" in final:
        settled = final["status"].isin(TRAINED_STATUSES).to_numpy(dtype=bool)
        final, window = final[settled], window[settled]
    labels = _codes(final[col.LABEL], label_ids)
    keep = (labels >= 0) & (window >= 0)
    return item_value_counts(window[keep], labels[keep], n_windows, len(label_ids))


def _distribution(counts: IntArray, label_ids: Sequence[str]) -> dict[str, float]:
    total = int(counts.sum())
    if total == 0:
        return {}
    return {label: float(c) / total for label, c in zip(label_ids, counts.tolist(), strict=True)}


def _shifted(
    previous: IntArray, following: IntArray, label_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """The labels whose share moved most (at most TOP_SHIFTED, ties in label order)."""
    a = previous / previous.sum()
    b = following / following.sum()
    moved = np.abs(b - a)
    order = np.lexsort((np.arange(len(moved)), -moved))
    return [
        {"label": label_ids[k], "from_share": float(a[k]), "to_share": float(b[k])}
        for k in order[:TOP_SHIFTED]
        if moved[k] > 0
    ]


def _item_rows(
    items: pd.DataFrame, entered: Callable[[pd.Series], IntArray]
) -> tuple[pd.DataFrame, IntArray]:
    """The items table (one row per item id) and the window rank each row's item entered in."""
    # The first row of each id, as drop_duplicates keeps, found on integer codes.
    codes, distinct = pd.factorize(items[col.ITEM_ID])
    if len(distinct) < len(items) or (codes < 0).any():
        _, first = np.unique(codes, return_index=True)
        items = items.iloc[np.sort(first)]
    rows = items.reset_index(drop=True)
    return rows, entered(rows[col.ITEM_ID])


def _sample(window: IntArray, index: int, limit: int, seed: int) -> IntArray:
    """Rows of the items that entered window `index`, at most `limit` (a seeded draw)."""
    rows = np.flatnonzero(window == index)
    if len(rows) > limit:
        rng = np.random.default_rng(_stream(seed, index, 1))
        rows = rows[np.sort(rng.choice(len(rows), limit, replace=False))]
    return rows


def _feature_block(values: pd.Series) -> Any:
    """A numeric column standardised (models.features), else a categorical one one-hot (CSR)."""
    from scipy.sparse import csr_matrix

    from labelgate.models.features import numeric_matrix

    numbers = pd.to_numeric(values, errors="coerce")
    text = values.astype("string").str.strip()
    if not (numbers.isna() & text.notna() & (text != "")).any():  # blanks are missing numbers
        return csr_matrix(numeric_matrix({"x": numbers.astype("float64").tolist()}))
    # Missing is a category of its own: a window where a field goes missing has drifted.
    codes, _ = pd.factorize(values.astype("string").fillna(""), sort=True)
    rows = np.arange(len(codes))
    return csr_matrix(
        (np.ones(len(codes)), (rows, codes)), shape=(len(codes), int(codes.max()) + 1)
    )


def _features(rows: pd.DataFrame, text_fields: list[str], feature_fields: list[str]) -> Any:
    """The design matrix of the items in `rows`: TF-IDF of the text fields, else features."""
    from scipy.sparse import hstack

    from labelgate.models.features import text_matrix

    if text_fields:
        return text_matrix(model_text(rows, text_fields).tolist())
    return hstack([_feature_block(rows[f]) for f in feature_fields], format="csr")


def _item_drift(
    x: Any, n_previous: int, n_next: int, folds: int, seed: int, confidence: float
) -> tuple[float, tuple[float, float]]:
    """Out-of-fold AUC of telling next-window items (class 1) from previous ones, and its CI."""
    from labelgate.models.features import out_of_fold_matrix
    from labelgate.models.text_classifier import TextModelSettings

    codes = np.repeat(np.array([0, 1], dtype=np.int64), [n_previous, n_next])
    # The built-in model's seeded stratified folds and single-thread L-BFGS: bit-identical.
    settings = TextModelSettings(folds=folds, seed=seed, C=DRIFT_C)
    scores = out_of_fold_matrix(x, codes, 2, settings)[:, 1]
    auc = roc_auc(scores, codes == 1)
    return auc, auc_interval(auc, n_next, n_previous, confidence)


def _skip_reason(names: tuple[str, str], sizes: tuple[int, int], minimum: int) -> str | None:
    small = [f"'{w}' has {n}" for w, n in zip(names, sizes, strict=True) if n < minimum]
    if not small:
        return None
    return f"fewer than {minimum} items: window {' and '.join(small)}"


def _no_window_reason(kind: str) -> str:
    return "no annotation has a batch" if kind == "batch" else "no annotation has a timestamp"


def drift_report(
    annotations: pd.DataFrame,
    items: pd.DataFrame,
    final: pd.DataFrame,
    windows: Windows,
    *,
    labels: Sequence[str],
    level: str,
    text_fields: Sequence[str],
    feature_fields: Sequence[str],
    min_window_items: int = 30,
    seed: int = 0,
    folds: int = 5,
    max_items_per_window: int = 5000,
    resamples: int = 1000,
    confidence: float = 0.95,
    values: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Drift per window and per consecutive pair of `windows` (from assign_windows(annotations)).

    labels: the schema's label ids; level: nominal/ordinal/interval/ratio; values: each
    label's value on the scale (default: `default_values`; pass the schema's for interval and
    ratio). text_fields: item fields read as text (joined by newlines); if none is in `items`,
    feature_fields are used (numeric columns standardised, others one-hot).
    Returns a JSON-ready dict: window, n_annotations_without_window, windows, pairs, the
    three maxima over pairs (gateable), agreement_drop_ci and reasons (metric -> why None).
    """
    label_ids = [str(label) for label in labels]
    scale = (
        np.asarray(values, dtype=np.float64)
        if values is not None
        else default_values(label_ids, level)
    )
    order = list(windows.order)
    rank = {w: i for i, w in enumerate(order)}
    window = windows.rank

    counts = _window_counts(annotations, window, label_ids, len(order), windows.ids)
    n_annotations = np.bincount(window[window >= 0], minlength=len(order))
    n_entered = windows.of_item.value_counts()
    entered = _entry_lookup(windows.of_item, rank)
    label_counts = _label_counts(final, entered, len(order), label_ids)
    alphas: list[float] = []
    replicates: list[FloatArray] = []
    rows: list[dict[str, Any]] = []
    for i, name in enumerate(order):
        seed_i = int(_stream(seed, i, 0).generate_state(1)[0])
        alpha, reps = _alpha_replicates(counts[i], level, scale, resamples, seed_i)
        alphas.append(alpha)
        replicates.append(reps)
        ci = percentile_interval(reps, confidence) if len(reps) else (np.nan, np.nan)
        rows.append(
            {
                "window": name,
                "n_items": int(n_entered.get(name, 0)),
                "n_annotations": int(n_annotations[i]),
                "label_distribution": _distribution(label_counts[i], label_ids),
                "alpha": _finite(alpha),
                "alpha_ci": _interval(*ci) if np.isfinite(alpha) else None,
            }
        )

    item_rows, item_window = _item_rows(items, entered)
    texts = [f for f in text_fields if f in item_rows]
    features = [f for f in feature_fields if f in item_rows] if not texts else []
    pairs = []
    for i in range(1, len(order)):
        a, b = order[i - 1], order[i]
        pair: dict[str, Any] = {
            "from": a,
            "to": b,
            "label_shift_jsd": None,
            "shifted_labels": [],
            "item_drift_auc": None,
            "item_drift_auc_ci": None,
            "agreement_drop": None,
            "agreement_drop_ci": None,
            "skipped": _skip_reason(
                (a, b), (rows[i - 1]["n_items"], rows[i]["n_items"]), min_window_items
            ),
        }
        pairs.append(pair)
        if pair["skipped"]:
            continue
        if label_counts[i - 1].sum() > 0 and label_counts[i].sum() > 0:
            pair["label_shift_jsd"] = jensen_shannon_divergence(
                label_counts[i - 1], label_counts[i]
            )
            pair["shifted_labels"] = _shifted(label_counts[i - 1], label_counts[i], label_ids)
        if texts or features:
            limit = max_items_per_window
            first = _sample(item_window, i - 1, limit, seed)
            second = _sample(item_window, i, limit, seed)
            # Two items a side at least: the folds need both classes in training.
            if min(len(first), len(second)) >= max(min_window_items, 2):
                x = _features(item_rows.iloc[np.concatenate([first, second])], texts, features)
                auc, ci = _item_drift(x, len(first), len(second), folds, seed, confidence)
                pair["item_drift_auc"] = _finite(auc)
                pair["item_drift_auc_ci"] = _interval(*ci)
        drop = alphas[i - 1] - alphas[i]
        if np.isfinite(drop):
            pair["agreement_drop"] = float(drop)
            if len(replicates[i]) and len(replicates[i - 1]) == len(replicates[i]):
                pair["agreement_drop_ci"] = _interval(
                    *percentile_interval(replicates[i - 1] - replicates[i], confidence)
                )
    return _summary(windows, rows, pairs, bool(texts or features), min_window_items)


def _summary(
    windows: Windows,
    rows: list[dict[str, Any]],
    pairs: list[dict[str, Any]],
    has_fields: bool,
    minimum: int,
) -> dict[str, Any]:
    """The report: windows, pairs, the maxima over pairs and why any of them is None."""
    out: dict[str, Any] = {
        "window": windows.kind,
        "n_annotations_without_window": int(windows.n_without_window),
        "windows": rows,
        "pairs": pairs,
    }
    reasons: dict[str, str] = {}
    for metric in METRICS:
        found = [p for p in pairs if p[metric] is not None]
        best = max(found, key=lambda p: p[metric]) if found else None  # first of equal maxima
        out[metric] = best[metric] if best else None
        if metric in ("agreement_drop", "item_drift_auc"):
            # The worst pair's interval goes with its value: gates on the bound read it.
            out[f"{metric}_ci"] = best[f"{metric}_ci"] if best else None
        if best is None:
            reasons[metric] = _reason(metric, windows, pairs, has_fields, minimum)
    out["reasons"] = reasons
    return out


def _reason(
    metric: str, windows: Windows, pairs: list[dict[str, Any]], has_fields: bool, minimum: int
) -> str:
    """Why `metric` has no value in any pair, most basic cause first."""
    if not windows.order:
        return _no_window_reason(windows.kind)
    if len(windows.order) == 1:
        return "one window"
    if all(p["skipped"] for p in pairs):
        return f"every pair of consecutive windows has a window with fewer than {minimum} items"
    if metric == "label_shift_jsd":
        return "no settled final labels in the windows compared"
    if metric == "item_drift_auc":
        if not has_fields:
            return "no text or feature fields among the items' columns"
        return f"fewer than {max(minimum, 2)} items with an items row in a window compared"
    return "alpha is undefined in the windows compared (no item with two annotations, or one label only)"
