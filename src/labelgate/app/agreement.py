"""Agreement of a standalone export or DataFrame: map its columns, take labels from a schema, a
given list or the data, and build the report `labelgate agreement --format json` prints.

`agreement_for_file` (the command) and `agreement_for_frame` (the Python API) differ only in
where the rows come from; both end in `agreement_report`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from labelgate.analysis.agreement import (
    agreement_json,
    default_weights,
    label_values,
    schema_values,
)
from labelgate.app.frames import frame_export
from labelgate.backends.engines import open_executor
from labelgate.config import columns as col
from labelgate.config.catalogue import WEIGHTS
from labelgate.config.params import Engine
from labelgate.errors import ConfigError, InputError, UsageError
from labelgate.io.canonical import read_export
from labelgate.io.json_io import json_text
from labelgate.io.readers import as_text
from labelgate.metrics.agreement.report import INTERVALS, Options
from labelgate.metrics.counts import FloatArray
from labelgate.problems import Problem, did_you_mean
from labelgate.project.layout import find_root

LEVELS = ("nominal", "ordinal", "interval", "ratio")

# How each setting is spelt for the person who gave it: on the command line, or in Python.
FLAGS = {"confidence": "--confidence", "bootstrap": "--bootstrap", "min_pair": "--min-pair-items"}
ARGUMENTS = {"confidence": "confidence", "bootstrap": "bootstrap", "min_pair": "min_pair_items"}
COLUMN_ARGUMENTS = {
    col.ITEM_ID: "item_col",
    col.ANNOTATOR_ID: "annotator_col",
    col.LABEL: "label_col",
}


def check_settings(
    confidence: float, resamples: int, min_pair_items: int, names: Mapping[str, str] = FLAGS
) -> None:
    """Refuse settings the report cannot use (exit 2), naming them as the caller spelt them."""
    if not 0.5 < confidence < 1.0:
        raise UsageError(f"{names['confidence']} must be between 0.5 and 1, got {confidence}.")
    if resamples < 0 or min_pair_items < 1:
        raise UsageError(f"{names['bootstrap']} must be >= 0 and {names['min_pair']} >= 1.")


def agreement_report(
    frame: pd.DataFrame,
    skipped: dict[str, int],
    source: str,
    label_ids: list[str],
    values: FloatArray,
    options: Options,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """The report of canonical annotations, as the JSON `labelgate agreement` prints; the
    statistics are computed on `engine` (default: in process), with the same result.

    Values are JSON-ready (floats rounded to 10 places, undefined ones None), so the dict equals
    `json.loads` of the command's output.
    """
    with open_executor(engine) as executor:
        report = agreement_json(frame, label_ids, values, options, source, executor=executor)
    full = {
        "source": source,
        "n_rows_skipped": sum(skipped.values()),
        "skipped_reasons": skipped,
        **report,
    }
    result: dict[str, Any] = json.loads(json_text(full, sort_keys=False))
    return result


def _options(
    level: str,
    weights: str,
    resamples: int,
    seed: int,
    confidence: float,
    min_pair_items: int,
    interval: str,
) -> Options:
    return Options(
        level=level,
        weights=default_weights(level) if weights == "auto" else weights,
        resamples=resamples,
        seed=seed,
        confidence=confidence,
        min_pair_items=min_pair_items,
        interval=interval,
    )


def agreement_for_file(
    path: Path,
    columns: dict[str, str],
    level: str | None,
    schema_name: str | None,
    weights: str,
    resamples: int,
    seed: int,
    confidence: float,
    min_pair_items: int,
    file_format: str | None = None,
    control: str | None = None,
    interval: str = "bca",
    task: str = "single_label",
    engine: Engine | None = None,
) -> dict[str, Any]:
    """The agreement JSON of one export; rows with an empty id or label are skipped and counted.
    The statistics run on `engine` (default: in process), with the same result."""
    check_settings(confidence, resamples, min_pair_items)
    display = str(path)
    if task != "single_label":
        return _task_agreement(
            path,
            columns,
            task,
            schema_name,
            resamples,
            seed,
            confidence,
            file_format,
            control,
            engine,
        )
    frame, skipped = read_export(path, columns, col.ANNOTATION_REQUIRED, file_format, control)
    if schema_name:
        level, label_ids, values = schema_labels(path, schema_name, level)
    else:
        level = level or "nominal"
        label_ids, values = label_values(frame[col.LABEL], level, display)
    options = _options(level, weights, resamples, seed, confidence, min_pair_items, interval)
    return agreement_report(frame, skipped, display, label_ids, values, options, engine)


def _task_agreement(
    path: Path,
    columns: dict[str, str],
    task: str,
    schema_name: str | None,
    resamples: int,
    seed: int,
    confidence: float,
    file_format: str | None,
    control: str | None,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """Multi-label or span agreement of one export (labels from --schema, else those seen),
    on `engine` (default: in process), with the same result."""
    from labelgate.analysis.task_agreement import multilabel_agreement, span_agreement
    from labelgate.io.label_sets import read_answers

    answers = read_answers(path, columns, task, file_format, control)
    frame = answers.frame
    if frame.empty:
        raise InputError(
            [Problem(str(path), message="no usable annotations.", fix="Check the column options.")]
        )
    if schema_name:
        label_ids = schema_labels(path, schema_name, None, task)[1]
    elif task == "multi_label":
        label_ids = sorted({label for chosen in frame["labels"] for label in chosen})
    else:
        label_ids = sorted(set(answers.spans[col.LABEL]))
    annotators = frame[col.ANNOTATOR_ID].nunique()
    if annotators < 2:  # as for single labels: agreement needs two people
        raise InputError(
            [
                Problem(
                    str(path),
                    message=f"agreement needs at least two annotators; found {annotators}.",
                    fix="Check the annotator column mapping (--annotator-col).",
                )
            ]
        )
    if not label_ids:
        raise InputError(
            [
                Problem(
                    str(path),
                    message="no annotator chose any label (every answer is empty), so "
                    "agreement on labels is undefined.",
                    fix="Check the label column (--label-col), or name the label set with "
                    "--schema.",
                )
            ]
        )
    boot = (resamples, seed, confidence)
    with open_executor(engine) as executor:
        if task == "multi_label":
            report = multilabel_agreement(frame, label_ids, *boot, executor=executor)
        else:
            report = span_agreement(
                frame, answers.spans, answers.texts, label_ids, *boot, executor=executor
            )
    skipped = answers.skipped
    return {
        "source": str(path),
        "n_rows_skipped": sum(skipped.values()),
        "skipped_reasons": skipped,
        **report,
    }


def _choice(value: object, name: str, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise UsageError(
            f"{name} must be one of {', '.join(choices)}; got {value!r}. "
            + did_you_mean(value, choices)
        )
    return value


def given_labels(
    labels: Sequence[object] | Mapping[object, float], level: str, where: str
) -> tuple[list[str], FloatArray]:
    """Label ids in the caller's order, and their values on the scale.

    A mapping gives each label's value. A sequence gives the order: nominal labels take their
    positions; other levels take the labels' numbers, and ordinal ones fall back to positions
    when the labels are not numbers (only their order matters there).
    """
    if isinstance(labels, str | bytes) or not isinstance(labels, Sequence | Mapping):
        raise UsageError(
            f"labels must be a list of labels or a mapping of label to value, got {type(labels).__name__}."
        )
    ids = [as_text(label) for label in labels]
    if not ids:
        raise UsageError("labels is empty; leave it None to take the labels from the data.")
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise UsageError(f"labels repeats {', '.join(repr(r) for r in repeated)}.")
    if isinstance(labels, Mapping):
        try:
            numbers = np.array([float(v) for v in labels.values()], dtype=np.float64)
        except (TypeError, ValueError):
            raise UsageError("labels: every value of the mapping must be a number.") from None
        if level == "nominal":
            return ids, np.arange(len(ids), dtype=np.float64)
        return ids, numbers
    if level == "nominal":
        return ids, np.arange(len(ids), dtype=np.float64)
    parsed = pd.to_numeric(pd.Series(ids), errors="coerce")
    if parsed.notna().all():
        return ids, parsed.to_numpy(dtype=np.float64)
    if level == "ordinal":
        return ids, np.arange(len(ids), dtype=np.float64)
    bad = [i for i, n in zip(ids, parsed, strict=True) if pd.isna(n)]
    raise InputError(
        [
            Problem(
                where,
                message=f"level '{level}' needs numeric labels, but labels has {', '.join(repr(b) for b in bad[:5])}.",
                fix="Give labels as a mapping of label to value, e.g. {'low': 1, 'high': 3}.",
            )
        ]
    )


def _refuse_unlisted(frame: pd.DataFrame, label_ids: list[str], where: str) -> None:
    unknown = sorted(set(frame[col.LABEL].unique()) - set(label_ids))
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:5])
        raise InputError(
            [
                Problem(
                    where,
                    message=f"labels that are not in labels=: {shown}{' and more' if len(unknown) > 5 else ''}.",
                    fix="Add them to labels, or leave labels=None to take the distinct values of the label column.",
                )
            ]
        )


def agreement_for_frame(
    data: object,
    *,
    item_col: str,
    annotator_col: str,
    label_col: str,
    level: str,
    weights: str,
    bootstrap: int,
    seed: int,
    confidence: float,
    labels: Sequence[object] | Mapping[object, float] | None,
    min_pair_items: int,
    source: str,
    interval: str = "bca",
) -> dict[str, Any]:
    """The agreement JSON of a DataFrame with one row per annotation (the Python API)."""
    level = _choice(level, "level", LEVELS)
    interval = _choice(interval, "interval", INTERVALS)
    weights = _choice(weights, "weights", ("auto", *WEIGHTS))
    for name, number in (
        ("bootstrap", bootstrap),
        ("seed", seed),
        ("min_pair_items", min_pair_items),
    ):
        if isinstance(number, bool) or not isinstance(number, int | np.integer):
            raise UsageError(f"{name} must be an integer, got {number!r}.")
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise UsageError(f"confidence must be a number, got {confidence!r}.")
    check_settings(float(confidence), int(bootstrap), int(min_pair_items), ARGUMENTS)
    columns = {col.ITEM_ID: item_col, col.ANNOTATOR_ID: annotator_col, col.LABEL: label_col}
    frame, skipped = frame_export(data, columns, COLUMN_ARGUMENTS, source)
    if labels is None:
        label_ids, values = label_values(frame[col.LABEL], level, source)
    else:
        label_ids, values = given_labels(labels, level, source)
        _refuse_unlisted(frame, label_ids, source)
    options = _options(
        level,
        weights,
        int(bootstrap),
        int(seed),
        float(confidence),
        int(min_pair_items),
        interval,
    )
    return agreement_report(frame, skipped, source, label_ids, values, options)


def schema_labels(
    path: Path, schema_name: str, level: str | None, task: str = "single_label"
) -> tuple[str, list[str], FloatArray]:
    """Level, label ids and values from a schema of the project holding `path`."""
    # Only with --schema: loading a project costs its pydantic models' import.
    from labelgate.project.loader import load_project

    root = find_root(path.parent)
    project = load_project(root)
    doc = project.schemas.get(schema_name)
    if doc is None:
        raise ConfigError(
            [
                Problem(
                    f"schemas/{schema_name}.yaml",
                    message=f"schema '{schema_name}' does not exist in {root}/schemas.",
                    fix=did_you_mean(schema_name, project.schemas),
                )
            ]
        )
    schema = doc.model
    if schema.task != task:
        raise UsageError(
            f"schema '{schema_name}' is task {schema.task}; pass --task {schema.task}"
            + ("" if task == "single_label" else f" (or a {task} schema)")
            + "."
        )
    if level and level != schema.level:
        raise UsageError(
            f"--level {level} contradicts schema '{schema_name}', whose level is {schema.level}."
        )
    values = schema_values(schema.level, [label.value for label in schema.labels])
    return schema.level, list(schema.label_ids), values
