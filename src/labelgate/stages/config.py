"""config: one JSON file per qa rules and pipeline section, defaults filled in, and the
dataset's own entry of guidelines/guidelines.lock.

Later stages list these files as deps, so DVC re-runs exactly the stages whose section
changed (a gate threshold re-runs only the report, whose pages show each gate, and the gate), and a section left to its defaults in the
YAML is tracked like any other. Likewise validate and aggregate depend on
`guidelines.lock.json`, not on the project-wide lock: releasing a version of one guideline
re-runs them only for the datasets that use it.
"""

from __future__ import annotations

from pydantic import BaseModel

from labelgate.io.json_io import write_json
from labelgate.project import layout
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
        "pipeline.model": pipeline.model,
        "pipeline.label_issues": pipeline.label_issues,
        "pipeline.feedback": pipeline.feedback,
        "dataset.next_batch": ctx.dataset.next_batch,
    }


GUIDELINE_LOCK = "guidelines.lock"  # build/<dataset>/config/guidelines.lock.json


def guideline_lock(ctx: DatasetContext) -> dict[str, object]:
    """The dataset's guideline as the stages see it: its current version and every released
    version, oldest first, with the SHA-256 and commit guidelines.lock records."""
    return {
        "guideline": ctx.dataset.guideline,
        "current": ctx.guideline.front.version,
        "released": [
            {"version": v, "sha256": sha, "commit": ctx.guideline_commits.get(v)}
            for v, sha in ctx.guideline_releases.items()
        ],
    }


def _dump(value: BaseModel | list[BaseModel] | None) -> object:
    if value is None:
        return None
    if isinstance(value, list):
        return [v.model_dump(mode="json", by_alias=True) for v in value]
    return value.model_dump(mode="json", by_alias=True)


def run(ctx: DatasetContext) -> base.StageResult:
    """Write build/<dataset>/config/<file>.<section>.json and guidelines.lock.json."""
    outputs = [
        write_json(
            ctx.out / "config" / f"{stem}.json",
            {"section": stem, "source": ctx.files[stem.split(".")[0]], "value": _dump(value)},
        )
        for stem, value in sections(ctx).items()
    ]
    outputs.append(
        write_json(
            ctx.out / "config" / f"{GUIDELINE_LOCK}.json",
            {
                "section": GUIDELINE_LOCK,
                "source": layout.GUIDELINES_LOCK,
                "value": guideline_lock(ctx),
            },
        )
    )
    releases = len(ctx.guideline_releases)
    line = (
        f"{len(outputs) - 1} config sections resolved; guideline {ctx.dataset.guideline} "
        f"{ctx.guideline.front.version} ({releases} released version{'s' * (releases != 1)})"
    )
    return base.StageResult("config", ctx.name, outputs, {}, [line])
