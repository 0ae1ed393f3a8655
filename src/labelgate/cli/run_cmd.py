"""`labelgate run [--dataset D]`: the whole pipeline, then one screen of results per dataset."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labelgate.app.run import DatasetOutcome

from labelgate.project.layout import find_root

KEY_METRICS = (
    "n_items",
    "n_annotations",
    "krippendorff_alpha",
    "fleiss_kappa",
    "gold_accuracy",
    "unresolved_rate",
    "quarantine_rate",
)


def register(sub: Any) -> None:
    """Add the `run` subcommand."""
    parser = sub.add_parser("run", help="compose params, run dvc repro, summarise the gates")
    parser.add_argument(
        "--dataset", "-d", action="append", default=[], help="only this dataset (repeatable)"
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides for conf/, e.g. workers=2")
    parser.add_argument("-C", "--project", type=Path, default=Path("."), help="project folder")
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


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every gate passes (warnings allowed), 1 when one fails."""
    from labelgate.app.run import run_pipeline

    root = find_root(args.project)
    outcomes = run_pipeline(root, args.dataset, args.overrides, log=print)
    print()
    for outcome in outcomes:
        print("\n".join(render(outcome)))
    failed = [o.name for o in outcomes if o.gate["status"] == "fail"]
    if failed:
        print(f"\nquality gate FAILED for: {', '.join(failed)}")
        return 1
    print("\nall quality gates passed")
    return 0
