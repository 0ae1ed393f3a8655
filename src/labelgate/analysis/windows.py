"""Consecutive windows of annotation work (batches or calendar periods), shared by drift and calibration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from labelgate.config import columns as col

WindowKind = Literal["batch", "day", "week", "month"]
NO_WINDOW = ""  # an annotation without a batch (or timestamp) belongs to no window
IntArray = npt.NDArray[np.int64]


def sorted_codes(values: pd.Series) -> tuple[IntArray, pd.Index]:
    """Factorised values in sorted order: codes (-1 for missing) and the distinct values as a
    str Index (only the distinct values are converted, never the rows)."""
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), pd.Index(uniques).astype(str)


@dataclass(frozen=True)
class IdCodes:
    """The annotations' item and annotator ids factorised once (sorted id order, -1 for a
    missing id), so each step groups and joins on integers, not on strings."""

    item: IntArray
    item_ids: pd.Index
    annotator: IntArray
    annotator_ids: pd.Index


def id_codes(annotations: pd.DataFrame) -> IdCodes:
    """The item and annotator codes of every annotation row."""
    item, item_ids = sorted_codes(annotations[col.ITEM_ID])
    annotator, annotator_ids = sorted_codes(annotations[col.ANNOTATOR_ID])
    return IdCodes(item, item_ids, annotator, annotator_ids)


@dataclass(frozen=True)
class Windows:
    """Each annotation's window and the windows in time order.

    `of_annotation[i]` is the window of annotation row i ('' when it has none); `order` lists
    the windows oldest first; `of_item` maps an item to the window of its first annotation
    (so an item counts once, where it entered the work). `rank[i]` is the position of row i's
    window in `order` (-1: none); `ids` the codes of the annotations' ids."""

    kind: WindowKind
    of_annotation: pd.Series
    order: tuple[str, ...]
    of_item: pd.Series
    n_without_window: int
    rank: IntArray
    ids: IdCodes


def _timestamps(annotations: pd.DataFrame) -> pd.Series:
    if "annotated_at" not in annotations:
        return pd.Series(pd.NaT, index=annotations.index, dtype="datetime64[us, UTC]")
    return pd.to_datetime(annotations["annotated_at"], utc=True, errors="coerce")


def _period(times: pd.Series, kind: WindowKind) -> pd.Series:
    """ISO labels that sort in time order: 2026-10-05, 2026-W41, 2026-10."""
    out = pd.Series(NO_WINDOW, index=times.index, dtype="str")
    known = times.notna()
    t = times[known]
    if kind == "day":
        out[known] = t.dt.strftime("%Y-%m-%d")
    elif kind == "week":
        iso = t.dt.isocalendar()
        weeks = [f"{y:04d}-W{w:02d}" for y, w in zip(iso["year"], iso["week"], strict=True)]
        out[known] = pd.Series(weeks, index=t.index, dtype="str")
    else:
        out[known] = t.dt.strftime("%Y-%m")
    return out


def _sort_times(times: pd.Series) -> npt.NDArray[np.int64]:
    """Timestamps as integers that sort as sort_values does: a missing time last."""
    values = np.asarray(times.array.asi8, dtype=np.int64)  # one unit within the column
    return np.where(times.isna().to_numpy(), np.iinfo(np.int64).max, values)


def assign_windows(
    annotations: pd.DataFrame, kind: WindowKind = "batch", ids: IdCodes | None = None
) -> Windows:
    """Windows of the annotations table: by `batch` (ordered by each batch's first
    `annotated_at`, else by first appearance in the table) or by UTC day, ISO week or month.
    `ids`: `id_codes(annotations)` when the caller has them."""
    times = _timestamps(annotations)
    if kind == "batch":
        labels = (
            annotations["batch"].fillna(NO_WINDOW).astype("str")
            if "batch" in annotations
            else pd.Series(NO_WINDOW, index=annotations.index, dtype="str")
        )
    else:
        labels = _period(times, kind)
    of_annotation = labels.astype("str")
    # Few distinct windows: work on their codes, never on the strings of every row.
    codes, names = pd.factorize(of_annotation)
    named = np.asarray(names != NO_WINDOW, dtype=bool)
    if kind == "batch":
        frame = pd.DataFrame({"t": times, "pos": np.arange(len(codes))}, index=annotations.index)
        frame["c"] = codes
        first = frame.groupby("c", sort=True).agg(t=("t", "min"), pos=("pos", "min"))
        first = first[named[first.index.to_numpy()]]
        first.index = pd.Index([str(names[c]) for c in first.index], dtype="str")
        # Batches without any timestamp sort after the timed ones, by first appearance.
        first["untimed"] = first["t"].isna()
        first = first.sort_values(["untimed", "t", "pos"], kind="stable")
        order = tuple(str(w) for w in first.index)
    else:
        order = tuple(sorted(str(w) for w, ok in zip(names, named, strict=True) if ok))
    position = {w: i for i, w in enumerate(order)}
    lookup = np.array([position.get(str(w), -1) for w in names] + [-1], dtype=np.int64)
    rank = lookup[codes]  # a missing label (code -1) takes the last entry, -1
    ids = ids if ids is not None else id_codes(annotations)
    item, item_ids = ids.item, ids.item_ids
    # An item's window: where it was first annotated (earliest window, then earliest row);
    # item codes follow sorted ids, so the items come out in id order.
    rows = np.flatnonzero((rank >= 0) & (item >= 0))
    order_rows = np.lexsort((_sort_times(times)[rows], rank[rows], item[rows]))
    rows = rows[order_rows]
    head = np.ones(len(rows), dtype=bool)
    head[1:] = item[rows[1:]] != item[rows[:-1]]
    rows = rows[head]
    window_names = np.array(order, dtype=object)
    of_item = pd.Series(
        window_names[rank[rows]], index=item_ids[item[rows]].rename(None), dtype="str"
    )
    return Windows(
        kind=kind,
        of_annotation=of_annotation,
        order=order,
        of_item=of_item,
        n_without_window=int((of_annotation == NO_WINDOW).sum()),
        rank=rank,
        ids=ids,
    )
