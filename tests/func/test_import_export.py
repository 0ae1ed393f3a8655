"""Tool exports in (file commands, dataset sources, `labelgate import`) and built datasets out
(`labelgate export hf|labelstudio|prodigy`), through the CLI in process."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, get_args

import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from tests.conftest import ALL_STAGES, DATASET_HEAD, SHARED, ProjectFactory, cli, run_stages

LABELS = ("positive", "negative", "neutral")
ANNOTATORS = ({"id": 7, "email": "ann@example.com"}, {"id": 8, "email": "bo@example.com"}, 9)


def studio_export(n_tasks: int = 24, seed: int = 3) -> tuple[list[dict[str, Any]], dict]:
    """A Label Studio JSON export: three annotators on every task (the third one's id is an
    int, as older exports write it), one cancelled annotation, one ground truth, predictions;
    and the labels each annotator chose, by task."""
    rng = random.Random(seed)
    tasks, chosen = [], {}
    annotation_id = 100
    for task_id in range(1, n_tasks + 1):
        truth = rng.choice(LABELS)
        annotations = []
        for who in ANNOTATORS:
            annotation_id += 1
            label = truth if rng.random() < 0.7 else rng.choice(LABELS)
            key = who["email"] if isinstance(who, dict) else str(who)
            cancelled = task_id == 5 and who == 9
            if not cancelled:
                chosen[(task_id, key)] = label
            annotations.append(
                {
                    "id": annotation_id,
                    "completed_by": who,
                    "created_at": f"2026-03-0{1 + task_id % 9}T10:00:00.000000Z",
                    "lead_time": 4.5,
                    "was_cancelled": cancelled,
                    "ground_truth": task_id == 2 and who == 9,
                    "result": []
                    if cancelled
                    else [
                        {
                            "from_name": "sentiment",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": [label]},
                        }
                    ],
                }
            )
        tasks.append(
            {
                "id": task_id,
                "data": {"text": f"review number {task_id}"},
                "annotations": annotations,
                "predictions": [
                    {
                        "model_version": "m1",
                        "score": 0.8,
                        "result": [
                            {
                                "from_name": "sentiment",
                                "to_name": "text",
                                "type": "choices",
                                "value": {"choices": [truth]},
                            }
                        ],
                    }
                ],
            }
        )
    return tasks, chosen


def write_export(path: Path, tasks: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return path


def test_the_cli_formats_are_the_manifests_formats() -> None:
    from labelgate.cli.options import FILE_FORMATS
    from labelgate.config.dataset import SourceFormat
    from labelgate.io.importers import FORMATS

    assert get_args(SourceFormat) == FILE_FORMATS
    assert set(FORMATS) == set(FILE_FORMATS) - {"csv", "jsonl", "parquet"}


def test_agreement_on_a_label_studio_export_equals_sklearns_pairwise_kappa(
    tmp_path: Path,
) -> None:
    tasks, chosen = studio_export()
    path = write_export(tmp_path / "project-1-export.json", tasks)
    result = cli("agreement", str(path), "--format", "json", "--bootstrap", "0")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n_annotators"] == 3
    assert report["skipped_reasons"] == {"cancelled": 1}
    assert report["n_annotations"] == len(chosen) == 3 * 24 - 1
    pairs = {(p["annotator_a"], p["annotator_b"]): p for p in report["pairs"]}
    for (a, b), pair in pairs.items():
        shared = sorted({t for t, who in chosen if who == a} & {t for t, who in chosen if who == b})
        expected = cohen_kappa_score(
            [chosen[(t, a)] for t in shared], [chosen[(t, b)] for t in shared]
        )
        assert pair["cohen_kappa"] == pytest.approx(expected, abs=1e-9), (a, b)  # 10 digits
    assert len(pairs) == 3


def test_a_label_studio_source_fills_items_and_gold_and_keeps_the_tool_ids(
    make_project: ProjectFactory,
) -> None:
    tasks, chosen = studio_export(n_tasks=12)
    manifest = DATASET_HEAD + "sources:\n  annotations:\n    - path: raw/export.json\n"
    root = make_project({"datasets/example/dataset.yaml": manifest})
    write_export(root / "datasets/example/raw/export.json", tasks)
    summary = run_stages(root, "example", ("ingest",))["ingest"]
    build = root / "build/example"
    annotations = pd.read_parquet(build / "annotations.parquet")
    assert len(annotations) == len(chosen)
    first = annotations.iloc[0]
    assert first["source"] == "datasets/example/raw/export.json:1 (task 1 annotation 101)"
    assert first["annotator_id"] == "ann@example.com"
    assert first["duration_s"] == 4.5
    assert (first["suggested_label"], first["model_version"]) == ("", "")  # none was shown
    items = pd.read_parquet(build / "items.parquet")
    assert list(items["item_id"]) == [str(t) for t in range(1, 13)]
    assert items.loc[0, "text"] == "review number 1"
    gold = pd.read_parquet(build / "gold.parquet")
    assert list(gold["item_id"]) == ["2"]
    assert gold.loc[0, "label"] == chosen[(2, "9")]
    quarantine = pd.read_parquet(build / "quarantine.parquet")
    assert list(quarantine["reason"]) == ["cancelled"]
    assert int(quarantine.loc[0, "row"]) == 5
    totals = summary["annotations"]  # type: ignore[index]
    assert totals == {"rows_in": 36, "rows_kept": 35, "rows_quarantined": 1}


def test_several_choices_in_a_single_label_dataset_are_kept_aside_not_joined(
    make_project: ProjectFactory,
) -> None:
    tasks, _ = studio_export(n_tasks=4)
    tasks[0]["annotations"][0]["result"][0]["value"]["choices"] = ["positive", "neutral"]
    manifest = DATASET_HEAD + "sources:\n  annotations:\n    - path: raw/export.json\n"
    root = make_project({"datasets/example/dataset.yaml": manifest})
    write_export(root / "datasets/example/raw/export.json", tasks)
    run_stages(root, "example", ("ingest",))
    quarantine = pd.read_parquet(root / "build/example/quarantine.parquet")
    several = quarantine[quarantine["reason"] == "multiple_labels"]
    assert len(several) == 1
    assert '["positive","neutral"]' in several.iloc[0]["detail"]
    assert "multi-label" in several.iloc[0]["detail"]


def test_import_writes_the_tables_the_skipped_annotations_and_a_report(tmp_path: Path) -> None:
    tasks, chosen = studio_export(n_tasks=6)
    path = write_export(tmp_path / "export.json", tasks)
    out = tmp_path / "imported"
    result = cli("import", str(path), "-o", str(out), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["file_format"] == "labelstudio"
    assert report["annotations_found"] == 18
    assert report["annotations_kept"] == len(chosen) == 17
    assert report["skipped_by_reason"] == {"cancelled": 1}
    assert (report["items"], report["annotators"], report["gold"]) == (6, 3, 1)
    assert report["predictions"] == 6
    assert json.loads((out / "import_report.json").read_text()) == report
    annotations = pd.read_parquet(out / "annotations.parquet")
    assert len(annotations) == 17
    skipped = pd.read_csv(out / "skipped.csv")
    assert list(skipped["reason"]) == ["cancelled"]
    text = cli("import", str(path), "-o", str(tmp_path / "csv"), "--to", "csv")
    assert text.returncode == 0
    assert "17 kept, 1 left out" in text.stdout
    assert (tmp_path / "csv/spans.csv").is_file()


def test_import_refuses_a_plain_export_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("item_id,annotator_id,label\n1,a,x\n", encoding="utf-8")
    result = cli("import", str(path), "-o", str(tmp_path / "out"))
    assert result.returncode == 3
    assert "not recognised as an annotation tool's export" in result.stderr
    assert "--file-format" in result.stderr


def test_an_unknown_field_is_exit_3_naming_the_controls(tmp_path: Path) -> None:
    tasks, _ = studio_export(n_tasks=3)
    path = write_export(tmp_path / "export.json", tasks)
    result = cli("agreement", str(path), "--field", "topic")
    assert result.returncode == 3
    assert "sentiment" in result.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template project, built by its stages in process."""
    from labelgate.scaffold.init import init_project

    root = tmp_path_factory.mktemp("built") / "proj"
    init_project(root, git=False, dvc=False)
    run_stages(root, "example", ALL_STAGES)
    return root


def test_export_labelstudio_and_prodigy_write_review_tasks_of_the_final_labels(
    built: Path, tmp_path: Path
) -> None:
    final = pd.read_parquet(built / "build/example/final_labels.parquet")
    studio = tmp_path / "tasks.json"
    assert (
        cli("export", "labelstudio", "example", "-o", str(studio), "-C", str(built)).returncode == 0
    )
    tasks = json.loads(studio.read_text(encoding="utf-8"))
    assert [t["data"]["item_id"] for t in tasks] == list(final["item_id"])
    labelled = final[final["status"] != "unresolved"]
    first = next(t for t in tasks if t["data"]["item_id"] == labelled.iloc[0]["item_id"])
    prediction = first["predictions"][0]
    assert prediction["result"][0]["value"]["choices"] == [labelled.iloc[0]["label"]]
    assert prediction["score"] == pytest.approx(labelled.iloc[0]["confidence"])
    prodigy = tmp_path / "tasks.jsonl"
    assert cli("export", "prodigy", "example", "-o", str(prodigy), "-C", str(built)).returncode == 0
    lines = [json.loads(line) for line in prodigy.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(final)


def test_a_review_round_trips_through_label_studio(built: Path, tmp_path: Path) -> None:
    studio = tmp_path / "tasks.json"
    cli("export", "labelstudio", "example", "-o", str(studio), "-C", str(built))
    tasks = json.loads(studio.read_text(encoding="utf-8"))
    for number, task in enumerate(tasks, start=500):
        task["id"] = number  # Label Studio gives imported tasks its own ids
        suggestion = task["predictions"][0] if task.get("predictions") else None
        choices = suggestion["result"][0]["value"]["choices"] if suggestion else ["neutral"]
        task["annotations"] = [
            {
                "id": number * 10,
                "completed_by": {"id": 1, "email": "lead@example.com"},
                "result": [
                    {
                        "from_name": "label",
                        "to_name": "text",
                        "type": "choices",
                        "value": {"choices": choices},
                    }
                ],
                "prediction": suggestion or {},
            }
        ]
    back = write_export(tmp_path / "reviewed.json", tasks)
    result = cli("import", str(back), "-o", str(tmp_path / "back"), "--format", "json")
    assert result.returncode == 0, result.stderr
    annotations = pd.read_parquet(tmp_path / "back/annotations.parquet")
    final = pd.read_parquet(built / "build/example/final_labels.parquet")
    assert list(annotations["item_id"]) == list(final["item_id"])


def test_export_before_a_build_is_exit_3(make_project: ProjectFactory, tmp_path: Path) -> None:
    root = make_project()
    result = cli("export", "hf", "example", "-o", str(tmp_path / "hf"), "-C", str(root))
    assert result.returncode == 3
    assert "labelgate run" in result.stderr


REAL = SHARED / "data/real/tool_exports"


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared is absent")
@pytest.mark.parametrize(
    ("folder", "question"),
    [("meta", "rating_of_plot_consistency"), ("script110", None)],
)
def test_agreement_on_a_real_argilla_export_equals_sklearn_from_the_raw_records(
    folder: str, question: str | None
) -> None:
    """The issue's bar: a team's export imports with every annotator and task, and pairwise
    Cohen's kappa equals scikit-learn's on the raw records (three annotators, Xiao et al. 2025)."""
    export = REAL / "argilla/dyntom_human_eval" / folder
    records = json.loads((export / "records.json").read_text(encoding="utf-8"))
    name = question or next(iter(records[0]["responses"]))
    answers: dict[str, dict[str, str]] = {}
    for record in records:
        for response in record["responses"].get(name, []):
            value = response["value"]
            text = str(value).strip() if isinstance(value, str) else str(value)
            answers.setdefault(response["user_id"], {})[record["id"]] = text
    args = ["agreement", str(export), "--format", "json", "--bootstrap", "0"]
    result = cli(*args, *(["--field", question] if question else []))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n_annotators"] == len(answers) == 3
    assert report["n_items"] == len(records)
    assert report["n_annotations"] == sum(len(a) for a in answers.values())
    for pair in report["pairs"]:
        a, b = answers[pair["annotator_a"]], answers[pair["annotator_b"]]
        shared = sorted(set(a) & set(b))
        expected = cohen_kappa_score([a[i] for i in shared], [b[i] for i in shared])
        assert pair["cohen_kappa"] == pytest.approx(expected, abs=1e-9)
    assert len(report["pairs"]) == 3


def test_export_hf_writes_a_folder_datasets_loads_with_the_card(
    built: Path, tmp_path: Path
) -> None:
    out = tmp_path / "hf"
    result = cli(
        "export", "hf", "example", "-o", str(out), "-C", str(built), "--license", "CC-BY-4.0"
    )
    assert result.returncode == 0, result.stderr
    card = (out / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\nlicense: cc-by-4.0\n")
    assert "Krippendorff's alpha" in card
    final = pd.read_parquet(built / "build/example/final_labels.parquet")
    datasets = pytest.importorskip("datasets")
    if not hasattr(datasets, "load_dataset"):  # the repo's own datasets/ folder, not the library
        pytest.skip("the datasets library is not installed")
    loaded = datasets.load_dataset(str(out))["train"]
    assert loaded["item_id"] == list(final["item_id"])
    names = loaded.features["label"].names
    # Unresolved items keep their candidate label (and their status says so).
    assert [names[i] for i in loaded["label"]] == list(final["label"])
    assert loaded["status"] == list(final["status"])
    raw = datasets.load_dataset(str(out), "annotations")["train"]
    assert raw.num_rows == len(pd.read_parquet(built / "build/example/annotations.parquet"))


def test_export_hf_refuses_a_licence_that_is_not_an_id(built: Path, tmp_path: Path) -> None:
    result = cli(
        "export",
        "hf",
        "example",
        "-o",
        str(tmp_path / "hf"),
        "-C",
        str(built),
        "--license",
        "all rights: mine",
    )
    assert result.returncode == 3
    assert "licen" in result.stderr
    assert not (tmp_path / "hf").exists() or not any((tmp_path / "hf").rglob("*.parquet"))


def test_the_file_commands_count_several_choices_and_refuse_a_span_export(tmp_path: Path) -> None:
    tasks, chosen = studio_export(n_tasks=6)
    tasks[0]["annotations"][0]["result"][0]["value"]["choices"] = ["positive", "neutral"]
    path = write_export(tmp_path / "export.json", tasks)
    result = cli("agreement", str(path), "--format", "json", "--bootstrap", "0")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["skipped_reasons"] == {"cancelled": 1, "multiple_labels": 1}
    assert report["n_annotations"] == len(chosen) - 1
    for task in tasks:
        for annotation in task["annotations"]:
            annotation["result"] = [
                {
                    "from_name": "entities",
                    "to_name": "text",
                    "type": "labels",
                    "value": {"start": 0, "end": 6, "text": "review", "labels": ["PER"]},
                }
            ]
    spans = write_export(tmp_path / "spans.json", tasks)
    refused = cli("agreement", str(spans))
    assert refused.returncode == 3
    assert "is a span export" in refused.stderr
    assert "task: spans" in refused.stderr
