"""report: one metrics.json for gates and DVC, and a summary.md fit for a pull request."""

from __future__ import annotations

from typing import Any

from labelgate.io.writers import read_json, write_json
from labelgate.project import build_files
from labelgate.project.context import DatasetContext
from labelgate.stages import base


def collect_metrics(
    ingest: dict[str, Any],
    validation: dict[str, Any],
    agreement: dict[str, Any],
    aggregate: dict[str, Any],
    audit: dict[str, Any],
) -> dict[str, Any]:
    """Flatten the stage summaries into the metric names gates use (config.catalogue.METRICS)."""
    metrics: dict[str, Any] = {
        "n_items": aggregate["n_items"],
        "n_annotations": ingest["n_annotations"],
        "n_annotators": ingest["n_annotators"],
        "mean_annotations_per_item": ingest["n_annotations"] / max(aggregate["n_items"], 1),
        "quarantine_rate": ingest["quarantine_rate"],
        "violation_rate": validation["violation_rate"],
        "duplicate_item_rate": validation["duplicate_item_rate"],
        "unresolved_rate": aggregate["unresolved_rate"],
        "gold_accuracy": aggregate["gold_accuracy"],
        "annotator_gold_accuracy_min": aggregate["annotator_gold_accuracy_min"],
        "annotators_needing_retraining": len(aggregate["annotators_needing_retraining"]),
        "audit_pass_rate": (audit["results"] or {}).get("audit_pass_rate"),
    }
    intervals: dict[str, Any] = {}
    for name, value in agreement["coefficients"].items():
        metrics[name] = value["value"]
        if value["ci_low"] is not None:
            intervals[name] = {"ci_low": value["ci_low"], "ci_high": value["ci_high"]}
    if aggregate["gold_accuracy_interval"]:
        intervals["gold_accuracy"] = dict(
            zip(("ci_low", "ci_high"), aggregate["gold_accuracy_interval"], strict=True)
        )
    if audit["results"]:
        intervals["audit_pass_rate"] = {
            "ci_low": audit["results"]["ci_low"],
            "ci_high": audit["results"]["ci_high"],
        }
    sizes = {
        "agreement": agreement["n_pairable_items"],
        "gold": aggregate["n_gold_items"],
        "audit": (audit["results"] or {}).get("n_audited", 0),
    }
    return {"metrics": metrics, "intervals": intervals, "sample_sizes": sizes}


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _with_interval(entry: dict[str, Any]) -> str:
    if entry["value"] is None:
        return "undefined"
    if entry.get("ci_low") is None:
        return f"{entry['value']:.3f}"
    return f"{entry['value']:.3f} [{entry['ci_low']:.3f}, {entry['ci_high']:.3f}]"


def summary_markdown(
    shown: list[str],
    name: str,
    ingest: dict[str, Any],
    validation: dict[str, Any],
    agreement: dict[str, Any],
    aggregate: dict[str, Any],
    audit: dict[str, Any],
    metrics: dict[str, Any],
) -> str:
    """A short Markdown report: key metrics, agreement by group, problems and where to look."""
    m = metrics["metrics"]
    lines = [f"## Dataset `{name}`", "", "| metric | value |", "|---|---|"]
    for key in ("n_items", "n_annotations", "n_annotators"):
        lines.append(f"| {key} | {_fmt(m[key])} |")
    for key in shown:
        lines.append(f"| {key} | {_with_interval(agreement['coefficients'][key])} |")
    for key in (
        "gold_accuracy",
        "unresolved_rate",
        "quarantine_rate",
        "violation_rate",
        "audit_pass_rate",
    ):
        lines.append(f"| {key} | {_fmt(m[key])} |")
    lines += [
        "",
        f"Agreement per label (one-vs-rest, {agreement['level']}, weights {agreement['weights']}):",
        "",
        "| label | share | alpha | kappa |",
        "|---|---|---|---|",
    ]
    for label, entry in agreement["per_label"].items():
        lines.append(
            f"| {label} | {entry['share']:.1%} | {_fmt(entry['krippendorff_alpha'])} | {_fmt(entry['fleiss_kappa'])} |"
        )
    for breakdown in ("batch", "guideline_version"):
        groups = agreement.get(f"by_{breakdown}")
        if groups:
            available = next(iter(groups.values()))["coefficients"]
            names = [n for n in shown if n in available]
            lines += [
                "",
                f"Agreement by {breakdown.replace('_', ' ')} ({agreement['level']}):",
                "",
                f"| {breakdown} | items | " + " | ".join(names) + " |",
                "|---|---|" + "---|" * len(names),
            ]
            for key, group in groups.items():
                lines.append(
                    f"| {key} | {group['n_items']} | "
                    + " | ".join(_fmt(group["coefficients"][n]["value"]) for n in names)
                    + " |"
                )
    a = ingest["annotations"]
    lines += [
        "",
        f"Ingest: {a['rows_in']} annotation rows = {a['rows_kept']} kept + {a['rows_quarantined']} quarantined"
        + (
            " (" + ", ".join(f"{k} {v}" for k, v in ingest["quarantine_reasons"].items()) + ")"
            if ingest["quarantine_reasons"]
            else ""
        )
        + ".",
    ]
    again = ingest.get("reannotation") or {}
    if again.get("items"):
        lines.append(
            f"Re-annotation: {again['items']} items ({again['annotations']} annotations) carry a "
            f"label a schema migration split; they are listed in `{again['file']}`."
        )
    flagged = [
        f"{rid} {r['violations']} ({r['severity']})"
        for rid, r in validation["rules"].items()
        if r["violations"]
    ]
    lines.append("Validation: " + (", ".join(flagged) if flagged else "no violations") + ".")
    status = aggregate["status"]
    lines.append(
        f"Aggregation ({aggregate['method']}): "
        + ", ".join(f"{k} {v}" for k, v in status.items())
        + f"; unresolved items are in `build/{name}/{build_files.ADJUDICATION_QUEUE}`."
    )
    if aggregate["annotators_needing_retraining"]:
        lines.append(
            "Annotators below the gold-accuracy bar: "
            + ", ".join(f"`{x}`" for x in aggregate["annotators_needing_retraining"])
            + f" (see `build/{name}/{build_files.ANNOTATORS}`)."
        )
    lines.append(
        f"Audit: {audit['n_sampled']} items sampled (seed {audit['seed']}) in `build/{name}/{build_files.AUDIT_SAMPLE}`."
    )
    for note in agreement["diagnostics"]:
        lines.append(f"> Note: {note['message']} {note['meaning'].capitalize()}")
    return "\n".join(lines) + "\n"


def run(ctx: DatasetContext) -> base.StageResult:
    """Write metrics.json and summary.md."""
    out = ctx.out
    parts = [
        read_json(out / name)
        for name in (
            build_files.INGEST_JSON,
            build_files.VALIDATION_JSON,
            build_files.AGREEMENT_JSON,
            build_files.AGGREGATE_JSON,
            build_files.AUDIT_JSON,
        )
    ]
    ingest, validation, agreement, aggregate, audit = parts
    metrics = collect_metrics(ingest, validation, agreement, aggregate, audit)
    metrics["dataset"] = ctx.name
    shown = list(ctx.pipeline.agreement.coefficients)
    text = summary_markdown(
        shown, ctx.name, ingest, validation, agreement, aggregate, audit, metrics
    )
    (out / build_files.SUMMARY_MD).write_text(text, encoding="utf-8")
    outputs = [write_json(out / build_files.METRICS_JSON, metrics), out / build_files.SUMMARY_MD]
    return base.StageResult(
        "report",
        ctx.name,
        outputs,
        metrics,
        [f"{build_files.METRICS_JSON} and {build_files.SUMMARY_MD} written"],
    )
