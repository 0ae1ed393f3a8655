"""Qualification test scores, gold accuracy per window of work, and who needs retraining."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from labelgate.analysis.encoding import positions
from labelgate.analysis.reviews import interval
from labelgate.analysis.windows import Windows
from labelgate.config import columns as col
from labelgate.metrics.proportions import z_value

# Shares are ratios of counts: a score of exactly the pass mark (14/20 against 0.7) passes
# however the division rounds, and a drop of exactly max_drop is not more than it.
_TOLERANCE = 1e-9
BoolArray = npt.NDArray[np.bool_]


def _correct_counts(answers: pd.DataFrame, key: pd.DataFrame) -> pd.DataFrame:
    """Per annotator: n_questions (answers to questions the key has) and n_correct, for every
    annotator in `answers` (one answer per question: the first)."""
    truth = key[[col.ITEM_ID, col.LABEL]].drop_duplicates(col.ITEM_ID, keep="first")
    first = answers[[col.ANNOTATOR_ID, col.ITEM_ID, col.LABEL]].drop_duplicates(
        [col.ANNOTATOR_ID, col.ITEM_ID], keep="first"
    )
    joined = first.merge(truth.rename(columns={col.LABEL: "truth"}), on=col.ITEM_ID, how="left")
    scored = joined["truth"].notna()
    frame = pd.DataFrame(
        {
            col.ANNOTATOR_ID: joined[col.ANNOTATOR_ID].astype("str"),
            "scored": scored,
            "correct": scored & (joined[col.LABEL] == joined["truth"]),
        }
    )
    return frame.groupby(col.ANNOTATOR_ID, sort=True).agg(
        n_questions=("scored", "sum"), n_correct=("correct", "sum")
    )


def qualification_scores(
    answers: pd.DataFrame,
    key: pd.DataFrame,
    *,
    pass_mark: float | None,
    min_questions: int = 10,
    confidence: float = 0.95,
) -> dict[str, dict[str, Any]]:
    """Each test taker's score: the share of the key's questions they answered right.

    Returns {annotator_id: {score, n_questions, n_correct, ci_low, ci_high (Wilson at
    `confidence`), passed, pass_mark, skipped}}, by annotator id. `passed` is None (and
    `skipped` says why) without a pass mark or with fewer than `min_questions` answers the
    key can score; an unanswered question is not counted against anyone. `score` is None when
    no answer can be scored.
    """
    z_value(confidence)  # a bad confidence fails with or without answers
    counts = _correct_counts(answers, key)
    out: dict[str, dict[str, Any]] = {}
    for annotator, n, right in zip(
        counts.index, counts["n_questions"], counts["n_correct"], strict=True
    ):
        n, right = int(n), int(right)
        low, high = interval(right, n, confidence) if n else (None, None)
        score = right / n if n else None
        skipped = None
        if pass_mark is None:
            skipped = "no qualification_pass_mark in the qa rules"
        elif n < min_questions:
            skipped = (
                f"{n} answered question{'s' * (n != 1)} the key can score, fewer than "
                f"min_qualification_questions {min_questions}"
            )
        passed = None
        if skipped is None and score is not None and pass_mark is not None:
            passed = score >= pass_mark - _TOLERANCE
        out[str(annotator)] = {
            "score": score,
            "n_questions": n,
            "n_correct": right,
            "ci_low": low,
            "ci_high": high,
            "passed": passed,
            "pass_mark": pass_mark,
            "skipped": skipped,
        }
    return out


def _on_items(item_ids: pd.Series, windows: Windows) -> BoolArray:
    """Which annotation rows are of one of `item_ids`, on the windows' integer codes."""
    hit = np.zeros(len(windows.ids.item_ids) + 1, dtype=bool)  # the last: a missing id (-1)
    found = positions(item_ids, windows.ids.item_ids)
    hit[found[found >= 0]] = True
    return hit[windows.ids.item]


def _windowed(windows: Windows) -> BoolArray:
    """Which annotation rows are in a window."""
    return windows.rank >= 0


def gold_accuracy_by_window(
    annotations: pd.DataFrame, gold: pd.DataFrame, windows: Windows
) -> dict[str, list[dict[str, Any]]]:
    """Each annotator's accuracy on gold items (calibration items mixed into the work), per
    window of `windows` (`assign_windows(annotations, ...)`): {annotator_id: [{window, n_gold,
    n_correct, accuracy}]}, windows oldest first, only those with a gold item of theirs.
    Annotations outside every window are left out."""
    if len(windows.of_annotation) != len(annotations):
        raise ValueError(
            f"windows were assigned to {len(windows.of_annotation)} annotations, not to these "
            f"{len(annotations)}: pass assign_windows(annotations) of the same table"
        )
    truth = gold[[col.ITEM_ID, col.LABEL]].drop_duplicates(col.ITEM_ID, keep="first")
    # Only annotations of gold items can join: pick them before any per-row string work.
    rows = np.flatnonzero(_on_items(truth[col.ITEM_ID], windows) & _windowed(windows))
    frame = pd.DataFrame(
        {
            col.ANNOTATOR_ID: annotations[col.ANNOTATOR_ID].iloc[rows].astype("str").to_numpy(),
            col.ITEM_ID: annotations[col.ITEM_ID].iloc[rows].astype("str").to_numpy(),
            col.LABEL: annotations[col.LABEL].iloc[rows].astype("str").to_numpy(),
            "window": windows.of_annotation.iloc[rows].astype("str").to_numpy(),
        }
    )
    joined = frame.merge(
        truth.astype("str").rename(columns={col.LABEL: "truth"}), on=col.ITEM_ID, how="inner"
    )
    joined["correct"] = joined[col.LABEL] == joined["truth"]
    rank = {w: i for i, w in enumerate(windows.order)}
    stats = (
        joined.groupby([col.ANNOTATOR_ID, "window"], sort=False)["correct"]
        .agg(n_gold="size", n_correct="sum")
        .reset_index()
    )
    stats["rank"] = stats["window"].map(rank)
    stats = stats.sort_values([col.ANNOTATOR_ID, "rank"], kind="stable")
    out: dict[str, list[dict[str, Any]]] = {}
    for annotator, window, n, right in zip(
        stats[col.ANNOTATOR_ID], stats["window"], stats["n_gold"], stats["n_correct"], strict=True
    ):
        out.setdefault(str(annotator), []).append(
            {
                "window": str(window),
                "n_gold": int(n),
                "n_correct": int(right),
                "accuracy": int(right) / int(n),
            }
        )
    return out


def _test_flag(score: dict[str, Any]) -> list[str]:
    if score.get("passed") is not False:
        return []
    return [
        f"qualification test {score['n_correct']} of {score['n_questions']} "
        f"({score['score']:.2f}) is below the pass mark {score['pass_mark']:.2f}"
    ]


def _drop_p(first: dict[str, Any], last: dict[str, Any]) -> float:
    """One-sided Fisher exact p-value that accuracy in `last` is lower than in `first`."""
    from scipy.stats import fisher_exact

    table = [
        [first["n_correct"], first["n_gold"] - first["n_correct"]],
        [last["n_correct"], last["n_gold"] - last["n_correct"]],
    ]
    return float(fisher_exact(table, alternative="greater").pvalue)


def _below_p(last: dict[str, Any], bar: float) -> float:
    """One-sided exact binomial p-value that the latest window's accuracy is below `bar`."""
    from scipy.stats import binomtest

    return float(binomtest(last["n_correct"], last["n_gold"], bar, alternative="less").pvalue)


def _window_flags(
    windows: list[dict[str, Any]],
    min_gold_accuracy: float | None,
    min_gold_items: int,
    max_drop: float | None,
    significance: float | None = None,
) -> list[str]:
    """A drop from the first to the latest window, and the latest window below the bar;
    only windows with at least `min_gold_items` gold items count, and two are needed. With
    `significance`, each flag also needs its exact test's p-value below it, so a window of a
    few gold items flags only a clear fall."""
    judged = [w for w in windows if w["n_gold"] >= min_gold_items]
    if len(judged) < 2:
        return []  # one window is the annotator's overall accuracy, judged by aggregate
    first, last = judged[0], judged[-1]
    flags = []
    drop = first["accuracy"] - last["accuracy"]
    if max_drop is not None and drop > max_drop + _TOLERANCE:
        p = _drop_p(first, last) if significance is not None else None
        if p is None or p < significance:  # type: ignore[operator]
            flags.append(
                f"gold accuracy fell from {first['accuracy']:.2f} in {first['window']} to "
                f"{last['accuracy']:.2f} in {last['window']} ({last['n_correct']} of "
                f"{last['n_gold']}), by more than {max_drop:.2f}"
                + ("" if p is None else f" (one-sided Fisher exact p = {p:.3f})")
            )
    if min_gold_accuracy is not None and last["accuracy"] < min_gold_accuracy - _TOLERANCE:
        p = _below_p(last, min_gold_accuracy) if significance is not None else None
        if p is None or p < significance:  # type: ignore[operator]
            flags.append(
                f"gold accuracy in the latest window {last['window']} is {last['accuracy']:.2f} "
                f"({last['n_correct']} of {last['n_gold']}), below the bar {min_gold_accuracy:.2f}"
                + ("" if p is None else f" (one-sided binomial p = {p:.3f})")
            )
    return flags


def retraining_flags(
    qualification: dict[str, dict[str, Any]],
    by_window: dict[str, list[dict[str, Any]]],
    *,
    min_gold_accuracy: float | None,
    min_gold_items: int,
    max_drop: float | None,
    significance: float | None = None,
) -> dict[str, list[str]]:
    """Why each annotator needs retraining, in plain words: {annotator_id: [reason]} for
    everyone in `qualification` (`qualification_scores`) or `by_window`
    (`gold_accuracy_by_window`), by id; an empty list means no flag.

    Flags: failing the qualification test; gold accuracy that fell by more than `max_drop`
    from the first to the latest window; gold accuracy in the latest window below
    `min_gold_accuracy`. Windows with fewer than `min_gold_items` gold items are not
    compared, and the window flags need two such windows: with one, the annotator's overall
    gold accuracy (the aggregate stage's bar) is the only judgement. `significance` (e.g.
    0.05) also requires each window flag's exact test to reject at that level.
    """
    out: dict[str, list[str]] = {}
    for annotator in sorted(set(qualification) | set(by_window)):
        out[annotator] = _test_flag(qualification.get(annotator, {})) + _window_flags(
            by_window.get(annotator, []), min_gold_accuracy, min_gold_items, max_drop, significance
        )
    return out
