"""label_issues: likely label errors ranked, a review queue whose decisions return as adjudications."""

from __future__ import annotations

from typing import Any

import pandas as pd

from labelgate.analysis.encoding import unique_annotations
from labelgate.analysis.label_issues import (
    DECISION_COLUMNS,
    ISSUE_COLUMNS,
    IssueInputs,
    LabelIssues,
    find_issues,
    review_queue,
)
from labelgate.analysis.model_inputs import (
    TRAINED_STATUSES,
    model_fields,
    model_text,
    probability_matrix,
)
from labelgate.config import columns as col
from labelgate.errors import InputError
from labelgate.io.json_io import read_json, write_json
from labelgate.io.writers import read_parquet, write_csv, write_parquet
from labelgate.problems import Problem
from labelgate.project import build_files
from labelgate.project.context import DatasetContext
from labelgate.stages import base


def _empty() -> tuple[pd.DataFrame, pd.DataFrame]:
    table = pd.DataFrame({c: pd.Series(dtype=object) for c in (*ISSUE_COLUMNS, "votes")})
    queue = pd.DataFrame(
        {c: pd.Series(dtype=object) for c in (*ISSUE_COLUMNS, "votes", *DECISION_COLUMNS)}
    ).drop(columns="is_issue")
    return table, queue


def _inputs(ctx: DatasetContext) -> tuple[IssueInputs, pd.Series | None]:
    out = ctx.out
    labels = list(ctx.schema.label_ids)
    final = read_parquet(out / build_files.FINAL_LABELS)
    predictions = read_parquet(out / build_files.PREDICTIONS)
    given = final[final["status"].isin(TRAINED_STATUSES)][[col.ITEM_ID, col.LABEL, "status"]]
    probabilities, has = probability_matrix(predictions, given[col.ITEM_ID].tolist(), labels)
    items = read_parquet(out / build_files.ITEMS)
    fields = [f for f in model_fields(ctx.pipeline.model, ctx.schema) if f in items.columns]
    texts = model_text(items, fields) if fields else None
    inputs = IssueInputs(
        annotations=unique_annotations(read_parquet(out / build_files.ANNOTATIONS)),
        given=given[has].reset_index(drop=True),
        probabilities=probabilities[has],
        label_ids=labels,
        texts=texts,
        gold=read_parquet(out / build_files.GOLD),
    )
    return inputs, texts


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """What the person running the stage sees."""
    if not summary["enabled"]:
        return ["no model in the pipeline: no label issues looked for"]
    rate = summary["label_issue_rate"]
    lines = [
        f"{summary['n_label_issues']} likely label errors in {summary['n_items_checked']} items "
        f"({'n/a' if rate is None else f'{rate:.1%}'}; {summary['ranked_by']}, "
        f"{summary['filter_by']}); {summary['n_queued']} queued for review"
    ]
    if not summary["n_items_checked"]:
        lines.append(
            "WARNING: no settled item has a prediction, so nothing was checked; a gate on "
            "label_issue_rate will say it was not computed"
        )
    gold = summary["gold"]
    if gold.get("auprc_label_quality") is not None:
        lines.append(
            f"on {gold['n_gold_checked']} gold items: {gold['n_wrong_consensus_on_gold']} wrong "
            f"labels, found first by label quality (AUPRC {gold['auprc_label_quality']:.3f}) "
            f"vs vote share ({gold['auprc_vote_share']:.3f})"
        )
    return lines


def compute(ctx: DatasetContext) -> tuple[LabelIssues | None, pd.DataFrame, dict[str, Any]]:
    """(issues, review queue, summary) without writing them."""
    path = ctx.out / build_files.PREDICT_JSON
    if not path.exists():
        raise InputError(
            [
                Problem(
                    f"build/{ctx.name}/{build_files.PREDICT_JSON}",
                    message="not found: the label_issues stage reads what predict wrote.",
                    fix=f"Run `labelgate stage predict --dataset {ctx.name}` first, or "
                    "`labelgate run`.",
                )
            ]
        )
    predicted = read_json(path)
    if not predicted.get("enabled"):
        _, queue = _empty()
        return None, queue, {"enabled": False}
    inputs, texts = _inputs(ctx)
    issues = find_issues(inputs, ctx.pipeline.label_issues)
    version = str(predicted["model_version"])
    queue = review_queue(issues.table, ctx.pipeline.label_issues.review_budget, texts, version)
    summary = {
        **issues.summary,
        "model": predicted["model"],
        "model_version": version,
        "n_queued": len(queue),
        "annotators": issues.annotators.round(6).to_dict("records"),
    }
    return issues, queue, summary


def run(ctx: DatasetContext) -> base.StageResult:
    """Write label_issues.parquet, review_queue.csv and label_issues.json."""
    issues, queue, summary = compute(ctx)
    table = issues.table.assign(model_version=summary["model_version"]) if issues else _empty()[0]
    out = ctx.out
    outputs = [
        write_parquet(out / build_files.LABEL_ISSUES, table),
        write_csv(out / build_files.REVIEW_QUEUE, queue),
        write_json(out / build_files.LABEL_ISSUES_JSON, summary),
    ]
    return base.StageResult("label_issues", ctx.name, outputs, summary, summary_lines(summary))
