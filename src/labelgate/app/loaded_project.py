"""A labelgate project loaded for a Python caller: its documents, its datasets, their built tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelgate.config.dataset import Dataset
from labelgate.config.guideline import Guideline
from labelgate.config.pipeline import Pipeline
from labelgate.config.qa_rules import QaRules
from labelgate.config.schema import Schema
from labelgate.errors import ConfigError, InputError, UsageError
from labelgate.problems import Problem, did_you_mean
from labelgate.project import build_files, layout
from labelgate.project.layout import find_root
from labelgate.project.loader import Document, Project, load_project

if TYPE_CHECKING:
    import pandas as pd

# Every file a dataset's stages write, by name without its suffix (final_labels, metrics, ...).
OUTPUTS: dict[str, str] = {
    Path(value).stem: value
    for key, value in vars(build_files).items()
    if key.isupper() and isinstance(value, str) and Path(value).suffix
}
TABLE_SUFFIXES = (".parquet", ".csv")
# CSV columns read as text, never as numbers: ids and labels ("007" stays "007").
_TEXT_COLUMNS = (
    "item_id",
    "annotator_id",
    "annotator_a",
    "annotator_b",
    "label",
    "candidate_label",
    "current_label",
)


@dataclass(frozen=True)
class LoadedProject:
    """A project on disk: each document (`.model` is the validated content, `.file` where it
    is), the dataset names, and readers for what `labelgate run` built for each dataset."""

    root: Path
    project: Project

    @property
    def schemas(self) -> dict[str, Document[Schema]]:
        """schemas/NAME.yaml by NAME."""
        return self.project.schemas

    @property
    def guidelines(self) -> dict[str, Document[Guideline]]:
        """guidelines/NAME.md by NAME."""
        return self.project.guidelines

    @property
    def qa_rules(self) -> dict[str, Document[QaRules]]:
        """qa_rules/NAME.yaml by NAME."""
        return self.project.qa_rules

    @property
    def pipelines(self) -> dict[str, Document[Pipeline]]:
        """pipelines/NAME.yaml by NAME."""
        return self.project.pipelines

    @property
    def datasets(self) -> dict[str, Document[Dataset]]:
        """datasets/NAME/dataset.yaml by NAME."""
        return self.project.datasets

    @property
    def dataset_names(self) -> list[str]:
        """The datasets of the project, sorted."""
        return sorted(self.project.datasets)

    def check(self) -> list[Problem]:
        """Every problem `labelgate check` reports (cross-references, paths, locks, conf/)."""
        from labelgate.project.checks import check_project

        return check_project(self.project)

    def build_dir(self, dataset: str) -> Path:
        """build/DATASET, where the pipeline writes the dataset's outputs."""
        if dataset not in self.project.datasets:
            raise ConfigError(
                [
                    Problem(
                        f"{layout.DATASETS}/{dataset}/{layout.DATASET_FILE}",
                        message=f"dataset '{dataset}' does not exist in {self.root}.",
                        fix=did_you_mean(dataset, self.project.datasets),
                    )
                ]
            )
        return self.root / layout.BUILD / dataset

    def outputs(self, dataset: str) -> list[str]:
        """Names of the outputs built for `dataset` so far (final_labels, metrics, ...)."""
        out = self.build_dir(dataset)
        return sorted(name for name, file in OUTPUTS.items() if (out / file).is_file())

    def _path(self, dataset: str, name: str, suffixes: tuple[str, ...], reader: str) -> Path:
        file = OUTPUTS.get(name)
        if file is None or Path(file).suffix not in suffixes:
            known = sorted(n for n, f in OUTPUTS.items() if Path(f).suffix in suffixes)
            raise UsageError(
                f"{reader}: no output named '{name}'. {did_you_mean(name, known)}".rstrip()
            )
        path = self.build_dir(dataset) / file
        if not path.is_file():
            raise InputError(
                [
                    Problem(
                        f"{layout.BUILD}/{dataset}/{file}",
                        message="this build output is missing.",
                        fix="Run 'labelgate run' (or 'dvc repro') first.",
                    )
                ]
            )
        return path

    def table(self, dataset: str, name: str) -> pd.DataFrame:
        """A built table of `dataset` by name: final_labels, annotations, annotators, ...
        (see docs/concepts.md, "Canonical tables")."""
        path = self._path(dataset, name, TABLE_SUFFIXES, "table")
        if path.suffix == ".parquet":
            from labelgate.io.writers import read_parquet

            return read_parquet(path)
        import pandas as pd

        header = pd.read_csv(path, nrows=0).columns
        return pd.read_csv(path, dtype={c: "str" for c in _TEXT_COLUMNS if c in header})

    def summary(self, dataset: str) -> str:
        """build/DATASET/summary.md, the dataset's report as Markdown."""
        return self._path(dataset, "summary", (".md",), "summary").read_text(encoding="utf-8")

    def report(self, dataset: str, name: str) -> dict[str, Any]:
        """A built JSON report of `dataset` by name: metrics, gate, agreement, aggregate, ..."""
        from labelgate.io.json_io import read_json

        return read_json(self._path(dataset, name, (".json",), "report"))


def open_project(path: Path) -> LoadedProject:
    """The project at or above `path`; a file that does not load is a ConfigError (exit 3)
    listing every such problem."""
    root = find_root(Path(path))
    project = load_project(root)
    if project.problems:
        raise ConfigError(project.problems)
    return LoadedProject(root, project)
