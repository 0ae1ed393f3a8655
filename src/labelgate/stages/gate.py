"""gate: evaluate every gate of the dataset's qa rules and write gate.json.

The stage records the verdict and exits 0 so `dvc repro` finishes every dataset; `labelgate
run` and `labelgate gate` turn a failed verdict into exit code 1. The stage has no baseline,
so a regression gate (max_drop) ends in `no_baseline`, which fails the dataset unless the gate
says `on_missing_baseline: warn`; `labelgate gate --baseline REV` checks the regression.
"""

from __future__ import annotations

from labelgate.analysis.gates import evaluate_gate, overall_status
from labelgate.io.json_io import read_json, write_json
from labelgate.project import build_files
from labelgate.project.context import DatasetContext
from labelgate.stages import base


def run(ctx: DatasetContext) -> base.StageResult:
    """Write gate.json."""
    metrics = read_json(ctx.out / build_files.METRICS_JSON)
    results = [evaluate_gate(g, metrics) for g in ctx.qa_rules.gates]
    status = overall_status(results)
    verdict = {"dataset": ctx.name, "status": status, "checks": results}
    outputs = [write_json(ctx.out / build_files.GATE_JSON, verdict)]
    lines = [f"{r['status'].upper():5} {r['id']}: {r['message']}" for r in results]
    lines.append(f"gate {status.upper()}")
    return base.StageResult("gate", ctx.name, outputs, verdict, lines)
