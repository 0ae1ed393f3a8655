"""`labelgate run`: compose params.yaml, run `dvc repro`, and summarise each dataset's gate."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labelgate.errors import ConfigError, LabelgateError
from labelgate.io.writers import read_json
from labelgate.problems import Problem, did_you_mean
from labelgate.project import layout
from labelgate.project.compose import compose_conf, write_params
from labelgate.stages import base


class PipelineFailed(LabelgateError):
    """`dvc repro` failed: a stage raised; its own message says why (exit 3)."""

    exit_code = 3


@dataclass(frozen=True)
class DatasetOutcome:
    """What one dataset's run produced."""

    name: str
    gate: dict[str, Any]
    metrics: dict[str, Any]


def repro(root: Path, datasets: Sequence[str]) -> None:
    """Run `dvc repro` for the gate stage of each dataset (and everything upstream of it).

    Output streams through, so long stages show their progress; `labelgate` and `dvc` from
    this interpreter's environment come first on PATH.
    """
    targets = [f"gate@{name}" for name in datasets]
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    done = subprocess.run(
        [sys.executable, "-m", "dvc", "repro", *targets], cwd=root, env=env, check=False
    )
    if done.returncode != 0:
        raise PipelineFailed(
            f"'dvc repro' failed (exit {done.returncode}); the stage's message above says why."
        )


def run_pipeline(
    root: Path, only: Sequence[str] = (), overrides: Sequence[str] = ()
) -> list[DatasetOutcome]:
    """Compose params, reproduce the pipeline, and read each dataset's gate.json and metrics."""
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
    repro(root, chosen)
    outcomes = []
    for name in chosen:
        out = root / layout.BUILD / name
        gate = read_json(out / base.GATE_JSON)
        metrics = read_json(out / base.METRICS_JSON)
        outcomes.append(DatasetOutcome(name, gate, metrics))
    return outcomes
