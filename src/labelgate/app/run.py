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
from labelgate.project.compose import compose_conf, params_text, write_params


def _quiet(_line: str) -> None:
    pass


@dataclass(frozen=True)
class DatasetOutcome:
    """What one dataset's run produced."""

    name: str
    gate: dict[str, Any]
    metrics: dict[str, Any]


def run_pipeline(
    root: Path,
    only: Sequence[str] = (),
    overrides: Sequence[str] = (),
    log: Log = _quiet,
    progress: Log | None = None,
) -> list[DatasetOutcome]:
    """Compose params, reproduce the pipeline, and read each dataset's gate.json and metrics.

    Overrides apply to this run only: params.yaml holds them while DVC reproduces (DVC reads
    it for the stages' names and files), and is then written back to what conf/ composes to,
    so `labelgate check` still passes and the next plain run sees the committed knobs.
    `log` receives DVC's messages and each stage's summary lines as they happen; `progress`,
    when given, a line as each stage starts ([3/16] agreement@tickets).
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
    chosen = list(only) or list(params.datasets)
    targets = [f"gate@{name}" for name in chosen]
    if not overrides:
        write_params(root)
        reproduce(root, targets, log, progress)
        return _outcomes(root, chosen)
    # What conf/ composes to, checked before anything is written: the run restores it.
    committed = params_text(root)
    write_params(root, overrides)
    try:
        reproduce(root, targets, log, progress)
    finally:
        (root / layout.PARAMS_FILE).write_text(committed, encoding="utf-8")
        log(
            f"overrides {' '.join(overrides)} applied to this run only; "
            f"{layout.PARAMS_FILE} holds what conf/ composes to again "
            "(put a lasting change in conf/)"
        )
    return _outcomes(root, chosen)


def _outcomes(root: Path, chosen: list[str]) -> list[DatasetOutcome]:
    """Each chosen dataset's gate.json and metrics.json."""
    outcomes = []
    for name in chosen:
        out = root / layout.BUILD / name
        gate = read_json(out / build_files.GATE_JSON)
        metrics = read_json(out / build_files.METRICS_JSON)
        outcomes.append(DatasetOutcome(name, gate, metrics))
    return outcomes
