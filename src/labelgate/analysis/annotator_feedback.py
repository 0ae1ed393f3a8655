"""Per-annotator feedback: gold accuracy, consensus agreement, confusions, speed, reviews, errors."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from labelgate.analysis.confusion_pairs import (
    Encoded,
    covering_rulings,
    item_texts,
    proportion,
    section_dict,
)
from labelgate.analysis.encoding import positions
from labelgate.config import columns as col
from labelgate.config.guideline import Guideline
from labelgate.metrics.counts import stable_order
from labelgate.metrics.proportions import z_value

TOP_REASONS = 3
OTHER_ANNOTATOR = "[another annotator]"

# feedback/annotators.csv: one row per annotator, in this column order.
SUMMARY_COLUMNS = (
    col.ANNOTATOR_ID,
    "n_annotations",
    "gold_n",
    "gold_correct",
    "gold_accuracy",
    "gold_ci_low",
    "gold_ci_high",
    "consensus_n",
    "consensus_agree",
    "consensus_agreement",
    "consensus_ci_low",
    "consensus_ci_high",
    "median_duration_s",
    "speed_ratio",
    "reviews_n",
    "reviews_rejected",
    "rejection_rate",
    "rejection_ci_low",
    "rejection_ci_high",
    "top_rejection_reason",
    "qualification_score",
    "qualification_passed",
    "retraining_reasons",
    "n_examples",
)


MIN_PEERS = 5


def _redactor(ids: list[str]) -> re.Pattern[str] | None:
    """Matches any annotator id standing as a word of its own in free text, in any case (ids
    that differ only by case are one person to a reader)."""
    names = sorted({i for i in ids if i.strip()}, key=lambda s: (-len(s), s))
    if not names:
        return None
    body = "|".join(re.escape(n) for n in names)
    return re.compile(r"(?<!\w)(?:" + body + r")(?!\w)", re.IGNORECASE)


def _redact(text: str | None, pattern: re.Pattern[str] | None, own: str) -> str | None:
    """`text` with every other annotator's id replaced: feedback never names anyone else."""
    if text is None or pattern is None:
        return text
    return pattern.sub(lambda m: m.group(0) if m.group(0) == own else OTHER_ANNOTATOR, text)


def _medians(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Median of `values` per code (NaN where a code has none), with one sort."""
    keep = ~np.isnan(values)
    codes, values = codes[keep], values[keep]
    # Group by code (a radix sort when codes fit 16 bits), then sort each group's values in
    # place: a median needs the values in order, not a particular order of equal ones.
    order = stable_order(codes, n)
    codes, values = codes[order], values[order]
    counts = np.bincount(codes, minlength=n)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    for start, count in zip(starts[counts > 1].tolist(), counts[counts > 1].tolist(), strict=True):
        values[start : start + count].sort()
    out = np.full(n, np.nan)
    has = counts > 0
    low = starts[has] + (counts[has] - 1) // 2
    high = starts[has] + counts[has] // 2
    out[has] = (values[low] + values[high]) / 2
    return out


def _guidance(guideline: Guideline, given: str, expected: str) -> dict[str, Any] | None:
    """The ruling covering both labels, else the expected label's definition."""
    rulings = covering_rulings(guideline, given, expected)
    if rulings:
        r = rulings[0]
        return {"kind": "ruling", "id": r.id, "title": r.title, "line": r.line, "text": r.text}
    section = section_dict(guideline, expected)
    return {"kind": "section", **section} if section else None


def _reviews(
    reviews: pd.DataFrame | None, annotators: pd.Index
) -> tuple[np.ndarray, np.ndarray, dict[int, list[dict[str, Any]]]]:
    """Per annotator code: reviews of their work, rejections and the top rejection reasons."""
    n = len(annotators)
    if reviews is None or reviews.empty:
        return np.zeros(n, np.int64), np.zeros(n, np.int64), {}
    who = annotators.get_indexer(pd.Index(reviews[col.ANNOTATOR_ID].astype(str)))
    verdict = reviews["verdict"].astype(str).str.strip().str.lower().to_numpy()
    keep = (who >= 0) & np.isin(verdict, ["accept", "reject"])
    rejected = keep & (verdict == "reject")
    total = np.bincount(who[keep], minlength=n).astype(np.int64)
    rejects = np.bincount(who[rejected], minlength=n).astype(np.int64)
    reason = (
        reviews["reason"]
        .astype(object)
        .where(reviews["reason"].notna(), "")
        .astype(str)
        .str.strip()
        if "reason" in reviews.columns
        else pd.Series("", index=reviews.index)
    )
    frame = pd.DataFrame({"who": who[rejected], "reason": reason.to_numpy()[rejected]})
    frame = frame[frame["reason"] != ""]
    tally = frame.groupby(["who", "reason"], sort=True).size().reset_index(name="count")
    tally = tally.sort_values(["who", "count", "reason"], ascending=[True, False, True])
    tops: dict[int, list[dict[str, Any]]] = {}
    for w, r, c in tally.groupby("who", sort=True).head(TOP_REASONS).itertuples(index=False):
        tops.setdefault(int(w), []).append({"reason": str(r), "count": int(c)})
    return total, rejects, tops


def _plain(value: Any) -> Any:
    """A JSON-ready scalar: NumPy scalars as Python ones, NaN and NA as None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _qualification(entry: Any) -> dict[str, Any] | None:
    if not entry:
        return None
    keys = ("score", "n_questions", "n_correct", "passed", "ci_low", "ci_high")
    return {k: _plain(entry.get(k)) for k in keys}


def annotator_feedback(
    annotations: pd.DataFrame,
    final: pd.DataFrame,
    gold: pd.DataFrame,
    labels: list[str],
    guideline: Guideline,
    items: pd.DataFrame,
    reviews: pd.DataFrame | None,
    qualification: dict[str, dict[str, Any]],
    retraining: dict[str, list[str]],
    *,
    text_field: str | None,
    examples: int = 5,
    confidence: float = 0.95,
    min_confidence: float = 0.9,
    min_peers: int = MIN_PEERS,
    encoded: Encoded | None = None,
) -> dict[str, dict[str, Any]]:
    """Feedback for each annotator, keyed by annotator id (sorted), fit to send to that person.

    One vote per (item, annotator), schema labels only. Gold: their annotations on gold items.
    Consensus: their annotations on settled items (a final label, not unresolved, 2+
    annotations), the share equal to the final label and the confusion matrix (rows their
    label, columns the consensus). Speed: their median seconds per annotation over the median
    of all annotators' medians. Reviews: reviews of their annotations ('accept'/'reject').
    Examples they got wrong: gold items first (item id order), then settled non-gold items
    whose consensus has confidence >= min_confidence (most confident first). Free text (item
    text, rejection reasons, retraining reasons) has every other annotator's id replaced by
    OTHER_ANNOTATOR; no entry holds another annotator's id. `encoded`: `Encoded(annotations,
    final, labels)` when the caller has it.
    """
    z = z_value(confidence)
    enc = encoded if encoded is not None else Encoded(annotations, final, labels)
    k = enc.k
    reviews_frame = reviews if reviews is not None else pd.DataFrame()
    everyone = set(enc.annotator_ids.tolist()) | set(qualification) | set(retraining)
    if not reviews_frame.empty:
        everyone |= set(reviews_frame[col.ANNOTATOR_ID].astype(str))
    people = pd.Index(sorted(everyone))
    n = len(people)
    who = people.get_indexer(enc.annotator_ids).astype(np.int64)[enc.who]
    per_person = np.bincount(who, minlength=n)

    # Gold: the gold label of each annotation's item (-1: not gold, or outside the schema).
    gold_ids = gold[col.ITEM_ID].astype(str).drop_duplicates(keep="last")
    gold_at = positions(gold_ids, enc.item_ids)
    gold_code = pd.Categorical(
        gold.loc[gold_ids.index, col.LABEL].astype(str), categories=labels
    ).codes.astype(np.int64)
    gold_of_item = np.full(enc.n_items, -1, np.int64)
    gold_of_item[gold_at[gold_at >= 0]] = gold_code[gold_at >= 0]
    truth = gold_of_item[enc.item]
    on_gold = truth >= 0
    gold_n = np.bincount(who[on_gold], minlength=n)
    gold_right = np.bincount(who[on_gold & (enc.label == truth)], minlength=n)

    # Consensus: settled items only.
    settled = enc.settled[enc.item]
    consensus = enc.final[enc.item]
    cons_n = np.bincount(who[settled], minlength=n)
    cons_agree = np.bincount(who[settled & (enc.label == consensus)], minlength=n)
    confusion = np.bincount(
        (who[settled] * k + enc.label[settled]) * k + consensus[settled], minlength=n * k * k
    ).reshape(n, k, k)

    medians = _medians(who, enc.duration, n)
    finite = medians[~np.isnan(medians)]
    # With fewer than `min_peers` timed annotators the team median would give away a
    # colleague's (with two, each can work out the other's from their own).
    overall = float(np.median(finite)) if len(finite) >= max(min_peers, 1) else None
    review_n, review_rejected, reasons = _reviews(reviews_frame, people)

    # Wrong examples: gold first by item id, then confident consensus disagreements.
    wrong_gold = on_gold & (enc.label != truth)
    conf = np.nan_to_num(enc.confidence[enc.item], nan=-1.0)
    wrong_cons = ~on_gold & settled & (enc.label != consensus) & (conf >= min_confidence)
    rows = np.flatnonzero(wrong_gold | wrong_cons)
    order = np.lexsort((enc.item[rows], -np.where(wrong_gold[rows], 2.0, conf[rows]), who[rows]))
    rows = rows[order]
    first = np.searchsorted(who[rows], np.arange(n))
    rank_in_person = np.arange(len(rows)) - first[who[rows]]
    rows = rows[rank_in_person < examples]
    row_item_ids = [str(i) for i in enc.item_ids[enc.item[rows]].tolist()]
    texts = item_texts(items, text_field, sorted(set(row_item_ids)))
    # Reviewers are named nowhere either (a reason may mention one).
    reviewers = (
        reviews_frame["reviewer_id"].astype(str).unique().tolist()
        if "reviewer_id" in reviews_frame.columns
        else []
    )
    pattern = _redactor([*people.tolist(), *reviewers])
    picked: dict[int, list[dict[str, Any]]] = {}
    for r, item_id in zip(rows.tolist(), row_item_ids, strict=True):
        given = labels[int(enc.label[r])]
        is_gold = bool(wrong_gold[r])
        expected = labels[int(truth[r] if is_gold else consensus[r])]
        person = str(people[who[r]])
        picked.setdefault(int(who[r]), []).append(
            {
                "item_id": item_id,
                "text": _redact(texts.get(item_id), pattern, person),
                "your_label": given,
                "expected_label": expected,
                "source": "gold" if is_gold else "consensus",
                "consensus_confidence": None if is_gold else float(conf[r]),
                "guidance": _guidance(guideline, given, expected),
            }
        )

    out: dict[str, dict[str, Any]] = {}
    for p, person in enumerate(people.tolist()):
        median = None if np.isnan(medians[p]) else float(medians[p])
        speed_ratio = median / overall if median is not None and overall else None
        out[person] = {
            "annotator_id": person,
            "confidence": confidence,
            "n_annotations": int(per_person[p]),
            "gold": proportion(int(gold_right[p]), int(gold_n[p]), z),
            "consensus": proportion(int(cons_agree[p]), int(cons_n[p]), z),
            "confusion": {"labels": list(labels), "matrix": confusion[p].tolist()},
            "speed": {
                "median_duration_s": median,
                "all_annotators_median_s": overall,
                "ratio": speed_ratio,
            },
            "reviews": {
                **proportion(int(review_rejected[p]), int(review_n[p]), z),
                "top_reasons": [
                    {"reason": _redact(e["reason"], pattern, person), "count": e["count"]}
                    for e in reasons.get(p, [])
                ],
            },
            "qualification": _qualification(qualification.get(person)),
            "retraining": [_redact(str(x), pattern, person) for x in retraining.get(person, [])],
            "examples": picked.get(p, []),
        }
    return out


def feedback_summary_rows(feedback: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per annotator (sorted by id) with the columns of SUMMARY_COLUMNS, in order."""
    rows = []
    for person in sorted(feedback):
        e = feedback[person]
        q = e["qualification"] or {}
        top = e["reviews"]["top_reasons"]
        values = (
            person,
            e["n_annotations"],
            e["gold"]["n"],
            e["gold"]["count"],
            e["gold"]["rate"],
            e["gold"]["ci_low"],
            e["gold"]["ci_high"],
            e["consensus"]["n"],
            e["consensus"]["count"],
            e["consensus"]["rate"],
            e["consensus"]["ci_low"],
            e["consensus"]["ci_high"],
            e["speed"]["median_duration_s"],
            e["speed"]["ratio"],
            e["reviews"]["n"],
            e["reviews"]["count"],
            e["reviews"]["rate"],
            e["reviews"]["ci_low"],
            e["reviews"]["ci_high"],
            top[0]["reason"] if top else None,
            q.get("score"),
            q.get("passed"),
            "; ".join(e["retraining"]),
            len(e["examples"]),
        )
        rows.append(dict(zip(SUMMARY_COLUMNS, values, strict=True)))
    return rows
