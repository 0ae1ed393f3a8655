"""config: one JSON file per qa rules and pipeline section, defaults filled in.

Later stages list these files as deps, so DVC re-runs exactly the stages whose section
changed (a gate threshold re-runs only the gate), and a section left to its defaults in the
YAML is tracked like any other.
"""

from __future__ import annotations

from pydantic import BaseModel

from labelgate.io.json_io import write_json
from labelgate.project.context import DatasetContext
from labelgate.stages import base


def sections(ctx: DatasetContext) -> dict[str, BaseModel | list[BaseModel] | None]:
    """File stem -> the section it holds."""
    rules, pipeline = ctx.qa_rules, ctx.pipeline
    return {
        "qa_rules.checks": list(rules.checks),
        "qa_rules.gates": list(rules.gates),
        "qa_rules.annotator_qualification": rules.annotator_qualification,
        "qa_rules.audit": rules.audit,
        "pipeline.agreement": pipeline.agreement,
        "pipeline.aggregate": pipeline.aggregate,
        "pipeline.report": pipeline.report,
    }


def _dump(value: BaseModel | list[BaseModel] | None) -> object:
    if value is None:
        return None
    if isinstance(value, list):
        return [v.model_dump(mode="json", by_alias=True) for v in value]
    return value.model_dump(mode="json", by_alias=True)


def run(ctx: DatasetContext) -> base.StageResult:
    """Write build/<dataset>/config/<file>.<section>.json."""
    outputs = [
        write_json(
            ctx.out / "config" / f"{stem}.json",
            {"section": stem, "source": ctx.files[stem.split(".")[0]], "value": _dump(value)},
        )
        for stem, value in sections(ctx).items()
    ]
    return base.StageResult(
        "config", ctx.name, outputs, {}, [f"{len(outputs)} config sections resolved"]
    )
