"""Confusion hotspots: the label pairs people confuse most, mapped to the guideline that covers them."""

from __future__ import annotations

import math
import re
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from labelgate.analysis.encoding import positions
from labelgate.analysis.windows import IdCodes, id_codes
from labelgate.config import columns as col
from labelgate.config.guideline import Guideline, Ruling
from labelgate.metrics.proportions import wilson_interval, z_value

IntArray = npt.NDArray[np.int64]

RANKED_BY = (
    "consensus disagreement count, then its rate, then pairwise disagreement count, "
    "then the schema's label order"
)
CHANGE_TEST = (
    "two-proportion z-test (pooled, two-sided) on the consensus disagreement rate "
    "of the last two guideline versions"
)
NO_RULING = "no ruling covers this pair"
SNIPPET_CHARS = 160
_SPACE = re.compile(r"\s+")
_VERSION_PART = re.compile(r"\d+|[^\d.]+")


# --- small shared helpers (annotator_feedback uses them too) --------------------------------


def proportion(count: int, n: int, z: float) -> dict[str, Any]:
    """count/n with its Wilson interval; rate and bounds are None when n is 0 (JSON has no NaN)."""
    if n <= 0:
        return {"count": int(count), "n": 0, "rate": None, "ci_low": None, "ci_high": None}
    low, high = wilson_interval(int(count), int(n), z)
    return {"count": int(count), "n": int(n), "rate": count / n, "ci_low": low, "ci_high": high}


def text_snippet(value: Any, limit: int = SNIPPET_CHARS) -> str | None:
    """An item's text on one line, cut at a word boundary near `limit` characters."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    text = _SPACE.sub(" ", str(value)).strip()
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip() + "…"


def item_texts(items: pd.DataFrame, text_field: str | None, ids: list[str]) -> dict[str, str]:
    """Snippets of the items `ids` (only those that have text)."""
    if text_field is None or items is None or text_field not in items.columns or not ids:
        return {}
    rows = items[items[col.ITEM_ID].astype(str).isin(ids)].drop_duplicates(col.ITEM_ID)
    out: dict[str, str] = {}
    for item, value in zip(rows[col.ITEM_ID].astype(str), rows[text_field], strict=True):
        snippet = text_snippet(value)
        if snippet:
            out[item] = snippet
    return out


def covering_rulings(guideline: Guideline, a: str, b: str) -> list[Ruling]:
    """Rulings whose `labels` include both a and b, in guideline order."""
    return [r for r in guideline.rulings if a in r.labels and b in r.labels]


def ruling_dict(ruling: Ruling) -> dict[str, Any]:
    return {
        "id": ruling.id,
        "title": ruling.title,
        "line": ruling.line,
        "labels": list(ruling.labels),
        "text": ruling.text,
    }


def section_dict(guideline: Guideline, label: str) -> dict[str, Any] | None:
    for s in guideline.sections:
        if s.label == label:
            return {"label": s.label, "line": s.line, "text": s.text}
    return None


def version_key(version: str) -> tuple[Any, ...]:
    """Orders '1.10.0' after '1.9.0'; numbers before words within a part."""
    return tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in _VERSION_PART.findall(version)
    )


def codes_of(values: pd.Series | None, n: int) -> tuple[IntArray, pd.Index]:
    """Factorised values (sorted, so codes follow id order): codes (-1 for missing) and the
    distinct values as a str Index. Only the distinct values are converted, never the rows."""
    if values is None:
        return np.full(n, -1, dtype=np.int64), pd.Index([], dtype=object)
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), pd.Index(uniques).astype(str)


def map_codes(codes: IntArray, uniques: pd.Index, categories: pd.Index | list[str]) -> IntArray:
    """Recode `codes` (over `uniques`) onto `categories`; -1 where a value is not one of them."""
    lookup = pd.Index(categories).get_indexer(uniques)
    return np.append(lookup, -1).astype(np.int64)[codes]


class Encoded:
    """Annotations as integer codes: one vote per (item, annotator), schema labels only.

    Items and annotators are coded in sorted id order, so every output ordered by code is
    deterministic. `final[i]` is the consensus label code of item i, -1 when the item is
    unresolved, has no final label or one outside the schema; `settled[i]` marks items whose
    consensus can be disagreed with (a final label and 2+ annotations).
    """

    def __init__(
        self,
        annotations: pd.DataFrame,
        final: pd.DataFrame,
        labels: list[str],
        ids: IdCodes | None = None,
    ) -> None:
        n = len(annotations)
        self.labels = list(labels)
        self.k = len(labels)
        # `ids` (id_codes of these annotations) are the same codes, factorised once by the caller.
        if ids is None:
            ids = id_codes(annotations)
        item, item_ids = ids.item, ids.item_ids
        who, self.annotator_ids = ids.annotator, ids.annotator_ids
        label = map_codes(*codes_of(annotations[col.LABEL], n), labels)
        # One vote per (item, annotator), the first in source order (as unique_annotations).
        # (+1 so a missing id, code -1, cannot collide with a real pair.)
        first = ~pd.Series(item * (len(self.annotator_ids) + 1) + who + 1).duplicated().to_numpy()
        keep = first & (label >= 0) & (item >= 0) & (who >= 0)
        # Items without a schema label drop out of the item codes too.
        used = np.zeros(len(item_ids), dtype=bool)
        used[item[keep]] = True
        recode = np.cumsum(used) - 1
        self.item_ids: pd.Index = item_ids[used]
        self.item: IntArray = recode[item[keep]].astype(np.int64)
        self.label: IntArray = label[keep]
        self.who: IntArray = who[keep]
        version, self.versions = codes_of(annotations.get("guideline_version"), n)
        self.version: IntArray = version[keep]
        self.duration = (
            pd.to_numeric(annotations["duration_s"], errors="coerce").to_numpy(dtype=np.float64)
            if "duration_s" in annotations.columns
            else np.full(n, np.nan)
        )[keep]
        self.n_items = len(self.item_ids)
        self.per_item: IntArray = np.bincount(self.item, minlength=self.n_items).astype(np.int64)

        m = len(final)
        where = positions(final[col.ITEM_ID], self.item_ids)
        status_codes, statuses = codes_of(final.get("status"), m)
        unresolved = map_codes(status_codes, statuses, ["unresolved"]) == 0
        final_label = map_codes(*codes_of(final[col.LABEL], m), labels)
        final_label[unresolved] = -1
        on = where >= 0
        self.final: IntArray = np.full(self.n_items, -1, dtype=np.int64)
        self.final[where[on]] = final_label[on]
        status_of = np.array([*statuses.tolist(), ""], dtype=object)
        self.status = np.full(self.n_items, "", dtype=object)
        self.status[where[on]] = status_of[status_codes[on]]
        confidence = (
            pd.to_numeric(final["confidence"], errors="coerce").to_numpy(dtype=np.float64)
            if "confidence" in final.columns
            else np.full(m, np.nan)
        )
        self.confidence = np.full(self.n_items, np.nan)
        self.confidence[where[on]] = confidence[on]
        self.settled = (self.final >= 0) & (self.per_item >= 2)


# --- the counts ------------------------------------------------------------------------------


def _choose2(n: IntArray) -> IntArray:
    return n * (n - 1) // 2


def pairwise_counts(
    item: IntArray, label: IntArray, n_items: int, k: int
) -> tuple[IntArray, IntArray]:
    """split[a, b]: annotator pairs on one item that said a and b; pairs[a, b]: annotator pairs
    on items where at least one of the two said a or b.

    With c[i, a] the votes for a on item i: split = C'C off the diagonal, and by
    inclusion-exclusion pairs[a, b] = P(a) + P(b) - split[a, b], where P(a) counts pairs with
    at least one a: sum_i C(n_i, 2) - C(n_i - c[i, a], 2).
    """
    keys, counts = np.unique(item * k + label, return_counts=True)
    rows, cols = keys // k, keys % k
    matrix = sparse.csr_matrix((counts, (rows, cols)), shape=(n_items, k), dtype=np.int64)
    split = np.asarray((matrix.T @ matrix).todense(), dtype=np.int64)
    per_item = np.bincount(item, minlength=n_items).astype(np.int64)
    n = per_item[rows]
    with_label = np.bincount(cols, weights=_choose2(n) - _choose2(n - counts), minlength=k)
    with_label = np.rint(with_label).astype(np.int64)
    pairs = with_label[:, None] + with_label[None, :] - split
    return split, pairs


def consensus_counts(label: IntArray, final: IntArray, k: int) -> IntArray:
    """matrix[given, consensus]: annotations of `given` on items whose final label is `consensus`."""
    return np.bincount(label * k + final, minlength=k * k).reshape(k, k).astype(np.int64)


# --- one pair --------------------------------------------------------------------------------


def _direction(matrix: IntArray, labels: list[str], a: int, b: int) -> list[dict[str, Any]]:
    """Both error directions, the more frequent first (ties: schema order)."""
    both = [
        {"expected": labels[a], "given": labels[b], "count": int(matrix[b, a])},
        {"expected": labels[b], "given": labels[a], "count": int(matrix[a, b])},
    ]
    return sorted(both, key=lambda d: -d["count"])


def _change(before: dict[str, Any], after: dict[str, Any], z_crit: float) -> dict[str, Any]:
    """better / worse / no clear change between two proportions (pooled z-test)."""
    n1, n2 = before["n"], after["n"]
    if not n1 or not n2:
        return {"verdict": "no data", "z": None, "p_value": None}
    pooled = (before["count"] + after["count"]) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return {"verdict": "no clear change", "z": None, "p_value": None}
    z = (after["rate"] - before["rate"]) / se
    p = 2 * (1 - NormalDist().cdf(abs(z)))
    verdict = "no clear change" if abs(z) < z_crit else ("worse" if z > 0 else "better")
    return {"verdict": verdict, "z": z, "p_value": p}


def _proposal(
    a: str, b: str, direction: list[dict[str, Any]], rulings: list[Ruling]
) -> dict[str, Any]:
    """A Markdown ruling or FAQ entry to write: sharpen the covering ruling, else a new one."""
    top, other = direction
    err = (
        f"Most frequent error: `{top['given']}` given where the consensus is `{top['expected']}` "
        f"({top['count']} annotations; the reverse: {other['count']})."
        if top["count"]
        else "Annotators split between the two; no settled consensus is contradicted."
    )
    if rulings:
        r = rulings[0]
        text = "\n".join(
            [
                f"### {r.id}: {r.title}",
                f"Applies to: {', '.join(r.labels)}",
                "",
                f"<Sharpen this ruling: {err} Add the deciding cue and one example of each "
                f"side, from the examples.>",
                "",
                f"FAQ: **Is it {top['expected']} or {top['given']}?** <one sentence that decides it>",
            ]
        )
        return {"kind": "sharpen", "ruling_id": r.id, "markdown": text}
    text = "\n".join(
        [
            f"### R-NEW: {a} versus {b}",
            f"Applies to: {a}, {b}",
            "",
            f"<When the item ..., the label is **{top['expected']}**; when ..., it is "
            f"**{top['given']}**.> {err}",
        ]
    )
    return {"kind": "new", "ruling_id": None, "markdown": text}


def _examples(
    enc: Encoded, votes: sparse.csc_matrix, a: int, b: int, ranks: npt.NDArray[np.float64], n: int
) -> list[int]:
    """Item codes that show the confusion, best first: items whose consensus is one of the
    two and someone said the other, then items where annotators split a/b under another
    consensus (or none); within each, by label-issue rank, the closest split, then item id."""
    count_a = np.asarray(votes[:, [a]].todense()).ravel()
    count_b = np.asarray(votes[:, [b]].todense()).ravel()
    has_a, has_b = count_a > 0, count_b > 0
    against = ((enc.final == a) & has_b) | ((enc.final == b) & has_a)
    codes = np.flatnonzero(against | (has_a & has_b))
    closeness = -np.minimum(count_a[codes], count_b[codes])
    # Item codes follow sorted item ids, so the last key breaks ties by id.
    order = np.lexsort((codes, closeness, ranks[codes], ~against[codes]))
    return [int(c) for c in codes[order[:n]]]


def _example(
    enc: Encoded,
    votes: sparse.csc_matrix,
    code: int,
    texts: dict[str, str],
    ranks: npt.NDArray[np.float64],
) -> dict[str, Any]:
    row = np.asarray(votes[[code], :].todense()).ravel()
    present = sorted(np.flatnonzero(row), key=lambda j: (-row[j], j))
    final = int(enc.final[code])
    item_id = str(enc.item_ids[code])
    return {
        "item_id": item_id,
        "text": texts.get(item_id),
        "votes": [{"label": enc.labels[j], "count": int(row[j])} for j in present],
        "final_label": enc.labels[final] if final >= 0 else None,
        "status": str(enc.status[code]) or None,
        "label_issue_rank": None if math.isinf(ranks[code]) else int(ranks[code]),
    }


def _rank_array(enc: Encoded, label_issue_ranks: pd.DataFrame | None) -> npt.NDArray[np.float64]:
    ranks = np.full(enc.n_items, np.inf)
    if label_issue_ranks is None or label_issue_ranks.empty:
        return ranks
    where = pd.Index(enc.item_ids).get_indexer(label_issue_ranks[col.ITEM_ID].astype(str))
    value = pd.to_numeric(label_issue_ranks["rank"], errors="coerce").to_numpy(dtype=np.float64)
    keep = (where >= 0) & ~np.isnan(value)
    # An item ranked twice keeps its best (lowest) rank.
    np.minimum.at(ranks, where[keep], value[keep])
    return ranks


# --- the whole analysis ----------------------------------------------------------------------


def confusion_pairs(
    annotations: pd.DataFrame,
    final: pd.DataFrame,
    labels: list[str],
    guideline: Guideline,
    items: pd.DataFrame,
    *,
    text_field: str | None,
    top_n: int = 5,
    examples: int = 3,
    confidence: float = 0.95,
    label_issue_ranks: pd.DataFrame | None = None,
    encoded: Encoded | None = None,
) -> dict[str, Any]:
    """The label pairs people confuse most, ranked, the top_n with guideline coverage,
    examples, a proposed ruling and the change across the last guideline version.

    For an unordered pair {a, b}:
    - pairwise: annotator pairs on one item that split a/b, over annotator pairs on items where
      at least one of the two said a or b (all items, unresolved ones included);
    - consensus: annotations of a on items whose final label is b and of b on items whose
      final label is a, over all annotations of items whose final label is a or b (settled
      items with 2+ annotations only: unresolved items have no consensus to disagree with).
    Only pairs with some disagreement are listed, ranked by `RANKED_BY`; each rate has a Wilson
    interval at `confidence`. One vote per (item, annotator); labels outside `labels` are
    left out (validate reports them). `encoded`: `Encoded(annotations, final, labels)` when
    the caller has it.
    """
    z = z_value(confidence)
    enc = encoded if encoded is not None else Encoded(annotations, final, labels)
    k = enc.k
    split, pairs = pairwise_counts(enc.item, enc.label, enc.n_items, k)
    on_settled = enc.settled[enc.item]
    matrix = consensus_counts(enc.label[on_settled], enc.final[enc.item[on_settled]], k)
    per_final = matrix.sum(axis=0)

    # The text breaks ties between equal versions ('1.0', '1.00'): set order is not stable.
    versions = sorted(
        {v for v in enc.versions.tolist() if v.strip()}, key=lambda v: (version_key(v), v)
    )
    by_version = []
    for v in versions:
        mask = enc.version == enc.versions.get_loc(v)
        v_split, v_pairs = pairwise_counts(enc.item[mask], enc.label[mask], enc.n_items, k)
        keep = mask & on_settled
        v_matrix = consensus_counts(enc.label[keep], enc.final[enc.item[keep]], k)
        by_version.append((v, v_split, v_pairs, v_matrix, v_matrix.sum(axis=0)))

    found = []
    for a in range(k):
        for b in range(a + 1, k):
            cons = int(matrix[a, b] + matrix[b, a])
            if cons or split[a, b]:
                found.append((a, b, cons, int(per_final[a] + per_final[b])))
    found.sort(
        key=lambda t: (-t[2], -(t[2] / t[3] if t[3] else 0.0), -int(split[t[0], t[1]]), t[0], t[1])
    )

    # Item x label vote counts, sparse: items x labels can be large, the votes are not.
    votes = sparse.csc_matrix(
        (np.ones(len(enc.item), dtype=np.int64), (enc.item, enc.label)), shape=(enc.n_items, k)
    )
    ranks = _rank_array(enc, label_issue_ranks)
    chosen = {
        i: _examples(enc, votes, a, b, ranks, examples)
        for i, (a, b, _, _) in enumerate(found[:top_n])
    }
    texts = item_texts(
        items, text_field, [str(enc.item_ids[c]) for cs in chosen.values() for c in cs]
    )

    out = []
    for rank, (a, b, cons, n_cons) in enumerate(found, start=1):
        la, lb = labels[a], labels[b]
        rulings = covering_rulings(guideline, la, lb)
        direction = _direction(matrix, labels, a, b)
        entry: dict[str, Any] = {
            "rank": rank,
            "labels": [la, lb],
            "pairwise": proportion(int(split[a, b]), int(pairs[a, b]), z),
            "consensus": proportion(cons, n_cons, z),
            "directions": direction,
            "covered": bool(rulings),
            "rulings": [ruling_dict(r) for r in rulings],
            "sections": [
                s for s in (section_dict(guideline, la), section_dict(guideline, lb)) if s
            ],
            "coverage_note": (
                "covered by " + ", ".join(r.id for r in rulings) if rulings else NO_RULING
            ),
            "by_version": [
                {
                    "version": v,
                    "pairwise": proportion(int(vs[a, b]), int(vp[a, b]), z),
                    "consensus": proportion(int(vm[a, b] + vm[b, a]), int(vf[a] + vf[b]), z),
                }
                for v, vs, vp, vm, vf in by_version
            ],
            "change": None,
            "suggest": rank <= top_n,
            "examples": [],
            "proposal": None,
        }
        if len(by_version) >= 2:
            before, after = entry["by_version"][-2], entry["by_version"][-1]
            entry["change"] = {
                "from": before["version"],
                "to": after["version"],
                **_change(before["consensus"], after["consensus"], z),
            }
        if rank <= top_n:
            entry["examples"] = [_example(enc, votes, c, texts, ranks) for c in chosen[rank - 1]]
            entry["proposal"] = _proposal(la, lb, direction, rulings)
        out.append(entry)
    return {
        "n_items": int(enc.n_items),
        "n_annotations": len(enc.item),
        "n_settled_items": int(enc.settled.sum()),
        "confidence": confidence,
        "ranked_by": RANKED_BY,
        "change_test": CHANGE_TEST,
        "versions": versions,
        "version_change": (
            {"from": versions[-2], "to": versions[-1]} if len(versions) >= 2 else None
        ),
        "pairs": out,
    }
