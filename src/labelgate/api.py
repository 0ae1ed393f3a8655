"""labelgate's Python API: agreement and consensus labels of any DataFrame, and a loaded project.

`import labelgate` stays light: these are exposed as `labelgate.agreement`,
`labelgate.aggregate` and `labelgate.load_project`, and pandas loads on the first call. Each
is a thin front over the use case the command line calls (`labelgate agreement`,
`labelgate aggregate`), so a DataFrame and the same rows in a file give the same results.
Errors are labelgate's own: `UsageError` for a bad argument, `InputError` (a `ConfigError`)
for data that cannot be used, each with a message saying what to fix. See docs/api.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from labelgate.app.aggregate import AggregateResult
    from labelgate.app.loaded_project import LoadedProject

__all__ = ["aggregate", "agreement", "load_project"]


def agreement(  # long: its docstring documents every argument
    df: pd.DataFrame,
    *,
    item_col: str = "item_id",
    annotator_col: str = "annotator_id",
    label_col: str = "label",
    level: str = "nominal",
    weights: str = "auto",
    bootstrap: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    labels: Sequence[Any] | Mapping[Any, float] | None = None,
    min_pair_items: int = 10,
    source: str = "DataFrame",
    interval: str = "bca",
) -> dict[str, Any]:
    """The agreement report of `df`, one row per annotation: what
    `labelgate agreement FILE --format json` prints for the same rows.

    Args:
        df: one row per annotation; cells are read as text (2.0 as "2"), and rows with an
            empty or missing item, annotator or label, a list or dict there (`nested_value`) or
            a value over several lines (`newline_in_value`) are skipped and counted.
        item_col, annotator_col, label_col: the columns holding them.
        level: "nominal", "ordinal", "interval" or "ratio".
        weights: "auto" (identity for nominal, quadratic otherwise), "identity", "ordinal",
            "linear" or "quadratic".
        bootstrap: resamples for the intervals; 0 for none.
        seed: the bootstrap seed.
        confidence: interval confidence, between 0.5 and 1.
        labels: the label set in order. None takes the distinct values of the label column
            (in numeric order when all are numbers); then any level but nominal needs numeric
            labels. A list gives the order (ordinal labels that are not numbers are ranked by
            their position); a dict {label: value} gives each label's value on the scale.
        min_pair_items: annotator pairs sharing fewer items are left out of the mean Cohen's
            kappa.
        source: the name the report and messages give the data.
        interval: "bca" (bias-corrected and accelerated bootstrap), "percentile" or
            "analytic" (Gwet's standard errors; the item jackknife for alpha).

    Returns:
        A JSON-ready dict: source, counts, level, weights, bootstrap settings,
        coefficients (value, ci_low, ci_high), pairs, per_label, per_annotator and
        diagnostics (see docs/agreement.md).

    Raises:
        UsageError: a setting out of range or misspelt.
        InputError: a missing column, fewer than two annotators, no item with two
            annotations, non-numeric labels at a numeric level, or labels outside `labels`.
    """
    from labelgate.app.agreement import agreement_for_frame

    return agreement_for_frame(
        df,
        item_col=item_col,
        annotator_col=annotator_col,
        label_col=label_col,
        level=level,
        weights=weights,
        bootstrap=bootstrap,
        seed=seed,
        confidence=confidence,
        labels=labels,
        min_pair_items=min_pair_items,
        source=source,
        interval=interval,
    )


def aggregate(
    df: pd.DataFrame,
    *,
    method: str = "majority_vote",
    item_col: str = "item_id",
    annotator_col: str = "annotator_id",
    label_col: str = "label",
    gold: pd.Series | pd.DataFrame | Mapping[Any, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    min_confidence: float = 0.0,
    seed: int = 0,
    calibration: str = "auto",
    target_error_rate: float | None = None,
) -> AggregateResult:
    """Consensus labels of `df`, one row per annotation: what `labelgate aggregate FILE` writes.

    Args:
        df: one row per annotation (cells read as text; incomplete rows, nested values and
            values over several lines skipped and counted).
        method: "majority_vote", "weighted_majority_vote", "dawid_skene", "mace" or
            "ordinal_median" (docs/aggregation.md).
        item_col, annotator_col, label_col: the columns holding them.
        gold: known labels, as a Series (label by item id), a dict, or a DataFrame with the
            same item and label columns as `df`. Gold items without annotations are ignored;
            a gold label no annotator used joins the label set. `result.messages` says so.
        params: the method's parameters, e.g. {"max_iter": 200}.
        min_confidence: below this (calibrated) confidence an item is "unresolved".
        seed: the method's random_state (unless `params` sets one).
        calibration: "auto", "gold", "agreement" or "none": how `confidence` is calibrated
            (docs/aggregation.md, "Calibrated confidence").
        target_error_rate: route the least-confident labels to "unresolved" until the
            expected error among the others is at most this (in (0, 0.5)); None: no routing.

    Returns:
        An `AggregateResult`: `labels` (item_id, label, confidence, raw_confidence, status,
        n_annotations),
        `annotators` (annotator_id, n_annotations, agreement_with_consensus, and with gold
        n_gold, gold_accuracy) and `messages` (what the command prints on stderr).

    Raises:
        UsageError: an argument of the wrong type.
        ConfigError: an unknown method or parameter (with "Did you mean").
        InputError: a missing column, or no usable row.
    """
    from labelgate.app.aggregate import aggregate_for_frame

    return aggregate_for_frame(
        df,
        method=method,
        item_col=item_col,
        annotator_col=annotator_col,
        label_col=label_col,
        gold=gold,
        params=params,
        min_confidence=min_confidence,
        seed=seed,
        calibration=calibration,
        target_error_rate=target_error_rate,
    )


def load_project(path: str | PathLike[str] = ".") -> LoadedProject:
    """The labelgate project at or above `path`, loaded and validated.

    Returns:
        A `LoadedProject`: `root`; `schemas`, `guidelines`, `qa_rules`, `pipelines` and
        `datasets` (documents by name, `.model` the validated content, `.file` its path);
        `dataset_names`; `check()` (every problem `labelgate check` reports);
        `outputs(dataset)`, `table(dataset, name)` (a built table as a DataFrame, e.g.
        "final_labels") and `report(dataset, name)` (a built JSON file, e.g. "metrics").

    Raises:
        ConfigError: no project at or above `path`, or files that do not load (every problem).
    """
    from labelgate.app.loaded_project import open_project

    return open_project(Path(path))
