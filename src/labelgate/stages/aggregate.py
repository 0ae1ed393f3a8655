"""aggregate: consensus labels, adjudication decisions applied, annotator quality on gold."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from labelgate.aggregation.majority_vote import MajorityVote
from labelgate.config import columns as col
from labelgate.errors import InputError
from labelgate.io.writers import read_parquet, write_csv, write_json, write_parquet
from labelgate.metrics.proportions import wilson_interval
from labelgate.problems import Problem, did_you_mean
from labelgate.project.context import DatasetContext, section_hash
from labelgate.stages import base
from labelgate.stages.encoding import encode, unique_annotations


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
    for item_id, row in decisions.iterrows():
        if item_id not in set(final[col.ITEM_ID]):
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


def guideline_versions(annotations: pd.DataFrame) -> pd.Series:
    """Per item, the sorted distinct guideline versions of its annotations, comma-joined."""
    pairs = annotations[[col.ITEM_ID, "guideline_version"]].drop_duplicates()
    pairs = pairs[pairs["guideline_version"] != ""].sort_values([col.ITEM_ID, "guideline_version"])
    single = ~pairs[col.ITEM_ID].duplicated(keep=False)
    # Most items were labelled under one version: only the rest need a string join.
    joined = pairs[single].set_index(col.ITEM_ID)["guideline_version"]
    several = pairs[~single].groupby(col.ITEM_ID)["guideline_version"].agg(",".join)
    both: pd.Series = pd.concat([joined, several])
    return both


def run(ctx: DatasetContext) -> base.StageResult:
    """Write final_labels.parquet, annotators.csv, adjudication_queue.csv and aggregate.json."""
    out = ctx.out
    annotations = unique_annotations(read_parquet(out / base.ANNOTATIONS))
    gold = read_parquet(out / base.GOLD)
    items_table = read_parquet(out / base.ITEMS)
    stats = gold_accuracy(annotations, gold)
    annotator_ids = pd.Index(sorted(annotations[col.ANNOTATOR_ID].unique()), name=col.ANNOTATOR_ID)
    quality = qualification(ctx, stats, annotator_ids)
    excluded = set(quality.index[quality["excluded"]])
    used = annotations[~annotations[col.ANNOTATOR_ID].isin(excluded)]
    lost_all = set(annotations[col.ITEM_ID]) - set(used[col.ITEM_ID])
    used = pd.concat([used, annotations[annotations[col.ITEM_ID].isin(lost_all)]])
    enc = encode(used, ctx.schema)
    step = ctx.pipeline.aggregate
    model = MajorityVote().fit(enc.items, enc.labels, len(enc.item_ids), len(enc.label_ids))
    confidence = model.probas_[np.arange(len(model.labels_)), model.labels_]
    n = model.n_annotations_
    unanimous = confidence == 1.0
    status = np.where((n >= 2) & unanimous, "agreed", "aggregated").astype(object)
    unresolved = (
        model.ties_ | (confidence < step.min_confidence) | np.isin(enc.item_ids, list(lost_all))
    )
    status[unresolved] = "unresolved"
    versions = guideline_versions(used)
    final = pd.DataFrame(
        {
            col.ITEM_ID: enc.item_ids.astype("str"),
            col.LABEL: np.asarray(enc.label_ids, dtype=object)[model.labels_],
            "confidence": confidence,
            "method": step.method,
            "n_annotations": n,
            "status": status,
            "guideline_versions": versions.reindex(enc.item_ids).fillna("").to_numpy(),
            "schema_version": ctx.schema.version,
            "rules_hash": section_hash(ctx.qa_rules.annotator_qualification),
            "pipeline_hash": section_hash(step),
        }
    )
    final = apply_adjudications(ctx, final, read_parquet(out / base.ADJUDICATIONS))
    # Annotator quality next to consensus.
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
    annotators = quality.reset_index()[
        [
            col.ANNOTATOR_ID,
            "n_annotations",
            "n_gold",
            "gold_accuracy",
            "agreement_with_consensus",
            "median_duration_s",
            "needs_retraining",
            "excluded",
        ]
    ]
    annotators = annotators.astype({"n_gold": "int64"})
    # Final labels against gold.
    on_gold = final.merge(gold.rename(columns={col.LABEL: "gold"}), on=col.ITEM_ID)
    correct = int((on_gold[col.LABEL] == on_gold["gold"]).sum())
    low, high = wilson_interval(correct, len(on_gold))
    bar = ctx.qa_rules.annotator_qualification
    min_items = bar.min_gold_items if bar else 1
    eligible = annotators[annotators["n_gold"] >= min_items]["gold_accuracy"]
    queue = _queue(ctx, final, used, items_table)
    counts = final["status"].value_counts()
    summary: dict[str, Any] = {
        "method": step.method,
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
        write_parquet(out / base.FINAL_LABELS, final),
        write_csv(out / base.ANNOTATORS, annotators),
        write_csv(out / base.ADJUDICATION_QUEUE, queue),
        write_csv(
            out / base.PLOTS / "annotator_gold_accuracy.csv",
            annotators[[col.ANNOTATOR_ID, "gold_accuracy", "n_gold"]],
        ),
        write_json(out / base.AGGREGATE_JSON, summary),
    ]
    lines = [f"{len(final)} items: " + ", ".join(f"{k} {v}" for k, v in summary["status"].items())]
    if summary["gold_accuracy"] is not None:
        lines.append(f"gold accuracy {summary['gold_accuracy']:.3f} on {len(on_gold)} gold items")
    if summary["annotators_needing_retraining"]:
        lines.append("needs retraining: " + ", ".join(summary["annotators_needing_retraining"]))
    return base.StageResult("aggregate", ctx.name, outputs, summary, lines)


def _queue(
    ctx: DatasetContext, final: pd.DataFrame, used: pd.DataFrame, items: pd.DataFrame
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
    queue = todo.rename(columns={col.LABEL: "candidate_label"}).assign(
        annotations=votes.reindex(todo[col.ITEM_ID]).fillna("").to_numpy(),
        rulings=rulings,
    )
    if "text" in items:
        queue = queue.merge(items[[col.ITEM_ID, "text"]], on=col.ITEM_ID, how="left")
    for name in (col.LABEL, "adjudicator_id", "ruling_id", "note"):
        queue[name] = ""
    return queue.reset_index(drop=True)
