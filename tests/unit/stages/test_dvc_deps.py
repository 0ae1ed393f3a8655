"""dvc.yaml lists, for each stage, the labelgate code that computes its outputs.

A stage whose code changes must re-run under `dvc repro`; a module a stage imports but
dvc.yaml does not list would leave stale outputs behind after an upgrade.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest
import yaml

from labelgate.stages.registry import STAGE_NAMES
from tests.conftest import REPO_ROOT

# Code whose changes show up in the YAML or data files DVC already hashes (config models,
# the project loader, guideline parsing) or that shapes no output (errors, messages).
NOT_COMPUTING = (
    "labelgate.config",
    "labelgate.project",
    "labelgate.guidelines",
    "labelgate.errors",
    "labelgate.problems",
)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("labelgate")


@pytest.fixture(scope="module")
def stage_deps() -> dict[str, list[str]]:
    stages = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    return {
        name: [d for d in spec["do"]["deps"] if d.startswith("src/")]
        for name, spec in stages.items()
    }


def _computing_imports(graph: grimp.ImportGraph, start: str) -> set[str]:
    """Modules `start` imports, directly or through other computing modules."""
    seen, todo = {start}, [start]
    while todo:
        for module in graph.find_modules_directly_imported_by(todo.pop()):
            computing = module.startswith("labelgate.") and not module.startswith(NOT_COMPUTING)
            if computing and module not in seen:
                seen.add(module)
                todo.append(module)
    return seen


def _file(module: str) -> str:
    path = Path("src", *module.split("."))
    return f"{path}/__init__.py" if (REPO_ROOT / path).is_dir() else f"{path}.py"


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_every_module_a_stage_imports_is_a_dvc_dep(
    stage: str, graph: grimp.ImportGraph, stage_deps: dict[str, list[str]]
) -> None:
    computing = sorted(_computing_imports(graph, f"labelgate.stages.{stage}"))
    computing = [
        m for m in computing if m != "labelgate.stages.base" and not m.endswith("__init__")
    ]
    deps = stage_deps[stage]
    missing = [
        _file(m)
        for m in computing
        if not any(_file(m) == d or _file(m).startswith(d.rstrip("/") + "/") for d in deps)
    ]
    # Package __init__ modules hold a docstring only; the stage base holds a dataclass.
    missing = [m for m in missing if not m.endswith("__init__.py")]
    assert not missing, f"dvc.yaml stage '{stage}' should list {missing} among its deps"


def test_every_src_dep_exists(stage_deps: dict[str, list[str]]) -> None:
    for stage, deps in stage_deps.items():
        for dep in deps:
            assert (REPO_ROOT / dep).exists(), (
                f"dvc.yaml stage '{stage}' lists {dep}, which is gone"
            )


def test_the_template_pipeline_is_this_one_without_labelgate_source_deps() -> None:
    # A new project's dvc.yaml lists no labelgate code (it is installed, not in the project).
    ours = (REPO_ROOT / "dvc.yaml").read_text(encoding="utf-8").splitlines(keepends=True)
    template = REPO_ROOT / "src/labelgate/scaffold/template/dvc.yaml"
    expected = "".join(line for line in ours if "src/labelgate/" not in line)
    assert template.read_text(encoding="utf-8") == expected


def test_the_config_stage_depends_on_the_models_whose_defaults_it_writes(
    stage_deps: dict[str, list[str]],
) -> None:
    # Other stages read their settings from the config stage's files, so they need not list
    # labelgate.config; the config stage fills in defaults, so a new default must re-run it
    # (else a build made before the default differs from a fresh one).
    assert "src/labelgate/config" in stage_deps["config"]
