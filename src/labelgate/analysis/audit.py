"""Expert audit: a seeded stratified sample, the auditors' sheet, and the pass rate of results.

Sampling is by hash priority: each item gets sha256(seed:item_id), and each stratum takes its
lowest-priority items. The sample is reproducible from the seed, and adding items elsewhere
does not reshuffle it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from labelgate.config import columns as col
from labelgate.config.qa_rules import AuditSampling
from labelgate.metrics.proportions import wilson_interval


@dataclass(frozen=True)
class Audit:
    """The sheet auditors fill in, and audit.json."""

    sheet: pd.DataFrame
    summary: dict[str, Any]


def priority(item_ids: pd.Series, seed: int) -> pd.Series:
    """Uniform pseudo-random key per item from (seed, item_id), computed once per distinct id."""
    codes, uniques = pd.factorize(item_ids)
    keys = np.array(
        [
            int.from_bytes(hashlib.sha256(f"{seed}:{i}".encode()).digest()[:8], "big")
            for i in uniques
        ],
        dtype=np.uint64,
    )
    return pd.Series(keys[codes], index=item_ids.index)


def _annotator_top_up(
    frame: pd.DataFrame, chosen: pd.DataFrame, annotations: pd.DataFrame, rule: AuditSampling
) -> pd.DataFrame:
    """Items to add so every annotator has at least min_per_stratum labelled items sampled."""
    pairs = annotations[[col.ANNOTATOR_ID, col.ITEM_ID]].drop_duplicates()
    covered = (
        pairs[pairs[col.ITEM_ID].isin(set(chosen[col.ITEM_ID]))].groupby(col.ANNOTATOR_ID).size()
    )
    extra = []
    ranked = pairs.assign(_priority=priority(pairs[col.ITEM_ID], rule.seed)).sort_values(
        [col.ANNOTATOR_ID, "_priority"]
    )
    taken = set(chosen[col.ITEM_ID])
    for annotator, group in ranked.groupby(col.ANNOTATOR_ID, sort=True):
        need = rule.min_per_stratum - int(covered.get(annotator, 0))
        for item_id in group[col.ITEM_ID]:
            if need <= 0:
                break
            if item_id not in taken:
                extra.append(item_id)
                taken.add(item_id)
                need -= 1
    return frame[frame[col.ITEM_ID].isin(extra)].assign(
        stratum=lambda f: f["stratum"] + "|annotator-coverage"
    )


def draw(final: pd.DataFrame, annotations: pd.DataFrame, rule: AuditSampling) -> pd.DataFrame:
    """The sample: per stratum round(fraction * size) items (at least min_per_stratum)."""
    frame = final[[col.ITEM_ID, col.LABEL, "confidence", "status"]].copy()
    first_batch = annotations.groupby(col.ITEM_ID)["batch"].first()
    frame["batch"] = frame[col.ITEM_ID].map(first_batch).fillna("")
    frame["_priority"] = priority(frame[col.ITEM_ID], rule.seed)
    keys = [k for k in rule.strata if k != "annotator"]
    stratum = pd.Series("all" if not keys else "", index=frame.index, dtype="str")
    for position, key in enumerate(keys):
        stratum = stratum + ("|" if position else "") + frame[key].astype("str")
    frame["stratum"] = stratum
    frame = frame.sort_values(["stratum", "_priority"], kind="stable")
    rank = frame.groupby("stratum").cumcount()
    size = frame.groupby("stratum")[col.ITEM_ID].transform("size")
    quota = np.maximum(np.floor(size * rule.fraction + 0.5), np.minimum(rule.min_per_stratum, size))
    chosen = frame[rank < quota]
    if "annotator" in rule.strata and rule.min_per_stratum > 0:
        chosen = pd.concat([chosen, _annotator_top_up(frame, chosen, annotations, rule)])
    if rule.max_items is not None:
        chosen = chosen.sort_values("_priority").head(rule.max_items)
    sample: pd.DataFrame = chosen.sort_values(col.ITEM_ID).drop(columns=["_priority"])
    return sample.reset_index(drop=True)


def auditor_sheet(sample: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """The sample with the item text and empty columns for the auditor's verdict."""
    sheet = sample.rename(columns={col.LABEL: "final_label"})
    if "text" in items:
        sheet = sheet.merge(items[[col.ITEM_ID, "text"]], on=col.ITEM_ID, how="left")
    for name in ("auditor_id", "verdict", col.LABEL, "reason"):
        sheet[name] = ""
    return sheet


def pass_rate(results: pd.DataFrame) -> dict[str, Any] | None:
    """The share of audited labels judged correct, with its Wilson 95% interval."""
    audited = results[results["verdict"].isin(["correct", "incorrect"])]
    if not len(audited):
        return None
    passed = int((audited["verdict"] == "correct").sum())
    low, high = wilson_interval(passed, len(audited))
    return {
        "n_audited": len(audited),
        "n_correct": passed,
        "audit_pass_rate": passed / len(audited),
        "ci_low": low,
        "ci_high": high,
        "n_unknown_verdicts": int(len(results) - len(audited)),
    }


def audit(
    final: pd.DataFrame,
    annotations: pd.DataFrame,
    items: pd.DataFrame,
    results: pd.DataFrame,
    rule: AuditSampling,
) -> Audit:
    """Draw the sample from the final labels and score any filled-in results."""
    sample = draw(final, annotations, rule)
    frame_text = "\n".join(final[col.ITEM_ID] + "\t" + final[col.LABEL])
    summary: dict[str, Any] = {
        "seed": rule.seed,
        "fraction": rule.fraction,
        "strata": list(rule.strata),
        "frame_hash": hashlib.sha256(frame_text.encode("utf-8")).hexdigest(),
        "n_frame": len(final),
        "n_sampled": len(sample),
        "by_stratum": sample["stratum"].value_counts().sort_index().to_dict(),
        "results": pass_rate(results),
    }
    return Audit(auditor_sheet(sample, items), summary)
