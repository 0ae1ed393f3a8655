"""agreement: Krippendorff's alpha at the schema's level and Fleiss' kappa, overall and by group."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from labelgate.io.writers import read_parquet, write_csv, write_json
from labelgate.metrics.counts import item_value_counts
from labelgate.metrics.kappa import fleiss_kappa, percent_agreement
from labelgate.metrics.krippendorff import krippendorff_alpha
from labelgate.project.context import DatasetContext
from labelgate.stages import base
from labelgate.stages.encoding import Encoded, encode, unique_annotations


def coefficients(enc: Encoded, mask: np.ndarray, level: str, names: list[str]) -> dict[str, Any]:
    """The requested coefficients on the annotations selected by `mask`."""
    items = enc.items[mask]
    codes, uniques = pd.factorize(items)
    counts = item_value_counts(
        codes.astype(np.int64), enc.labels[mask], len(uniques), len(enc.label_ids)
    )
    m = counts.sum(axis=1)
    functions = {
        "krippendorff_alpha": lambda: krippendorff_alpha(counts, level, enc.values),
        "fleiss_kappa": lambda: fleiss_kappa(counts),
        "percent_agreement": lambda: percent_agreement(counts),
    }
    out: dict[str, Any] = {
        "n_items": len(uniques),
        "n_pairable_items": int((m >= 2).sum()),
        "n_annotations": int(mask.sum()),
        "coefficients": {
            name: {"value": functions[name](), "ci_low": None, "ci_high": None} for name in names
        },
    }
    return out


def diagnostics(enc: Encoded, overall: dict[str, Any], min_pairable: int) -> list[dict[str, str]]:
    """What a reader must know before trusting the numbers."""
    notes = []
    if overall["n_pairable_items"] < min_pairable:
        notes.append(
            {
                "code": "too_few_pairable_items",
                "message": f"only {overall['n_pairable_items']} items have 2+ annotations (< {min_pairable}); coefficients are unstable.",
            }
        )
    shares = np.bincount(enc.labels, minlength=len(enc.label_ids)) / max(len(enc.labels), 1)
    if shares.max() > 0.9:
        notes.append(
            {
                "code": "skewed_prevalence",
                "message": f"label '{enc.label_ids[int(shares.argmax())]}' is {shares.max():.0%} of annotations: high raw agreement can meet low kappa (the kappa paradox).",
            }
        )
    sparse = [enc.label_ids[k] for k in range(len(shares)) if 0 < shares[k] < 0.01]
    if sparse:
        notes.append(
            {
                "code": "sparse_categories",
                "message": f"labels under 1% of annotations: {', '.join(sparse)}; their disagreements weigh little.",
            }
        )
    return notes


def run(ctx: DatasetContext) -> base.StageResult:
    """Write agreement.json and plot data by batch and guideline version."""
    annotations = unique_annotations(read_parquet(ctx.out / base.ANNOTATIONS))
    enc = encode(annotations, ctx.schema)
    step = ctx.pipeline.agreement
    level = ctx.schema.level
    everything = np.ones(len(enc.items), dtype=bool)
    result: dict[str, Any] = {
        "level": level,
        "n_annotators": len(enc.annotator_ids),
        **coefficients(enc, everything, level, step.coefficients),
    }
    plot_rows = []
    for breakdown in step.breakdowns:
        if breakdown not in ("batch", "guideline_version"):
            continue  # per label and per annotator breakdowns come with the agreement engine
        groups: dict[str, Any] = {}
        keys = annotations[breakdown].astype("str").to_numpy()
        for key in sorted(set(keys)):
            groups[key or "(none)"] = coefficients(enc, keys == key, level, step.coefficients)
            for name, value in groups[key or "(none)"]["coefficients"].items():
                plot_rows.append(
                    {
                        "breakdown": breakdown,
                        "group": key or "(none)",
                        "coefficient": name,
                        "value": value["value"],
                    }
                )
        result[f"by_{breakdown}"] = groups
    result["diagnostics"] = diagnostics(enc, result, step.min_pairable_items)
    plots = pd.DataFrame(plot_rows, columns=["breakdown", "group", "coefficient", "value"])
    outputs = [
        write_json(ctx.out / base.AGREEMENT_JSON, result),
        write_csv(ctx.out / base.PLOTS / "agreement_by_group.csv", plots),
    ]
    lines = [f"{name} = {v['value']:.3f}" for name, v in result["coefficients"].items()]
    lines += [f"note: {d['message']}" for d in result["diagnostics"]]
    return base.StageResult("agreement", ctx.name, outputs, result, lines)
