"""The `engine:` section of params.yaml, read by each stage without composing conf/ again."""

from __future__ import annotations

from pathlib import Path

from labelgate.config.params import Engine, Params
from labelgate.config.validation import validate
from labelgate.config.yaml_loader import LoadedYaml, load_yaml
from labelgate.project import layout


def read_engine(root: Path) -> Engine:
    """params.yaml's engine (validated, as `labelgate compose` wrote it); the local engine's
    defaults when the project has no params.yaml (a stage run by hand before any compose)."""
    path = root / layout.PARAMS_FILE
    if not path.is_file():
        return Engine()
    loaded = load_yaml(path, layout.PARAMS_FILE)
    data = loaded.data
    if isinstance(data, dict):
        # What compose adds for dvc.yaml's foreach: no knob of the Params model.
        data = {key: value for key, value in data.items() if key != "dataset_files"}
    return validate(Params, LoadedYaml(data, loaded.positions)).engine
