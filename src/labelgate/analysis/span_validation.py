"""Checks of span annotations, each returning violation rows (VIOLATION_COLUMNS).

Rule ids and default severities:
  span_bounds  error  start < 0, end <= start, end past the item's text, a non-integer
                      offset, or a span on an item the dataset does not have
  span_label   error  a label the schema does not list
  span_overlap error  two spans of one annotator on one item share a character (only when
                      the schema does not allow overlaps); identical duplicates included
  span_text    warn   the span's `text` differs from text[start:end] (offsets counted in
                      another unit, e.g. UTF-16 or bytes, or the text changed since)
Spans are the canonical spans table: item_id, annotator_id, start, end, label, text; items:
item_id, text. Offsets are characters (Python str indices), end exclusive.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from labelgate.config import columns as col

SPAN_RULES = {
    "span_bounds": "error",
    "span_label": "error",
    "span_overlap": "error",
    "span_text": "warn",
}
_SHOWN = 80  # characters of text quoted in a violation


def _violations(
    rule_id: str,
    severity: str,
    spans: pd.DataFrame,
    field: str | pd.Series,
    observed: pd.Series | str,
    expected: pd.Series | str,
    message: pd.Series | str,
) -> pd.DataFrame:
    """Violation rows for the spans given (one each); scalars are broadcast."""
    frame = pd.DataFrame(
        {
            "rule_id": rule_id,
            "severity": severity,
            col.ITEM_ID: spans[col.ITEM_ID].to_numpy(),
            col.ANNOTATOR_ID: spans[col.ANNOTATOR_ID].to_numpy(),
            "field": field,
            "observed": observed,
            "expected": expected,
            "message": message,
        },
        index=spans.index,
    )
    return frame[list(col.VIOLATION_COLUMNS)].astype("str").reset_index(drop=True)


def _span_names(spans: pd.DataFrame) -> pd.Series:
    """'[3, 8) PER' for each span."""
    return (
        "["
        + spans["start"].astype("str")
        + ", "
        + spans["end"].astype("str")
        + ") "
        + spans[col.LABEL].astype("str")
    )


def _offsets(spans: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """start and end as numbers (NaN where not an integer)."""
    start = pd.to_numeric(spans["start"], errors="coerce")
    end = pd.to_numeric(spans["end"], errors="coerce")
    return start.where(start % 1 == 0), end.where(end % 1 == 0)


def _item_texts(spans: pd.DataFrame, items: pd.DataFrame) -> np.ndarray:
    """Each span's item text (object array; None where the dataset has no such item).

    get_indexer on the ids and a NumPy take: Series.map over Arrow strings walks Python
    objects one by one.
    """
    unique = items.drop_duplicates(col.ITEM_ID)
    where = pd.Index(unique[col.ITEM_ID]).get_indexer(pd.Index(spans[col.ITEM_ID]))
    texts = np.asarray(unique["text"].astype("str"), dtype=object)
    out = np.full(len(spans), None, dtype=object)
    out[where >= 0] = texts[where[where >= 0]]
    return out


def _text_lengths(spans: pd.DataFrame, items: pd.DataFrame) -> pd.Series:
    """Length of each span's item text; NaN where the item is unknown."""
    texts = _item_texts(spans, items)
    lengths = np.array([np.nan if t is None else len(t) for t in texts.tolist()], dtype=np.float64)
    return pd.Series(lengths, index=spans.index)


def span_bounds(
    spans: pd.DataFrame,
    items: pd.DataFrame | None,
    severity: str = SPAN_RULES["span_bounds"],
    rule_id: str = "span_bounds",
) -> pd.DataFrame:
    """Spans whose offsets do not fit their item's text: one row per span, its first problem
    (non-integer offset, start < 0, end <= start, unknown item, end past the text)."""
    start, end = _offsets(spans)
    length = (
        _text_lengths(spans, items)
        if items is not None
        else pd.Series(np.inf, index=spans.index, dtype="float64")
    )
    names = _span_names(spans)
    problems = [
        (start.isna() | end.isna(), "start", "integer character offsets", "offsets are not integers"),
        (start < 0, "start", ">= 0", "starts before the text"),
        (end <= start, "end", "> start", "is empty or reversed (end <= start)"),
        (length.isna(), col.ITEM_ID, "an item of the dataset", "is on an item the dataset does not have"),
        (end > length, "end", "<= the text length", "ends after the item's text"),
    ]  # fmt: skip
    seen = pd.Series(False, index=spans.index)
    found = []
    for mask, field, expected, what in problems:
        hit = mask.fillna(False).astype(bool) & ~seen
        seen |= hit
        if not hit.any():
            continue
        rows = spans[hit]
        observed = rows[field].astype("str")
        if what == "offsets are not integers":
            observed = rows["start"].astype("str") + ", " + rows["end"].astype("str")
        if field == "end" and expected == "<= the text length":
            expected_col = "<= " + length[hit].astype("int64").astype("str") + " (text length)"
        elif field == "end":
            expected_col = "> " + rows["start"].astype("str")
        else:
            expected_col = pd.Series(expected, index=rows.index)
        found.append(
            _violations(
                rule_id,
                severity,
                rows,
                field,
                observed,
                expected_col,
                "span " + names[hit] + " " + what,
            )
        )
    return _concat(found)


def span_labels(
    spans: pd.DataFrame,
    labels: Sequence[str],
    severity: str = SPAN_RULES["span_label"],
    rule_id: str = "span_label",
) -> pd.DataFrame:
    """Spans whose label is not one of the schema's `labels`."""
    bad = ~spans[col.LABEL].astype("str").isin([str(x) for x in labels])
    rows = spans[bad]
    return _violations(
        rule_id,
        severity,
        rows,
        col.LABEL,
        rows[col.LABEL].astype("str"),
        "one of " + ", ".join(str(x) for x in labels),
        "span " + _span_names(rows) + " has a label the schema does not list",
    )


def span_overlaps(
    spans: pd.DataFrame,
    severity: str = SPAN_RULES["span_overlap"],
    rule_id: str = "span_overlap",
) -> pd.DataFrame:
    """Spans that share a character with an earlier span (by start, then end) of the same
    annotator on the same item, whatever the labels; one row per later span, naming the
    earlier span that reaches furthest."""
    start, end = _offsets(spans)
    usable = (start.notna() & end.notna() & (start < end)).to_numpy()
    valid = spans[usable].assign(_s=start[usable], _e=end[usable], _at=np.flatnonzero(usable))
    if valid.empty:
        return _concat([])
    ordered = valid.sort_values([col.ITEM_ID, col.ANNOTATOR_ID, "_s", "_e"], kind="stable")
    keys = [ordered[col.ITEM_ID], ordered[col.ANNOTATOR_ID]]
    reach = ordered.groupby(keys, sort=False)["_e"].cummax()
    # The position of the span that set the running furthest end, carried forward, then
    # shifted so each span sees the earlier ones only; names are built for the hits alone.
    setter = ordered["_at"].where(ordered["_e"] == reach).groupby(keys, sort=False).ffill()
    previous_reach = reach.groupby(keys, sort=False).shift(1)
    previous_setter = setter.groupby(keys, sort=False).shift(1)
    hit = (previous_reach.notna() & (ordered["_s"] < previous_reach)).to_numpy()
    rows = ordered[hit]
    names = _span_names(rows)
    other = _span_names(spans.iloc[previous_setter[hit].to_numpy(np.int64)])
    other.index = rows.index
    return _violations(
        rule_id,
        severity,
        rows,
        "start",
        names,
        "no overlap with " + other,
        "span " + names + " overlaps span " + other + " of the same annotator",
    )


def span_text(
    spans: pd.DataFrame,
    items: pd.DataFrame,
    severity: str = SPAN_RULES["span_text"],
    rule_id: str = "span_text",
) -> pd.DataFrame:
    """Spans whose non-empty `text` differs from the item's text[start:end] (spans with bad
    offsets or unknown items are span_bounds' business and skipped here)."""
    if "text" not in spans.columns:
        return _concat([])
    start, end = _offsets(spans)
    full = pd.Series(_item_texts(spans, items), index=spans.index)
    given = spans["text"].astype("str")
    length = pd.Series(
        [np.nan if t is None else len(t) for t in full.tolist()], index=spans.index, dtype="float64"
    )
    ok = full.notna() & start.notna() & end.notna() & (start >= 0) & (start < end)
    ok &= (end <= length) & (given != "")
    idx = ok[ok.fillna(False).astype(bool)].index
    actual = pd.Series(
        [
            t[int(s) : int(e)]
            for t, s, e in zip(
                full[idx].tolist(), start[idx].tolist(), end[idx].tolist(), strict=True
            )
        ],
        index=idx,
        dtype="str",
    )
    bad = actual != given[idx]
    rows = spans.loc[idx[bad.to_numpy()]]
    return _violations(
        rule_id,
        severity,
        rows,
        "text",
        given[rows.index].str.slice(0, _SHOWN),
        actual[rows.index].str.slice(0, _SHOWN),
        "span " + _span_names(rows) + " carries text that is not the item's text at its offsets",
    )


def _concat(found: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows found, or an empty violations frame."""
    if not found:
        return pd.DataFrame({c: pd.Series([], dtype="str") for c in col.VIOLATION_COLUMNS})
    return pd.concat(found, ignore_index=True)


def validate_spans(
    spans: pd.DataFrame,
    items: pd.DataFrame | None,
    labels: Sequence[str] | None,
    allow_overlap: bool = False,
) -> pd.DataFrame:
    """Every span check that applies, with the default rule ids and severities: bounds (with
    the texts when `items` is given), labels (when `labels` is given), overlaps (unless
    allowed) and text (with the texts)."""
    found = [span_bounds(spans, items)]
    if labels is not None:
        found.append(span_labels(spans, labels))
    if not allow_overlap:
        found.append(span_overlaps(spans))
    if items is not None:
        found.append(span_text(spans, items))
    return pd.concat(found, ignore_index=True)
