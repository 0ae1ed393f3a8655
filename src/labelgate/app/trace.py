"""`labelgate trace`: the full story of one final label, from raw rows to the guideline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from labelgate.analysis.task_consensus import answers_as_text
from labelgate.config import columns as col
from labelgate.errors import InputError
from labelgate.guidelines.lock import text_hash, version_records
from labelgate.io.writers import read_parquet
from labelgate.problems import Problem, did_you_mean
from labelgate.project import build_files, layout
from labelgate.project.context import DatasetContext, dataset_context
from labelgate.project.lineage import LOCK_FILE, Drift, drifted, lock_inputs
from labelgate.project.loader import load_project


def _plain(value: Any) -> Any:
    """A cell as JSON: lists (a label set) as lists, missing as None, timestamps as ISO text."""
    if hasattr(value, "tolist") and not isinstance(value, str):  # NumPy arrays and scalars
        value = value.tolist()
    if isinstance(value, list):
        return value
    if pd.isna(value):
        return None
    return str(value) if isinstance(value, pd.Timestamp) else value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts: missing values None, timestamps as ISO text."""
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _require_outputs(out: Path, dataset: str) -> None:
    for name in (build_files.FINAL_LABELS, build_files.ANNOTATIONS, build_files.AUDIT_RESULTS):
        if not (out / name).is_file():
            raise InputError(
                [
                    Problem(
                        f"{layout.BUILD}/{dataset}/{name}",
                        message="this build output is missing.",
                        fix="Run 'labelgate run' (or 'dvc repro') first.",
                    )
                ]
            )


def _final_row(out: Path, dataset: str, item_id: str) -> dict[str, Any]:
    """The item's row of final_labels.parquet; an unknown id gets "Did you mean"."""
    final = read_parquet(out / build_files.FINAL_LABELS)
    row = final[final[col.ITEM_ID] == item_id]
    if row.empty:
        ids = final[col.ITEM_ID]
        near = ids[ids.str.startswith(item_id[:1])].head(5000)
        raise InputError(
            [
                Problem(
                    f"{layout.BUILD}/{dataset}/{build_files.FINAL_LABELS}",
                    message=f"item '{item_id}' is not in dataset '{dataset}' ({len(final)} items).",
                    fix=did_you_mean(item_id, near.tolist()) if len(near) else "",
                )
            ]
        )
    return {str(k): v for k, v in row.iloc[0].items()}


def _lineage(
    ctx: DatasetContext,
    label: dict[str, Any],
    rows: pd.DataFrame,
    records: dict[str, dict[str, str | None]],
) -> dict[str, Any]:
    versions = sorted(set(rows["guideline_version"]) - {""})
    unknown: dict[str, str | None] = {"sha256": None, "commit": None}
    return {
        "guideline": ctx.files["guideline"],
        "guideline_versions": {v: dict(records.get(v, unknown)) for v in versions},
        "current_guideline_version": ctx.guideline.front.version,
        "schema": ctx.files["schema"],
        "schema_version": label.get("schema_version"),
        "migrations_applied": sorted(set(rows["migrated_from"]) - {""}),
        "rules_hash": label.get("rules_hash"),
        "pipeline_hash": label.get("pipeline_hash"),
        "aggregator": {
            "method": ctx.pipeline.aggregate.method,
            "params": dict(ctx.pipeline.aggregate.params),
        },
    }


# The build outputs trace reads: they must be the ones dvc.lock records.
TRACED_OUTPUTS = (build_files.FINAL_LABELS, build_files.ANNOTATIONS, build_files.AUDIT_RESULTS)


def _kinds(ctx: DatasetContext) -> dict[str, str]:
    """Project-relative path -> what the file is to this dataset."""
    names = {"dataset": "dataset manifest", "qa_rules": "qa rules"}
    kinds = {path: names.get(kind, kind) for kind, path in ctx.files.items()}
    kinds[f"{layout.DATASETS}/{ctx.name}"] = "dataset folder"
    kinds[layout.GUIDELINES_LOCK] = "guideline lock"
    return kinds


def _warning(ctx: DatasetContext, drift: Drift) -> dict[str, Any]:
    kind = _kinds(ctx).get(drift.path, "file")
    if drift.output:
        message = (
            f"{drift.path} differs from the {drift.stages[0]} output {LOCK_FILE} records "
            f"(md5 {drift.recorded[:12]}…), so the build and {LOCK_FILE} come from different "
            "runs: run labelgate run"
        )
    else:
        now = "no longer has it" if drift.current is None else "differs"
        message = (
            f"built with {kind} {drift.path} at md5 {drift.recorded[:12]}…, the working tree "
            f"{now}: run labelgate run"
        )
    return {
        "path": drift.path,
        "kind": "build output" if drift.output else kind,
        "recorded_md5": drift.recorded,
        "current_md5": drift.current,
        "stages": list(drift.stages),
        "message": message,
    }


def build_warnings(ctx: DatasetContext) -> list[dict[str, Any]]:
    """Where the build is older than the working tree (or than dvc.lock): each project input
    whose md5 differs from what dvc.lock recorded for the dataset's stages, and each traced
    output that is not the one dvc.lock records."""
    outputs = [f"{layout.BUILD}/{ctx.name}/{name}" for name in TRACED_OUTPUTS]
    if not (ctx.root / LOCK_FILE).is_file():
        return [
            {
                "path": LOCK_FILE,
                "kind": "lock",
                "recorded_md5": None,
                "current_md5": None,
                "stages": [],
                "message": f"{LOCK_FILE} is missing: the build's inputs cannot be checked "
                "against the working tree: run labelgate run",
            }
        ]
    seen, out = set(), []
    for drift in drifted(ctx.root, ctx.name, outputs):
        if drift.path not in seen:  # one warning per file, from its first stage
            seen.add(drift.path)
            out.append(_warning(ctx, drift))
    return out


def _model_check(out: Path, item_id: str) -> dict[str, Any] | None:
    """What the label_issues stage said of the item, with the model that scored it; None when
    the pipeline has no model (or the stage has not run)."""
    path = out / build_files.LABEL_ISSUES
    if not path.exists():
        return None
    issues = read_parquet(path)
    row = issues[issues[col.ITEM_ID] == item_id]
    if row.empty:
        return None
    record = _records(row.drop(columns=[col.ITEM_ID]))[0]
    return {k: record.get(k) for k in ("model_version", *col.LABEL_ISSUE_COLUMNS[1:])}


def trace_item(root: Path, dataset: str, item_id: str) -> dict[str, Any]:
    """Everything that produced the final label of `item_id` in `dataset`."""
    project = load_project(root)
    ctx = dataset_context(root, dataset, project)
    out = ctx.out
    _require_outputs(out, dataset)
    label = _final_row(out, dataset, item_id)
    annotations = read_parquet(out / build_files.ANNOTATIONS)
    rows = annotations[annotations[col.ITEM_ID] == item_id]
    if ctx.schema.task == "spans":  # each annotator's spans of the item, as its label
        spans = read_parquet(out / build_files.SPANS)
        rows = answers_as_text(rows, spans[spans[col.ITEM_ID] == item_id])
    records = version_records(project, ctx.dataset.guideline, ctx.files["guideline"])
    raw = []
    for record in _records(rows.drop(columns=[col.ITEM_ID])):
        version = record.get("guideline_version") or ""
        record["guideline_commit"] = records.get(version, {}).get("commit")
        raw.append(record)
    audit = read_parquet(out / build_files.AUDIT_RESULTS)
    rulings = [
        {"id": r.id, "title": r.title, "labels": list(r.labels)}
        for r in ctx.guideline.rulings
        if label[col.LABEL] in r.labels
    ]
    # The rulings come from the guideline as the working tree has it, whatever the version
    # the annotations were made under: say which, and whether it is the released text.
    version, sha = ctx.guideline.front.version, text_hash(ctx.guideline.text)
    rulings_from = {
        "guideline": ctx.files["guideline"],
        "version": version,
        "source": "working tree",
        "sha256": sha,
        "released": records.get(version, {}).get("sha256") == sha,
    }
    adjudication = (
        {k: label.get(k, "") for k in ("adjudicator_id", "ruling_id", "note")}
        if label.get("status") == "adjudicated"
        else None
    )
    return {
        "dataset": dataset,
        "item_id": item_id,
        "final": {
            k: label.get(k)
            for k in (
                "label",
                "confidence",
                "raw_confidence",
                "status",
                "method",
                "n_annotations",
                "posterior",
            )
        },
        "lineage": _lineage(ctx, label, rows, records),
        "annotations": raw,
        "adjudication": adjudication,
        "audit": _records(audit[audit[col.ITEM_ID] == item_id]),
        "model_check": _model_check(out, item_id),
        "rulings": rulings,
        "rulings_from": rulings_from,
        "inputs": lock_inputs(root, dataset),
        "warnings": build_warnings(ctx),
    }
