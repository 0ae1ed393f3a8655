"""`labelgate export`: a built dataset as a Hugging Face dataset folder, or as review tasks for
Label Studio or Prodigy."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from labelgate.app.loaded_project import LoadedProject, open_project
from labelgate.errors import InputError, LabelgateError, UsageError
from labelgate.io.exporters.huggingface import AgreementSummary, GuidelineRef
from labelgate.io.json_io import prepare_output
from labelgate.problems import Problem

TARGETS = ("hf", "labelstudio", "prodigy")


def _text_field(loaded: LoadedProject, dataset: str) -> str:
    """The item field a review tool shows: the schema's first text field, else 'text'."""
    schema = loaded.schemas[loaded.datasets[dataset].model.schema_].model
    text = [f.name for f in schema.item_fields if f.type == "string"]
    return text[0] if text else "text"


def _agreement(loaded: LoadedProject, dataset: str) -> AgreementSummary:
    """The headline coefficient (Krippendorff's alpha when computed) with its interval."""
    report = loaded.report(dataset, "agreement")
    coefficients = report.get("coefficients", {})
    preferred = ("krippendorff_alpha", *sorted(coefficients))
    name = next((n for n in preferred if n in coefficients), None)
    if name is None:
        return AgreementSummary()
    entry = coefficients[name]
    return {
        "coefficient": name,
        "value": entry.get("value"),
        "ci_low": entry.get("ci_low"),
        "ci_high": entry.get("ci_high"),
        "n_items": report.get("n_items"),
        "ci_level": (report.get("bootstrap") or {}).get("confidence"),
    }


def _guideline(loaded: LoadedProject, dataset: str) -> GuidelineRef:
    """The guideline's name, current version and the SHA-256 its lock records for it."""
    name = loaded.datasets[dataset].model.guideline
    version = loaded.guidelines[name].model.front.version
    lock = loaded.build_dir(dataset) / "config" / "guidelines.lock.json"
    sha = None
    if lock.is_file():
        from labelgate.io.json_io import read_json

        released = read_json(lock).get("value", {}).get("released", [])
        sha = next((r.get("sha256") for r in released if r.get("version") == version), None)
    return {"name": name, "version": version, "sha256": sha}


def _not_yet(dataset: str, target: str, instead: str) -> InputError:
    """A multi-label or span dataset asked for a target that writes single labels only."""
    return InputError(
        [
            Problem(
                f"datasets/{dataset}",
                message=f"is a multi-label or span dataset, and 'labelgate export {target}' "
                "writes single labels only so far (its label sets or spans would be flattened "
                "to text).",
                fix=f"Export it with 'labelgate export {instead}', or read "
                f"build/{dataset}/final_labels.parquet (labels as JSON) directly.",
            )
        ]
    )


def _head(root: Path) -> str | None:
    """The commit checked out, when the project is in git and has one."""
    from labelgate.io.git import in_git, resolve_revision

    try:
        return resolve_revision(root, "HEAD") if in_git(root) else None
    except LabelgateError:  # a repository without commits
        return None


def _single(final: pd.DataFrame, column: str) -> str | None:
    values = sorted(set(final[column].astype("str"))) if column in final else []
    return values[0] if len(values) == 1 else None


def export_dataset(
    project: Path,
    dataset: str,
    target: str,
    output: Path,
    license_id: str | None = None,
) -> list[Path]:
    """Write `dataset`'s built final labels as `target` ('hf', 'labelstudio', 'prodigy') to
    `output`; return the files written."""
    if target not in TARGETS:
        raise UsageError(f"export target must be one of {', '.join(TARGETS)}; got '{target}'.")
    loaded = open_project(project)
    final = loaded.table(dataset, "final_labels")
    prepare_output(output, folder=target == "hf")
    items = loaded.table(dataset, "items")
    if target == "labelstudio":
        from labelgate.io.exporters import labelstudio

        text = _text_field(loaded, dataset)
        task = loaded.schemas[loaded.datasets[dataset].model.schema_].model.task
        tasks = labelstudio.tasks_for_review(
            final, items, from_name="label", to_name=text, task=task
        )
        labelstudio.write_tasks(tasks, output)
        return [output]
    if target == "prodigy":
        from labelgate.io.exporters import prodigy

        schema = loaded.schemas[loaded.datasets[dataset].model.schema_].model
        if schema.task == "spans":
            raise _not_yet(dataset, "prodigy", "labelstudio")
        tasks = prodigy.tasks_for_review(
            final, items, labels=schema.label_ids, multi_label=schema.task == "multi_label"
        )
        prodigy.write_jsonl(tasks, output)
        return [output]
    return _export_hf(loaded, dataset, final, items, output, license_id)


def _export_hf(
    loaded: LoadedProject,
    dataset: str,
    final: pd.DataFrame,
    items: pd.DataFrame,
    output: Path,
    license_id: str | None,
) -> list[Path]:
    from labelgate.io.exporters.huggingface import DatasetCard, write_hf_dataset

    manifest = loaded.datasets[dataset].model
    schema = loaded.schemas[manifest.schema_].model
    if schema.task != "single_label":
        raise _not_yet(dataset, "hf", "labelstudio")
    annotations = loaded.table(dataset, "annotations")
    card = DatasetCard(
        name=dataset,
        pretty_name=dataset,
        license=license_id or manifest.license or "unknown",
        task_categories=["text-classification"],
        labels=schema.label_ids,
        n_annotators=int(annotations["annotator_id"].nunique()),
        agreement=_agreement(loaded, dataset),
        guideline=_guideline(loaded, dataset),
        schema_version=schema.version,
        rules_hash=_single(final, "rules_hash"),
        pipeline_hash=_single(final, "pipeline_hash"),
        git_commit=_head(loaded.root),
        description=manifest.description or None,
    )
    try:
        return write_hf_dataset(final, annotations, items, card, output)
    except ValueError as exc:  # the exporter's checks: labels, ids, licence
        raise InputError(
            [
                Problem(
                    f"build/{dataset}",
                    message=f"cannot be exported as a Hugging Face dataset: {exc}",
                    fix="Fix the named value (a --license like cc-by-4.0), or rebuild with "
                    "'labelgate run'.",
                )
            ]
        ) from None
