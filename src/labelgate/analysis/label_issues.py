"""Likely label errors: confident learning on the model, CROWDLAB with the annotators, a queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from labelgate.analysis.near_duplicates import near_duplicate_groups, near_duplicate_pairs
from labelgate.config import columns as col
from labelgate.config.pipeline import LabelIssuesStep
from labelgate.metrics.label_quality.confident_learning import find_label_issues
from labelgate.metrics.label_quality.crowdlab import crowdlab
from labelgate.metrics.label_quality.rankings import label_quality_scores, rank_issues
from labelgate.metrics.ranking import average_precision

ISSUE_COLUMNS = col.LABEL_ISSUE_COLUMNS
# Filled in by the reviewer; the rows then go into the dataset's adjudications file.
DECISION_COLUMNS = (col.LABEL, "adjudicator_id", "ruling_id", "note")


@dataclass(frozen=True)
class IssueInputs:
    """What label issues are found from. `annotations`: one vote per (item, annotator);
    `given`: item_id, label (the consensus to check) and optionally status; `probabilities`:
    (n, K) out-of-fold model probabilities for `given`'s items, in its row order."""

    annotations: pd.DataFrame
    given: pd.DataFrame
    probabilities: np.ndarray
    label_ids: Sequence[str]
    texts: pd.Series | None = None  # item_id -> text, for near-duplicate conflicts
    gold: pd.DataFrame | None = None


@dataclass(frozen=True)
class LabelIssues:
    """Every checked item ranked (`table`, ISSUE_COLUMNS + votes), per-annotator quality
    (`annotators`) and the figures for metrics (`summary`)."""

    table: pd.DataFrame
    annotators: pd.DataFrame
    summary: dict[str, Any]


def _codes(values: pd.Series, label_ids: Sequence[str]) -> np.ndarray:
    code_of = {label: k for k, label in enumerate(label_ids)}
    return values.map(code_of).to_numpy(dtype=np.int64)


def votes_text(annotations: pd.DataFrame, item_ids: Sequence[str]) -> list[str]:
    """'billing 2, refund_request 1' per item, most votes first, ties by label."""
    counts = annotations.groupby([col.ITEM_ID, col.LABEL]).size().reset_index(name="n")
    counts = counts.sort_values([col.ITEM_ID, "n", col.LABEL], ascending=[True, False, True])
    parts = counts[col.LABEL].astype(str) + " " + counts["n"].astype(str)
    joined = parts.groupby(counts[col.ITEM_ID], sort=False).agg(", ".join)
    return list(joined.reindex(list(item_ids)).fillna(""))


@dataclass(frozen=True)
class _Scores:
    method: str
    quality: np.ndarray  # (n,) quality of the given label
    probs: np.ndarray  # (n, K) the probabilities confident learning judges by
    annotators: pd.DataFrame
    model_weight: float | None


def _crowd_scores(inputs: IssueInputs, given_codes: np.ndarray) -> _Scores:
    """CROWDLAB posterior over the checked items (annotations of other items are ignored)."""
    item_ids = inputs.given[col.ITEM_ID].to_numpy()
    votes = inputs.annotations[inputs.annotations[col.ITEM_ID].isin(set(item_ids))]
    votes = votes[votes[col.LABEL].isin(set(inputs.label_ids))]
    position = pd.Series(np.arange(len(item_ids)), index=item_ids)
    annotator_codes, annotator_ids = pd.factorize(votes[col.ANNOTATOR_ID], sort=True)
    result = crowdlab(
        position.reindex(votes[col.ITEM_ID]).to_numpy(dtype=np.int64),
        annotator_codes.astype(np.int64),
        _codes(votes[col.LABEL], inputs.label_ids),
        inputs.probabilities,
        len(annotator_ids),
    )
    quality = result.posterior[np.arange(len(given_codes)), given_codes]
    annotators = pd.DataFrame(
        {
            col.ANNOTATOR_ID: list(annotator_ids),
            "agreement_with_consensus": result.annotator_agreement,
            "annotator_quality": result.annotator_quality,
            "weight": result.annotator_weights,
        }
    )
    return _Scores(
        "consensus_quality", quality, result.posterior, annotators, float(result.model_weight)
    )


def _scores(inputs: IssueInputs, given_codes: np.ndarray, step: LabelIssuesStep) -> _Scores:
    per_item = inputs.annotations.groupby(col.ITEM_ID)[col.ANNOTATOR_ID].nunique()
    several = bool((per_item >= 2).any())
    method = step.rank_by
    if method == "auto":
        method = "consensus_quality" if several else "self_confidence"
    if method == "consensus_quality":
        if len(inputs.annotations) and len(given_codes):
            return _crowd_scores(inputs, given_codes)
        method = "self_confidence"  # no annotations to weigh: the model alone
    quality = label_quality_scores(given_codes, inputs.probabilities, method=method)
    empty = pd.DataFrame(
        columns=[col.ANNOTATOR_ID, "agreement_with_consensus", "annotator_quality", "weight"]
    )
    return _Scores(method, quality, inputs.probabilities, empty, None)


def _reasons(
    table: pd.DataFrame, probs: np.ndarray, given_codes: np.ndarray, flagged: np.ndarray
) -> list[str]:
    """Why each row was flagged, in words a reviewer can check."""
    suggested = probs.argmax(axis=1)
    rows = np.arange(len(given_codes))
    out = []
    for i, (given, sugg, votes) in enumerate(
        zip(table["given_label"], table["suggested_label"], table["votes"], strict=True)
    ):
        if not flagged[i]:
            out.append("")
            continue
        p_given, p_sugg = probs[rows[i], given_codes[i]], probs[rows[i], suggested[i]]
        if sugg != given:
            text = (
                f"'{sugg}' is more likely ({p_sugg:.2f}) than the given '{given}' ({p_given:.2f})"
            )
        else:
            text = f"the given '{given}' is doubtful ({p_given:.2f})"
        out.append(f"{text}; votes {votes}" if votes else text)
    return out


def _duplicate_conflicts(inputs: IssueInputs, step: LabelIssuesStep) -> pd.DataFrame:
    """Items in a group of near-duplicates (connected by pairs at the threshold, exact copies
    included) whose final labels differ: item_id, other (the group's first item with another
    label), other_label, group_size."""
    columns = [col.ITEM_ID, "other", "other_label", "group_size"]
    if inputs.texts is None or step.near_duplicate_threshold is None:
        return pd.DataFrame(columns=columns)
    texts = inputs.texts.dropna().astype(str)
    texts = texts[texts.str.len() > 0]
    pairs = near_duplicate_pairs(texts, threshold=step.near_duplicate_threshold)
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    labels = inputs.given.drop_duplicates(col.ITEM_ID).set_index(col.ITEM_ID)[col.LABEL]
    members = pd.DataFrame(
        {col.ITEM_ID: texts.index, "group": near_duplicate_groups(pairs, len(texts))}
    )
    members = members[members["group"] >= 0].assign(label=lambda m: m[col.ITEM_ID].map(labels))
    members = members.dropna(subset=["label"])
    mixed = members.groupby("group")["label"].transform("nunique") > 1
    members = members[mixed]
    rows = []
    for _, group in members.groupby("group", sort=True):
        for item, label in zip(group[col.ITEM_ID], group["label"], strict=True):
            other = group[group["label"] != label].iloc[0]
            rows.append((item, other[col.ITEM_ID], other["label"], len(group)))
    return pd.DataFrame(rows, columns=columns)


def _mark_duplicates(table: pd.DataFrame, conflicts: pd.DataFrame) -> None:
    """Flag every item of a near-duplicate group whose final labels differ, saying with which."""
    position = {item: i for i, item in enumerate(table[col.ITEM_ID])}
    flags = table["is_issue"].to_numpy(dtype=bool).copy()
    reasons = list(table["reason"])
    for item, other, label, size in conflicts.itertuples(index=False):
        i = position.get(item)
        if i is None:
            continue
        text = f"near-duplicate of '{other}' labelled '{label}'"
        if size > 2:
            text += f" ({size} near-identical items)"
        flags[i] = True
        reasons[i] = f"{reasons[i]}; {text}" if reasons[i] else text
    table["is_issue"] = flags
    table["reason"] = reasons


def _gold_check(table: pd.DataFrame, gold: pd.DataFrame | None, share: pd.Series) -> dict[str, Any]:
    """On gold items: how well label quality (and, for contrast, the vote share of the given
    label) ranks the wrong consensus labels first, and how many flags were right."""
    if gold is None or gold.empty:
        return {"n_gold_checked": 0}
    truth = gold.drop_duplicates(col.ITEM_ID).set_index(col.ITEM_ID)[col.LABEL]
    on = table[table[col.ITEM_ID].isin(truth.index)]
    wrong = (on["given_label"].to_numpy() != truth.reindex(on[col.ITEM_ID]).to_numpy()).astype(bool)
    flagged = on["is_issue"].to_numpy(dtype=bool)
    out: dict[str, Any] = {
        "n_gold_checked": len(on),
        "n_wrong_consensus_on_gold": int(wrong.sum()),
        "n_flagged_on_gold": int(flagged.sum()),
        "flag_precision_on_gold": float(wrong[flagged].mean()) if flagged.any() else None,
        "flag_recall_on_gold": float(flagged[wrong].mean()) if wrong.any() else None,
        "auprc_label_quality": None,
        "auprc_vote_share": None,
    }
    if wrong.any() and not wrong.all():
        # Low quality = likely wrong, so the score ranked is 1 - quality.
        out["auprc_label_quality"] = average_precision(1 - on["label_quality"].to_numpy(), wrong)
        votes = share.reindex(on[col.ITEM_ID]).to_numpy(dtype=float)
        out["auprc_vote_share"] = average_precision(1 - np.nan_to_num(votes, nan=1.0), wrong)
    return out


def vote_share(annotations: pd.DataFrame, given: pd.DataFrame) -> pd.Series:
    """item_id -> share of the item's annotations that chose its given label."""
    merged = annotations[[col.ITEM_ID, col.LABEL]].merge(
        given[[col.ITEM_ID, col.LABEL]].rename(columns={col.LABEL: "given"}), on=col.ITEM_ID
    )
    return (merged[col.LABEL] == merged["given"]).groupby(merged[col.ITEM_ID]).mean()


def _by_label(table: pd.DataFrame, label_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    flags = table["is_issue"].astype(bool).groupby(table["given_label"])
    sizes, issues = flags.size(), flags.sum()
    return {
        label: {"n": int(sizes[label]), "n_issues": int(issues[label])}
        for label in label_ids
        if label in sizes.index
    }


def _changes(table: pd.DataFrame, top: int = 10) -> list[dict[str, Any]]:
    """The most frequent given -> suggested pairs among flagged items."""
    flagged = table[table["is_issue"] & (table["given_label"] != table["suggested_label"])]
    counts = flagged.groupby(["given_label", "suggested_label"]).size().reset_index(name="n")
    counts = counts.sort_values(
        ["n", "given_label", "suggested_label"], ascending=[False, True, True]
    )
    return [
        {"given": g, "suggested": s, "n": int(n)}
        for g, s, n in counts.head(top).itertuples(index=False)
    ]


def find_issues(inputs: IssueInputs, step: LabelIssuesStep) -> LabelIssues:
    """Rank every item of `inputs.given` by the quality of its label and flag likely errors.

    Flags come from confident learning (Northcutt et al. 2021; `step.filter_by`) on the
    probabilities the ranking uses: the model's, or, ranked by consensus quality, the CROWDLAB
    posterior (Goh et al. 2022), where a consensus the posterior overturns is flagged too. Items a person adjudicated are never flagged; near-
    duplicates with different labels are. Nothing is relabelled: `suggested_label` is advice.
    """
    label_ids = list(inputs.label_ids)
    given = inputs.given.reset_index(drop=True)
    given_codes = _codes(given[col.LABEL], label_ids)
    scores = _scores(inputs, given_codes, step)
    flagged = (
        find_label_issues(given_codes, scores.probs, filter_by=step.filter_by)
        if len(given)
        else np.zeros(0, dtype=bool)
    )
    if scores.method == "consensus_quality" and len(given):
        # Confident learning's per-class thresholds sit at the mean posterior, which is near 1
        # when annotators mostly agree: a consensus the weighted ensemble overturns at 0.7 would
        # pass unflagged. So an overturned consensus is an issue too.
        flagged |= scores.probs.argmax(axis=1) != given_codes
    decided = given.get("status", pd.Series("", index=given.index)).eq("adjudicated").to_numpy()
    flagged &= ~decided
    item_ids = given[col.ITEM_ID].tolist()
    table = pd.DataFrame(
        {
            col.ITEM_ID: pd.Series(item_ids, dtype=object),
            "given_label": given[col.LABEL].to_numpy(dtype=object),
            "suggested_label": np.array(label_ids, dtype=object)[scores.probs.argmax(axis=1)]
            if len(given)
            else np.array([], dtype=object),
            "label_quality": np.clip(scores.quality.astype(np.float64), 0.0, 1.0),
            "is_issue": flagged,
            "rank": 0,
            "reason": "",
            "votes": votes_text(inputs.annotations, item_ids),
        }
    )
    table["reason"] = _reasons(table, scores.probs, given_codes, flagged)
    table.loc[decided, "reason"] = "adjudicated: a person decided this label"
    conflicts = _duplicate_conflicts(inputs, step)
    _mark_duplicates(table, conflicts)
    table.loc[decided, "is_issue"] = False
    order = rank_issues(table["label_quality"].to_numpy(), table["is_issue"].to_numpy(bool))
    table = table.iloc[order].reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1, dtype=np.int64)
    n_issues = int(table["is_issue"].sum())
    summary = {
        "enabled": True,
        "ranked_by": scores.method,
        "filter_by": step.filter_by,
        "n_items_checked": len(table),
        "n_label_issues": n_issues,
        # None, not 0.0, when nothing was checked: a gate on it must not pass on no evidence.
        "label_issue_rate": n_issues / len(table) if len(table) else None,
        "n_adjudicated_not_flagged": int(decided.sum()),
        "n_near_duplicate_conflicts": len(conflicts),  # items in mixed-label groups
        "model_weight": scores.model_weight,
        "by_label": _by_label(table, label_ids),
        "top_changes": _changes(table),
        "gold": _gold_check(table, inputs.gold, vote_share(inputs.annotations, given)),
    }
    return LabelIssues(table, scores.annotators.reset_index(drop=True), summary)


def review_queue(
    table: pd.DataFrame, budget: int, texts: pd.Series | None, model_version: str
) -> pd.DataFrame:
    """The flagged items, most doubtful first, at most `budget`, with the columns of an
    adjudication for the reviewer to fill in (`label` is left empty: keep or change)."""
    queue = table[table["is_issue"]].head(budget).copy()
    if texts is not None:
        queue["text"] = texts.reindex(queue[col.ITEM_ID]).fillna("").to_numpy(dtype=object)
    queue["label_quality"] = queue["label_quality"].round(4)
    for name in DECISION_COLUMNS:
        queue[name] = ""
    # Pre-filled so the adjudication's lineage says why the item was reviewed.
    queue["note"] = [f"label issue rank {r} ({model_version})" for r in queue["rank"]]
    return queue.drop(columns=["is_issue"]).reset_index(drop=True)
