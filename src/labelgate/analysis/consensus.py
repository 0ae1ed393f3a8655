"""Final labels: fit the aggregator, apply adjudications, add lineage, queue what is unresolved."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.extensions import ExtensionArray

from labelgate.aggregation.base import Aggregator, Codes
from labelgate.aggregation.catalog import make
from labelgate.aggregation.status import final_status
from labelgate.analysis.annotator_quality import (
    annotator_table,
    gold_accuracy,
    item_positions,
    qualification,
)
from labelgate.analysis.calibration import (
    VOTE_SHARE_METHODS,
    Calibration,
    Requested,
    calibrate,
)
from labelgate.analysis.encoding import positions
from labelgate.analysis.routing import Routing, realised_error, route
from labelgate.analysis.task_consensus import MultiLabelModel, SpanModel
from labelgate.backends.executor import Executor
from labelgate.config import columns as col
from labelgate.config.guideline import Ruling
from labelgate.config.pipeline import AggregateStep
from labelgate.config.qa_rules import AnnotatorQualification
from labelgate.errors import InputError
from labelgate.metrics.counts import IntArray
from labelgate.metrics.proportions import wilson_interval
from labelgate.problems import Problem, did_you_mean

# The lineage columns an adjudication fills in; '' until one does.
_DECISION_COLUMNS = ("adjudicator_id", "ruling_id", "note")
# Rows per shared block of a repeated text column (about 5 MB for a 70-character value).
_BLOCK_ROWS = 1 << 16


@dataclass(frozen=True)
class ConsensusInputs:
    """The canonical tables aggregation reads; `annotations` holds one vote per item and annotator."""

    annotations: pd.DataFrame
    gold: pd.DataFrame
    items: pd.DataFrame
    quarantine: pd.DataFrame
    adjudications: pd.DataFrame
    audit_results: pd.DataFrame
    spans: pd.DataFrame | None = None  # task: spans (annotations' labels are spans as JSON)


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
    task: str = "single_label"  # the schema's task (analysis/task_consensus.py for the others)


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
    final = final.assign(**{name: repeated("", len(final)) for name in _DECISION_COLUMNS})
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
    for name in _DECISION_COLUMNS:
        final.loc[hit, name] = decisions.loc[ids, name].to_numpy()
    return final


def _join_pairs(
    pairs: np.ndarray, width: int, names: pd.Index, sep: str
) -> tuple[np.ndarray, np.ndarray]:
    """(item code, joined text) per item of sorted (item * width + value) pairs."""
    item_of, value_of = pairs // width, pairs % width
    text = np.asarray(names, dtype=object)[value_of]
    starts = np.flatnonzero(np.r_[True, item_of[1:] != item_of[:-1]]) if len(pairs) else pairs
    counts = np.diff(np.r_[starts, len(pairs)])
    joined = text[starts].copy()
    for where in np.flatnonzero(counts > 1):  # pairs are sorted by item, then value
        joined[where] = sep.join(text[starts[where] : starts[where] + counts[where]])
    return item_of[starts], joined


def _value_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes of the non-empty values in sorted order, and those values (-1: empty or missing)."""
    codes, names = pd.factorize(values, sort=True)
    empty = np.asarray(names == "", dtype=bool)
    if not empty.any():
        return codes, pd.Index(names)
    renumbered = np.append(np.where(empty, -1, np.cumsum(~empty) - 1), -1)
    return renumbered[codes], pd.Index(names[~empty])


def _sorted_distinct(keys: IntArray) -> IntArray:
    """The distinct keys in order: NumPy's sort of int64 is several times faster than
    hashing them (pd.unique), or np.unique, which hashes first in NumPy 2.4."""
    ordered = np.sort(keys)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def distinct_joined(
    annotations: pd.DataFrame,
    column: str,
    sep: str = ",",
    items: pd.Index | None = None,
    rows: np.ndarray | None = None,
) -> pd.Series:
    """Per item, the sorted distinct non-empty values of `column`, joined by `sep`; with
    `items`, one value per entry of `items` ('' for an item without one). `rows`, with
    `items`: the position in `items` of each annotation's item (saves hashing the ids).

    On codes: the values are few (versions, migrations), so each (item, value) pair is one
    integer; only items with several values need a string join."""
    if rows is None or items is None:
        every, item_ids = pd.factorize(annotations[col.ITEM_ID], sort=True)
    else:
        every, item_ids = rows, items
    codes, names = _value_codes(annotations[column])
    keep = (codes >= 0) & (every >= 0)
    width = max(len(names), 1)
    pairs = _sorted_distinct(every[keep].astype(np.int64) * width + codes[keep])
    del codes, keep
    item_codes, joined = _join_pairs(pairs, width, names, sep)
    if items is not None and (item_ids is items or items.equals(pd.Index(item_ids))):
        # The caller's items are these ids in the same (sorted) order: place by code.
        placed = np.full(len(items), "", dtype=object)
        placed[item_codes] = joined
        return pd.Series(placed, index=items, name=column, dtype="str")
    index = pd.Index(np.asarray(item_ids, dtype=object)[item_codes], name=col.ITEM_ID)
    found = pd.Series(joined, index=index, name=column, dtype="str")
    return found if items is None else found.reindex(items).fillna("").astype("str")


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

    codes, distinct = pd.factorize(versions)  # few distinct: one lookup each, then placed
    text = pd.array([hashes(str(v)) for v in distinct], dtype="str")
    return pd.Series(
        text.take(codes, allow_fill=True), index=versions.index, name=versions.name, dtype="str"
    )


# "0.000" ... "1.000": a posterior rounded to 3 places, by its thousandths.
_THOUSANDTHS = np.array([f"{k / 1000:.3f}" for k in range(1001)], dtype=object)


def _distinct_rows(values: IntArray) -> tuple[IntArray, IntArray]:
    """(code of each row, one row index per code) of an (N, K) array of ints in 0..1000."""
    codes = np.zeros(len(values), dtype=np.int64)
    for k in range(values.shape[1]):  # codes stay below N: no overflow however many labels
        codes = pd.factorize(codes * 1001 + values[:, k])[0].astype(np.int64, copy=False)
    first = np.zeros(int(codes.max(initial=-1)) + 1, dtype=np.int64)
    first[codes] = np.arange(len(codes))  # any row of a code will do: they are equal
    return codes, first


def _texts_of(thousandths: IntArray, labels: pd.Index) -> pd.Series:
    """'label=p; ...' per row of posteriors in thousandths, column by column on whole arrays."""
    text = pd.Series("", index=range(len(thousandths)), dtype="str")
    for k, name in enumerate(labels):
        shown = thousandths[:, k] >= 1
        part = pd.Series(
            np.where(shown, f"{name}=" + _THOUSANDTHS[thousandths[:, k]], ""), dtype="str"
        )
        joined = text + "; " + part
        text = text.where(~shown, joined.where(text != "", part))
    return text


def posterior_text(probas: pd.DataFrame) -> pd.Series:
    """Per item, the model's posterior as 'label=p; ...' (labels with p >= 0.0005, 3 places).

    A posterior rounded to 3 places is k / 1000, written from a table of the 1,001 texts, and
    shown when k >= 1 (p rounds to at least 0.001). Items share few distinct rounded
    posteriors: each is written once, then placed by Arrow (no Python string per item)."""
    values = probas.to_numpy(dtype=np.float64)
    finite = np.where(np.isfinite(values), np.clip(values, 0.0, 1.0), 0.0)  # NaN: not shown
    thousandths = np.rint(finite * 1000).astype(np.int64)
    del values, finite
    codes, first = _distinct_rows(thousandths)
    texts = _texts_of(thousandths[first], probas.columns).array
    return pd.Series(texts.take(codes), dtype="str")  # positional index


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


def _queued_votes(
    votes: pd.DataFrame, rows: IntArray, queued: IntArray, rulings: tuple[Ruling, ...]
) -> tuple[list[str], list[str]]:
    """Per item of `queued` (rows of the final table, ascending): its `votes` (annotations of
    final row `rows`) as 'annotator=label; ...' in annotation order, and the ids of the
    rulings citing a label among them. Grouped by sorting codes: a few Python joins per
    item instead of pandas' per-group calls."""
    order = np.argsort(rows, kind="stable")  # stable: annotation order within an item
    rows = rows[order]
    text = (votes[col.ANNOTATOR_ID] + "=" + votes[col.LABEL]).to_numpy(dtype=object)[order]
    labels = votes[col.LABEL].to_numpy(dtype=object)[order]
    starts = np.searchsorted(rows, queued, side="left")
    ends = np.searchsorted(rows, queued, side="right")
    cited: dict[frozenset[Any], str] = {}
    joined, applying = [], []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        joined.append("; ".join(text[start:end]))
        seen = frozenset(labels[start:end])
        if seen not in cited:  # few distinct label sets: each looked up once
            cited[seen] = ", ".join(r.id for r in rulings if seen & set(r.labels))
        applying.append(cited[seen])
    return joined, applying


def _item_text(ids: pd.Series, items: pd.DataFrame) -> ExtensionArray | None:
    """The text of each item of `ids` (missing: NA), found by hashing; None when item ids
    repeat in `items` (the caller joins instead)."""
    where = item_positions(ids, items)
    return None if where is None else items["text"].array.take(where, allow_fill=True)


def _posteriors_of(ids: pd.Series, probas: pd.DataFrame) -> pd.DataFrame:
    """The rows of `probas` (indexed by item id) for `ids`, NaN for an id it lacks; by
    Arrow's hashing (pandas' reindex would turn millions of ids into Python strings)."""
    where = positions(ids, probas.index)
    values = probas.to_numpy(dtype=np.float64)[np.maximum(where, 0)]
    values[where < 0] = np.nan
    return pd.DataFrame(values, columns=probas.columns)


def adjudication_queue(
    final: pd.DataFrame,
    used: pd.DataFrame,
    items: pd.DataFrame,
    probas: pd.DataFrame,
    rulings: tuple[Ruling, ...],
    rows: np.ndarray | None = None,
) -> pd.DataFrame:
    """Unresolved items with every annotation and the rulings that apply, for adjudicators.

    `rows`: the row of `final` holding each annotation's item (-1: none), when known."""
    unresolved = (final["status"] == "unresolved").to_numpy(dtype=bool)
    todo = final.loc[unresolved, [col.ITEM_ID, col.LABEL, "confidence"]]
    if rows is None:
        rows = positions(used[col.ITEM_ID], pd.Index(final[col.ITEM_ID]))
    # The annotations of unresolved items only: a few of the millions, selected on codes.
    queued = np.append(unresolved, False)[rows]
    votes = used.loc[queued, [col.ANNOTATOR_ID, col.LABEL]]
    joined, applying = _queued_votes(votes, rows[queued], np.flatnonzero(unresolved), rulings)
    queue = todo.rename(columns={col.LABEL: "candidate_label"}).assign(
        annotations=np.array(joined, dtype=object),
        posterior=posterior_text(_posteriors_of(todo[col.ITEM_ID], probas)).array,
        rulings=applying,
    )
    if "text" in items:
        text = _item_text(todo[col.ITEM_ID], items)
        if text is None:
            queue = queue.merge(items[[col.ITEM_ID, "text"]], on=col.ITEM_ID, how="left")
        else:
            queue["text"] = text
    for name in (col.LABEL, "adjudicator_id", "ruling_id", "note"):
        queue[name] = ""
    return queue.reset_index(drop=True)


@dataclass(frozen=True)
class _Fit:
    model: Aggregator
    used: pd.DataFrame  # the annotations the model saw
    excluded: set[str]
    lost_all: set[str]  # items whose every annotator was excluded: kept, forced unresolved


def _fit(
    inputs: ConsensusInputs,
    quality: pd.DataFrame,
    settings: ConsensusSettings,
    executor: Executor | None = None,
) -> _Fit:
    """Fit the method on every annotation but those of excluded annotators; a single-label
    aggregator runs its partitioned steps where `executor` runs kernels (default: here)."""
    annotations, gold = inputs.annotations, inputs.gold
    excluded = set(quality.index[quality["excluded"]])
    # Nobody excluded: the model sees every annotation, without a copy of millions of rows.
    used = annotations[~annotations[col.ANNOTATOR_ID].isin(excluded)] if excluded else annotations
    # Items whose every annotator was excluded (only computed when someone was).
    lost_all = (
        set(pd.Index(annotations[col.ITEM_ID].unique()).difference(used[col.ITEM_ID].unique()))
        if excluded
        else set()
    )
    if lost_all:
        used = pd.concat([used, annotations[annotations[col.ITEM_ID].isin(sorted(lost_all))]])
    step = settings.step
    model: Any
    if settings.task == "multi_label":
        model = MultiLabelModel(step.method, settings.label_ids, dict(step.params))
    elif settings.task == "spans":
        spans = inputs.spans if inputs.spans is not None else pd.DataFrame()
        model = SpanModel(step.method, settings.label_ids, dict(step.params), spans, inputs.items)
    else:
        model = make(step.method, settings.label_ids, dict(step.params), settings.pipeline_file)
        if executor is not None:
            model.use_engine(executor)
    model.fit(used, gold.set_index(col.ITEM_ID)[col.LABEL] if len(gold) else None)
    return _Fit(model, used, excluded, lost_all)


def aggregator_params(model: Aggregator) -> dict[str, Any]:
    """The fitted model's settings; initial_errors is an input array, not a setting."""
    return {k: v for k, v in model.get_params().items() if k != "initial_errors"}


def model_votes(model: Aggregator) -> tuple[np.ndarray, ...]:
    """The fitted model's votes as codes, and its chosen label per item (for calibration)."""
    codes = model.codes_
    # positions hashes by Arrow; get_indexer would make each item's label a Python string.
    chosen = positions(model.labels_.astype("str"), pd.Index(codes.label_ids))
    return codes.items, codes.annotators, codes.labels, chosen


def calibrate_model(
    model: Aggregator,
    raw: np.ndarray,
    gold: pd.Series,
    requested: Requested,
    method: str = "majority_vote",
) -> Calibration:
    """Calibrated confidence of the model's labels; `gold` is the label by item id. Raises
    ValueError when the calibration cannot run (gold asked for, too few gold items)."""
    labels = model.labels_
    known = gold.reindex(labels.index)
    is_gold = known.notna().to_numpy()
    correct = (labels.astype("str").to_numpy() == known.astype("str").to_numpy()) & is_gold
    items, annotators, codes, chosen = model_votes(model)
    n_annotators, n_labels = len(model.codes_.annotator_ids), len(model.codes_.label_ids)
    # The folds follow the method's seed, so a run is reproducible from the pipeline alone.
    seed = int(getattr(model, "random_state", 0) or 0)
    votes = (items, annotators, codes, chosen, n_annotators, n_labels)
    vote_share = method in VOTE_SHARE_METHODS
    return calibrate(requested, raw, is_gold, correct, votes, seed=seed, vote_share=vote_share)


def _gold_labels(gold: pd.DataFrame) -> pd.Series:
    """Gold label by item id (an item's first gold row, as the summary counts it)."""
    if gold.empty:
        return pd.Series(dtype="str")
    first = gold.drop_duplicates(col.ITEM_ID, keep="first")
    labels: pd.Series = first.set_index(col.ITEM_ID)[col.LABEL]
    return labels


def item_rows(model: Aggregator, used: pd.DataFrame) -> IntArray:
    """The row of the final table (the model's items, in order) of each annotation in `used`,
    the annotations the model was fitted on."""
    codes: Codes | None = getattr(model, "codes_", None)
    items = model.labels_.index
    if codes is not None and len(codes.items) == len(used) and codes.item_ids.equals(items):
        return codes.items  # the model kept one vote per row: its item codes are the rows
    return positions(used[col.ITEM_ID], items)


def repeated(value: str, n: int) -> ExtensionArray:
    """`value` as text `n` times, the rows sharing one block of memory: a lineage constant
    costs kilobytes, not a copy per item (Parquet writes the same bytes either way)."""
    block = pa.array([value] * min(n, _BLOCK_ROWS), type=pa.large_string())
    full, rest = divmod(n, _BLOCK_ROWS)
    chunks = [block] * full + ([block.slice(0, rest)] if rest else [])
    text: ExtensionArray = pd.array(pa.chunked_array(chunks, type=pa.large_string()), dtype="str")
    return text


def _per_item(values: pd.Series, items: pd.Index) -> ExtensionArray:
    """`values` (indexed by unique item id) as text per entry of `items`; '' for none."""
    if values.empty:
        return repeated("", len(items))
    found = values.astype("str").array.take(positions(items, values.index), allow_fill=True)
    return pd.Series(found).fillna("").astype("str").array


def _final_table(
    fit: _Fit, inputs: ConsensusInputs, settings: ConsensusSettings, rows: IntArray
) -> tuple[pd.DataFrame, Calibration]:
    """One row per item: label, calibrated and raw confidence, status and every lineage
    column; `rows` is `item_rows` of the model and the annotations it saw."""
    model, used, step = fit.model, fit.used, settings.step
    audit = inputs.audit_results
    forced = model.labels_.index.isin(sorted(fit.lost_all)) if fit.lost_all else None
    raw, n, status = final_status(model, 0.0, forced)
    try:
        # A multi-label or span answer is no vote share of K labels: no agreement calibration.
        method = step.method if settings.task == "single_label" else settings.task
        calibration = calibrate_model(
            model, raw, _gold_labels(inputs.gold), step.calibration, method
        )
    except ValueError as exc:
        raise InputError(
            [
                Problem(
                    settings.pipeline_file,
                    key_path="aggregate.calibration",
                    message=f"{exc}.",
                    fix="Add gold items, or use calibration: agreement or auto.",
                )
            ]
        ) from exc
    confidence = calibration.confidence
    # min_confidence applies to the calibrated confidence: the raw posterior is what
    # overstates how often labels are right.
    status[confidence < step.min_confidence] = "unresolved"

    items, n_items = model.labels_.index, len(model.labels_)
    versions = distinct_joined(used, "guideline_version", items=items, rows=rows)
    migrations = distinct_joined(used, "migrated_from", "; ", items=items, rows=rows)
    verdicts = audit.drop_duplicates(col.ITEM_ID, keep="last").set_index(col.ITEM_ID)
    params = json.dumps(aggregator_params(model), sort_keys=True, default=str)
    return pd.DataFrame(
        {
            col.ITEM_ID: items.astype("str"),
            col.LABEL: model.labels_.astype("str").array,
            "confidence": confidence,
            "raw_confidence": raw,
            "method": repeated(step.method, n_items),
            "n_annotations": n,
            "status": status,
            "guideline_versions": versions.array,
            "guideline_hashes": version_hashes(versions, settings.guideline_releases).array,
            "schema_version": repeated(settings.schema_version, n_items),
            "migrations": migrations.array,
            "rules_hash": repeated(settings.rules_hash, n_items),
            "pipeline_hash": repeated(settings.pipeline_hash, n_items),
            "aggregator_params": repeated(params, n_items),
            "posterior": posterior_text(model.probas_).array,
            # Items without a verdict (not audited) get "".
            "audit_verdict": _per_item(verdicts["verdict"], items),
        }
    ), calibration


def apply_routing(final: pd.DataFrame, target: float | None) -> tuple[pd.DataFrame, Routing]:
    """Route the least-confident aggregator labels to adjudication (status unresolved) until
    the expected error among accepted labels, adjudicated ones included, is at most `target`."""
    status = final["status"].to_numpy()
    candidate = np.isin(status, ["agreed", "aggregated"])
    routing = route(
        final["confidence"].to_numpy(dtype=float), candidate, status != "unresolved", target
    )
    if routing.n_routed:
        final = final.copy()
        final.loc[routing.routed, "status"] = "unresolved"
    return final, routing


def plain(value: Any) -> Any:
    """`value` with NumPy scalars and arrays as JSON types (for `selection_`, whose form the
    aggregator decides)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def gold_agreement(final: pd.DataFrame, gold: pd.DataFrame) -> tuple[int, int]:
    """(final labels equal to the gold label, gold rows of final items): one count per gold
    row whose item is in `final` (one row per item), as an inner join of the two counts."""
    where = positions(gold[col.ITEM_ID], pd.Index(final[col.ITEM_ID]))
    hit = where >= 0
    chosen = final[col.LABEL].iloc[where[hit]].reset_index(drop=True)
    known = gold[col.LABEL][hit].reset_index(drop=True)
    return int((chosen == known).sum()), int(hit.sum())


def _summary(
    fit: _Fit,
    final: pd.DataFrame,
    annotators: pd.DataFrame,
    gold: pd.DataFrame,
    settings: ConsensusSettings,
) -> dict[str, Any]:
    """aggregate.json: method, convergence, statuses, gold accuracy with its interval."""
    correct, n_gold = gold_agreement(final, gold)
    low, high = wilson_interval(correct, n_gold)
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
        "gold_accuracy": correct / n_gold if n_gold else None,
        "gold_accuracy_interval": [low, high] if n_gold else None,
        "n_gold_items": n_gold,
        "annotator_gold_accuracy_min": float(eligible.min()) if len(eligible) else None,
        "annotators_needing_retraining": sorted(
            annotators.loc[annotators["needs_retraining"], col.ANNOTATOR_ID]
        ),
        "annotators_excluded": sorted(fit.excluded),
        "label_distribution": label_distribution(final[col.LABEL], settings),
    }


def label_distribution(labels: pd.Series, settings: ConsensusSettings) -> dict[str, int]:
    """Final labels per schema label: items (single-label), sets holding it (multi-label) or
    final spans (spans)."""
    if settings.task == "single_label":
        counts = labels.value_counts().reindex(settings.label_ids, fill_value=0)
        return {str(k): int(v) for k, v in counts.items()}
    found = dict.fromkeys(settings.label_ids, 0)
    for text, n in labels.value_counts().items():
        for entry in json.loads(str(text)):
            name = entry if settings.task == "multi_label" else entry[2]
            found[name] = found.get(name, 0) + int(n)
    return found


def aggregate(
    inputs: ConsensusInputs, settings: ConsensusSettings, executor: Executor | None = None
) -> Consensus:
    """Final labels, per-annotator quality, the adjudication queue and the summary."""
    refuse_bad_decisions(inputs.quarantine)
    annotations = inputs.annotations
    annotator_ids = pd.Index(sorted(annotations[col.ANNOTATOR_ID].unique()), name=col.ANNOTATOR_ID)
    quality = qualification(
        settings.qualification, gold_accuracy(annotations, inputs.gold), annotator_ids
    )
    fit = _fit(inputs, quality, settings, executor)
    rows = item_rows(fit.model, fit.used)
    final, calibration = _final_table(fit, inputs, settings, rows)
    final = apply_adjudications(final, inputs.adjudications, settings)
    final, routing = apply_routing(final, settings.step.target_error_rate)
    # The final row of every annotation: those the model saw, when it saw them all.
    annotators = annotator_table(
        quality, annotations, final, inputs.audit_results, rows if fit.used is annotations else None
    )
    summary = _summary(fit, final, annotators, inputs.gold, settings)
    summary["calibration"] = calibration.summary
    if calibration.method == "gold_isotonic_crossfit" and settings.step.params.get("clamp_gold"):
        # Clamped gold items carry their gold label with confidence 1: calibrating on them
        # teaches that confident labels are always right, which other items do not bear out.
        summary["calibration"]["warning"] = (
            "clamp_gold is on: gold items keep their known label, so calibration on gold "
            "overstates the confidence of the other items; set clamp_gold: false."
        )
    summary["routing"] = {
        **routing.summary(),
        "realised_error": realised_error(final, inputs.audit_results),
    }
    selection = getattr(fit.model, "selection_", None)
    if selection is not None:
        summary["selection"] = plain(selection)
    return Consensus(
        final_labels=final,
        annotators=annotators,
        queue=adjudication_queue(
            final, fit.used, inputs.items, fit.model.probas_, settings.rulings, rows
        ),
        summary=summary,
        confusions=confusions(fit.model, settings.label_ids),
    )
