"""`labelgate gate`: every dataset's gates on the current build, against an optional baseline."""

from __future__ import annotations

import json
from pathlib import Path

from labelgate.analysis.gates import DatasetVerdict, evaluate_gate, overall_status
from labelgate.config.catalogue import COEFFICIENTS
from labelgate.errors import ConfigError, InputError
from labelgate.io.git import file_at, resolve_revision
from labelgate.io.json_io import read_json
from labelgate.problems import Problem, did_you_mean
from labelgate.project import build_files, layout
from labelgate.project.compose import compose_conf
from labelgate.project.context import dataset_context
from labelgate.project.loader import load_project


def _metrics_path(name: str) -> str:
    return f"{layout.BUILD}/{name}/{build_files.METRICS_JSON}"


def offenders(root: Path, name: str, metric: str, top: int = 3) -> str:
    """Where to look when a check on `metric` fails: the worst few and the full list's file."""
    out = root / layout.BUILD / name
    try:
        if metric in COEFFICIENTS and (out / build_files.AGREEMENT_JSON).exists():
            per = read_json(out / build_files.AGREEMENT_JSON)["per_annotator"]
            scored = sorted(
                (v["percent_agreement_with_others"], k)
                for k, v in per.items()
                if v["percent_agreement_with_others"] is not None
            )
            worst = ", ".join(f"{k} ({v:.2f})" for v, k in scored[:top])
            return f"lowest agreement with others: {worst}; full list in {_metrics_path(name).replace(build_files.METRICS_JSON, build_files.AGREEMENT_JSON)} (per_annotator, per_label)"
        if metric in (
            "gold_accuracy",
            "annotator_gold_accuracy_min",
            "annotators_needing_retraining",
        ):
            return f"per-annotator gold accuracy in {layout.BUILD}/{name}/{build_files.ANNOTATORS}"
        if metric in ("violation_rate", "duplicate_item_rate"):
            rules = read_json(out / build_files.VALIDATION_JSON)["rules"]
            ranked = sorted(((v["violations"], k) for k, v in rules.items()), reverse=True)[:top]
            return (
                "most violated rules: "
                + ", ".join(f"{k} ({n})" for n, k in ranked)
                + f"; rows in {layout.BUILD}/{name}/{build_files.VIOLATIONS}"
            )
        if metric == "quarantine_rate":
            reasons = read_json(out / build_files.INGEST_JSON)["quarantine_reasons"]
            counted = sorted(((v, k) for k, v in reasons.items()), reverse=True)[:top]
            return (
                "quarantine reasons: "
                + ", ".join(f"{k} ({n})" for n, k in counted)
                + f"; rows in {layout.BUILD}/{name}/{build_files.QUARANTINE}"
            )
        if metric == "unresolved_rate":
            return f"items to adjudicate in {layout.BUILD}/{name}/{build_files.ADJUDICATION_QUEUE}"
    except (OSError, KeyError, ValueError):
        return ""
    return f"report in {layout.BUILD}/{name}/{build_files.SUMMARY_MD}"


def evaluate_project(
    root: Path, only: list[str], baseline_rev: str | None, warn_as_error: bool
) -> tuple[list[DatasetVerdict], str | None]:
    """Verdicts for the chosen datasets (default: conf's), and the baseline commit if any."""
    names = compose_conf(root).datasets
    unknown = [n for n in only if n not in names]
    if unknown:
        raise ConfigError(
            [
                Problem(
                    layout.CONF_FILE,
                    key_path="datasets",
                    message=f"dataset '{n}' is not in conf/config.yaml 'datasets'.",
                    fix=did_you_mean(n, names),
                )
                for n in unknown
            ]
        )
    chosen = only or list(names)
    commit = resolve_revision(root, baseline_rev) if baseline_rev else None
    project = load_project(root)
    verdicts = []
    for name in chosen:
        path = root / _metrics_path(name)
        if not path.is_file():
            raise InputError(
                [
                    Problem(
                        _metrics_path(name),
                        message="no metrics for this dataset in the current build.",
                        fix="Run 'labelgate run' (or 'dvc repro') first.",
                    )
                ]
            )
        metrics = read_json(path)
        baseline = None
        if commit is not None:
            text = file_at(root, commit, _metrics_path(name))
            if text is None:
                raise ConfigError(
                    [
                        Problem(
                            _metrics_path(name),
                            message=f"the baseline {baseline_rev} ({commit[:10]}) has no metrics for dataset '{name}'.",
                            fix="Pick a revision where the pipeline ran and build/*/metrics.json was committed.",
                        )
                    ]
                )
            baseline = dict(json.loads(text))
        ctx = dataset_context(root, name, project)
        checks = [evaluate_gate(gate, metrics, baseline) for gate in ctx.qa_rules.gates]
        for check in checks:
            if check["status"] in ("fail", "error", "warn"):
                check["where"] = offenders(root, name, check["metric"])
        verdicts.append(
            DatasetVerdict(name, overall_status(checks, warn_as_error), checks, metrics, baseline)
        )
    return verdicts, commit
