"""Final labels: fit the aggregator, apply adjudications, add lineage, queue what is unresolved."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from labelgate.aggregation.base import Aggregator
from labelgate.aggregation.catalog import make
from labelgate.aggregation.status import final_status
from labelgate.analysis.annotator_quality import annotator_table, gold_accuracy, qualification
from labelgate.config import columns as col
from labelgate.config.guideline import Ruling
from labelgate.config.pipeline import AggregateStep
from labelgate.config.qa_rules import AnnotatorQualification
from labelgate.errors import InputError
from labelgate.metrics.proportions import wilson_interval
from labelgate.problems import Problem, did_you_mean


@dataclass(frozen=True)
class ConsensusInputs:
    """The canonical tables aggregation reads; `annotations` holds one vote per item and annotator."""

    annotations: pd.DataFrame
    gold: pd.DataFrame
    items: pd.DataFrame
    quarantine: pd.DataFrame
    adjudications: pd.DataFrame
    audit_results: pd.DataFrame


@dataclass(frozen=True)
class ConsensusSettings:
    """What the dataset's schema, guideline, rules and pipeline say about aggregation."""

    step: AggregateStep
    label_ids: list[str]
    schema_version: str
    qualification: AnnotatorQualification | None
    rulings: tuple[Ruling, ...]
    guideline: str  # its name, for messages
    guideline_releases: dict[str, str | None]  # version -> content SHA-256 (None: unrecorded)
    rules_hash: str  # lineage of the qualification section
    pipeline_hash: str  # lineage of the aggregate section
    adjudications_file: str  # where decisions come from, for messages
    pipeline_file: str  # where the method is configured, for messages


@dataclass(frozen=True)
class Consensus:
    """Everything the aggregate stage writes."""

    final_labels: pd.DataFrame
    annotators: pd.DataFrame
    queue: pd.DataFrame
    summary: dict[str, Any]
    confusions: dict[str, Any]


def refuse_bad_decisions(quarantine: pd.DataFrame) -> None:
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


def _decision_problems(
    decisions: pd.DataFrame, present: set[str], settings: ConsensusSettings
) -> list[Problem]:
    rulings = {r.id for r in settings.rulings}
    where = settings.adjudications_file
    problems = []
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
                    message=f"adjudication of item '{item_id}' cites ruling '{row['ruling_id']}', which guideline '{settings.guideline}' does not define.",
                    fix=did_you_mean(row["ruling_id"], rulings),
                )
            )
    return problems


def apply_adjudications(
    final: pd.DataFrame, decisions: pd.DataFrame, settings: ConsensusSettings
) -> pd.DataFrame:
    """Set adjudicated labels; refuse decisions for unknown items or rulings (exit 3)."""
    final = final.assign(adjudicator_id="", ruling_id="", note="")
    if decisions.empty:
        return final
    decisions = decisions.drop_duplicates(col.ITEM_ID, keep="last").set_index(col.ITEM_ID)
    problems = _decision_problems(decisions, set(final[col.ITEM_ID]), settings)
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


def posterior_text(probas: pd.DataFrame) -> list[str]:
    """Per item, the model's posterior as 'label=p; ...' (labels with p >= 0.0005, 3 places)."""
    values = probas.to_numpy().round(3)
    names = list(probas.columns)
    return [
        "; ".join(f"{names[k]}={row[k]:.3f}" for k in np.flatnonzero(row >= 0.0005))
        for row in values
    ]


def confusions(model: Aggregator, labels: list[str]) -> dict[str, Any]:
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


def adjudication_queue(
    final: pd.DataFrame,
    used: pd.DataFrame,
    items: pd.DataFrame,
    probas: pd.DataFrame,
    rulings: tuple[Ruling, ...],
) -> pd.DataFrame:
    """Unresolved items with every annotation and the rulings that apply, for adjudicators."""
    todo = final[final["status"] == "unresolved"][[col.ITEM_ID, col.LABEL, "confidence"]]
    rows = used[used[col.ITEM_ID].isin(set(todo[col.ITEM_ID]))]
    votes = (
        (rows[col.ANNOTATOR_ID] + "=" + rows[col.LABEL]).groupby(rows[col.ITEM_ID]).agg("; ".join)
    )
    labels = rows.groupby(col.ITEM_ID)[col.LABEL].unique()
    applying = []
    for item_id in todo[col.ITEM_ID]:
        seen = set(labels.get(item_id, []))
        applying.append(", ".join(r.id for r in rulings if seen & set(r.labels)))
    posterior = probas.reindex(todo[col.ITEM_ID]).round(3)
    queue = todo.rename(columns={col.LABEL: "candidate_label"}).assign(
        annotations=votes.reindex(todo[col.ITEM_ID]).fillna("").to_numpy(),
        posterior=[
            "; ".join(f"{k}={v:.3f}" for k, v in row.items() if v > 0)
            for _, row in posterior.iterrows()
        ],
        rulings=applying,
    )
    if "text" in items:
        queue = queue.merge(items[[col.ITEM_ID, "text"]], on=col.ITEM_ID, how="left")
    for name in (col.LABEL, "adjudicator_id", "ruling_id", "note"):
        queue[name] = ""
    return queue.reset_index(drop=True)


@dataclass(frozen=True)
class _Fit:
    model: Aggregator
    used: pd.DataFrame  # the annotations the model saw
    excluded: set[str]
    lost_all: set[str]  # items whose every annotator was excluded: kept, forced unresolved


def _fit(inputs: ConsensusInputs, quality: pd.DataFrame, settings: ConsensusSettings) -> _Fit:
    """Fit the method on every annotation but those of excluded annotators."""
    annotations, gold = inputs.annotations, inputs.gold
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
    step = settings.step
    model = make(step.method, settings.label_ids, dict(step.params), settings.pipeline_file)
    model.fit(used, gold.set_index(col.ITEM_ID)[col.LABEL] if len(gold) else None)
    return _Fit(model, used, excluded, lost_all)


def aggregator_params(model: Aggregator) -> dict[str, Any]:
    """The fitted model's settings; initial_errors is an input array, not a setting."""
    return {k: v for k, v in model.get_params().items() if k != "initial_errors"}


def _final_table(fit: _Fit, audit: pd.DataFrame, settings: ConsensusSettings) -> pd.DataFrame:
    """One row per item: label, confidence, status and every lineage column."""
    model, used, step = fit.model, fit.used, settings.step
    forced = model.labels_.index.isin(sorted(fit.lost_all)) if fit.lost_all else None
    confidence, n, status = final_status(model, step.min_confidence, forced)

    def per_item(values: pd.Series) -> pd.Series:
        # Items without a value (no version, no migration, not audited) get "".
        return values.reindex(model.labels_.index).fillna("").astype("str")

    versions = per_item(distinct_joined(used, "guideline_version"))
    verdicts = audit.drop_duplicates(col.ITEM_ID, keep="last").set_index(col.ITEM_ID)
    return pd.DataFrame(
        {
            col.ITEM_ID: model.labels_.index.astype("str"),
            col.LABEL: model.labels_.to_numpy().astype("str"),
            "confidence": confidence,
            "method": step.method,
            "n_annotations": n,
            "status": status,
            "guideline_versions": versions.to_numpy(),
            "guideline_hashes": version_hashes(versions, settings.guideline_releases).to_numpy(),
            "schema_version": settings.schema_version,
            "migrations": per_item(distinct_joined(used, "migrated_from", "; ")).to_numpy(),
            "rules_hash": settings.rules_hash,
            "pipeline_hash": settings.pipeline_hash,
            "aggregator_params": json.dumps(aggregator_params(model), sort_keys=True, default=str),
            "posterior": posterior_text(model.probas_),
            "audit_verdict": per_item(verdicts["verdict"]).to_numpy(),
        }
    )


def _summary(
    fit: _Fit,
    final: pd.DataFrame,
    annotators: pd.DataFrame,
    gold: pd.DataFrame,
    settings: ConsensusSettings,
) -> dict[str, Any]:
    """aggregate.json: method, convergence, statuses, gold accuracy with its interval."""
    on_gold = final.merge(gold.rename(columns={col.LABEL: "gold"}), on=col.ITEM_ID)
    correct = int((on_gold[col.LABEL] == on_gold["gold"]).sum())
    low, high = wilson_interval(correct, len(on_gold))
    bar = settings.qualification
    min_items = bar.min_gold_items if bar else 1
    eligible = annotators[annotators["n_gold"] >= min_items]["gold_accuracy"]
    counts = final["status"].value_counts()
    model = fit.model
    return {
        "method": settings.step.method,
        "params": aggregator_params(model),
        "converged": bool(getattr(model, "converged_", True)),
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
        "annotators_excluded": sorted(fit.excluded),
        "label_distribution": final[col.LABEL]
        .value_counts()
        .reindex(settings.label_ids, fill_value=0)
        .to_dict(),
    }


def aggregate(inputs: ConsensusInputs, settings: ConsensusSettings) -> Consensus:
    """Final labels, per-annotator quality, the adjudication queue and the summary."""
    refuse_bad_decisions(inputs.quarantine)
    annotations = inputs.annotations
    annotator_ids = pd.Index(sorted(annotations[col.ANNOTATOR_ID].unique()), name=col.ANNOTATOR_ID)
    quality = qualification(
        settings.qualification, gold_accuracy(annotations, inputs.gold), annotator_ids
    )
    fit = _fit(inputs, quality, settings)
    final = _final_table(fit, inputs.audit_results, settings)
    final = apply_adjudications(final, inputs.adjudications, settings)
    annotators = annotator_table(quality, annotations, final, inputs.audit_results)
    return Consensus(
        final_labels=final,
        annotators=annotators,
        queue=adjudication_queue(
            final, fit.used, inputs.items, fit.model.probas_, settings.rulings
        ),
        summary=_summary(fit, final, annotators, inputs.gold, settings),
        confusions=confusions(fit.model, settings.label_ids),
    )
