"""`labelgate run [--dataset D]`: the whole pipeline, then one screen of results per dataset."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labelgate.app.run import DatasetOutcome

from labelgate.cli.options import add_project_option
from labelgate.project.layout import find_root

KEY_METRICS = (
    "n_items",
    "n_annotations",
    "krippendorff_alpha",
    "fleiss_kappa",
    "masi_alpha",  # multi-label datasets
    "span_f1_strict",  # span datasets
    "token_alpha",
    "gold_accuracy",
    "unresolved_rate",
    "quarantine_rate",
)


def register(sub: Any) -> None:
    """Add the `run` subcommand."""
    parser = sub.add_parser(
        "run",
        help="compose params, reproduce the pipeline, summarise the gates",
        description="Compose and write params.yaml (with the overrides, for this run only), "
        "reproduce the pipeline with DVC up to each chosen dataset's gate stage, and print one "
        "screen per dataset: gate status, key metrics, every check that did not pass, and "
        "where the report and verdict are. DVC decides what is stale; labelgate's stages run in "
        "this process. On a terminal, stderr shows which stage of how many is running. Exit 0 "
        "when every gate passes (warnings allowed), 1 when one fails, 3 for a configuration or "
        "data problem.",
        epilog="examples:\n  labelgate run\n  labelgate run --dataset tickets\n"
        "  labelgate run 'datasets=[tickets]'",
    )
    parser.add_argument(
        "--dataset",
        "-d",
        action="append",
        default=[],
        metavar="D",
        help="only this dataset (repeatable; default: every dataset of conf/)",
    )
    parser.add_argument(
        "overrides",
        nargs="*",
        metavar="OVERRIDE",
        help="Hydra overrides for conf/, for this run only, e.g. 'datasets=[tickets]'",
    )
    add_project_option(parser)
    parser.set_defaults(handler=run)


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def render(outcome: DatasetOutcome) -> list[str]:
    """The lines shown for one dataset."""
    gate = outcome.gate
    metrics = outcome.metrics["metrics"]
    lines = [f"== {outcome.name}: gate {gate['status'].upper()}"]
    lines.append(
        "   " + "  ".join(f"{k}={_fmt(metrics.get(k))}" for k in KEY_METRICS if k in metrics)
    )
    for check in gate["checks"]:
        if check["status"] != "pass":
            lines.append(f"   {check['status'].upper()} {check['id']}: {check['message']}")
    lines.append(
        f"   report: build/{outcome.name}/summary.md   verdict: build/{outcome.name}/gate.json"
    )
    return lines


def _unchecked(outcome: DatasetOutcome, weight: str) -> list[str]:
    """Ids of the dataset's regression gates left unchecked for want of a baseline that
    count as `weight` (error or warn)."""
    from labelgate.analysis.gates import NO_BASELINE, counts_as

    return [
        c["id"]
        for c in outcome.gate["checks"]
        if c["status"] == NO_BASELINE and counts_as(c) == weight
    ]


def final_line(outcomes: list[DatasetOutcome]) -> str:
    """The run's verdict in one line: which datasets failed or warned, and any regression gate
    that 'labelgate run' could not check because it has no baseline."""
    hint = "; 'labelgate run' has no baseline: run 'labelgate gate --baseline REV'"

    def named(outcome: DatasetOutcome, weight: str) -> str:
        ids = _unchecked(outcome, weight)
        return f"{outcome.name} (no baseline for {', '.join(ids)})" if ids else outcome.name

    failed = [o for o in outcomes if o.gate["status"] == "fail"]
    if failed:
        line = f"quality gate FAILED for: {', '.join(named(o, 'error') for o in failed)}"
        if any(_unchecked(o, "error") for o in failed):
            line += hint + ", or set on_missing_baseline: warn on those gates"
        return line
    warned = [o for o in outcomes if o.gate["status"] == "warn"]
    if not warned:
        return "all quality gates passed"
    line = f"all quality gates passed, with warnings for: {', '.join(named(o, 'warn') for o in warned)}"
    if any(_unchecked(o, "warn") for o in warned):
        line += hint + " to check those gates"
    return line


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every gate passes (warnings allowed), 1 when one fails.

    A regression gate cannot be checked here (no baseline): under its default
    on_missing_baseline: error it fails its dataset, and the final line says why.
    """
    from labelgate.app.run import run_pipeline

    root = find_root(args.project)
    # Progress to stderr on a terminal only: logs and CI output stay the run's own lines.
    progress = (
        (lambda line: print(line, file=sys.stderr, flush=True)) if sys.stderr.isatty() else None
    )
    outcomes = run_pipeline(root, args.dataset, args.overrides, log=print, progress=progress)
    print()
    for outcome in outcomes:
        print("\n".join(render(outcome)))
    print(f"\n{final_line(outcomes)}")
    return 1 if any(o.gate["status"] == "fail" for o in outcomes) else 0
