"""Expert audit: a seeded stratified sample, the auditors' sheet, and the pass rate of results.

Sampling is by hash priority: each item gets sha256(seed:item_id), and each stratum takes its
lowest-priority items. The sample is reproducible from the seed, and adding items elsewhere
does not reshuffle it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from operator import methodcaller
from typing import Any

import numpy as np
import pandas as pd

from labelgate.analysis.encoding import codes_together, first_votes
from labelgate.config import columns as col
from labelgate.config.qa_rules import AuditSampling
from labelgate.metrics.proportions import wilson_interval


@dataclass(frozen=True)
class Audit:
    """The sheet auditors fill in, and audit.json."""

    sheet: pd.DataFrame
    summary: dict[str, Any]


def _hash_keys(values: pd.Index, seed: int) -> np.ndarray:
    """The first 8 bytes of sha256(seed:value), big-endian, per value."""
    texts = [f"{seed}:{v}".encode() for v in values.tolist()]
    digests = b"".join(map(methodcaller("digest"), map(hashlib.sha256, texts)))
    first8 = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 32)[:, :8].copy()
    return first8.view(">u8").ravel().astype(np.uint64)


def priority(item_ids: pd.Series, seed: int) -> pd.Series:
    """Uniform pseudo-random key per item from (seed, item_id), computed once per distinct id."""
    codes, uniques = pd.factorize(item_ids)
    return pd.Series(_hash_keys(pd.Index(uniques), seed)[codes], index=item_ids.index)


def _first_batch(
    item_codes: np.ndarray, votes: pd.DataFrame, vote_items: np.ndarray, index: pd.Index
) -> pd.Series:
    """Per item code, the first non-missing batch of its annotations ("" when none)."""
    batch_codes, batches = pd.factorize(votes["batch"])
    usable = np.flatnonzero((batch_codes >= 0) & (vote_items >= 0))
    n = int(max(item_codes.max(initial=-1), vote_items.max(initial=-1))) + 1
    per_item = np.full(n + 1, -1, dtype=np.int64)  # the extra last slot: a missing item id
    _, first = np.unique(vote_items[usable], return_index=True)
    per_item[vote_items[usable[first]]] = batch_codes[usable[first]]
    names = np.append(np.asarray(batches, dtype=object), "")  # code -1 takes the last
    return pd.Series(names[per_item[item_codes]], index=index, dtype="str")


def _annotator_top_up(
    frame: pd.DataFrame,
    chosen: np.ndarray,
    who: np.ndarray,
    vote_items: np.ndarray,
    keys: np.ndarray,
    rule: AuditSampling,
) -> pd.DataFrame:
    """Items to add so every annotator has at least min_per_stratum labelled items sampled.

    frame : the ranked frame with its item codes in `_code`; chosen : bool, its sampled rows;
    who, vote_items : annotator codes (sorted id order) and item codes of the first votes.
    """
    keep = who >= 0  # groupby leaves a missing annotator id out
    who, items = who[keep], vote_items[keep]
    n_items = len(keys)
    taken = np.zeros(n_items + 1, dtype=bool)  # the extra last slot: a missing item id
    taken[frame["_code"].to_numpy()[chosen]] = True
    covered = np.bincount(who[taken[items]], minlength=int(who.max(initial=-1)) + 1)
    order = np.lexsort((keys[items], who))
    who, items = who[order], items[order]
    starts = np.flatnonzero(np.r_[True, who[1:] != who[:-1]]) if len(who) else who
    extra = np.zeros(n_items + 1, dtype=bool)
    for start, stop in zip(starts, [*starts[1:], len(who)], strict=True):
        need = rule.min_per_stratum - int(covered[who[start]])
        if need <= 0:
            continue
        group = items[start:stop]
        add = group[~taken[group]][:need]  # a pair is unique: no item twice in a group
        taken[add] = extra[add] = True
    added: pd.DataFrame = frame[extra[frame["_code"].to_numpy()]]
    return added.assign(stratum=added["stratum"] + "|annotator-coverage")


def draw(final: pd.DataFrame, annotations: pd.DataFrame, rule: AuditSampling) -> pd.DataFrame:
    """The sample: per stratum round(fraction * size) items (at least min_per_stratum).

    annotations : item_id, annotator_id and batch, one row per annotation; repeats of an
    (item, annotator) are dropped here as `unique_annotations` does.
    """
    frame = final[[col.ITEM_ID, col.LABEL, "confidence", "status"]].copy()
    (codes, vote_items), uniques = codes_together(frame[col.ITEM_ID], annotations[col.ITEM_ID])
    who, _ = pd.factorize(annotations[col.ANNOTATOR_ID], sort=True)  # sorted id order
    first = first_votes(vote_items, who)
    votes, vote_items, who = annotations[first], vote_items[first], who[first]
    codes = np.where(codes >= 0, codes, len(uniques))
    frame["batch"] = _first_batch(codes, votes, vote_items, frame.index)
    keys = _hash_keys(uniques, rule.seed)
    frame["_priority"] = np.append(keys, keys[-1:])[codes]  # a missing id: as factorize's -1
    keys_strata = [k for k in rule.strata if k != "annotator"]
    stratum = pd.Series("all" if not keys_strata else "", index=frame.index, dtype="str")
    for position, key in enumerate(keys_strata):
        stratum = stratum + ("|" if position else "") + frame[key].astype("str")
    frame["stratum"] = stratum
    # Rank on codes: strata in sorted order (a missing one last, never drawn), then priority.
    strata, _ = pd.factorize(stratum, sort=True)
    n_strata = int(strata.max(initial=-1)) + 1
    strata = np.where(strata >= 0, strata, n_strata)
    order = np.lexsort((frame["_priority"].to_numpy(), strata))
    frame = frame.iloc[order].assign(_code=codes[order])
    strata = strata[order]
    size = np.bincount(strata, minlength=n_strata + 1)
    starts = np.cumsum(size) - size
    rank = np.arange(len(frame)) - starts[strata]
    quota = np.maximum(
        np.floor(size * rule.fraction + 0.5), np.minimum(rule.min_per_stratum, size)
    )[strata]
    picked = (rank < quota) & (strata < n_strata)
    chosen = frame[picked]
    if "annotator" in rule.strata and rule.min_per_stratum > 0:
        top_up = _annotator_top_up(frame, picked, who, vote_items, keys, rule)
        chosen = pd.concat([chosen, top_up])
    if rule.max_items is not None:
        chosen = chosen.sort_values("_priority").head(rule.max_items)
    sample: pd.DataFrame = chosen.sort_values(col.ITEM_ID).drop(columns=["_priority", "_code"])
    return sample.reset_index(drop=True)


def auditor_sheet(sample: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """The sample with the item text and empty columns for the auditor's verdict."""
    sheet = sample.rename(columns={col.LABEL: "final_label"})
    if "text" in items:
        (wanted, known), _ = codes_together(sheet[col.ITEM_ID], items[col.ITEM_ID])
        if np.bincount(known[known >= 0]).max(initial=0) > 1:  # repeated ids: merge's rows
            sheet = sheet.merge(items[[col.ITEM_ID, "text"]], on=col.ITEM_ID, how="left")
        else:  # a left merge on unique ids is a lookup: no string join
            where = np.full(int(max(wanted.max(initial=-1), known.max(initial=-1))) + 2, -1)
            where[known[known >= 0]] = np.flatnonzero(known >= 0)
            text = items["text"].reset_index(drop=True).reindex(where[wanted])
            sheet = sheet.assign(text=text.set_axis(sheet.index))
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
    frame_text = "\n".join((final[col.ITEM_ID] + "\t" + final[col.LABEL]).tolist())
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
