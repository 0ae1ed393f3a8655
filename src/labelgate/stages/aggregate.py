"""aggregate: consensus labels, adjudication decisions applied, annotator quality on gold."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from labelgate.aggregation.catalog import make
from labelgate.aggregation.status import final_status
from labelgate.analysis.encoding import unique_annotations
from labelgate.config import columns as col
from labelgate.errors import InputError
from labelgate.io.writers import read_parquet, write_csv, write_json, write_parquet
from labelgate.metrics.proportions import wilson_interval
from labelgate.problems import Problem, did_you_mean
from labelgate.project import build_files
from labelgate.project.context import DatasetContext, section_hash
from labelgate.stages import base


def gold_accuracy(annotations: pd.DataFrame, gold: pd.DataFrame) -> pd.DataFrame:
    """Per annotator: n_gold and gold_accuracy on the gold items they labelled."""
    joined = annotations.merge(
        gold[[col.ITEM_ID, col.LABEL]].rename(columns={col.LABEL: "gold"}), on=col.ITEM_ID
    )
    joined["correct"] = joined[col.LABEL] == joined["gold"]
    stats = joined.groupby(col.ANNOTATOR_ID)["correct"].agg(n_gold="size", gold_correct="sum")
    stats["gold_accuracy"] = stats["gold_correct"] / stats["n_gold"]
    return pd.DataFrame(stats)


def qualification(ctx: DatasetContext, stats: pd.DataFrame, annotators: pd.Index) -> pd.DataFrame:
    """needs_retraining / excluded per annotator from the qa rules' qualification bar."""
    table = pd.DataFrame(index=annotators).join(stats).fillna({"n_gold": 0, "gold_correct": 0})
    bar = ctx.qa_rules.annotator_qualification
    if bar is None:
        table["needs_retraining"] = False
    else:
        table["needs_retraining"] = (table["n_gold"] >= bar.min_gold_items) & (
            table["gold_accuracy"] < bar.min_gold_accuracy
        )
    table["excluded"] = table["needs_retraining"] & bool(bar and bar.exclude_below)
    return table


def apply_adjudications(
    ctx: DatasetContext, final: pd.DataFrame, decisions: pd.DataFrame
) -> pd.DataFrame:
    """Set adjudicated labels; refuse decisions for unknown items or rulings (exit 3)."""
    final = final.assign(adjudicator_id="", ruling_id="", note="")
    if decisions.empty:
        return final
    decisions = decisions.drop_duplicates(col.ITEM_ID, keep="last").set_index(col.ITEM_ID)
    rulings = {r.id for r in ctx.guideline.rulings}
    problems = []
    source = ctx.dataset.sources.adjudications
    where = f"datasets/{ctx.name}/{source.path}" if source else ctx.files["dataset"]
    present = set(final[col.ITEM_ID])
    for item_id, row in decisions.iterrows():
        if item_id not in present:
            problems.append(
                Problem(
                    where,
                    message=f"adjudication for item '{item_id}', which has no annotations.",
                    fix="Fix the item_id or remove the row.",
                )
            )
        if row["ruling_id"] and row["ruling_id"] not in rulings:
            problems.append(
                Problem(
                    where,
                    message=f"adjudication of item '{item_id}' cites ruling '{row['ruling_id']}', which guideline '{ctx.dataset.guideline}' does not define.",
                    fix=did_you_mean(row["ruling_id"], rulings),
                )
            )
    if problems:
        raise InputError(problems)
    hit = final[col.ITEM_ID].isin(decisions.index)
    ids = final.loc[hit, col.ITEM_ID]
    final.loc[hit, col.LABEL] = decisions.loc[ids, col.LABEL].to_numpy()
    final.loc[hit, "confidence"] = 1.0
    final.loc[hit, "status"] = "adjudicated"
    for name in ("adjudicator_id", "ruling_id", "note"):
        final.loc[hit, name] = decisions.loc[ids, name].to_numpy()
    return final


def distinct_joined(annotations: pd.DataFrame, column: str, sep: str = ",") -> pd.Series:
    """Per item, the sorted distinct non-empty values of `column`, joined by `sep`."""
    pairs = annotations[[col.ITEM_ID, column]].drop_duplicates()
    pairs = pairs[pairs[column] != ""].sort_values([col.ITEM_ID, column])
    single = ~pairs[col.ITEM_ID].duplicated(keep=False)
    # Most items have one value: only the rest need a string join.
    joined = pairs[single].set_index(col.ITEM_ID)[column]
    several = pairs[~single].groupby(col.ITEM_ID)[column].agg(sep.join)
    both: pd.Series = pd.concat([joined, several])
    return both


def version_hashes(versions: pd.Series, releases: dict[str, str | None]) -> pd.Series:
    """Per item, the content hash (16 hex) of each of its guideline versions, comma-joined.

    'unrecorded' marks a version guidelines.lock lists without content, '' one it lacks.
    """

    def hashes(joined: str) -> str:
        parts = []
        for version in joined.split(",") if joined else []:
            sha = releases.get(version, "")
            parts.append(sha[:16] if sha else ("unrecorded" if version in releases else ""))
        return ",".join(parts)

    distinct = {v: hashes(v) for v in versions.unique()}
    return versions.map(distinct).astype("str")


def _refuse_bad_decisions(ctx: DatasetContext, quarantine: pd.DataFrame) -> None:
    """An adjudication whose label is not in the schema is refused, not silently dropped."""
    bad = quarantine[
        (quarantine["table"] == "adjudications") & (quarantine["reason"] == "unknown_label")
    ]
    if len(bad):
        raise InputError(
            [
                Problem(
                    str(source),
                    int(line),
                    1,
                    "label",
                    f"adjudication refused: {detail}.",
                    "Use a label of the schema.",
                )
                for source, line, detail in zip(
                    bad["source"], bad["row"].astype(int), bad["detail"], strict=True
                )
            ]
        )


def audit_rejections(
    annotations: pd.DataFrame, final: pd.DataFrame, audit: pd.DataFrame
) -> pd.Series:
    """Per annotator, the share of their audited annotations that the audit shows wrong."""
    judged = audit[audit["verdict"].isin(["correct", "incorrect"])].drop_duplicates(
        col.ITEM_ID, keep="last"
    )
    if judged.empty:
        return pd.Series(dtype="float64")
    truth = judged.merge(
        final[[col.ITEM_ID, col.LABEL]].rename(columns={col.LABEL: "final"}), on=col.ITEM_ID
    )
    truth["correct_label"] = np.where(
        truth["verdict"] == "correct", truth["final"], truth[col.LABEL]
    )
    truth = truth[truth["correct_label"] != ""]
    rows = annotations.merge(truth[[col.ITEM_ID, "correct_label"]], on=col.ITEM_ID)
    wrong = rows[col.LABEL] != rows["correct_label"]
    return wrong.groupby(rows[col.ANNOTATOR_ID]).mean()


def run(ctx: DatasetContext) -> base.StageResult:
    """Write final_labels.parquet, annotators.csv, adjudication_queue.csv and aggregate.json."""
    out = ctx.out
    annotations = unique_annotations(read_parquet(out / build_files.ANNOTATIONS))
    gold = read_parquet(out / build_files.GOLD)
    items_table = read_parquet(out / build_files.ITEMS)
    _refuse_bad_decisions(ctx, read_parquet(out / build_files.QUARANTINE))
    stats = gold_accuracy(annotations, gold)
    annotator_ids = pd.Index(sorted(annotations[col.ANNOTATOR_ID].unique()), name=col.ANNOTATOR_ID)
    quality = qualification(ctx, stats, annotator_ids)
    excluded = set(quality.index[quality["excluded"]])
    used = annotations[~annotations[col.ANNOTATOR_ID].isin(excluded)]
    # Items whose every annotator was excluded (only computed when someone was).
    lost_all = (
        set(pd.Index(annotations[col.ITEM_ID].unique()).difference(used[col.ITEM_ID].unique()))
        if excluded
        else set()
    )
    if lost_all:
        used = pd.concat([used, annotations[annotations[col.ITEM_ID].isin(sorted(lost_all))]])
    step = ctx.pipeline.aggregate
    model = make(step.method, list(ctx.schema.label_ids), dict(step.params), ctx.files["pipeline"])
    model.fit(used, gold.set_index(col.ITEM_ID)[col.LABEL] if len(gold) else None)
    label_names = model.labels_.to_numpy()
    forced = model.labels_.index.isin(sorted(lost_all)) if lost_all else None
    confidence, n, status = final_status(model, step.min_confidence, forced)

    def per_item(values: pd.Series) -> pd.Series:
        # Items without a value (no version, no migration, not audited) get "".
        return values.reindex(model.labels_.index).fillna("").astype("str")

    versions = per_item(distinct_joined(used, "guideline_version"))
    # initial_errors is an input array, not a setting: left out of lineage and the summary.
    params = {k: v for k, v in model.get_params().items() if k != "initial_errors"}
    audit_table = read_parquet(out / build_files.AUDIT_RESULTS)
    verdicts = audit_table.drop_duplicates(col.ITEM_ID, keep="last").set_index(col.ITEM_ID)
    final = pd.DataFrame(
        {
            col.ITEM_ID: model.labels_.index.astype("str"),
            col.LABEL: label_names.astype("str"),
            "confidence": confidence,
            "method": step.method,
            "n_annotations": n,
            "status": status,
            "guideline_versions": versions.to_numpy(),
            "guideline_hashes": version_hashes(versions, ctx.guideline_releases).to_numpy(),
            "schema_version": ctx.schema.version,
            "migrations": per_item(distinct_joined(used, "migrated_from", "; ")).to_numpy(),
            "rules_hash": section_hash(ctx.qa_rules.annotator_qualification),
            "pipeline_hash": section_hash(step),
            "aggregator_params": json.dumps(params, sort_keys=True, default=str),
            "posterior": _posterior_text(model.probas_),
            "audit_verdict": per_item(verdicts["verdict"]).to_numpy(),
        }
    )
    final = apply_adjudications(ctx, final, read_parquet(out / build_files.ADJUDICATIONS))
    merged = annotations.merge(
        final[[col.ITEM_ID, col.LABEL, "n_annotations"]].rename(columns={col.LABEL: "final"}),
        on=col.ITEM_ID,
    )
    shared = merged[merged["n_annotations"] >= 2]
    quality["n_annotations"] = (
        annotations.groupby(col.ANNOTATOR_ID).size().reindex(quality.index).fillna(0).astype(int)
    )
    quality["agreement_with_consensus"] = (
        (shared[col.LABEL] == shared["final"])
        .groupby(shared[col.ANNOTATOR_ID])
        .mean()
        .reindex(quality.index)
    )
    quality["median_duration_s"] = (
        annotations.groupby(col.ANNOTATOR_ID)["duration_s"].median().reindex(quality.index)
    )
    quality["audit_rejected_share"] = audit_rejections(annotations, final, audit_table).reindex(
        quality.index
    )
    annotators = quality.reset_index()[
        [
            col.ANNOTATOR_ID,
            "n_annotations",
            "n_gold",
            "gold_accuracy",
            "agreement_with_consensus",
            "median_duration_s",
            "audit_rejected_share",
            "needs_retraining",
            "excluded",
        ]
    ]
    annotators = annotators.astype({"n_gold": "int64"})
    on_gold = final.merge(gold.rename(columns={col.LABEL: "gold"}), on=col.ITEM_ID)
    correct = int((on_gold[col.LABEL] == on_gold["gold"]).sum())
    low, high = wilson_interval(correct, len(on_gold))
    bar = ctx.qa_rules.annotator_qualification
    min_items = bar.min_gold_items if bar else 1
    eligible = annotators[annotators["n_gold"] >= min_items]["gold_accuracy"]
    queue = _queue(ctx, final, used, items_table, model.probas_)
    counts = final["status"].value_counts()
    converged = getattr(model, "converged_", True)
    summary: dict[str, Any] = {
        "method": step.method,
        "params": params,
        "converged": bool(converged),
        "loss_history": list(getattr(model, "loss_history_", [])),
        "n_items": len(final),
        "status": {s: int(counts.get(s, 0)) for s in col.STATUSES},
        "unresolved_rate": float(counts.get("unresolved", 0)) / len(final),
        "gold_accuracy": correct / len(on_gold) if len(on_gold) else None,
        "gold_accuracy_interval": [low, high] if len(on_gold) else None,
        "n_gold_items": len(on_gold),
        "annotator_gold_accuracy_min": float(eligible.min()) if len(eligible) else None,
        "annotators_needing_retraining": sorted(
            annotators.loc[annotators["needs_retraining"], col.ANNOTATOR_ID]
        ),
        "annotators_excluded": sorted(excluded),
        "label_distribution": final[col.LABEL]
        .value_counts()
        .reindex(ctx.schema.label_ids, fill_value=0)
        .to_dict(),
    }
    outputs = [
        write_parquet(out / build_files.FINAL_LABELS, final),
        write_csv(out / build_files.ANNOTATORS, annotators),
        write_csv(out / build_files.ADJUDICATION_QUEUE, queue),
        write_csv(
            out / build_files.PLOTS / "annotator_gold_accuracy.csv",
            annotators[[col.ANNOTATOR_ID, "gold_accuracy", "n_gold"]],
        ),
        write_json(out / build_files.AGGREGATE_JSON, summary),
        write_json(out / "annotator_confusion.json", _confusions(model, ctx.schema.label_ids)),
    ]
    lines = [
        f"{len(final)} items by {step.method}: "
        + ", ".join(f"{k} {v}" for k, v in summary["status"].items())
    ]
    if not converged:
        lines.append(
            f"WARNING: {step.method} did not converge in {len(summary['loss_history'])} iterations (loss {summary['loss_history'][-3:]}); raise max_iter or loosen tol."
        )
    if summary["gold_accuracy"] is not None:
        lines.append(f"gold accuracy {summary['gold_accuracy']:.3f} on {len(on_gold)} gold items")
    if summary["annotators_needing_retraining"]:
        lines.append("needs retraining: " + ", ".join(summary["annotators_needing_retraining"]))
    return base.StageResult("aggregate", ctx.name, outputs, summary, lines)


def _posterior_text(probas: pd.DataFrame) -> list[str]:
    """Per item, the model's posterior as 'label=p; ...' (labels with p >= 0.0005, 3 places)."""
    values = probas.to_numpy().round(3)
    names = list(probas.columns)
    return [
        "; ".join(f"{names[k]}={row[k]:.3f}" for k in np.flatnonzero(row >= 0.0005))
        for row in values
    ]


def _confusions(model: Any, labels: list[str]) -> dict[str, Any]:
    """Per annotator, P(given label | true label) from Dawid-Skene; empty for other methods."""
    errors = getattr(model, "errors_", None)
    if errors is None:
        return {}
    names = model.codes_.annotator_ids
    return {
        str(names[a]): {
            labels[t]: dict(zip(labels, errors[a, t].round(6).tolist(), strict=True))
            for t in range(len(labels))
        }
        for a in range(len(names))
    }


def _queue(
    ctx: DatasetContext,
    final: pd.DataFrame,
    used: pd.DataFrame,
    items: pd.DataFrame,
    probas: pd.DataFrame,
) -> pd.DataFrame:
    """Unresolved items with every annotation and the rulings that apply, for adjudicators."""
    todo = final[final["status"] == "unresolved"][[col.ITEM_ID, col.LABEL, "confidence"]]
    rows = used[used[col.ITEM_ID].isin(set(todo[col.ITEM_ID]))]
    votes = (
        (rows[col.ANNOTATOR_ID] + "=" + rows[col.LABEL]).groupby(rows[col.ITEM_ID]).agg("; ".join)
    )
    labels = rows.groupby(col.ITEM_ID)[col.LABEL].unique()
    rulings = []
    for item_id in todo[col.ITEM_ID]:
        seen = set(labels.get(item_id, []))
        rulings.append(", ".join(r.id for r in ctx.guideline.rulings if seen & set(r.labels)))
    posterior = probas.reindex(todo[col.ITEM_ID]).round(3)
    queue = todo.rename(columns={col.LABEL: "candidate_label"}).assign(
        annotations=votes.reindex(todo[col.ITEM_ID]).fillna("").to_numpy(),
        posterior=[
            "; ".join(f"{k}={v:.3f}" for k, v in row.items() if v > 0)
            for _, row in posterior.iterrows()
        ],
        rulings=rulings,
    )
    if "text" in items:
        queue = queue.merge(items[[col.ITEM_ID, "text"]], on=col.ITEM_ID, how="left")
    for name in (col.LABEL, "adjudicator_id", "ruling_id", "note"):
        queue[name] = ""
    return queue.reset_index(drop=True)
