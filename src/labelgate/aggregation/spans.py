"""Final spans by majority of each item's annotators, on exact matches or overlap clusters.

Output (`aggregate_spans`), one row per final span, sorted by item_id, start, end, label:
  item_id, start, end, label : the span (character offsets, end exclusive)
  text        : item text[start:end] when the items frame has the text, else the text the
                annotators' spans carry (the most common; '' if none)
  confidence  : n_agreeing / n_annotators
  n_annotators: annotators who looked at the item (annotation rows, plus any with a span)
  n_agreeing  : annotators who marked exactly this span ("exact"), or a span of its cluster
                ("overlap")
and one row per item (`SpanAggregate.items`): item_id, n_annotators, n_spans, status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from labelgate.config import columns as col

Rule = Literal["exact", "overlap"]
SPAN_COLUMNS = (
    col.ITEM_ID,
    "start",
    "end",
    col.LABEL,
    "text",
    "confidence",
    "n_annotators",
    "n_agreeing",
)
ITEM_COLUMNS = (col.ITEM_ID, "n_annotators", "n_spans", "status")


@dataclass(frozen=True)
class SpanAggregate:
    """Final spans (SPAN_COLUMNS) and per-item status (ITEM_COLUMNS).

    status: `agreed` = 2+ annotators and every one marked exactly the same spans (nothing at
    all included); `unresolved` = some candidate (a span for "exact", a cluster for
    "overlap") was marked by exactly half the annotators, a tie the majority cannot break
    (it is left out); `aggregated` = anything else (the majority decided; one annotator's
    spans are taken as they are).
    """

    spans: pd.DataFrame
    items: pd.DataFrame


@dataclass(frozen=True)
class _Coded:
    """Spans and annotation rows on integer codes (codes sort as the ids do)."""

    spans: pd.DataFrame  # item, annotator, start, end, label: int64; one row per distinct mark
    n_annotators: np.ndarray  # per item code: annotators who looked (rows or spans)
    item_ids: pd.Index
    label_ids: pd.Index


def _encode(annotations: pd.DataFrame, spans: pd.DataFrame) -> _Coded:
    """Factorise the id columns once: every later group-by runs on integers, not strings."""
    n_ann = len(annotations)
    items, item_ids = pd.factorize(
        pd.concat([annotations[col.ITEM_ID], spans[col.ITEM_ID]], ignore_index=True), sort=True
    )
    who, _ = pd.factorize(
        pd.concat([annotations[col.ANNOTATOR_ID], spans[col.ANNOTATOR_ID]], ignore_index=True)
    )
    labels, label_ids = pd.factorize(spans[col.LABEL], sort=True)
    width = int(who.max()) + 1 if len(who) else 1
    looked = np.unique(items.astype(np.int64) * width + who)
    n_annotators = np.bincount(looked // width, minlength=len(item_ids))
    coded = pd.DataFrame(
        {
            "item": items[n_ann:].astype(np.int64),
            "annotator": who[n_ann:].astype(np.int64),
            "start": spans["start"].to_numpy(np.int64),
            "end": spans["end"].to_numpy(np.int64),
            "label": labels.astype(np.int64),
        }
    ).drop_duplicates()  # an annotator's repeated span counts once
    return _Coded(coded, n_annotators, pd.Index(item_ids), pd.Index(label_ids))


_CODE_KEY = ["item", "start", "end", "label"]


def _clusters(marks: pd.DataFrame) -> np.ndarray:
    """Cluster id per mark: connected runs of overlapping same-label spans on one item.

    Sorted by start within (item, label), a span starts a new cluster when it starts at or
    after the furthest end so far; chains (A overlaps B overlaps C) become one cluster.
    """
    order = np.lexsort(
        (
            marks["end"].to_numpy(),
            marks["start"].to_numpy(),
            marks["label"].to_numpy(),
            marks["item"].to_numpy(),
        )
    )
    ordered = marks.iloc[order]
    group = (
        ordered["item"].to_numpy() * (int(marks["label"].max()) + 1) + ordered["label"].to_numpy()
    )
    reach = ordered.groupby(group, sort=False)["end"].cummax().to_numpy()
    new_group = np.r_[True, group[1:] != group[:-1]]
    new = new_group | (ordered["start"].to_numpy() >= np.r_[0, reach[:-1]])
    out = np.empty(len(marks), np.int64)
    out[order] = np.cumsum(new)
    return out


def _texts(
    final: pd.DataFrame, coded: _Coded, spans: pd.DataFrame, items: pd.DataFrame | None
) -> np.ndarray:
    """text[start:end] of each final span from the items' text; for items without a text,
    the text the annotators' spans carry (the most common, then the first in order; '' if
    none)."""
    out = np.full(len(final), "", dtype=object)
    position = np.full(len(final), -1, dtype=np.int64)
    if items is not None and "text" in items.columns and len(final):
        unique = items.drop_duplicates(col.ITEM_ID)
        where = pd.Index(unique[col.ITEM_ID]).get_indexer(coded.item_ids)
        texts = np.asarray(unique["text"], dtype=object)
        position = where[final["item"].to_numpy()]
        starts, ends = final["start"].to_numpy(), final["end"].to_numpy()
        for k in np.flatnonzero(position >= 0).tolist():
            out[k] = str(texts[position[k]])[int(starts[k]) : int(ends[k])]
    missing = position < 0
    if "text" in spans.columns and len(spans) and missing.any():
        given = pd.DataFrame(
            {
                "item": coded.item_ids.get_indexer(pd.Index(spans[col.ITEM_ID])),
                "start": spans["start"].to_numpy(np.int64),
                "end": spans["end"].to_numpy(np.int64),
                "label": coded.label_ids.get_indexer(pd.Index(spans[col.LABEL])),
                "text": np.asarray(spans["text"], dtype=object),
            }
        )
        given = given[given["text"] != ""]
        carried = (
            given.groupby([*_CODE_KEY, "text"], sort=False)
            .size()
            .rename("n")
            .reset_index()
            .sort_values(["n", "text"], ascending=[False, True], kind="stable")
            .drop_duplicates(_CODE_KEY)
            .set_index(_CODE_KEY)["text"]
        )
        found = final.loc[missing, _CODE_KEY].join(carried, on=_CODE_KEY)["text"]
        out[missing] = np.asarray(found.fillna(""), dtype=object)
    return out


def aggregate_spans(
    annotations: pd.DataFrame,
    spans: pd.DataFrame,
    items: pd.DataFrame | None = None,
    rule: Rule = "exact",
) -> SpanAggregate:
    """Final spans: those marked by more than half of the item's annotators.

    annotations : item_id, annotator_id (one row per annotator who looked at an item).
    spans : item_id, annotator_id, start, end, label (and optionally text); invalid spans
    should be removed first (analysis/span_validation.py).
    items : item_id, text (optional; gives each final span its text).
    rule : "exact" keeps a (start, end, label) marked by > half the annotators. "overlap"
    clusters overlapping same-label spans, keeps a cluster marked (any of its spans) by > half
    the annotators, and gives it the boundaries most annotators marked exactly (ties: the
    earliest start, then the shortest).
    An annotator's duplicate spans count once.
    """
    if rule not in ("exact", "overlap"):
        raise ValueError(f"unknown rule {rule!r}; expected 'exact' or 'overlap'")
    coded = _encode(annotations, spans)
    marks = coded.spans
    n_annotators = coded.n_annotators
    # Distinct annotators per exact span: the votes both rules start from.
    votes = marks.groupby(_CODE_KEY, sort=True).size().rename("votes").reset_index()
    votes["n_annotators"] = n_annotators[votes["item"].to_numpy()]
    if rule == "exact":
        candidates = votes.rename(columns={"votes": "n_agreeing"})
    else:
        marks = marks.assign(cluster=_clusters(marks) if len(marks) else np.zeros(0, np.int64))
        support = marks.groupby("cluster")["annotator"].nunique().rename("n_agreeing")
        best = (
            marks.groupby([*_CODE_KEY, "cluster"], sort=False)
            .size()
            .rename("exact")
            .reset_index()
            .assign(length=lambda f: f["end"] - f["start"])
            .sort_values(
                ["cluster", "exact", "start", "length"], ascending=[True, False, True, True]
            )
            .drop_duplicates("cluster")
        )
        candidates = best.join(support, on="cluster")
        candidates["n_annotators"] = n_annotators[candidates["item"].to_numpy()]
    ties = candidates.loc[2 * candidates["n_agreeing"] == candidates["n_annotators"], "item"]
    kept = candidates[2 * candidates["n_agreeing"] > candidates["n_annotators"]]
    kept = kept.sort_values(_CODE_KEY, kind="stable").reset_index(drop=True)
    final = pd.DataFrame(
        {
            col.ITEM_ID: coded.item_ids[kept["item"].to_numpy()],
            "start": kept["start"].to_numpy(np.int64),
            "end": kept["end"].to_numpy(np.int64),
            col.LABEL: coded.label_ids[kept["label"].to_numpy()],
            "text": pd.Series(_texts(kept, coded, spans, items), dtype="str"),
            "confidence": kept["n_agreeing"].to_numpy() / kept["n_annotators"].to_numpy(),
            "n_annotators": kept["n_annotators"].to_numpy(np.int64),
            "n_agreeing": kept["n_agreeing"].to_numpy(np.int64),
        }
    )

    # Status: agreed when every exact span was marked by every annotator of the item.
    n_items = len(coded.item_ids)
    split = np.bincount(
        votes["item"].to_numpy(), weights=votes["votes"] < votes["n_annotators"], minlength=n_items
    )
    tied = np.bincount(ties.to_numpy(), minlength=n_items) > 0
    status = np.where(
        tied, "unresolved", np.where((n_annotators >= 2) & (split == 0), "agreed", "aggregated")
    )
    frame = pd.DataFrame(
        {
            col.ITEM_ID: coded.item_ids,
            "n_annotators": n_annotators.astype(np.int64),
            "n_spans": np.bincount(kept["item"].to_numpy(), minlength=n_items).astype(np.int64),
            "status": pd.Series(status, dtype="str"),
        }
    )
    return SpanAggregate(final, frame)
