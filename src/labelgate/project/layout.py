"""The folders of a labelgate project (docs/concepts.md, "Project layout") and how to find its root."""

from __future__ import annotations

from pathlib import Path

from labelgate.errors import ConfigError
from labelgate.problems import Problem

SCHEMAS = "schemas"
GUIDELINES = "guidelines"
QA_RULES = "qa_rules"
DATASETS = "datasets"
PIPELINES = "pipelines"
CONF = "conf"
CONF_FILE = "conf/config.yaml"
PARAMS_FILE = "params.yaml"
DATASET_FILE = "dataset.yaml"
GUIDELINES_LOCK = f"{GUIDELINES}/guidelines.lock"
BUILD = "build"
REVIEWED_FOLDERS = (SCHEMAS, GUIDELINES, QA_RULES, DATASETS, PIPELINES)


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding `conf/config.yaml`."""
    start = start.resolve()
    if start.is_file():
        start = start.parent
    if not start.exists():
        raise ConfigError([Problem(str(start), message="no such folder.")])
    for folder in (start, *start.parents):
        if (folder / CONF_FILE).is_file():
            return folder
    raise ConfigError(
        [
            Problem(
                str(start),
                message=f"not inside a labelgate project (no {CONF_FILE} here or above).",
                fix="Run 'labelgate init DIR' to create one, or pass the project folder.",
            )
        ]
    )


def relative(root: Path, path: Path) -> str:
    """`path` relative to the project root, with forward slashes (for messages and lineage)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
