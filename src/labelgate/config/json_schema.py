"""JSON Schema for every YAML kind, so editors can complete and check project files."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from labelgate.config.dataset import Dataset
from labelgate.config.guideline import GuidelineFrontMatter
from labelgate.config.guideline_lock import GuidelinesLock
from labelgate.config.params import Params
from labelgate.config.pipeline import Pipeline
from labelgate.config.qa_rules import QaRules
from labelgate.config.roster import Roster
from labelgate.config.schema import Schema

# kind -> (model, the project files it describes, as globs for editors).
KINDS: dict[str, tuple[type[BaseModel], tuple[str, ...]]] = {
    "schema": (Schema, ("schemas/*.yaml", "schemas/*.yml")),
    "guideline": (GuidelineFrontMatter, ()),
    "guidelines_lock": (GuidelinesLock, ("guidelines/guidelines.lock",)),
    "qa_rules": (QaRules, ("qa_rules/*.yaml", "qa_rules/*.yml")),
    "dataset": (Dataset, ("datasets/*/dataset.yaml",)),
    "pipeline": (Pipeline, ("pipelines/*.yaml", "pipelines/*.yml")),
    # Named by a dataset's `ops.roster` (any name, YAML or CSV), so not mapped by a glob.
    "roster": (Roster, ()),
    # The Hydra root people edit; params.yaml is generated (and holds dataset_files besides).
    "conf": (Params, ("conf/config.yaml",)),
}


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one kind, titled for editors."""
    model, _ = KINDS[kind]
    schema = model.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"labelgate {kind}"
    if kind == "conf":
        # Hydra's defaults list, which `labelgate compose` resolves before validating.
        schema["properties"]["defaults"] = {
            "type": "array",
            "description": "Hydra's defaults list: config groups to compose, e.g. engine: local.",
            "items": {"anyOf": [{"type": "string"}, {"type": "object"}]},
        }
    return schema


def file_name(kind: str) -> str:
    """File name of an exported schema, e.g. `labelgate-qa_rules.schema.json`."""
    return f"labelgate-{kind}.schema.json"
