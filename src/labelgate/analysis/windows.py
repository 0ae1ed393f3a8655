"""Consecutive windows of annotation work (batches or calendar periods), shared by drift and calibration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from labelgate.config import columns as col

WindowKind = Literal["batch", "day", "week", "month"]
NO_WINDOW = ""  # an annotation without a batch (or timestamp) belongs to no window


@dataclass(frozen=True)
class Windows:
    """Each annotation's window and the windows in time order.

    `of_annotation[i]` is the window of annotation row i ('' when it has none); `order` lists
    the windows oldest first; `of_item` maps an item to the window of its first annotation
    (so an item counts once, where it entered the work)."""

    kind: WindowKind
    of_annotation: pd.Series
    order: tuple[str, ...]
    of_item: pd.Series
    n_without_window: int


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


def assign_windows(annotations: pd.DataFrame, kind: WindowKind = "batch") -> Windows:
    """Windows of the annotations table: by `batch` (ordered by each batch's first
    `annotated_at`, else by first appearance in the table) or by UTC day, ISO week or month."""
    times = _timestamps(annotations)
    if kind == "batch":
        labels = (
            annotations["batch"].fillna(NO_WINDOW).astype("str")
            if "batch" in annotations
            else pd.Series(NO_WINDOW, index=annotations.index, dtype="str")
        )
        frame = pd.DataFrame(
            {"w": labels, "t": times, "pos": np.arange(len(annotations))}, index=annotations.index
        )
        frame = frame[frame["w"] != NO_WINDOW]
        first = frame.groupby("w", sort=False).agg(t=("t", "min"), pos=("pos", "min"))
        # Batches without any timestamp sort after the timed ones, by first appearance.
        first["untimed"] = first["t"].isna()
        first = first.sort_values(["untimed", "t", "pos"], kind="stable")
        order = tuple(str(w) for w in first.index)
    else:
        labels = _period(times, kind)
        order = tuple(sorted(set(labels) - {NO_WINDOW}))
    of_annotation = labels.astype("str")
    keyed = pd.DataFrame(
        {
            col.ITEM_ID: annotations[col.ITEM_ID].astype("str"),
            "w": of_annotation,
            "t": times,
            "pos": np.arange(len(annotations)),
        }
    )
    keyed = keyed[keyed["w"] != NO_WINDOW]
    rank = {w: i for i, w in enumerate(order)}
    keyed["rank"] = keyed["w"].map(rank)
    # An item's window: where it was first annotated (earliest window, then earliest row).
    firsts = keyed.sort_values(["rank", "t", "pos"], kind="stable").drop_duplicates(col.ITEM_ID)
    of_item = pd.Series(firsts["w"].to_numpy(), index=firsts[col.ITEM_ID].to_numpy(), dtype="str")
    return Windows(
        kind=kind,
        of_annotation=of_annotation,
        order=order,
        of_item=of_item.sort_index(),
        n_without_window=int((of_annotation == NO_WINDOW).sum()),
    )
