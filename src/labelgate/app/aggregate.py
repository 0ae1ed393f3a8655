"""Aggregate a standalone export or DataFrame: map columns, fit the chosen method, write the tables.

`aggregate_file` (the command) and `aggregate_for_frame` (the Python API) differ only in where
the rows come from; both end in `aggregate_annotations`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd

from labelgate.aggregation.base import Aggregator
from labelgate.aggregation.catalog import make
from labelgate.aggregation.status import final_status
from labelgate.analysis.calibration import Calibration, Requested
from labelgate.analysis.consensus import apply_routing, calibrate_model
from labelgate.analysis.routing import Routing
from labelgate.app.frames import frame_export
from labelgate.backends.engines import open_executor
from labelgate.backends.executor import Executor
from labelgate.config import columns as col
from labelgate.config.params import Engine
from labelgate.errors import InputError, UsageError
from labelgate.io.canonical import read_export
from labelgate.io.writers import write_csv, write_parquet
from labelgate.problems import Problem

OUTPUT_COLUMNS = [col.ITEM_ID, col.LABEL, "confidence", "raw_confidence", "status", "n_annotations"]
CALIBRATIONS = ("auto", "gold", "agreement", "none")
COLUMN_ARGUMENTS = {
    col.ITEM_ID: "item_col",
    col.ANNOTATOR_ID: "annotator_col",
    col.LABEL: "label_col",
}
GOLD_ARGUMENTS = {col.ITEM_ID: "item_col (of gold)", col.LABEL: "label_col (of gold)"}


@dataclass
class AggregateResult:
    """The labels table, the per-annotator table, and lines for the person running it."""

    labels: pd.DataFrame
    annotators: pd.DataFrame
    messages: list[str] = field(default_factory=list)


def _params(pairs: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--param expects KEY=VALUE, got '{pair}'.")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


def write_table(path: Path, frame: pd.DataFrame) -> None:
    """Write `frame` as CSV or Parquet, by the suffix of `path`."""
    if path.suffix.lower() == ".parquet":
        write_parquet(path, frame)
    elif path.suffix.lower() == ".csv":
        write_csv(path, frame)
    else:
        raise UsageError(f"cannot write '{path}': use a .csv or .parquet file name.")


def prepare_gold(gold_frame: pd.DataFrame, frame: pd.DataFrame) -> tuple[pd.Series, list[str]]:
    """Gold labels by item id, as the pipeline takes them, and lines saying what was left out.

    As in the pipeline: the first row of an item counts (later ones are left out), and gold
    items without annotations are ignored. A gold label no annotator used is still a label:
    it joins the label set (the pipeline's comes from the schema), so those items count
    against gold accuracy unless the method picks it.
    """
    notes = []
    repeated = gold_frame[col.ITEM_ID].duplicated(keep="first")
    if repeated.any():
        notes.append(
            f"{int(repeated.sum())} repeated gold rows are ignored: the first row of an item counts"
        )
    gold: pd.Series = gold_frame[~repeated].set_index(col.ITEM_ID)[col.LABEL]
    annotated = gold.index.isin(frame[col.ITEM_ID].unique())
    if not annotated.all():
        missing = gold.index[~annotated]
        notes.append(
            f"{len(missing)} gold items have no annotations and are ignored, e.g. "
            f"{', '.join(repr(i) for i in missing[:3])}"
        )
        gold = gold[annotated]
    return gold, notes


def annotation_labels(frame: pd.DataFrame, gold: pd.Series | None) -> tuple[list[str], list[str]]:
    """The label set: every label annotators used, and every gold label (sorted); and a line
    naming the gold labels no annotator used."""
    used = set(frame[col.LABEL].unique())
    extra = sorted(set(gold.unique()) - used) if gold is not None else []
    notes = (
        [
            f"gold labels that no annotator used, kept as labels: {', '.join(repr(x) for x in extra[:5])}"
        ]
        if extra
        else []
    )
    return sorted(used | set(extra)), notes


def annotator_table(
    frame: pd.DataFrame, table: pd.DataFrame, gold: pd.Series | None
) -> pd.DataFrame:
    """Per annotator: annotations, agreement with consensus and, given gold, gold accuracy."""
    merged = frame.merge(
        table[[col.ITEM_ID, col.LABEL]].rename(columns={col.LABEL: "final"}), on=col.ITEM_ID
    )
    agrees = (merged[col.LABEL] == merged["final"]).groupby(merged[col.ANNOTATOR_ID])
    annotators = pd.DataFrame(
        {"n_annotations": agrees.size(), "agreement_with_consensus": agrees.mean()}
    )
    if gold is not None:
        on_gold = frame[frame[col.ITEM_ID].isin(gold.index)]
        hit = on_gold[col.LABEL].to_numpy() == gold.reindex(on_gold[col.ITEM_ID]).to_numpy()
        annotators["n_gold"] = (
            on_gold.groupby(col.ANNOTATOR_ID).size().reindex(annotators.index).fillna(0).astype(int)
        )
        annotators["gold_accuracy"] = (
            pd.Series(hit, index=on_gold.index)
            .groupby(on_gold[col.ANNOTATOR_ID])
            .mean()
            .reindex(annotators.index)
        )
    return annotators.reset_index()


def _messages(
    method: str,
    table: pd.DataFrame,
    model: Aggregator,
    skipped: dict[str, int],
    gold: pd.Series | None,
    notes: list[str],
) -> list[str]:
    messages = [
        f"{len(table)} items by {method}: "
        + ", ".join(
            f"{s} {int((table['status'] == s).sum())}"
            for s in ("agreed", "aggregated", "unresolved")
        )
    ]
    if skipped:
        messages.append("skipped rows: " + ", ".join(f"{k} {v}" for k, v in skipped.items()))
    messages += notes
    if not getattr(model, "converged_", True):
        history = getattr(model, "loss_history_", [])
        messages.append(
            f"WARNING: {method} did not converge in {len(history)} iterations; last losses {[round(x, 6) for x in history[-3:]]}. Raise max_iter (--param max_iter=500) or loosen tol."
        )
    if gold is not None:
        common = gold.index.intersection(model.labels_.index)
        messages.append(
            f"accuracy on {len(common)} gold items: {(model.labels_[common] == gold[common]).mean():.4f}"
        )
    return messages


def calibration_messages(calibration: Calibration, routing: Routing) -> list[str]:
    """The calibration used (with ECE on gold) and, given a target, what routing did."""
    summary = calibration.summary
    line = f"confidence calibration: {calibration.method}"
    if summary["ece_before"] is not None:
        line += (
            f" (ECE on {summary['n_gold']} gold items {summary['ece_before']:.3f}"
            f" -> {summary['ece_after']:.3f})"
        )
    lines = [line]
    if routing.target is not None:
        expected = (
            f", expected error among accepted labels {routing.expected_error:.4f}"
            if routing.expected_error is not None
            else ""
        )
        lines.append(
            f"routing to a target error of {routing.target:g}: {routing.n_routed} items "
            f"({routing.share_routed:.1%}) unresolved{expected}"
        )
        if not routing.reachable:
            lines.append(
                "WARNING: the target error rate is out of reach: every aggregated label is "
                "unresolved. Raise --target-error-rate or add annotations."
            )
    return lines


def check_calibration(calibration: object, target_error_rate: object) -> float | None:
    """Refuse an unknown calibration or a target error rate that is not a finite number in
    (0, 0.5); return the target as a float."""
    if calibration not in CALIBRATIONS:
        raise UsageError(
            f"calibration must be one of {', '.join(CALIBRATIONS)}, got {calibration!r}."
        )
    if target_error_rate is None:
        return None
    if isinstance(target_error_rate, bool) or not isinstance(target_error_rate, int | float):
        raise UsageError(f"target_error_rate must be a number, got {target_error_rate!r}.")
    target = float(target_error_rate)
    if not (math.isfinite(target) and 0 < target < 0.5):
        raise UsageError(
            f"target_error_rate must be a number above 0 and below 0.5, got {target_error_rate!r}."
        )
    return target


def no_rows(where: str, fix: str) -> InputError:
    """The error for an annotation table without a usable row."""
    return InputError([Problem(where, message="no usable annotation rows.", fix=fix)])


def aggregate_annotations(
    frame: pd.DataFrame,
    skipped: dict[str, int],
    gold_frame: pd.DataFrame | None,
    method: str,
    params: dict[str, Any],
    seed: int,
    min_confidence: float,
    where: str,
    calibration: str = "auto",
    target_error_rate: float | None = None,
    task: TaskInput | None = None,
    executor: Executor | None = None,
) -> AggregateResult:
    """Consensus labels of canonical annotations, with calibrated and raw confidence and
    status (routed to `target_error_rate` when given); the annotator table; and lines saying
    how it went. `where` names the method's settings in messages. With `task`, the labels are
    label sets or an item's spans as JSON text (analysis/task_consensus.py)."""
    target = check_calibration(calibration, target_error_rate)
    gold, notes = prepare_gold(gold_frame, frame) if gold_frame is not None else (None, [])
    options = dict(params)
    options.setdefault("random_state", seed)
    model: Any
    if task is None:
        labels, extra = annotation_labels(frame, gold)
        model = make(method, labels, options, where)
        if executor is not None:  # EM's partitioned steps run there, with the same result
            model.use_engine(executor)
    else:
        extra = []
        model = task.model(method, options, where)
    model.fit(frame, gold)
    raw, n, status = final_status(model, 0.0)
    known = gold if gold is not None else pd.Series(dtype="str")
    try:
        kind = method if task is None else task.name  # no agreement calibration of sets
        calibrated = calibrate_model(model, raw, known, cast(Requested, calibration), kind)
    except ValueError as exc:
        raise UsageError(f"{exc}: give more --gold items, or use --calibration agreement.") from exc
    # As in the pipeline: min_confidence applies to the calibrated confidence.
    status[calibrated.confidence < min_confidence] = "unresolved"
    table = pd.DataFrame(
        {
            col.ITEM_ID: model.labels_.index.astype(str),
            col.LABEL: model.labels_.to_numpy(),
            "confidence": calibrated.confidence,
            "raw_confidence": raw,
            "status": status,
            "n_annotations": n,
        }
    )
    table, routing = apply_routing(table, target)
    annotators = annotator_table(frame, table, gold)
    messages = _messages(method, table, model, skipped, gold, notes + extra)
    # Right after the status counts, which routing changed; gold accuracy stays the last line.
    messages[1:1] = calibration_messages(calibrated, routing)
    return AggregateResult(table, annotators, messages)


@dataclass(frozen=True)
class TaskInput:
    """A multi-label or span export read for aggregation: its model and label set."""

    name: str  # multi_label or spans
    label_ids: list[str]
    spans: pd.DataFrame | None = None
    texts: dict[str, str] | None = None

    def model(self, method: str, options: dict[str, Any], where: str) -> Any:
        """The task's model; a method it does not offer is a UsageError naming those it does."""
        from labelgate.analysis.task_consensus import (
            MULTI_LABEL_METHODS,
            SPAN_METHODS,
            MultiLabelModel,
            SpanModel,
        )

        offered = MULTI_LABEL_METHODS if self.name == "multi_label" else SPAN_METHODS
        if method not in offered:
            raise UsageError(
                f"{where}: a {self.name} export aggregates with {' or '.join(offered)}, "
                f"not '{method}'."
            )
        try:
            if self.name == "multi_label":
                return MultiLabelModel(method, self.label_ids, options)
            items = (
                pd.DataFrame({col.ITEM_ID: list(self.texts), "text": list(self.texts.values())})
                if self.texts
                else None
            )
            spans = self.spans if self.spans is not None else pd.DataFrame()
            return SpanModel(method, self.label_ids, options, spans, items)
        except ValueError as exc:
            raise UsageError(f"{where}: {exc}.") from None


def _task_input(
    path: Path,
    columns: dict[str, str],
    task: str,
    file_format: str | None,
    control: str | None,
) -> tuple[pd.DataFrame, dict[str, int], TaskInput]:
    """A multi-label or span export: one row per item and annotator, its answer as JSON text."""
    from labelgate.analysis.task_consensus import answers_as_text
    from labelgate.io.label_sets import read_answers

    answers = read_answers(path, columns, task, file_format, control)
    frame = answers.frame
    if task == "multi_label":
        label_ids = sorted({label for chosen in frame["labels"] for label in chosen})
        frame = frame.drop(columns=["labels"])
        return frame, answers.skipped, TaskInput(task, label_ids)
    frame = answers_as_text(frame, answers.spans)
    label_ids = sorted(set(answers.spans[col.LABEL]))
    return frame, answers.skipped, TaskInput(task, label_ids, answers.spans, answers.texts)


def aggregate_file(
    path: Path,
    method: str,
    columns: dict[str, str],
    gold_path: Path | None,
    gold_columns: dict[str, str],
    seed: int,
    params: list[str],
    min_confidence: float,
    output: Path | None,
    annotators_out: Path | None,
    file_format: str | None = None,
    control: str | None = None,
    calibration: str = "auto",
    target_error_rate: float | None = None,
    task: str = "single_label",
    engine: Engine | None = None,
) -> AggregateResult:
    """Consensus labels of one export; gold items without annotations are ignored. A
    single-label method runs its partitioned steps on `engine` (default: in process)."""
    check_calibration(calibration, target_error_rate)  # before reading anything
    task_input = None
    if task != "single_label":
        if gold_path is not None:
            raise UsageError(
                f"--gold is for single-label files; a {task} export is aggregated without it "
                "(in a project, a multi-label dataset's gold file is used)."
            )
        frame, skipped, task_input = _task_input(path, columns, task, file_format, control)
    else:
        frame, skipped = read_export(path, columns, col.ANNOTATION_REQUIRED, file_format, control)
    if frame.empty:
        raise no_rows(str(path), "Check the column options.")
    gold_frame = (
        read_export(gold_path, gold_columns, (col.ITEM_ID, col.LABEL))[0]
        if gold_path is not None
        else None
    )
    with open_executor(engine) as executor:
        result = aggregate_annotations(
            frame,
            skipped,
            gold_frame,
            method,
            _params(params),
            seed,
            min_confidence,
            "--method/--param",
            calibration,
            target_error_rate,
            task_input,
            executor,
        )
    if output is not None:
        write_table(output, result.labels)
        result.messages.append(f"labels written to {output}")
    if annotators_out is not None:
        write_table(annotators_out, result.annotators)
        result.messages.append(f"annotator table written to {annotators_out}")
    return result


def _gold_frame(gold: object, item_col: str, label_col: str) -> pd.DataFrame:
    """Gold given as a Series (label by item id), a mapping, or a DataFrame with the
    annotation table's item and label columns."""
    if isinstance(gold, Mapping):
        gold = pd.Series(dict(gold), dtype=object)
    if isinstance(gold, pd.Series):
        data = pd.DataFrame({"item": gold.index.to_series(), "label": gold.to_numpy()})
        columns = {col.ITEM_ID: "item", col.LABEL: "label"}
    elif isinstance(gold, pd.DataFrame):
        data, columns = gold, {col.ITEM_ID: item_col, col.LABEL: label_col}
    else:
        raise UsageError(
            f"gold must be a pandas Series (label by item id), a dict or a DataFrame, got {type(gold).__name__}."
        )
    frame, _ = frame_export(data, columns, GOLD_ARGUMENTS, "gold")
    return frame


def aggregate_for_frame(
    data: object,
    *,
    method: str,
    item_col: str,
    annotator_col: str,
    label_col: str,
    gold: object,
    params: Mapping[str, Any] | None,
    min_confidence: float,
    seed: int,
    calibration: str = "auto",
    target_error_rate: float | None = None,
) -> AggregateResult:
    """Consensus labels of a DataFrame with one row per annotation (the Python API)."""
    check_calibration(calibration, target_error_rate)
    if params is not None and not isinstance(params, Mapping):
        raise UsageError(f"params must be a dict of parameter values, got {type(params).__name__}.")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise UsageError(f"seed must be an integer, got {seed!r}.")
    if isinstance(min_confidence, bool) or not isinstance(min_confidence, int | float):
        raise UsageError(f"min_confidence must be a number, got {min_confidence!r}.")
    columns = {col.ITEM_ID: item_col, col.ANNOTATOR_ID: annotator_col, col.LABEL: label_col}
    frame, skipped = frame_export(data, columns, COLUMN_ARGUMENTS, "annotations")
    if frame.empty:
        raise no_rows(
            "annotations", "Every row lacks an item, annotator or label; check the column names."
        )
    gold_frame = _gold_frame(gold, item_col, label_col) if gold is not None else None
    return aggregate_annotations(
        frame,
        skipped,
        gold_frame,
        method,
        dict(params or {}),
        seed,
        float(min_confidence),
        "method/params",
        calibration,
        target_error_rate,
    )
