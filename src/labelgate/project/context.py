"""Everything one dataset's stages need: its manifest and the files it names, validated."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from labelgate.config.dataset import Dataset
from labelgate.config.guideline import Guideline
from labelgate.config.params import Engine
from labelgate.config.pipeline import Pipeline
from labelgate.config.qa_rules import QaRules
from labelgate.config.schema import Schema
from labelgate.errors import ConfigError
from labelgate.guidelines.lock import released_versions
from labelgate.problems import Problem, did_you_mean
from labelgate.project import layout
from labelgate.project.checks import check_dataset
from labelgate.project.loader import Project, load_project


@dataclass(frozen=True)
class DatasetContext:
    """A dataset with its schema, guideline, rules and pipeline, and where its outputs go."""

    root: Path
    name: str
    dataset: Dataset
    schema: Schema
    guideline: Guideline
    qa_rules: QaRules
    pipeline: Pipeline
    files: dict[str, str]  # kind -> project-relative path of the file it was loaded from
    # Released versions of the guideline (guidelines.lock), oldest first -> SHA-256 or None.
    guideline_releases: dict[str, str | None] = field(default_factory=dict)
    # The commit guidelines.lock records for each of those versions (None: not recorded yet).
    guideline_commits: dict[str, str | None] = field(default_factory=dict)
    # Where the partitioned analyses run (params.yaml's engine, or --engine); results do not
    # depend on it.
    engine: Engine = field(default_factory=Engine)

    @property
    def dataset_dir(self) -> Path:
        """The folder holding dataset.yaml; source paths are relative to it."""
        return self.root / layout.DATASETS / self.name

    @property
    def out(self) -> Path:
        """`build/<dataset>/`."""
        return self.root / layout.BUILD / self.name


def section_hash(model: BaseModel | None) -> str:
    """SHA-256 (first 16 hex digits) of a config section's canonical JSON: lineage of a label."""
    data = None if model is None else model.model_dump(mode="json", by_alias=True)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def dataset_context(root: Path, name: str, project: Project | None = None) -> DatasetContext:
    """Load and cross-check one dataset; raise ConfigError (exit 3) with every problem."""
    project = project or load_project(root)
    doc = project.datasets.get(name)
    if doc is None:
        raise ConfigError(
            [
                Problem(
                    f"{layout.DATASETS}/{name}/{layout.DATASET_FILE}",
                    message=f"unknown dataset '{name}'.",
                    fix=did_you_mean(name, project.datasets) or "Create the dataset first.",
                )
            ]
            + [p for p in project.problems if p.file.startswith(f"{layout.DATASETS}/{name}/")]
        )
    data = doc.model
    problems = [p for p in project.problems if _concerns(p, data, name)]
    problems += check_dataset(project, doc)
    if problems:
        raise ConfigError(sorted(set(problems)))
    schema = project.schemas[data.schema_]
    guideline = project.guidelines[data.guideline]
    rules = project.qa_rules[data.qa_rules]
    pipeline = project.pipelines[data.pipeline]
    return DatasetContext(
        root=root,
        name=name,
        dataset=data,
        schema=schema.model,
        guideline=guideline.model,
        qa_rules=rules.model,
        pipeline=pipeline.model,
        files={
            "dataset": doc.file,
            "schema": schema.file,
            "guideline": guideline.file,
            "qa_rules": rules.file,
            "pipeline": pipeline.file,
        },
        guideline_releases=released_versions(project, data.guideline, guideline.model),
        guideline_commits=_locked_commits(project, data.guideline),
    )


def _locked_commits(project: Project, name: str) -> dict[str, str | None]:
    """version -> the commit guidelines.lock records for it, as written (no git lookup)."""
    lock = project.guidelines_lock
    entries = lock.model.guidelines.get(name, []) if lock else []
    return {e.version: e.commit for e in entries}


def _concerns(problem: Problem, data: Dataset, name: str) -> bool:
    own = {
        f"{layout.DATASETS}/{name}/{layout.DATASET_FILE}",
        *(f"{layout.SCHEMAS}/{data.schema_}{s}" for s in (".yaml", ".yml")),
        f"{layout.GUIDELINES}/{data.guideline}.md",
        *(f"{layout.QA_RULES}/{data.qa_rules}{s}" for s in (".yaml", ".yml")),
        *(f"{layout.PIPELINES}/{data.pipeline}{s}" for s in (".yaml", ".yml")),
    }
    return problem.file in own
