"""ingest: read every source, map it onto the canonical tables, quarantine what cannot be used."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa

from labelgate.config import columns as col
from labelgate.config.dataset import SourceFile
from labelgate.errors import InputError
from labelgate.io.ingest import Ingested, RawSource, RawSources, ingest, ingest_summary
from labelgate.io.json_io import write_json
from labelgate.io.label_sets import LABELS
from labelgate.io.readers import STREAMED_FORMATS, infer_format, read_source, source_pieces
from labelgate.io.writers import ParquetStream, write_csv, write_parquet
from labelgate.problems import Problem
from labelgate.project import build_files
from labelgate.project.context import DatasetContext
from labelgate.project.layout import relative
from labelgate.project.paths import EscapesProject, resolve_inside
from labelgate.stages import base


def _read(
    ctx: DatasetContext, source: SourceFile | None, streamed: bool = False
) -> RawSource | None:
    """One declared file, read; `streamed`: a CSV, JSONL or Parquet export is read when ingest
    checks it, one piece of `engine.chunk_rows` records at a time (span answers are matched
    whole, and tool exports are read whole)."""
    if source is None:
        return None
    path = resolve_inside(ctx.root, ctx.dataset_dir, source.path)
    display = relative(ctx.root, path)
    if source.optional and not path.exists():
        return RawSource(source, None, display)
    file_format = infer_format(path, source.format, display)
    if streamed and file_format in STREAMED_FORMATS and ctx.schema.task != "spans":
        # A JSONL piece whose records all lack a required key has it empty, as a whole read.
        required = [source.columns.get(name, name) for name in col.ANNOTATION_REQUIRED]
        pieces = source_pieces(path, file_format, display, ctx.engine.chunk_rows, required)
        return RawSource(source, None, display, pieces)
    return RawSource(source, read_source(path, file_format, display, source.field), display)


class MediaDigests:
    """A media field's value as hashed content: 'sha256:<hex>' of the file for a path inside
    the project that exists (read once per path), the value itself for a URI or anything else."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.seen: dict[str, str] = {}

    def __call__(self, value: str) -> str:
        if value in self.seen:
            return self.seen[value]
        digest = value
        if value and "://" not in value:
            try:
                path = resolve_inside(self.root, self.root, value)
                if path.is_file():
                    with path.open("rb") as handle:
                        digest = "sha256:" + hashlib.file_digest(handle, "sha256").hexdigest()
            except (EscapesProject, OSError, ValueError):
                pass  # outside the project or unreadable: its text stands for it
        self.seen[value] = digest
        return digest


def read_sources(ctx: DatasetContext) -> RawSources:
    """Every file the manifest declares, as strings with row numbers (paths stay in the project)."""
    sources = ctx.dataset.sources
    items = _read(ctx, sources.items)
    annotations = [_read(ctx, source, streamed=True) for source in sources.annotations]
    return RawSources(
        annotations=[a for a in annotations if a is not None],
        items=items,
        gold=_read(ctx, sources.gold),
        adjudications=_read(ctx, sources.adjudications),
        audit_results=_read(ctx, sources.audit_results),
        reviews=_read(ctx, sources.reviews),
        qualification=_read(ctx, sources.qualification),
        qualification_key=_read(ctx, sources.qualification_key),
    )


def _require_annotations(ctx: DatasetContext, done: Ingested) -> None:
    """No usable annotation is an input error that says why each row was quarantined: the
    count per reason, then the columns no value of which could be read, or else the first
    quarantined row, each with its fix."""
    if done.counts.rows:
        return
    lost = done.quarantine[done.quarantine["table"] == "annotations"]
    if not len(lost):
        message, fix = (
            "the exports are empty.",
            "Check the exports and their paths in dataset.yaml.",
        )
    else:
        reasons = lost["reason"].value_counts().sort_index()
        why = ", ".join(f"{reason} {n}" for reason, n in reasons.items())
        message = f"all {len(lost)} rows were quarantined ({why})."
        if done.notes:
            message += " " + " ".join(done.notes)
        else:
            first = lost.iloc[0]
            message += f" First: {first['source']} row {first['row']}: {first['detail']}."
        fix = "Check the exports and the column mapping in dataset.yaml."
    raise InputError(
        [
            Problem(
                ctx.files["dataset"],
                message=f"dataset '{ctx.name}' has no usable annotations: {message}",
                fix=fix,
            )
        ]
    )


def run(ctx: DatasetContext) -> base.StageResult:
    """Write the canonical tables, the quarantine table and ingest.json for one dataset."""
    out = ctx.out
    # Annotations go to their file piece by piece as they are checked; a label set column has
    # its type whatever the sets of a piece (all empty would leave it without an item type).
    types = {LABELS: pa.list_(pa.string())}
    with ParquetStream(out / build_files.ANNOTATIONS, types) as annotations:
        done = ingest(
            read_sources(ctx),
            ctx.schema,
            ctx.dataset.guideline_versions,
            MediaDigests(ctx.root),
            ctx.engine.chunk_rows,
            sink=annotations.add,
        )
        _require_annotations(ctx, done)
    summary = ingest_summary(done, ctx.name, relative(ctx.root, out / build_files.REANNOTATION))
    outputs = [
        out / build_files.ANNOTATIONS,
        write_parquet(out / build_files.ITEMS, done.items),
        write_parquet(out / build_files.GOLD, done.gold),
        write_parquet(out / build_files.ADJUDICATIONS, done.adjudications),
        write_parquet(out / build_files.AUDIT_RESULTS, done.audit_results),
        # Written always (empty, with the columns, when not declared): the feedback stage's deps.
        write_parquet(out / build_files.REVIEWS, done.reviews),
        write_parquet(out / build_files.QUALIFICATION, done.qualification),
        write_parquet(out / build_files.QUALIFICATION_KEY, done.qualification_key),
        write_parquet(out / build_files.QUARANTINE, done.quarantine),
        write_parquet(out / build_files.SPANS, done.spans),
        write_csv(out / build_files.REANNOTATION, done.reannotation),
        write_json(out / build_files.INGEST_JSON, summary),
    ]
    lines = [
        f"{c['file']}: {c['rows_in']} rows in = {c['rows_kept']} kept + {c['rows_quarantined']} quarantined"
        for c in done.sources
    ]
    lines += done.notes  # columns no value of which could be read, with the fix
    return base.StageResult("ingest", ctx.name, outputs, summary, lines)
