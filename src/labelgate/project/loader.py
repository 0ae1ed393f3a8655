"""Load every schema, guideline, qa rules file, dataset manifest and pipeline of a project."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel

from labelgate.config.dataset import Dataset
from labelgate.config.guideline import Guideline
from labelgate.config.guideline_lock import GuidelinesLock
from labelgate.config.pipeline import Pipeline
from labelgate.config.qa_rules import QaRules
from labelgate.config.schema import Schema
from labelgate.config.validation import validate
from labelgate.config.yaml_loader import Positions, load_yaml, read_text
from labelgate.errors import ConfigError
from labelgate.guidelines.parser import parse_guideline
from labelgate.problems import Problem
from labelgate.project import layout

T = TypeVar("T")


@dataclass(frozen=True)
class Document(Generic[T]):
    """A loaded file: its name (stem), project-relative path, model and key positions."""

    name: str
    file: str
    model: T
    positions: Positions


@dataclass
class Project:
    """Every file of a project that loaded, and the problems of those that did not."""

    root: Path
    schemas: dict[str, Document[Schema]] = field(default_factory=dict)
    guidelines: dict[str, Document[Guideline]] = field(default_factory=dict)
    qa_rules: dict[str, Document[QaRules]] = field(default_factory=dict)
    datasets: dict[str, Document[Dataset]] = field(default_factory=dict)
    pipelines: dict[str, Document[Pipeline]] = field(default_factory=dict)
    guidelines_lock: Document[GuidelinesLock] | None = None  # None: missing or broken
    problems: list[Problem] = field(default_factory=list)
    # Names of files that exist but failed to load, per folder: not reported again as missing.
    broken: dict[str, set[str]] = field(default_factory=dict)


M = TypeVar("M", bound=BaseModel)


def _yaml_reader(model: type[M]) -> Callable[[Path, str], tuple[M, Positions]]:
    def read(path: Path, display: str) -> tuple[M, Positions]:
        loaded = load_yaml(path, display)
        return validate(model, loaded), loaded.positions

    return read


def _read_guideline(path: Path, display: str) -> tuple[Guideline, Positions]:
    return parse_guideline(read_text(path, display), display)


def _files(root: Path, folder: str, suffixes: tuple[str, ...]) -> list[tuple[str, Path]]:
    base = root / folder
    if folder == layout.DATASETS:
        found = sorted(p / layout.DATASET_FILE for p in base.iterdir() if p.is_dir())
        return [(p.parent.name, p) for p in found if p.is_file()]
    return [(p.stem, p) for p in sorted(base.iterdir()) if p.suffix in suffixes and p.is_file()]


def _load_folder(
    project: Project,
    folder: str,
    suffixes: tuple[str, ...],
    reader: Callable[[Path, str], tuple[T, Positions]],
    into: dict[str, Document[T]],
) -> None:
    if not (project.root / folder).is_dir():
        project.problems.append(
            Problem(
                f"{folder}/",
                message="folder is missing.",
                fix=f"Create {folder}/ (see 'labelgate init' for an example).",
            )
        )
        return
    for name, path in _files(project.root, folder, suffixes):
        display = layout.relative(project.root, path)
        if name in into:
            project.problems.append(
                Problem(display, 1, 1, "", f"a second file defines '{name}' ({into[name].file}).")
            )
            continue
        try:
            model, positions = reader(path, display)
        except ConfigError as exc:
            project.problems += exc.problems
            project.broken.setdefault(folder, set()).add(name)
            continue
        into[name] = Document(name, display, model, positions)


def load_project(root: Path) -> Project:
    """Load all project files, collecting (not raising) the problems of each."""
    project = Project(root)
    yaml_suffixes = (".yaml", ".yml")
    _load_folder(project, layout.SCHEMAS, yaml_suffixes, _yaml_reader(Schema), project.schemas)
    _load_folder(project, layout.GUIDELINES, (".md",), _read_guideline, project.guidelines)
    _load_folder(project, layout.QA_RULES, yaml_suffixes, _yaml_reader(QaRules), project.qa_rules)
    _load_folder(
        project, layout.PIPELINES, yaml_suffixes, _yaml_reader(Pipeline), project.pipelines
    )
    _load_folder(project, layout.DATASETS, (), _yaml_reader(Dataset), project.datasets)
    lock = root / layout.GUIDELINES_LOCK
    if lock.is_file():
        try:
            model, positions = _yaml_reader(GuidelinesLock)(lock, layout.GUIDELINES_LOCK)
            project.guidelines_lock = Document(
                "guidelines", layout.GUIDELINES_LOCK, model, positions
            )
        except ConfigError as exc:
            project.problems += exc.problems
    return project
