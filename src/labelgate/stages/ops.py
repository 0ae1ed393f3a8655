"""ops: progress, throughput, latency, utilization, cost and ETA of the annotation work."""

from __future__ import annotations

from typing import Any

from labelgate.analysis.ops import ARRIVAL_FIELDS, OpsInputs, ops_summary
from labelgate.config import columns as col
from labelgate.config.roster import Roster
from labelgate.io.json_io import write_json
from labelgate.io.writers import read_parquet
from labelgate.project import build_files, layout
from labelgate.project.context import DatasetContext
from labelgate.project.roster import load_roster
from labelgate.stages import base

ANNOTATION_COLUMNS = (
    col.ITEM_ID,
    col.ANNOTATOR_ID,
    col.LABEL,
    "annotated_at",
    "duration_s",
    "suggested_label",
)
FINAL_COLUMNS = (col.ITEM_ID, col.LABEL, "status", "audit_verdict")


def read_roster(ctx: DatasetContext) -> Roster | None:
    """The dataset's roster (`ops.roster`), or None when it names none."""
    name = ctx.dataset.ops.roster
    if name is None:
        return None
    path = ctx.dataset_dir / name
    return load_roster(path, layout.relative(ctx.root, path))


def _fmt(value: Any, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:,.2f}{suffix}"


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """What the person running the stage sees."""
    share = summary["progress"]
    lines = [
        f"{summary['items_done']} of {summary['items_target']} items done "
        f"({'n/a' if share is None else f'{share:.1%}'}), {summary['items_in_review']} in "
        f"review; ETA {_fmt(summary['eta_days'], ' days')}",
        f"latency median {_fmt(summary['latency_median_hours'], ' h')}, p90 "
        f"{_fmt(summary['latency_p90_hours'], ' h')}; {_fmt(summary.get('labels_per_day'))} "
        "final labels per working day",
        f"cost per accepted label {_fmt(summary['cost_per_accepted_label'])}"
        f"{' ' + summary['currency'] if summary['currency'] else ''}; utilization "
        f"{_fmt(summary['utilization'])}",
    ]
    unknown = summary["warnings"]["annotators_not_in_roster"]
    if summary["roster"] and unknown:
        shown = ", ".join(unknown[:5]) + (
            f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        )
        lines.append(f"WARNING: {len(unknown)} annotators are not in the roster: {shown}")
    return lines


def run(ctx: DatasetContext) -> base.StageResult:
    """Write ops.json."""
    out, settings = ctx.out, ctx.dataset.ops
    # Only the columns ops reads: the annotations' other columns are most of their size.
    arrival = [*ARRIVAL_FIELDS, *([settings.arrival_field] if settings.arrival_field else [])]
    inputs = OpsInputs(
        annotations=read_parquet(out / build_files.ANNOTATIONS, columns=ANNOTATION_COLUMNS),
        items=read_parquet(out / build_files.ITEMS, columns=[col.ITEM_ID, *arrival]),
        final=read_parquet(out / build_files.FINAL_LABELS, columns=FINAL_COLUMNS),
        roster=read_roster(ctx),
        settings=settings,
    )
    summary = ops_summary(inputs)
    outputs = [write_json(out / build_files.OPS_JSON, summary)]
    return base.StageResult("ops", ctx.name, outputs, summary, summary_lines(summary))
