"""ingest: read every source, map it onto the canonical tables, quarantine what cannot be used."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from labelgate.config import columns as col
from labelgate.config.dataset import AnnotationSource, SourceFile, VersionMapping
from labelgate.config.schema import Schema, SplitMigration
from labelgate.errors import InputError, InternalError
from labelgate.io.canonical import Quarantine, apply_labels, content_hash, rename_columns
from labelgate.io.readers import RawTable, infer_format, read_source
from labelgate.io.writers import write_csv, write_json, write_parquet
from labelgate.problems import Problem
from labelgate.project import build_files
from labelgate.project.context import DatasetContext
from labelgate.project.layout import relative
from labelgate.project.paths import resolve_inside
from labelgate.stages import base


def _read(ctx: DatasetContext, source: SourceFile) -> tuple[RawTable | None, str]:
    path = resolve_inside(ctx.root, ctx.dataset_dir, source.path)
    display = relative(ctx.root, path)
    if source.optional and not path.exists():
        return None, display
    return read_source(path, infer_format(path, source.format, display), display), display


def _require(frame: pd.DataFrame, quarantine: Quarantine, names: tuple[str, ...]) -> pd.DataFrame:
    for name in names:
        frame = quarantine.take(
            frame, (frame[name] == "").to_numpy(), f"missing_{name}", f"{name} is empty"
        )
    return frame


REANNOTATION_COLUMNS = (
    col.ITEM_ID,
    "old_label",
    "split_into",
    "since",
    "annotations",
    "annotators",
)


def split_rows(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """Annotations whose label a split migration divided: they need a new annotation."""
    splits = {m.from_: m for m in schema.migrations if isinstance(m, SplitMigration)}
    hit = frame[frame[col.LABEL].isin(list(splits))] if splits else frame.iloc[:0]
    return pd.DataFrame(
        {
            col.ITEM_ID: hit[col.ITEM_ID].astype("str"),
            col.ANNOTATOR_ID: hit[col.ANNOTATOR_ID].astype("str"),
            "old_label": hit[col.LABEL].astype("str"),
            "split_into": hit[col.LABEL].map(lambda x: ", ".join(splits[x].to)).astype("str"),
            "since": hit[col.LABEL].map(lambda x: splits[x].since).astype("str"),
        }
    )


def reannotation_list(rows: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per item to re-annotate: the split label, its successors, who labelled it."""
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in REANNOTATION_COLUMNS})
    grouped = frame.sort_values([col.ITEM_ID, col.ANNOTATOR_ID]).groupby(col.ITEM_ID, sort=True)
    out = grouped.agg(
        old_label=("old_label", lambda s: ", ".join(sorted(set(s)))),
        split_into=("split_into", lambda s: "; ".join(sorted(set(s)))),
        since=("since", lambda s: ", ".join(sorted(set(s)))),
        annotations=(col.ANNOTATOR_ID, "size"),
        annotators=(col.ANNOTATOR_ID, lambda s: ", ".join(s)),
    )
    return out.reset_index()[list(REANNOTATION_COLUMNS)]


def _annotations(
    ctx: DatasetContext,
    source: AnnotationSource,
    quarantine: Quarantine,
    known_items: set[str] | None,
    reannotate: list[pd.DataFrame],
) -> tuple[pd.DataFrame, int]:
    raw, display = _read(ctx, source)
    quarantine.display = display
    if raw is None:  # an optional export that is not there yet
        return pd.DataFrame({c: pd.Series(dtype="str") for c in col.ANNOTATION_COLUMNS}), 0
    quarantine.add_bad_rows(raw)
    frame = rename_columns(
        raw, source.columns, col.ANNOTATION_REQUIRED, col.ANNOTATION_OPTIONAL, display
    )
    frame = _require(frame, quarantine, col.ANNOTATION_REQUIRED)
    if "duration_s" in frame:
        seconds = pd.to_numeric(frame["duration_s"].replace("", np.nan), errors="coerce")
        bad = (frame["duration_s"] != "") & (seconds.isna() | (seconds < 0))
        frame = quarantine.take(
            frame,
            bad.to_numpy(),
            "bad_duration",
            "duration_s '" + frame["duration_s"] + "' is not a number >= 0",
        )
    if "annotated_at" in frame:
        stamps = pd.to_datetime(
            frame["annotated_at"].replace("", None), errors="coerce", utc=True, format="ISO8601"
        )
        bad = (frame["annotated_at"] != "") & stamps.isna()
        frame = quarantine.take(
            frame,
            bad.to_numpy(),
            "bad_timestamp",
            "annotated_at '" + frame["annotated_at"] + "' is not an ISO 8601 time",
        )
    if known_items is not None:
        unknown = ~frame[col.ITEM_ID].isin(known_items)
        frame = quarantine.take(
            frame,
            unknown.to_numpy(),
            "unknown_item",
            "item_id '" + frame[col.ITEM_ID] + "' is not in the items file",
        )
    reannotate.append(split_rows(frame, ctx.schema))
    frame = apply_labels(frame, ctx.schema, quarantine)
    out = pd.DataFrame(index=frame.index)
    for name in col.ANNOTATION_REQUIRED:
        out[name] = frame[name].astype("str")
    out["annotated_at"] = (
        pd.to_datetime(frame["annotated_at"].replace("", None), utc=True, format="ISO8601")
        if "annotated_at" in frame
        else pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    )
    out["duration_s"] = (
        pd.to_numeric(frame["duration_s"].replace("", np.nan)) if "duration_s" in frame else np.nan
    )
    out["duration_s"] = out["duration_s"].astype("float64")
    batch = frame["batch"] if "batch" in frame else pd.Series("", index=frame.index)
    out["batch"] = batch.where(batch != "", source.batch or "").astype("str")
    version = (
        frame["guideline_version"]
        if "guideline_version" in frame
        else pd.Series("", index=frame.index)
    )
    version = version.where(version != "", source.guideline_version or "").astype("str")
    out["guideline_version"] = mapped_versions(
        version, out["batch"], out["annotated_at"], ctx.dataset.guideline_versions
    )
    out["source"] = (display + ":" + frame["_row"].astype("str")).astype("str")
    out["migrated_from"] = frame["migrated_from"].astype("str")
    return out.reset_index(drop=True), raw.rows_in


def mapped_versions(
    version: pd.Series, batch: pd.Series, stamps: pd.Series, mappings: list[VersionMapping]
) -> pd.Series:
    """Fill empty versions from the manifest: by batch first, then by annotated_at range.

    Rows no mapping covers stay empty, so the guideline_version check reports them.
    """
    missing = (version == "").to_numpy().copy()
    if not mappings or not missing.any():
        return version
    out = version.to_numpy(dtype=object).copy()
    by_batch = {b: m.version for m in mappings for b in m.batches}
    if by_batch:
        found = batch.map(by_batch)
        take = missing & found.notna().to_numpy()
        out[take] = found.to_numpy()[take]
        missing &= ~take
    for m in mappings:
        if m.batches:
            continue
        inside = stamps.notna().to_numpy().copy()
        if m.from_ is not None:
            inside &= (stamps >= pd.Timestamp(m.from_)).to_numpy()
        if m.until is not None:
            inside &= (stamps < pd.Timestamp(m.until)).to_numpy()
        take = missing & inside
        out[take] = m.version
        missing &= ~take
    return pd.Series(out, index=version.index, dtype="str")


def _simple(
    ctx: DatasetContext,
    source: SourceFile | None,
    table: str,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    quarantines: list[Quarantine],
    counts: list[dict[str, Any]],
    labelled: bool,
) -> pd.DataFrame:
    empty = pd.DataFrame({c: pd.Series(dtype="str") for c in (*required, *optional)})
    if source is None:
        return empty
    raw, display = _read(ctx, source)
    if raw is None:
        counts.append(
            {
                "table": table,
                "file": display,
                "rows_in": 0,
                "rows_kept": 0,
                "rows_quarantined": 0,
                "missing_optional": True,
            }
        )
        return empty
    quarantine = Quarantine(table, display)
    quarantine.add_bad_rows(raw)
    frame = rename_columns(raw, source.columns, required, optional, display)
    frame = _require(frame, quarantine, required)
    if labelled and col.LABEL in frame:
        has_label = frame[col.LABEL] != ""
        part = apply_labels(frame.loc[has_label], ctx.schema, quarantine)
        frame = pd.concat([part, frame.loc[~has_label].assign(migrated_from="")]).sort_values(
            "_row"
        )
    duplicated = (
        frame[col.ITEM_ID].duplicated(keep="first").to_numpy()
        if table in ("items", "gold")
        else np.zeros(len(frame), bool)
    )
    frame = quarantine.take(
        frame,
        duplicated,
        f"duplicate_{col.ITEM_ID}",
        "the same item_id appears earlier in the file; the first row is kept",
    )
    quarantines.append(quarantine)
    counts.append(_count(table, display, raw.rows_in, len(frame), quarantine.frame()))
    keep = [c for c in (*required, *optional) if c in frame.columns]
    out = frame[keep].reset_index(drop=True)
    for name in (*required, *optional):
        if name not in out:
            out[name] = ""
    return out[list((*required, *optional))].astype("str")


def _count(table: str, display: str, rows_in: int, kept: int, lost: pd.DataFrame) -> dict[str, Any]:
    reasons = lost["reason"].value_counts().sort_index()
    return {
        "table": table,
        "file": display,
        "rows_in": rows_in,
        "rows_kept": kept,
        "rows_quarantined": len(lost),
        "reasons": {str(k): int(v) for k, v in reasons.items()},
    }


def run(ctx: DatasetContext) -> base.StageResult:
    """Write the canonical tables, the quarantine table and ingest.json for one dataset."""
    sources = ctx.dataset.sources
    quarantines: list[Quarantine] = []
    counts: list[dict[str, Any]] = []
    item_fields = tuple(f.name for f in ctx.schema.item_fields)
    items = _simple(
        ctx, sources.items, "items", (col.ITEM_ID,), item_fields, quarantines, counts, False
    )
    string_fields = [f.name for f in ctx.schema.item_fields if f.type in ("string", "category")]
    items["content_hash"] = (
        content_hash(items[string_fields]) if len(items) else pd.Series(dtype="str")
    )
    known = set(items[col.ITEM_ID]) if sources.items is not None and len(items) else None
    parts = []
    reannotate: list[pd.DataFrame] = []
    for source in sources.annotations:
        quarantine = Quarantine("annotations", "")
        frame, rows_in = _annotations(ctx, source, quarantine, known, reannotate)
        quarantines.append(quarantine)
        counts.append(
            _count("annotations", quarantine.display, rows_in, len(frame), quarantine.frame())
        )
        parts.append(frame)
    annotations = pd.concat(parts, ignore_index=True)
    gold = _simple(ctx, sources.gold, "gold", col.GOLD_COLUMNS, (), quarantines, counts, True)
    adjudications = _simple(
        ctx,
        sources.adjudications,
        "adjudications",
        (col.ITEM_ID, col.LABEL),
        col.ADJUDICATION_COLUMNS[2:],
        quarantines,
        counts,
        True,
    )
    audit = _simple(
        ctx,
        sources.audit_results,
        "audit_results",
        (col.ITEM_ID, "verdict"),
        ("auditor_id", col.LABEL, "reason"),
        quarantines,
        counts,
        False,
    )
    audit["verdict"] = audit["verdict"].str.lower()
    if annotations.empty:
        raise InputError(
            [
                Problem(
                    ctx.files["dataset"],
                    message=f"dataset '{ctx.name}' has no usable annotations: every row was quarantined or the exports are empty.",
                    fix="Check the exports and the column mapping in dataset.yaml; the reasons are in build/{ctx.name}/quarantine.parquet.",
                )
            ]
        )
    rejected = pd.concat([q.frame() for q in quarantines], ignore_index=True)
    for entry in counts:
        if entry["rows_in"] != entry["rows_kept"] + entry["rows_quarantined"]:
            raise InternalError(f"ingest lost rows of {entry['file']}: {entry}")
    out = ctx.out
    outputs = [
        write_parquet(out / build_files.ANNOTATIONS, annotations),
        write_parquet(out / build_files.ITEMS, items),
        write_parquet(out / build_files.GOLD, gold),
        write_parquet(out / build_files.ADJUDICATIONS, adjudications),
        write_parquet(out / build_files.AUDIT_RESULTS, audit),
        write_parquet(out / build_files.QUARANTINE, rejected),
        write_csv(out / build_files.REANNOTATION, reannotation := reannotation_list(reannotate)),
    ]
    ann = [c for c in counts if c["table"] == "annotations"]
    totals = {key: sum(c[key] for c in ann) for key in ("rows_in", "rows_kept", "rows_quarantined")}
    migrated = annotations.loc[annotations["migrated_from"] != "", "migrated_from"].value_counts()
    summary = {
        "dataset": ctx.name,
        "annotations": totals,
        "quarantine_rate": totals["rows_quarantined"] / totals["rows_in"]
        if totals["rows_in"]
        else 0.0,
        "quarantine_reasons": {
            str(k): int(v) for k, v in rejected["reason"].value_counts().sort_index().items()
        },
        "sources": counts,
        "n_items": int(annotations[col.ITEM_ID].nunique()),
        "n_annotators": int(annotations[col.ANNOTATOR_ID].nunique()),
        "n_annotations": len(annotations),
        "migrations_applied": {str(k): int(v) for k, v in migrated.sort_index().items()},
        # Split labels cannot be mapped: their items go back to annotators.
        "reannotation": {
            "items": len(reannotation),
            "annotations": int(reannotation["annotations"].astype("int64").sum()),
            "file": f"{relative(ctx.root, out / build_files.REANNOTATION)}",
        },
    }
    outputs.append(write_json(out / build_files.INGEST_JSON, summary))
    lines = [
        f"{c['file']}: {c['rows_in']} rows in = {c['rows_kept']} kept + {c['rows_quarantined']} quarantined"
        for c in counts
    ]
    return base.StageResult("ingest", ctx.name, outputs, summary, lines)
