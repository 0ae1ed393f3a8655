"""The sections of report.html as plain view data (text, tables, SVG charts) built from the
stage summaries; the templates only lay them out."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

from labelgate.analysis.gates import counts_as, sample_size
from labelgate.report import charts
from labelgate.report.html import Cell, Table, as_number, fmt, num_cell, pct, text_cell

# Which threshold is met by how much: margin = sign * (observed - threshold), >= 0 when met.
_MARGIN_SIDES = {
    "min": ("value", 1),
    "max": ("value", -1),
    "min_lower_bound": ("ci_low", 1),
    "max_upper_bound": ("ci_high", -1),
    "min_items": ("n", 1),
}


def chart(spec: dict[str, Any], prefix: str) -> Markup:
    """An SVG chart to place in a page as it is (vl-convert escapes every string it draws)."""
    return Markup(charts.svg(spec, prefix))  # SVG text nodes come escaped


def _margins(check: dict[str, Any], metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Each threshold of a gate with what it was compared to and the margin (>= 0: met)."""
    observed = {
        "value": check["value"],
        "ci_low": (check.get("interval") or {}).get("ci_low"),
        "ci_high": (check.get("interval") or {}).get("ci_high"),
        "n": sample_size(check["metric"], metrics),
    }
    rows = []
    for key, threshold in check["thresholds"].items():
        if key == "max_drop":
            delta = check.get("delta")
            margin = None if delta is None else threshold + delta
            seen = "no baseline" if delta is None else f"change {delta:+.3f}"
        else:
            side, sign = _MARGIN_SIDES[key]
            value = observed[side]
            margin = None if value is None else sign * (value - threshold)
            seen = f"{side} {fmt(value)}"
        rows.append(
            {
                "key": key,
                "threshold": str(threshold),
                "observed": seen,
                "margin": "n/a" if margin is None else f"{margin:+.3f}".rstrip("0").rstrip("."),
                "met": margin is not None and margin >= -1e-12,
            }
        )
    return rows


def gate_section(gate: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    """The overall verdict and one row per gate with its thresholds and margins."""
    checks = []
    for check in gate["checks"]:
        interval = check.get("interval")
        checks.append(
            {
                "id": check["id"],
                "metric": check["metric"],
                "severity": check["severity"],
                "status": check["status"],
                "counts_as": counts_as(check),
                "value": fmt(check["value"]),
                "interval": f"[{fmt(interval['ci_low'])}, {fmt(interval['ci_high'])}]"
                if interval
                else "",
                "margins": _margins(check, metrics),
                "message": check["message"],
            }
        )
    return {"status": gate["status"], "checks": checks}


def coefficient_section(agreement: dict[str, Any], shown: list[str]) -> dict[str, Any]:
    """The headline coefficients with their intervals (table and chart) and the diagnostics."""
    coefficients = agreement["coefficients"]
    rows, points = [], []
    for name in shown:
        entry = coefficients.get(name)
        if entry is None:
            continue
        rows.append(
            [
                text_cell(name),
                num_cell(entry["value"]),
                num_cell(entry.get("ci_low")),
                num_cell(entry.get("ci_high")),
            ]
        )
        if entry["value"] is not None and entry.get("ci_low") is not None:
            low, high = entry["ci_low"], entry["ci_high"]
            points.append({"name": name, "value": entry["value"], "low": low, "high": high})
    boot = agreement.get("bootstrap") or {}
    table = Table(["coefficient", "value", "CI low", "CI high"], rows, {1, 2, 3})
    return {
        "table": table,
        "chart": chart(charts.interval_chart(points, "value with its interval"), "ci")
        if points
        else None,
        "bootstrap": boot,
        "diagnostics": agreement.get("diagnostics", []),
        "level": agreement.get("level") or agreement.get("task", ""),
    }


def per_label_section(agreement: dict[str, Any]) -> dict[str, Any]:
    """Agreement per label, whatever the task (one-vs-rest, present/absent or span F1)."""
    task = agreement.get("task")
    if task == "multi_label":
        columns, measure = ["label", "share", "alpha", "CI low", "CI high"], "alpha"
        entries = agreement["per_label"]
        rows = [
            [text_cell(e["label"]), Cell(pct(e["prevalence"]), e["prevalence"] or 0.0)]
            + [num_cell(e[k]) for k in ("alpha", "ci_low", "ci_high")]
            for e in entries
        ]
    elif task == "spans":
        columns, measure = ["label", "spans", "F1 strict", "F1 overlap"], "span_f1_strict"
        entries = agreement["per_label"]
        rows = [
            [text_cell(e["label"]), num_cell(e["spans"])]
            + [num_cell(e[k]) for k in ("span_f1_strict", "span_f1_overlap")]
            for e in entries
        ]
    else:
        columns = ["label", "annotations", "share", "alpha", "kappa", "% agreement"]
        measure = "krippendorff_alpha"
        entries = [{"label": k, **v} for k, v in agreement["per_label"].items()]
        rows = [
            [text_cell(e["label"]), num_cell(e["n_annotations"]), Cell(pct(e["share"]), e["share"])]
            + [num_cell(e[k]) for k in ("krippendorff_alpha", "fleiss_kappa", "percent_agreement")]
            for e in entries
        ]
    values = [{"label": e["label"], "v": e[measure]} for e in entries if e[measure] is not None]
    spec = (
        charts.bar_chart(
            values, "label", "v", f"{measure} per label", [min(0.0, *(v["v"] for v in values)), 1.0]
        )
        if values
        else None
    )
    numeric = set(range(1, len(columns)))
    return {"table": Table(columns, rows, numeric), "chart": chart(spec, "lab") if spec else None}


def annotator_section(
    annotators: list[dict[str, str]], agreement: dict[str, Any]
) -> dict[str, Any]:
    """One row per annotator: volume, gold accuracy, agreement with consensus and others."""
    per = agreement.get("per_annotator") or {}
    columns = [
        "annotator",
        "annotations",
        "gold items",
        "gold accuracy",
        "agrees with consensus",
        "mean kappa",
        "alpha without",
        "median s",
        "retrain",
        "excluded",
    ]
    rows = []
    for a in annotators:
        extra = per.get(a["annotator_id"], {})
        rows.append(
            [
                text_cell(a["annotator_id"]),
                num_cell(a["n_annotations"]),
                num_cell(a["n_gold"]),
                num_cell(a["gold_accuracy"]),
                num_cell(a["agreement_with_consensus"]),
                num_cell(extra.get("mean_cohen_kappa")),
                num_cell(extra.get("krippendorff_alpha_without")),
                num_cell(a["median_duration_s"], 1),
                _flag(a["needs_retraining"]),
                _flag(a["excluded"]),
            ]
        )
    values = [
        {"annotator": a["annotator_id"], "v": as_number(a["agreement_with_consensus"])}
        for a in annotators
        if as_number(a["agreement_with_consensus"]) is not None
    ]
    spec = charts.bar_chart(values, "annotator", "v", "agreement with consensus", [0.0, 1.0])
    numeric = set(range(1, 8))
    return {"table": Table(columns, rows, numeric), "chart": chart(spec, "ann") if values else None}


def _flag(value: str) -> Cell:
    flagged = value == "True"
    return Cell("yes" if flagged else "", 1.0 if flagged else 0.0, "flag" if flagged else "")


def confusion_section(confusion: dict[str, Any] | None) -> dict[str, Any] | None:
    """The heatmap of annotator labels against final labels, with counts and row shares."""
    if not confusion or not confusion["labels"]:
        return None
    labels, counts = confusion["labels"], confusion["counts"]
    values = []
    for final, row in zip(labels, counts, strict=True):
        total = sum(row) or 1
        for given, n in zip(labels, row, strict=True):
            values.append({"final": final, "given": given, "n": n, "share": round(n / total, 6)})
    off = sorted(
        (
            (n, f, g)
            for f, row in zip(labels, counts, strict=True)
            for g, n in zip(labels, row, strict=True)
            if f != g and n
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )[:5]
    return {
        "chart": chart(charts.heatmap(values, labels), "cm"),
        "top": [{"final": f, "given": g, "n": n} for n, f, g in off],
    }


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """1.10.0 after 1.9.0: numeric parts compare as numbers, the rest as text."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.+-]", version))


def ordered_groups(agreement: dict[str, Any], key: str) -> dict[str, Any]:
    """A breakdown's groups in reading order: guideline versions by version (the JSON has
    them sorted as text), batches by name."""
    groups = agreement.get(key) or {}
    if key != "by_guideline_version":
        return dict(groups)
    return {k: groups[k] for k in sorted(groups, key=_version_key)}


def trend_section(agreement: dict[str, Any], shown: list[str]) -> list[dict[str, Any]]:
    """Agreement by batch and by guideline version: a chart and a table per breakdown."""
    sections = []
    for key, title in (("by_batch", "batch"), ("by_guideline_version", "guideline version")):
        groups = ordered_groups(agreement, key)
        if not groups:
            continue
        available = next(iter(groups.values()))["coefficients"]
        names = [n for n in shown if n in available]
        values = [
            {"group": g, "name": n, "value": v["coefficients"][n]["value"]}
            for g, v in groups.items()
            for n in names
            if v["coefficients"][n]["value"] is not None
        ]
        rows = [
            [text_cell(g), num_cell(v["n_items"])]
            + [num_cell(v["coefficients"][n]["value"]) for n in names]
            for g, v in groups.items()
        ]
        table = Table([title, "items", *names], rows, set(range(1, len(names) + 2)))
        spec = charts.trend_chart(values, list(groups), title)
        sections.append(
            # One group has no trend to draw: the table says it all.
            {
                "title": title,
                "table": table,
                "chart": chart(spec, key) if len(groups) > 1 and values else None,
            }
        )
    return sections


def scalar_rows(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The top-level numbers and short texts of an optional section's JSON, sorted by key."""
    rows = []
    for key in sorted(data):
        value = data[key]
        if isinstance(value, bool | int | float | str) or value is None:
            rows.append((key, pct(value) if key.endswith("_rate") else fmt(value)))
    return rows
