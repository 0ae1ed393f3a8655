"""summary.md: one dataset's key metrics, agreement tables and problems, fit for a pull request.

Every user string (the dataset's name, labels, batches, rule ids, annotator ids, messages) is
escaped (`report/escape.py`), so the file is safe to paste into a comment or render.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The helpers of report/escape.py, from where they live: the report stage's code list in dvc.yaml
# names this file, not escape.py.
from labelgate.guidelines.markdown import md_cell, md_code, md_text


@dataclass(frozen=True)
class StageSummaries:
    """The JSON each stage wrote (ingest.json, validation.json, ...), as read back."""

    ingest: dict[str, Any]
    validation: dict[str, Any]
    agreement: dict[str, Any]
    aggregate: dict[str, Any]
    audit: dict[str, Any]


@dataclass(frozen=True)
class OutputFiles:
    """Where a reader finds the full lists the summary points at (project-relative paths)."""

    adjudication_queue: str
    annotators: str
    audit_sample: str
    review_queue: str = ""


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


def _metrics_table(
    metrics: dict[str, Any], agreement: dict[str, Any], shown: list[str]
) -> list[str]:
    lines = ["| metric | value |", "|---|---|"]
    for key in ("n_items", "n_annotations", "n_annotators"):
        lines.append(f"| {key} | {_fmt(metrics[key])} |")
    for key in shown:
        lines.append(f"| {key} | {_with_interval(agreement['coefficients'][key])} |")
    for key in (
        "gold_accuracy",
        "unresolved_rate",
        "quarantine_rate",
        "violation_rate",
        "audit_pass_rate",
    ):
        lines.append(f"| {key} | {_fmt(metrics[key])} |")
    return lines


def _task_label_table(agreement: dict[str, Any]) -> list[str]:
    """Per label of a multi-label (present/absent alpha) or span (F1) dataset."""
    if agreement["task"] == "multi_label":
        lines = ["", "Agreement per label (present/absent):", "", "| label | share | alpha |"]
        lines.append("|---|---|---|")
        for e in agreement["per_label"]:
            share = "-" if e["prevalence"] is None else f"{e['prevalence']:.1%}"
            lines.append(f"| {md_cell(e['label'])} | {share} | {_fmt(e['alpha'])} |")
        return lines
    lines = ["", "Span agreement per label:", "", "| label | spans | F1 strict | F1 overlap |"]
    lines.append("|---|---|---|---|")
    for e in agreement["per_label"]:
        lines.append(
            f"| {md_cell(e['label'])} | {e['spans']} | {_fmt(e['span_f1_strict'])} | "
            f"{_fmt(e['span_f1_overlap'])} |"
        )
    return lines


def _per_label_table(agreement: dict[str, Any]) -> list[str]:
    if "task" in agreement:
        return _task_label_table(agreement)
    lines = [
        "",
        f"Agreement per label (one-vs-rest, {md_text(agreement['level'])}, weights {md_text(agreement['weights'])}):",
        "",
        "| label | share | alpha | kappa |",
        "|---|---|---|---|",
    ]
    for label, entry in agreement["per_label"].items():
        lines.append(
            f"| {md_cell(label)} | {entry['share']:.1%} | {_fmt(entry['krippendorff_alpha'])} | {_fmt(entry['fleiss_kappa'])} |"
        )
    return lines


def _group_tables(agreement: dict[str, Any], shown: list[str]) -> list[str]:
    lines: list[str] = []
    for breakdown in ("batch", "guideline_version"):
        groups = agreement.get(f"by_{breakdown}")
        if not groups:
            continue
        available = next(iter(groups.values()))["coefficients"]
        names = [n for n in shown if n in available]
        lines += [
            "",
            f"Agreement by {breakdown.replace('_', ' ')} ({md_text(agreement['level'])}):",
            "",
            f"| {breakdown} | items | " + " | ".join(md_cell(n) for n in names) + " |",
            "|---|---|" + "---|" * len(names),
        ]
        for key, group in groups.items():
            lines.append(
                f"| {md_cell(key)} | {group['n_items']} | "
                + " | ".join(_fmt(group["coefficients"][n]["value"]) for n in names)
                + " |"
            )
    return lines


def _ingest_lines(ingest: dict[str, Any]) -> list[str]:
    a = ingest["annotations"]
    reasons = ingest["quarantine_reasons"]
    lines = [
        f"Ingest: {a['rows_in']} annotation rows = {a['rows_kept']} kept + {a['rows_quarantined']} quarantined"
        + (
            " (" + md_text(", ".join(f"{k} {v}" for k, v in reasons.items())) + ")"
            if reasons
            else ""
        )
        + ".",
    ]
    again = ingest.get("reannotation") or {}
    if again.get("items"):
        lines.append(
            f"Re-annotation: {again['items']} items ({again['annotations']} annotations) carry a "
            f"label a schema migration split; they are listed in {md_code(again['file'])}."
        )
    return lines


def _outcome_lines(parts: StageSummaries, files: OutputFiles) -> list[str]:
    validation, aggregate, audit = parts.validation, parts.aggregate, parts.audit
    flagged = [
        f"{md_text(rid)} {r['violations']} ({md_text(r['severity'])})"
        for rid, r in validation["rules"].items()
        if r["violations"]
    ]
    lines = ["Validation: " + (", ".join(flagged) if flagged else "no violations") + "."]
    lines.append(
        f"Aggregation ({md_text(aggregate['method'])}): "
        + md_text(", ".join(f"{k} {v}" for k, v in aggregate["status"].items()))
        + f"; unresolved items are in {md_code(files.adjudication_queue)}."
    )
    lines += _calibration_lines(aggregate)
    if aggregate["annotators_needing_retraining"]:
        lines.append(
            "Annotators below the gold-accuracy bar: "
            + ", ".join(md_code(x) for x in aggregate["annotators_needing_retraining"])
            + f" (see {md_code(files.annotators)})."
        )
    lines.append(
        f"Audit: {audit['n_sampled']} items sampled (seed {audit['seed']}) in {md_code(files.audit_sample)}."
    )
    for note in parts.agreement["diagnostics"]:
        lines.append(f"> Note: {md_text(note['message'])} {md_text(note['meaning'].capitalize())}")
    return lines


def _calibration_lines(aggregate: dict[str, Any]) -> list[str]:
    """How confidence was calibrated (with ECE on gold and the reliability table), and what
    routing to a target error rate did."""
    calibration = aggregate.get("calibration")
    if not calibration:
        return []
    text = f"Confidence calibration: {md_text(calibration['method'])}"
    if calibration.get("ece_before") is not None:
        text += (
            f", expected calibration error on {calibration['n_gold']} gold items "
            f"{_fmt(calibration['ece_before'])} before, {_fmt(calibration['ece_after'])} after"
        )
    lines = [text + "."]
    table = calibration.get("reliability") or []
    if calibration.get("ece_before") is not None and table:
        lines += ["", "| confidence bin | items | mean confidence | accuracy on gold |"]
        lines.append("|---|---|---|---|")
        lines += [
            f"| {md_cell(row['bin'])} | {row['n']} | {_fmt(row['mean_confidence'])} | "
            f"{_fmt(row['accuracy'])} |"
            for row in table
        ]
        lines.append("")
    routing = aggregate.get("routing") or {}
    if routing.get("target") is not None:
        lines.append(
            f"Routing to a {routing['target']:.1%} target error rate: {routing['n_routed']} "
            f"items sent to adjudication; expected error among accepted labels "
            f"{_fmt(routing['expected_error'])}."
        )
    return lines


def label_issue_lines(issues: dict[str, Any] | None, files: OutputFiles) -> list[str]:
    """The likely label errors the model and annotators point at, when the pipeline has a model."""
    if not issues or not issues.get("enabled"):
        return []
    lines = [
        f"Likely label errors ({md_text(issues['ranked_by'])}, model "
        f"{md_code(issues['model_version'])}): {issues['n_label_issues']} of "
        f"{issues['n_items_checked']} items ({_fmt(issues['label_issue_rate'])}); the "
        f"{issues['n_queued']} most doubtful are in {md_code(files.review_queue)}, to review "
        "and return as adjudications."
    ]
    changes = issues.get("top_changes") or []
    if changes:
        lines[0] += (
            " Most frequent: "
            + ", ".join(
                f"{md_text(c['given'])} \u2192 {md_text(c['suggested'])} ({c['n']})"
                for c in changes[:3]
            )
            + "."
        )
    gold = issues.get("gold") or {}
    if gold.get("auprc_label_quality") is not None:
        lines.append(
            f"On {gold['n_gold_checked']} gold items with {gold['n_wrong_consensus_on_gold']} "
            f"wrong labels, label quality finds them first with AUPRC "
            f"{_fmt(gold['auprc_label_quality'])} (vote share: {_fmt(gold['auprc_vote_share'])})."
        )
    return lines


def suggestion_lines(aggregate: dict[str, Any]) -> list[str]:
    """Automation bias, when annotators saw model suggestions: acceptance overall, of wrong
    suggestions on gold, and accuracy on gold with and without one."""
    bias = aggregate.get("suggestions") or {}
    if not bias.get("n_with_suggestion"):
        return []
    text = (
        f"Model suggestions: {bias['n_with_suggestion']} of {bias['n_annotations']} annotations "
        f"had one ({_fmt(bias['suggestion_share'])}); {_fmt(bias['acceptance_rate'])} were "
        "accepted."
    )
    if bias.get("wrong_suggestion_acceptance_rate") is not None:
        low, high = bias["wrong_suggestion_acceptance_interval"]
        text += (
            f" Of {bias['n_wrong_suggestions_on_gold']} wrong suggestions on gold items, "
            f"{_fmt(bias['wrong_suggestion_acceptance_rate'])} were accepted (95% CI "
            f"{_fmt(low)} to {_fmt(high)}): automation bias."
        )
    with_, without = bias["with_suggestion"], bias["without_suggestion"]
    if with_["gold_accuracy"] is not None and without["gold_accuracy"] is not None:
        text += (
            f" Accuracy on gold {_fmt(with_['gold_accuracy'])} with a suggestion, "
            f"{_fmt(without['gold_accuracy'])} without."
        )
    return ["", text]


def summary_markdown(
    name: str,
    parts: StageSummaries,
    metrics: dict[str, Any],
    shown: list[str],
    files: OutputFiles,
    label_issues: dict[str, Any] | None = None,
) -> str:
    """A short Markdown report: key metrics, agreement by group, problems and where to look."""
    lines = [f"## Dataset {md_code(name)}", ""]
    lines += _metrics_table(metrics["metrics"], parts.agreement, shown)
    lines += _per_label_table(parts.agreement)
    lines += _group_tables(parts.agreement, shown)
    lines += ["", *_ingest_lines(parts.ingest)]
    lines += _outcome_lines(parts, files)
    lines += label_issue_lines(label_issues, files)
    lines += suggestion_lines(parts.aggregate)
    return "\n".join(lines) + "\n"
