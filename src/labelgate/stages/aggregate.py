"""aggregate: consensus labels, calibrated confidence, routing, adjudications, annotator quality."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from labelgate.analysis.consensus import (
    Consensus,
    ConsensusInputs,
    ConsensusSettings,
    aggregate,
)
from labelgate.analysis.encoding import unique_annotations_consumed
from labelgate.analysis.suggestions import suggestion_bias
from labelgate.analysis.task_consensus import answers_as_text
from labelgate.backends.engines import open_executor
from labelgate.config import columns as col
from labelgate.io.json_io import write_json
from labelgate.io.writers import read_parquet, write_csv, write_parquet
from labelgate.project import build_files
from labelgate.project.context import DatasetContext, section_hash
from labelgate.stages import base

# Where each annotation came from and when, and its batch: lineage and ops read them,
# aggregation not.
UNUSED_COLUMNS = ("source", "annotated_at", "suggestion_score", "batch")
# Read only by `suggestion_bias`, which runs first; aggregation goes on without them.
SUGGESTION_COLUMNS = ("suggested_label", "model_version")
# A value per annotation but few distinct ones (versions, migrations): held as categories,
# a byte or two per row instead of a string.
LINEAGE_COLUMNS = ("guideline_version", "migrated_from")


def read_inputs(ctx: DatasetContext) -> ConsensusInputs:
    """The canonical tables ingest wrote, one vote per item and annotator."""
    out = ctx.out
    annotations = unique_annotations_consumed(
        read_parquet(out / build_files.ANNOTATIONS, exclude=UNUSED_COLUMNS)
    )
    spans = None
    if ctx.schema.task == "spans":  # each answer's spans as its label: equal answers, equal text
        spans = read_parquet(out / build_files.SPANS)
        annotations = answers_as_text(annotations, spans)
    return ConsensusInputs(
        annotations=annotations,
        spans=spans,
        gold=read_parquet(out / build_files.GOLD),
        items=read_parquet(out / build_files.ITEMS, exclude=("content_hash",)),
        quarantine=read_parquet(out / build_files.QUARANTINE),
        adjudications=read_parquet(out / build_files.ADJUDICATIONS),
        audit_results=read_parquet(out / build_files.AUDIT_RESULTS),
    )


def for_aggregation(inputs: ConsensusInputs) -> ConsensusInputs:
    """`inputs` without the annotation columns only `suggestion_bias` reads, and with the
    lineage columns as categories."""
    columns = inputs.annotations.columns
    annotations = inputs.annotations.drop(columns=[c for c in SUGGESTION_COLUMNS if c in columns])
    for name in LINEAGE_COLUMNS:
        if name in columns:
            annotations[name] = annotations[name].astype("category")
    return replace(inputs, annotations=annotations)


def settings(ctx: DatasetContext) -> ConsensusSettings:
    """The dataset's aggregation settings, with the hashes its labels' lineage records."""
    source = ctx.dataset.sources.adjudications
    return ConsensusSettings(
        step=ctx.pipeline.aggregate,
        label_ids=list(ctx.schema.label_ids),
        schema_version=ctx.schema.version,
        qualification=ctx.qa_rules.annotator_qualification,
        rulings=tuple(ctx.guideline.rulings),
        guideline=ctx.dataset.guideline,
        guideline_releases=ctx.guideline_releases,
        rules_hash=section_hash(ctx.qa_rules.annotator_qualification),
        pipeline_hash=section_hash(ctx.pipeline.aggregate),
        adjudications_file=f"datasets/{ctx.name}/{source.path}" if source else ctx.files["dataset"],
        pipeline_file=ctx.files["pipeline"],
        task=ctx.schema.task,
    )


def calibration_lines(calibration: dict[str, Any], routing: dict[str, Any]) -> list[str]:
    """The calibration used with its ECE on gold, and what routing to a target did."""
    line = f"confidence calibration: {calibration['method']}"
    if calibration["ece_before"] is not None:
        line += (
            f" (ECE on {calibration['n_gold']} gold items {calibration['ece_before']:.3f}"
            f" -> {calibration['ece_after']:.3f})"
        )
    lines = [line]
    if calibration.get("warning"):
        lines.append(f"WARNING: {calibration['warning']}")
    if routing["target"] is not None:
        lines.append(
            f"routing to a target error of {routing['target']:g}: {routing['n_routed']} items "
            f"({routing['share_routed']:.1%}) sent to adjudication"
            + (
                f", expected error among accepted labels {routing['expected_error']:.4f}"
                if routing["expected_error"] is not None
                else ""
            )
        )
        if not routing["reachable"]:
            lines.append(
                "WARNING: the target error rate is out of reach: every aggregated label was "
                "sent to adjudication. Raise target_error_rate or add annotations."
            )
    realised = routing.get("realised_error")
    if realised:
        lines.append(
            f"realised error on {realised['n_audited']} audited accepted labels: "
            f"{realised['realised_error']:.4f}"
        )
    return lines


def summary_lines(result: Consensus) -> list[str]:
    """What the person running the stage sees."""
    summary = result.summary
    lines = [
        f"{summary['n_items']} items by {summary['method']}: "
        + ", ".join(f"{k} {v}" for k, v in summary["status"].items())
    ]
    if not summary["converged"]:
        history = summary["loss_history"]
        lines.append(
            f"WARNING: {summary['method']} did not converge in {len(history)} iterations (loss {history[-3:]}); raise max_iter or loosen tol."
        )
    if summary["gold_accuracy"] is not None:
        lines.append(
            f"gold accuracy {summary['gold_accuracy']:.3f} on {summary['n_gold_items']} gold items"
        )
    lines += calibration_lines(summary["calibration"], summary["routing"])
    bias = summary.get("suggestions") or {}
    if bias.get("n_with_suggestion"):
        wrong = bias["wrong_suggestion_acceptance_rate"]
        lines.append(
            f"suggestions: {bias['n_with_suggestion']} annotations had one, "
            f"{bias['acceptance_rate']:.1%} accepted"
            + (f"; wrong ones on gold accepted {wrong:.1%}" if wrong is not None else "")
        )
    if summary["annotators_needing_retraining"]:
        lines.append("needs retraining: " + ", ".join(summary["annotators_needing_retraining"]))
    return lines


def run(ctx: DatasetContext) -> base.StageResult:
    """Write final_labels.parquet, annotators.csv, adjudication_queue.csv and aggregate.json."""
    inputs = read_inputs(ctx)
    # Automation bias: acceptance of the model suggestions annotators saw (none: zero counts).
    suggestions = suggestion_bias(inputs.annotations, inputs.gold)
    inputs = for_aggregation(inputs)  # the memory of the columns let go serves aggregation
    with open_executor(ctx.engine) as executor:
        result = aggregate(inputs, settings(ctx), executor)
    del inputs  # the annotations: their memory serves the writing
    result.summary["suggestions"] = suggestions
    out = ctx.out
    outputs = [
        write_parquet(out / build_files.FINAL_LABELS, result.final_labels),
        write_csv(out / build_files.ANNOTATORS, result.annotators),
        write_csv(out / build_files.ADJUDICATION_QUEUE, result.queue),
        write_csv(
            out / build_files.PLOTS / "annotator_gold_accuracy.csv",
            result.annotators[[col.ANNOTATOR_ID, "gold_accuracy", "n_gold"]],
        ),
        write_json(out / build_files.AGGREGATE_JSON, result.summary),
        write_json(out / build_files.ANNOTATOR_CONFUSION, result.confusions),
    ]
    return base.StageResult("aggregate", ctx.name, outputs, result.summary, summary_lines(result))
