"""`labelgate run`: compose params.yaml, reproduce the pipeline, read back each dataset's gate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labelgate.app.repro import Log, reproduce
from labelgate.errors import ConfigError
from labelgate.io.json_io import read_json
from labelgate.problems import Problem, did_you_mean
from labelgate.project import build_files, layout
from labelgate.project.compose import compose_conf, write_params


def _quiet(_line: str) -> None:
    pass


@dataclass(frozen=True)
class DatasetOutcome:
    """What one dataset's run produced."""

    name: str
    gate: dict[str, Any]
    metrics: dict[str, Any]


def run_pipeline(
    root: Path, only: Sequence[str] = (), overrides: Sequence[str] = (), log: Log = _quiet
) -> list[DatasetOutcome]:
    """Compose params, reproduce the pipeline, and read each dataset's gate.json and metrics.

    `log` receives DVC's progress and each stage's summary lines as they happen.
    """
    params = compose_conf(root, overrides)
    unknown = [name for name in only if name not in params.datasets]
    if unknown:
        raise ConfigError(
            [
                Problem(
                    layout.PARAMS_FILE,
                    message=f"dataset '{name}' is not in conf/config.yaml 'datasets'.",
                    fix=did_you_mean(name, params.datasets),
                )
                for name in unknown
            ]
        )
    write_params(root, overrides)
    chosen = list(only) or list(params.datasets)
    reproduce(root, [f"gate@{name}" for name in chosen], log)
    outcomes = []
    for name in chosen:
        out = root / layout.BUILD / name
        gate = read_json(out / build_files.GATE_JSON)
        metrics = read_json(out / build_files.METRICS_JSON)
        outcomes.append(DatasetOutcome(name, gate, metrics))
    return outcomes
