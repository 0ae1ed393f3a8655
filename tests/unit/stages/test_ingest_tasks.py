"""ingest by the schema's task: label sets for multi_label, a spans table for spans."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ALL_STAGES, ProjectFactory, ingest_in_chunks, run_stages

MULTI_SCHEMA = """kind: schema
format_version: 1
version: "1.0.0"
task: multi_label
labels:
  - id: joy
  - id: anger
  - id: fear
  - id: sadness
migrations:
  - {op: rename, since: "1.0.0", from: happy, to: joy}
item_fields:
  - {name: text, type: string}
"""

SPAN_SCHEMA = """kind: schema
format_version: 1
version: "1.0.0"
task: spans
labels:
  - id: PER
  - id: ORG
item_fields:
  - {name: text, type: string}
"""


def manifest(schema: str, path: str, items: bool = True) -> str:
    return (
        f"kind: dataset\nformat_version: 1\nschema: {schema}\nguideline: {schema}\n"
        f"qa_rules: {schema}\nsources:\n  annotations:\n"
        f"    - path: {path}\n" + ("  items:\n    path: raw/items.jsonl\n" if items else "")
    )


def task_files(schema: str, text: str) -> dict[str, str | None]:
    """A schema with its guideline and qa rules (no gates: the task's metrics come later)."""
    labels = [line.split("id: ")[1] for line in text.splitlines() if "- id: " in line]
    guideline = (
        f'---\nkind: guideline\nformat_version: 1\nschema: {schema}\nversion: "1.0.0"\n---\n\n'
        + "".join(f"## Label: {label}\n\nIt is {label}.\n\n" for label in labels)
    )
    return {
        f"schemas/{schema}.yaml": text,
        f"guidelines/{schema}.md": guideline,
        f"qa_rules/{schema}.yaml": "kind: qa_rules\nformat_version: 1\n",
    }


ITEMS = "".join(
    json.dumps({"item_id": f"i{n}", "text": f"Ann Lee met ACME on day {n}"}) + "\n"
    for n in range(1, 4)
)


def multi_project(make_project: ProjectFactory, rows: str, name: str = "proj") -> Path:
    return make_project(
        {
            **task_files("emotions", MULTI_SCHEMA),
            "datasets/example/dataset.yaml": manifest("emotions", "raw/a.jsonl"),
            "datasets/example/raw/a.jsonl": rows,
            "datasets/example/raw/items.jsonl": ITEMS,
        },
        name=name,
    )


def test_label_sets_are_mapped_ordered_and_checked(make_project: ProjectFactory) -> None:
    rows = "".join(
        json.dumps(r) + "\n"
        for r in [
            {"item_id": "i1", "annotator_id": "a", "label": ["anger", "happy"]},
            {"item_id": "i1", "annotator_id": "b", "label": []},
            {"item_id": "i2", "annotator_id": "a", "label": "fear"},
            {"item_id": "i2", "annotator_id": "b", "label": ["joy", "boredom"]},
            {"item_id": "i3", "annotator_id": "a", "label": [["joy"]]},
            {"item_id": "i3", "annotator_id": "b", "label": ""},
        ]
    )
    root = multi_project(make_project, rows)
    run_stages(root, "example", ("ingest",))
    build = root / "build/example"
    ann = pd.read_parquet(build / "annotations.parquet")
    assert list(ann["label"]) == ['["joy","anger"]', "[]", '["fear"]']
    assert [list(v) for v in ann["labels"]] == [["joy", "anger"], [], ["fear"]]
    assert ann.loc[0, "migrated_from"] == "rename happy->joy (1.0.0)"
    quarantine = pd.read_parquet(build / "quarantine.parquet")
    assert sorted(quarantine["reason"]) == ["malformed_row", "missing_label", "unknown_label"]
    unknown = quarantine[quarantine["reason"] == "unknown_label"].iloc[0]
    assert "boredom" in unknown["detail"]


def test_label_sets_checked_one_record_at_a_time_give_the_same_bytes(
    make_project: ProjectFactory,
) -> None:
    # A piece whose only set is empty has a list column of no type; joined with the others
    # it must give the table of checking the file whole.
    rows = "".join(
        json.dumps({"item_id": f"i{n}", "annotator_id": who, "label": label}) + "\n"
        for n, who, label in [(1, "a", ["joy"]), (1, "b", []), (2, "a", ["fear", "joy"])]
    )
    root = multi_project(make_project, rows)
    whole = ingest_in_chunks(root, 1_000)
    assert ingest_in_chunks(root, 1) == whole
    labels = pd.read_parquet(root / "build/example/annotations.parquet")["labels"]
    assert [list(v) for v in labels] == [["joy"], [], ["joy", "fear"]]


def span_project(make_project: ProjectFactory, path: str, content: str) -> Path:
    return make_project(
        {
            **task_files("entities", SPAN_SCHEMA),
            "qa_rules/entities.yaml": "kind: qa_rules\nformat_version: 1\nchecks:\n  - kind: spans\n",
            "datasets/example/dataset.yaml": manifest("entities", path),
            f"datasets/example/{path}": content,
            "datasets/example/raw/items.jsonl": ITEMS,
        }
    )


def test_span_answers_become_one_annotation_each_and_a_spans_table(
    make_project: ProjectFactory,
) -> None:
    rows = "".join(
        json.dumps(r) + "\n"
        for r in [
            {"item_id": "i1", "annotator_id": "a", "label": [[0, 7, "PER"], [12, 16, "ORG"]]},
            {
                "item_id": "i1",
                "annotator_id": "b",
                "label": [{"start": 0, "end": 7, "label": "PER"}],
            },
            {"item_id": "i2", "annotator_id": "a", "label": []},
            {"item_id": "i2", "annotator_id": "b", "label": [[0, 3, "LOC"]]},
            {"item_id": "i3", "annotator_id": "a", "label": [[0, "x", "PER"]]},
        ]
    )
    root = span_project(make_project, "raw/a.jsonl", rows)
    run_stages(root, "example", ("ingest",))
    build = root / "build/example"
    ann = pd.read_parquet(build / "annotations.parquet")
    assert list(zip(ann["item_id"], ann["annotator_id"], ann["label"], strict=True)) == [
        ("i1", "a", ""),
        ("i1", "b", ""),
        ("i2", "a", ""),  # looked and found nothing: an annotation without spans
    ]
    spans = pd.read_parquet(build / "spans.parquet")
    assert spans.to_dict("records") == [
        {
            "item_id": "i1",
            "annotator_id": "a",
            "start": 0,
            "end": 7,
            "label": "PER",
            "text": "Ann Lee",
        },
        {
            "item_id": "i1",
            "annotator_id": "a",
            "start": 12,
            "end": 16,
            "label": "ORG",
            "text": "ACME",
        },
        {
            "item_id": "i1",
            "annotator_id": "b",
            "start": 0,
            "end": 7,
            "label": "PER",
            "text": "Ann Lee",
        },
    ]
    quarantine = pd.read_parquet(build / "quarantine.parquet")
    assert sorted(quarantine["reason"]) == ["malformed_row", "unknown_label"]


def test_a_label_studio_span_export_feeds_a_spans_dataset(make_project: ProjectFactory) -> None:
    def task(number: int, spans: list[tuple[int, int, str]]) -> dict[str, object]:
        return {
            "id": number,
            "data": {"item_id": f"i{number}", "text": f"Ann Lee met ACME on day {number}"},
            "annotations": [
                {
                    "id": 10 * number + k,
                    "completed_by": k,
                    "result": [
                        {
                            "from_name": "ner",
                            "to_name": "text",
                            "type": "labels",
                            "value": {"start": s, "end": e, "text": "?", "labels": [label]},
                        }
                        for s, e, label in spans
                    ]
                    if k == 1
                    else [],
                }
                for k in (1, 2)
            ],
        }

    export = json.dumps([task(1, [(0, 7, "PER")]), task(2, [(12, 16, "ORG"), (0, 3, "LOC")])])
    root = span_project(make_project, "raw/export.json", export)
    summary = run_stages(root, "example", ("ingest",))["ingest"]
    build = root / "build/example"
    ann = pd.read_parquet(build / "annotations.parquet")
    assert list(zip(ann["item_id"], ann["annotator_id"], strict=True)) == [
        ("i1", "1"),
        ("i1", "2"),
        ("i2", "2"),
    ]
    spans = pd.read_parquet(build / "spans.parquet")
    assert list(zip(spans["item_id"], spans["label"], spans["text"], strict=True)) == [
        ("i1", "PER", "?")  # the text the export stored; the spans check compares it
    ]
    run_stages(root, "example", ("validate",))
    violations = pd.read_parquet(build / "violations.parquet")
    assert list(violations["rule_id"]) == ["spans"]
    assert list(violations["severity"]) == ["warn"]
    assert violations.iloc[0]["message"].startswith("[span_text]")
    quarantine = pd.read_parquet(build / "quarantine.parquet")
    assert list(quarantine["reason"]) == ["unknown_label"]  # i2 by 1 marked a LOC
    assert summary["annotations"] == {"rows_in": 4, "rows_kept": 3, "rows_quarantined": 1}  # type: ignore[index]


def test_a_multi_label_dataset_runs_every_stage(make_project: ProjectFactory) -> None:
    rows = "".join(
        json.dumps({"item_id": f"i{n}", "annotator_id": who, "label": labels}) + "\n"
        for n in range(1, 4)
        for who, labels in (("a", ["joy", "fear"]), ("b", ["joy"]), ("c", ["joy", "fear"]))
    )
    root = multi_project(make_project, rows)
    (root / "pipelines/default.yaml").write_text(
        "kind: pipeline\nformat_version: 1\naggregate:\n  method: majority_vote\n",
        encoding="utf-8",
    )
    summaries = run_stages(root, "example", ("config", *ALL_STAGES))
    final = pd.read_parquet(root / "build/example/final_labels.parquet")
    assert list(final["label"]) == ['["joy","fear"]'] * 3
    assert list(final["status"]) == ["aggregated"] * 3
    assert list(final["raw_confidence"].round(4)) == [0.6667] * 3  # joy 3/3 x fear 2/3
    agreement = summaries["agreement"]
    assert set(agreement["coefficients"]) == {"masi_alpha", "jaccard_alpha", "exact_match_rate"}  # type: ignore[index]
    assert "masi_alpha" in (root / "build/example/summary.md").read_text(encoding="utf-8")
    from labelgate.app.trace import trace_item

    traced = trace_item(root, "example", "i1")
    assert [a["labels"] for a in traced["annotations"]] == [
        ["joy", "fear"],
        ["joy"],
        ["joy", "fear"],
    ]


def test_a_span_dataset_runs_every_stage(make_project: ProjectFactory) -> None:
    rows = "".join(
        json.dumps({"item_id": f"i{n}", "annotator_id": who, "label": spans}) + "\n"
        for n in range(1, 4)
        for who, spans in (
            ("a", [[0, 7, "PER"], [12, 16, "ORG"]]),
            ("b", [[0, 7, "PER"]]),
            ("c", [[0, 3, "PER"], [12, 16, "ORG"]]),
        )
    )
    root = span_project(make_project, "raw/a.jsonl", rows)
    (root / "pipelines/default.yaml").write_text(
        "kind: pipeline\nformat_version: 1\naggregate:\n  method: majority_vote\n",
        encoding="utf-8",
    )
    summaries = run_stages(root, "example", ("config", *ALL_STAGES))
    final = pd.read_parquet(root / "build/example/final_labels.parquet")
    assert list(final["label"]) == ['[[0,7,"PER"],[12,16,"ORG"]]'] * 3
    assert list(final["raw_confidence"].round(4)) == [0.6667] * 3
    agreement = summaries["agreement"]
    strict = agreement["coefficients"]["span_f1_strict"]["value"]  # type: ignore[index]
    # Per item: a-b 1 of (2+1), a-c 1 of (2+2), b-c 0 of (1+2) matched exactly.
    assert strict == pytest.approx(2 * 2 / (3 + 4 + 3))
    from labelgate.app.trace import trace_item

    traced = trace_item(root, "example", "i1")
    assert [a["label"] for a in traced["annotations"]] == [
        '[[0,7,"PER"],[12,16,"ORG"]]',
        '[[0,7,"PER"]]',
        '[[0,3,"PER"],[12,16,"ORG"]]',
    ]


def test_check_refuses_a_method_or_parameter_a_task_does_not_offer(
    make_project: ProjectFactory,
) -> None:
    from labelgate.project.checks import check_project
    from labelgate.project.loader import load_project

    root = multi_project(make_project, "")
    pipeline = root / "pipelines/default.yaml"
    pipeline.write_text(
        "kind: pipeline\nformat_version: 1\naggregate:\n  method: dawid_skene\n"
        "  params: {clamp_gold: false, max_iter: 50}\n",
        encoding="utf-8",
    )
    messages = [p.message for p in check_project(load_project(root))]
    assert any("'clamp_gold' is not a parameter of dawid_skene" in m for m in messages), messages
    assert not any("'max_iter'" in m for m in messages)
    pipeline.write_text(
        "kind: pipeline\nformat_version: 1\naggregate:\n  method: mace\n", encoding="utf-8"
    )
    messages = [p.message for p in check_project(load_project(root))]
    assert any("aggregates with majority_vote or dawid_skene, not 'mace'" in m for m in messages)


def test_media_fields_hash_the_file_a_project_path_names(make_project: ProjectFactory) -> None:
    schema = (
        "kind: schema\nformat_version: 1\nversion: '1.0.0'\nlabels:\n  - id: cat\n  - id: dog\n"
        "item_fields:\n  - {name: image, type: image}\n"
    )
    items = "".join(
        json.dumps({"item_id": i, "image": path}) + "\n"
        for i, path in (
            ("a", "datasets/example/media/one.png"),
            ("b", "datasets/example/media/copy.png"),
            ("c", "datasets/example/media/other.png"),
            ("d", "https://example.org/one.png"),
            ("e", "../outside.png"),
        )
    )
    answers = "".join(
        json.dumps({"item_id": i, "annotator_id": "w", "label": "cat"}) + "\n" for i in "abcde"
    )
    root = make_project(
        {
            **task_files("pets", schema),
            "datasets/example/dataset.yaml": manifest("pets", "raw/a.jsonl"),
            "datasets/example/raw/a.jsonl": answers,
            "datasets/example/raw/items.jsonl": items,
            "datasets/example/media/one.png": "same bytes",
            "datasets/example/media/copy.png": "same bytes",
            "datasets/example/media/other.png": "other bytes",
        }
    )
    run_stages(root, "example", ("ingest",))
    hashes = pd.read_parquet(root / "build/example/items.parquet").set_index("item_id")
    digest = hashes["content_hash"]
    assert digest["a"] == digest["b"]  # the same image under another name
    assert len({digest["a"], digest["c"], digest["d"], digest["e"]}) == 4


def test_span_and_label_set_reviews_export_to_label_studio_and_prodigy(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    from labelgate.io.importers.labelstudio import read_json
    from tests.conftest import cli

    rows = "".join(
        json.dumps({"item_id": f"i{n}", "annotator_id": who, "label": [[0, 7, "PER"]]}) + "\n"
        for n in range(1, 4)
        for who in ("a", "b")
    )
    root = span_project(make_project, "raw/a.jsonl", rows)
    (root / "pipelines/default.yaml").write_text(
        "kind: pipeline\nformat_version: 1\naggregate:\n  method: majority_vote\n",
        encoding="utf-8",
    )
    run_stages(root, "example", ("config", *ALL_STAGES))
    out = tmp_path / "tasks.json"
    assert cli("export", "labelstudio", "example", "-o", str(out), "-C", str(root)).returncode == 0
    tasks = json.loads(out.read_text(encoding="utf-8"))
    for number, task in enumerate(tasks, start=1):
        task["id"] = number
        task["annotations"] = [
            {"id": number, "completed_by": 1, "result": task["predictions"][0]["result"]}
        ]
    out.write_text(json.dumps(tasks), encoding="utf-8")
    back = read_json(out, "tasks.json")
    assert list(
        zip(
            back.spans["item_id"],
            back.spans["start"],
            back.spans["end"],
            back.spans["label"],
            back.spans["text"],
            strict=True,
        )
    ) == [(f"i{n}", 0, 7, "PER", "Ann Lee") for n in range(1, 4)]
    refused = cli("export", "prodigy", "example", "-o", str(tmp_path / "t.jsonl"), "-C", str(root))
    assert refused.returncode == 3
    assert "export labelstudio" in refused.stderr


def test_label_distribution_counts_labels_inside_sets_and_spans() -> None:
    from labelgate.analysis.consensus import ConsensusSettings, label_distribution

    def settings(task: str) -> ConsensusSettings:
        return ConsensusSettings(
            step=None,  # type: ignore[arg-type]
            label_ids=["PER", "ORG"],
            schema_version="1",
            qualification=None,
            rulings=(),
            guideline="g",
            guideline_releases={},
            rules_hash="",
            pipeline_hash="",
            adjudications_file="",
            pipeline_file="",
            task=task,
        )

    sets = pd.Series(['["PER","ORG"]', '["PER"]', "[]"])
    assert label_distribution(sets, settings("multi_label")) == {"PER": 2, "ORG": 1}
    spans = pd.Series(['[[0,3,"PER"],[5,9,"PER"]]', "[]"])
    assert label_distribution(spans, settings("spans")) == {"PER": 2, "ORG": 0}
