"""One function per check kind of qa rules; each returns violations (VIOLATION_COLUMNS)."""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from labelgate.analysis.encoding import first_votes, positions
from labelgate.analysis.near_duplicates import near_duplicate_groups, near_duplicate_pairs
from labelgate.analysis.span_validation import validate_spans
from labelgate.config import columns as col
from labelgate.config import qa_rules as rules
from labelgate.config.base import is_semver, semver_key
from labelgate.config.schema import FieldSpec, Schema


@dataclass(frozen=True)
class Tables:
    """The canonical tables a check reads."""

    annotations: pd.DataFrame
    items: pd.DataFrame
    quarantine: pd.DataFrame
    schema: Schema
    guideline_version: str = ""
    released_versions: tuple[str, ...] = ()  # from guidelines.lock; empty: not checked
    spans: pd.DataFrame | None = None  # task: spans

    @functools.cached_property
    def votes(self) -> Votes:
        """The annotations' ids as codes and their one-vote rows, computed once per run."""
        return votes_of(self.annotations)


@dataclass(frozen=True)
class Votes:
    """Item codes (ids sorted), annotator codes, and which rows are the first of their
    (item, annotator): hashing the id strings once serves every check."""

    items: np.ndarray
    item_ids: pd.Index
    annotators: np.ndarray
    first: np.ndarray


def votes_of(annotations: pd.DataFrame) -> Votes:
    """Factorise the id columns once; a row is first unless an earlier row has its ids."""
    items, item_ids = pd.factorize(annotations[col.ITEM_ID], sort=True)
    annotators, _ = pd.factorize(annotations[col.ANNOTATOR_ID])
    first = first_votes(items, annotators)
    return Votes(items.astype(np.int64), pd.Index(item_ids), annotators.astype(np.int64), first)


def violations(
    check: Any,
    item_id: Sequence[Any] | np.ndarray,
    annotator_id: Any = "",
    field: str = "",
    observed: Any = "",
    expected: Any = "",
    message: Any = "",
) -> pd.DataFrame:
    """A violations frame, one row per entry of `item_id`; scalars are broadcast."""
    frame = pd.DataFrame(
        {
            "rule_id": check.id or check.kind,
            "severity": check.severity,
            "item_id": item_id,
            "annotator_id": annotator_id,
            "field": field,
            "observed": observed,
            "expected": expected,
            "message": message,
        },
        index=range(len(item_id)),
    )
    return frame.astype("str")


def no_violations(check: Any) -> pd.DataFrame:
    """An empty violations frame."""
    return violations(check, [])


def allowed_labels(check: rules.AllowedLabels, t: Tables) -> pd.DataFrame:
    """Annotations whose label is not in the schema (quarantined at ingest, reported here)."""
    bad = t.quarantine[
        (t.quarantine["table"] == "annotations") & (t.quarantine["reason"] == "unknown_label")
    ]
    if bad.empty:
        return no_violations(check)
    raw = [json.loads(s) if s else {} for s in bad["raw"]]
    return violations(
        check,
        item_id=[r.get("item_id", "") for r in raw],
        annotator_id=[r.get("annotator_id", "") for r in raw],
        field="label",
        observed=[r.get("label", "") for r in raw],
        expected="one of " + ", ".join(t.schema.label_ids),
        message=(bad["source"] + ":" + bad["row"].astype("str") + ": " + bad["detail"]).to_numpy(),
    )


def _field_problems(spec: FieldSpec, values: pd.Series) -> tuple[pd.Series, str]:
    """Mask of values that break the field's type or constraints, and what was expected."""
    text = values.astype("str")
    present = text != ""
    if spec.type == "integer":
        number = pd.to_numeric(text.where(present), errors="coerce")
        bad = present & (number.isna() | (number % 1 != 0))
        expected = "an integer"
    elif spec.type == "float":
        number = pd.to_numeric(text.where(present), errors="coerce")
        bad = present & number.isna()
        expected = "a number"
    elif spec.type == "boolean":
        bad = present & ~text.str.lower().isin(["true", "false", "0", "1", "yes", "no"])
        expected = "true or false"
    elif spec.type == "timestamp":
        bad = (
            present
            & pd.to_datetime(
                text.where(present), errors="coerce", utc=True, format="ISO8601"
            ).isna()
        )
        expected = "an ISO 8601 time"
    elif spec.type == "category" and spec.allowed is not None:
        bad = present & ~text.isin(spec.allowed)
        expected = "one of " + ", ".join(spec.allowed)
    else:
        bad = pd.Series(False, index=values.index)
        expected = "text"
    if spec.type in ("integer", "float"):
        number = pd.to_numeric(text.where(present), errors="coerce")
        if spec.min is not None:
            bad |= number < spec.min
        if spec.max is not None:
            bad |= number > spec.max
        expected += f" in [{spec.min if spec.min is not None else '-inf'}, {spec.max if spec.max is not None else 'inf'}]"
    return bad, expected


def required_fields(check: rules.RequiredFields, t: Tables) -> pd.DataFrame:
    """Required item fields present and non-empty; declared fields of the right type."""
    specs = {f.name: f for f in t.schema.item_fields}
    names = (
        check.fields
        if check.fields is not None
        else [f.name for f in t.schema.item_fields if f.required]
    )
    parts = []
    annotated = pd.Index(t.annotations[col.ITEM_ID].unique())
    items = (
        t.items.set_index(col.ITEM_ID)
        if len(t.items)
        else pd.DataFrame(index=pd.Index([], name=col.ITEM_ID))
    )
    missing_items = annotated.difference(items.index)
    for name in names:
        values = items[name] if name in items else pd.Series("", index=items.index)
        empty = values.astype("str") == ""
        ids = list(values.index[empty]) + list(missing_items)
        if ids:
            parts.append(
                violations(
                    check,
                    item_id=ids,
                    field=name,
                    observed="",
                    expected="a value",
                    message=f"required field '{name}' is empty or the item is missing",
                )
            )
    for name, spec in specs.items():
        if name in items:
            bad, expected = _field_problems(spec, items[name])
            if bad.any():
                parts.append(
                    violations(
                        check,
                        item_id=list(items.index[bad]),
                        field=name,
                        observed=items.loc[bad, name].to_numpy(),
                        expected=expected,
                        message=f"field '{name}' is not {expected}",
                    )
                )
    return pd.concat(parts, ignore_index=True) if parts else no_violations(check)


def text_length(check: rules.TextLength, t: Tables) -> pd.DataFrame:
    """Items whose text field is shorter than `min` or longer than `max` characters."""
    if check.field not in t.items:
        return no_violations(check)
    lengths = t.items[check.field].astype("str").str.len()
    bad = pd.Series(False, index=t.items.index)
    if check.min is not None:
        bad |= lengths < check.min
    if check.max is not None:
        bad |= lengths > check.max
    return violations(
        check,
        item_id=t.items.loc[bad, col.ITEM_ID].to_numpy(),
        field=check.field,
        observed=lengths[bad].astype("str").to_numpy(),
        expected=f"between {check.min or 0} and {check.max or 'any'} characters",
        message=f"{check.field} length outside bounds",
    )


def duplicate_annotations(check: rules.DuplicateAnnotations, t: Tables) -> pd.DataFrame:
    """Second and later annotations of the same item by the same annotator."""
    dup = ~t.votes.first
    rows = t.annotations.loc[dup]
    return violations(
        check,
        item_id=rows[col.ITEM_ID].to_numpy(),
        annotator_id=rows[col.ANNOTATOR_ID].to_numpy(),
        field="label",
        observed=rows[col.LABEL].to_numpy(),
        expected="one annotation per item and annotator",
        message=("repeated annotation at " + rows["source"] + "; the first one is used").to_numpy(),
    )


def _hash(values: pd.Series, normalize: bool) -> pd.Series:
    text = values.astype("str")
    if normalize:
        text = text.str.lower().str.split().str.join(" ")
    return text.map(lambda s: hashlib.sha256(s.encode("utf-8")).hexdigest())


def duplicate_items(check: rules.DuplicateItems, t: Tables) -> pd.DataFrame:
    """Items whose content (hash of `field`) repeats an earlier item's."""
    if check.field not in t.items or t.items.empty:
        return no_violations(check)
    hashes = _hash(t.items[check.field], check.normalize)
    first = t.items[col.ITEM_ID].groupby(hashes).transform("first")
    dup = (first != t.items[col.ITEM_ID]).to_numpy()
    return violations(
        check,
        item_id=t.items.loc[dup, col.ITEM_ID].to_numpy(),
        field=check.field,
        observed=first[dup].to_numpy(),
        expected="unique content",
        message=("same content as item " + first[dup]).to_numpy(),
    )


def _closest_partners(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per item in a pair: its most similar other item (ties: the earliest), by position."""
    a, b, sim = (pairs[c].to_numpy() for c in pairs.columns)
    both = pd.DataFrame(
        {"item": np.concatenate((a, b)), "other": np.concatenate((b, a)), "sim": np.tile(sim, 2)}
    )
    both = both.sort_values(["item", "sim", "other"], ascending=[True, False, True])
    return both.drop_duplicates("item").reset_index(drop=True)


def _floor2(value: float) -> str:
    # Floored, not rounded: 0.996 must not read as an exact copy (1.00). The epsilon keeps
    # 0.57 (57/100, stored as 56.99999... hundredths) at 0.57.
    return f"{math.floor(value * 100 + 1e-9) / 100:.2f}"


def near_duplicate_items(check: rules.NearDuplicateItems, t: Tables) -> pd.DataFrame:
    """Items whose `field` text is near-identical to another item's (Jaccard similarity of
    character shingles >= threshold): one row per such item, naming its closest other item."""
    if check.field not in t.items or t.items.empty:
        return no_violations(check)
    pairs = near_duplicate_pairs(
        t.items[check.field],
        threshold=check.threshold,
        ngram=check.ngram,
        num_perm=check.num_perm,
        seed=check.seed,
    )
    if pairs.empty:
        return no_violations(check)
    ids = t.items[col.ITEM_ID].astype("str").to_numpy()
    groups = near_duplicate_groups(pairs, len(ids))
    sizes = np.bincount(groups[groups >= 0])
    best = _closest_partners(pairs)
    other, sim = ids[best["other"].to_numpy()], best["sim"].map(_floor2).to_numpy()
    size = sizes[groups[best["item"].to_numpy()]]
    return violations(
        check,
        item_id=ids[best["item"].to_numpy()],
        field=check.field,
        observed=[f"similar to item '{o}' (Jaccard {s})" for o, s in zip(other, sim, strict=True)],
        expected=(
            f"Jaccard similarity of {check.ngram}-character shingles below {check.threshold} "
            "with every other item"
        ),
        message=[
            f"near-duplicate of item '{o}' (one of {n} similar items): merge them or drop all "
            "but one"
            + ("" if s == "1.00" else f"; if they are distinct items, raise threshold above {s}")
            for o, n, s in zip(other, size, sim, strict=True)
        ],
    )


def min_annotations_per_item(check: rules.MinAnnotationsPerItem, t: Tables) -> pd.DataFrame:
    """Items with fewer than `min` distinct annotators; the message names their source rows."""
    votes = t.votes
    # Distinct annotators per item, by code (item codes follow the sorted ids, as groupby).
    per_code = np.bincount(votes.items[votes.first], minlength=len(votes.item_ids))
    short_codes = np.flatnonzero((per_code < check.min) & (per_code > 0))
    short = pd.Series(per_code[short_codes], index=votes.item_ids[short_codes], dtype="int64")
    rows = t.annotations.loc[votes.first & np.isin(votes.items, short_codes)]
    sources = rows.groupby(col.ITEM_ID)["source"].agg(", ".join).reindex(short.index)
    return violations(
        check,
        item_id=short.index.to_numpy(),
        field="n_annotations",
        observed=short.astype("str").to_numpy(),
        expected=f">= {check.min}",
        message=(f"fewer than {check.min} annotations; annotated at " + sources).to_numpy(),
    )


def annotator_speed(check: rules.AnnotatorSpeed, t: Tables) -> pd.DataFrame:
    """Annotators whose median seconds per annotation is a low outlier (robust z) or too low."""
    timed = t.annotations.dropna(subset=["duration_s"])
    per = timed.groupby(col.ANNOTATOR_ID)["duration_s"].agg(["median", "size"])
    per = per[per["size"] >= check.min_annotations]
    if per.empty:
        return no_violations(check)
    center = per["median"].median()
    mad = 1.4826 * (per["median"] - center).abs().median()
    z = (per["median"] - center) / mad if mad > 0 else pd.Series(0.0, index=per.index)
    bad = z < -check.max_robust_z
    if check.min_median_seconds is not None:
        bad |= per["median"] < check.min_median_seconds
    rows = per[bad]
    return violations(
        check,
        item_id=[""] * len(rows),
        annotator_id=rows.index.to_numpy(),
        field="duration_s",
        observed=rows["median"].map(lambda v: f"{v:.1f}s median").to_numpy(),
        expected=f"robust z >= -{check.max_robust_z} (pool median {center:.1f}s)",
        message=[
            f"median {m:.1f}s per annotation, robust z {zz:.1f}"
            for m, zz in zip(rows["median"], z[bad], strict=True)
        ],
    )


def annotator_label_distribution(
    check: rules.AnnotatorLabelDistribution, t: Tables
) -> pd.DataFrame:
    """Annotators who give one label in more than `max_share` of their annotations."""
    counts = t.annotations.groupby([col.ANNOTATOR_ID, col.LABEL]).size().unstack(fill_value=0)
    totals = counts.sum(axis=1)
    share = counts.max(axis=1) / totals
    top = counts.idxmax(axis=1)
    bad = (share > check.max_share) & (totals >= check.min_annotations)
    return violations(
        check,
        item_id=[""] * int(bad.sum()),
        annotator_id=share.index[bad].to_numpy(),
        field="label",
        observed=[f"{lab} in {s:.0%}" for lab, s in zip(top[bad], share[bad], strict=True)],
        expected=f"no label above {check.max_share:.0%}",
        message="one label dominates this annotator's work",
    )


def guideline_version(check: rules.GuidelineVersion, t: Tables) -> pd.DataFrame:
    """Annotations whose guideline version is missing, not semantic, newer than the guideline,
    or never released (absent from guidelines.lock)."""
    versions = t.annotations["guideline_version"].astype("str")
    distinct = versions.unique()
    current = semver_key(t.guideline_version) if t.guideline_version else None
    released = {semver_key(v) for v in t.released_versions}
    reasons = {}
    for version in distinct:
        if version == "":
            reasons[version] = (
                "guideline version cannot be determined: the export has none, the source in "
                "dataset.yaml sets no guideline_version and no guideline_versions mapping "
                "covers its batch or time"
            )
        elif not is_semver(version):
            reasons[version] = f"'{version}' is not a semantic version"
        elif current is not None and semver_key(version) > current:
            reasons[version] = (
                f"version {version} is newer than the guideline's {t.guideline_version}"
            )
        elif released and semver_key(version) not in released:
            reasons[version] = (
                f"version {version} was never released: guidelines/guidelines.lock records "
                + ", ".join(t.released_versions)
            )
    bad = versions.isin(list(reasons))
    rows = t.annotations[bad.to_numpy()]
    return violations(
        check,
        item_id=rows[col.ITEM_ID].to_numpy(),
        annotator_id=rows[col.ANNOTATOR_ID].to_numpy(),
        field="guideline_version",
        observed=rows["guideline_version"].to_numpy(),
        expected=f"a released version (current {t.guideline_version})",
        message=(rows["guideline_version"].map(reasons) + " (" + rows["source"] + ")").to_numpy(),
    )


def spans_check(check: rules.Spans, t: Tables) -> pd.DataFrame:
    """Span bounds, labels, overlaps (unless the schema allows them) and stored text; the
    message starts with the failed rule (span_bounds, span_label, span_overlap, span_text)."""
    if t.spans is None or not len(t.spans):
        return no_violations(check)
    text = next((f.name for f in t.schema.item_fields if f.type == "string"), None)
    items = (
        t.items[[col.ITEM_ID, text]].rename(columns={text: "text"})
        if text is not None and text in t.items
        else None
    )
    found = validate_spans(t.spans, items, t.schema.label_ids, t.schema.overlapping_spans)
    if not len(found):
        return no_violations(check)
    severity = np.where(found["rule_id"] == "span_text", check.text_severity, check.severity)
    return found.assign(
        message="[" + found["rule_id"] + "] " + found["message"],
        rule_id=check.id or check.kind,
        severity=severity,
    )[list(col.VIOLATION_COLUMNS)].astype("str")


CHECKS: dict[type, Callable[[Any, Tables], pd.DataFrame]] = {
    rules.Spans: spans_check,
    rules.GuidelineVersion: guideline_version,
    rules.AllowedLabels: allowed_labels,
    rules.RequiredFields: required_fields,
    rules.TextLength: text_length,
    rules.DuplicateAnnotations: duplicate_annotations,
    rules.DuplicateItems: duplicate_items,
    rules.NearDuplicateItems: near_duplicate_items,
    rules.MinAnnotationsPerItem: min_annotations_per_item,
    rules.AnnotatorSpeed: annotator_speed,
    rules.AnnotatorLabelDistribution: annotator_label_distribution,
}


def run_checks(checks: list[Any], tables: Tables) -> pd.DataFrame:
    """Every check's violations in one tidy table (rule order, then table order)."""
    parts = [CHECKS[type(check)](check, tables) for check in checks]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in col.VIOLATION_COLUMNS})
    return pd.concat(parts, ignore_index=True)[list(col.VIOLATION_COLUMNS)].astype("str")


def _flagged(annotations: pd.DataFrame, items: set[str], pairs: pd.DataFrame) -> np.ndarray:
    """Per annotation: its item has an error, or its (item, annotator) has one. Few ids are
    flagged: they are looked up in the annotations by hashing, not the other way round."""
    ids = annotations[col.ITEM_ID]
    flagged = positions(ids, pd.Index(sorted(items), dtype="str")) >= 0
    if len(pairs):
        known = pd.MultiIndex.from_frame(pairs[[col.ITEM_ID, col.ANNOTATOR_ID]].astype("str"))
        item_pos = positions(ids, pd.Index(known.levels[0]))
        annotator_pos = positions(annotations[col.ANNOTATOR_ID], pd.Index(known.levels[1]))
        candidate = (item_pos >= 0) & (annotator_pos >= 0)
        if candidate.any():
            wanted = set(zip(known.codes[0], known.codes[1], strict=True))
            hits = [
                (i, a) in wanted
                for i, a in zip(item_pos[candidate], annotator_pos[candidate], strict=True)
            ]
            flagged[np.flatnonzero(candidate)[np.asarray(hits, dtype=bool)]] = True
    return flagged


def validation_summary(
    dataset: str, found: pd.DataFrame, checks: list[Any], tables: Tables
) -> dict[str, Any]:
    """validation.json: violations per rule and severity, and the rates gates test."""
    per_rule = {}
    for check in checks:
        rule_id = check.id or check.kind
        n = int((found["rule_id"] == rule_id).sum())
        per_rule[rule_id] = {"kind": check.kind, "severity": check.severity, "violations": n}
    errors = found[found["severity"] == "error"]
    # Annotation-level error share: rows naming an annotation, or items with an error.
    flagged_items = set(errors.loc[errors[col.ANNOTATOR_ID] == "", col.ITEM_ID]) - {""}
    pair = errors[(errors[col.ANNOTATOR_ID] != "") & (errors[col.ITEM_ID] != "")]
    flagged = _flagged(tables.annotations, flagged_items, pair)
    duplicate_rule = [c.id or c.kind for c in checks if c.kind == "duplicate_items"]
    n_items = max(len(tables.items), len(tables.votes.item_ids))  # distinct ids, as nunique
    dup_items = int(found["rule_id"].isin(duplicate_rule).sum())
    # A near-duplicate check runs only where its field has text in the items table.
    near_rule = [
        c.id or c.kind
        for c in checks
        if c.kind == "near_duplicate_items" and c.field in tables.items and not tables.items.empty
    ]
    near_items = found.loc[found["rule_id"].isin(near_rule), col.ITEM_ID].nunique()
    summary = {
        "dataset": dataset,
        "n_violations": len(found),
        "by_severity": {s: int((found["severity"] == s).sum()) for s in ("error", "warn")},
        "rules": per_rule,
        "violation_rate": float(flagged.mean()) if len(tables.annotations) else 0.0,
        "duplicate_item_rate": dup_items / n_items if n_items else 0.0,
        # Share of items in at least one near-duplicate pair; None (a gate on it cannot pass)
        # when no near_duplicate_items check runs, or there is no item text to compare, as
        # 0.0 would claim a clean dataset.
        "near_duplicate_item_rate": (near_items / n_items if n_items else 0.0)
        if near_rule
        else None,
    }
    return summary
