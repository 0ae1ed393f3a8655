"""ingest: sources mapped onto canonical tables; bad rows quarantined with a reason, never lost."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labelgate.config import columns as col
from labelgate.errors import InputError
from tests.conftest import DATASET_HEAD, ProjectFactory, ingest_in_chunks, run_stages

MANIFEST = (
    DATASET_HEAD
    + """sources:
  annotations:
    - path: raw/a.csv
      batch: b1
      guideline_version: "1.0.0"
    - path: raw/b.jsonl
      batch: b2
  items:
    path: raw/items.jsonl
"""
)

CSV = """item_id,annotator_id,label,duration_s,annotated_at
r1,w1,positive,3.5,2026-01-01T10:00:00Z
r1,w2,Positive,4,2026-01-01T10:01:00Z
r1,w3,,5,2026-01-01T10:02:00Z
r2,w1,negative,oops,2026-01-01T10:03:00Z
r2,w2,negative,2,yesterday
r2,w3,negative,1,2026-01-01T10:05:00Z,extra
r9,w1,neutral,1,2026-01-01T10:06:00Z
,w1,neutral,1,2026-01-01T10:07:00Z
"""

JSONL = """{"item_id": "r1", "annotator_id": "w4", "label": "positive", "guideline_version": "1.1.0"}
{"item_id": "r2", "annotator_id": "w4"
{"item_id": "r2", "annotator_id": "", "label": "negative"}
[1, 2]
"""

ITEMS = '{"item_id": "r1", "text": "Great"}\n{"item_id": "r2", "text": "Bad"}\n{"item_id": "r2", "text": "again"}\n'


def project(make_project: ProjectFactory, **extra: str) -> object:
    files = {
        "datasets/example/dataset.yaml": MANIFEST,
        "datasets/example/raw/a.csv": CSV,
        "datasets/example/raw/b.jsonl": JSONL,
        "datasets/example/raw/items.jsonl": ITEMS,
        **extra,
    }
    return make_project(files)


def test_rows_in_equal_rows_kept_plus_quarantined(make_project: ProjectFactory) -> None:
    root = project(make_project)
    summary = run_stages(root, "example", ("ingest",))["ingest"]
    by_file = {s["file"]: s for s in summary["sources"]}
    a = by_file["datasets/example/raw/a.csv"]
    assert (a["rows_in"], a["rows_kept"], a["rows_quarantined"]) == (8, 1, 7)
    assert a["reasons"] == {
        "bad_duration": 1,
        "bad_timestamp": 1,
        "malformed_row": 1,
        "missing_item_id": 1,
        "missing_label": 1,
        "unknown_item": 1,
        "unknown_label": 1,
    }
    b = by_file["datasets/example/raw/b.jsonl"]
    assert (b["rows_in"], b["rows_kept"], b["rows_quarantined"]) == (4, 1, 3)
    items = by_file["datasets/example/raw/items.jsonl"]
    assert items["reasons"] == {"duplicate_item_id": 1}
    assert summary["annotations"] == {"rows_in": 12, "rows_kept": 2, "rows_quarantined": 10}
    quarantine = pd.read_parquet(root / "build/example/quarantine.parquet")
    row = quarantine[quarantine["reason"] == "bad_timestamp"].iloc[0]
    assert (row["source"], row["row"]) == ("datasets/example/raw/a.csv", 6)
    assert "yesterday" in row["raw"]
    malformed = quarantine[quarantine["reason"] == "malformed_row"]
    assert set(malformed["row"]) == {7, 2, 4}  # CSV record 7 (header is 1); JSONL lines 2 and 4


def test_canonical_annotations_carry_batch_version_and_source(make_project: ProjectFactory) -> None:
    root = project(make_project)
    run_stages(root, "example", ("ingest",))
    ann = pd.read_parquet(root / "build/example/annotations.parquet")
    assert list(ann.columns) == [
        "item_id",
        "annotator_id",
        "label",
        "annotated_at",
        "duration_s",
        "batch",
        "guideline_version",
        "suggested_label",
        "suggestion_score",
        "model_version",
        "source",
        "migrated_from",
    ]
    first = ann.iloc[0]
    assert (first["batch"], first["guideline_version"], first["source"]) == (
        "b1",
        "1.0.0",
        "datasets/example/raw/a.csv:2",
    )
    assert str(first["annotated_at"]) == "2026-01-01 10:00:00+00:00"
    # The export's own guideline_version wins over the manifest's default.
    assert ann[ann["annotator_id"] == "w4"]["guideline_version"].tolist() == ["1.1.0"]


def test_labels_are_case_sensitive_and_unknown_ones_quarantined(
    make_project: ProjectFactory,
) -> None:
    root = project(make_project)
    run_stages(root, "example", ("ingest", "validate"))
    quarantine = pd.read_parquet(root / "build/example/quarantine.parquet")
    assert (
        "label 'Positive' is not in the schema"
        in quarantine[quarantine["reason"] == "unknown_label"]["detail"].iloc[0]
    )
    violations = pd.read_parquet(root / "build/example/violations.parquet")
    allowed = violations[violations["rule_id"] == "allowed_labels"]
    assert allowed[["item_id", "annotator_id", "observed"]].values.tolist() == [
        ["r1", "w2", "Positive"]
    ]


def test_migrations_rename_old_labels(make_project: ProjectFactory) -> None:
    schema = (make_project(name="s") / "schemas/review_sentiment.yaml").read_text(encoding="utf-8")
    schema = (
        schema.replace('version: "1.0.0"', 'version: "1.1.0"')
        + 'migrations:\n  - op: rename\n    since: "1.1.0"\n    from: good\n    to: positive\n'
    )
    root = project(
        make_project,
        **{
            "schemas/review_sentiment.yaml": schema,
            "datasets/example/raw/a.csv": "item_id,annotator_id,label\nr1,w1,good\nr1,w2,positive\n",
        },
    )
    summary = run_stages(root, "example", ("ingest",))["ingest"]
    ann = pd.read_parquet(root / "build/example/annotations.parquet")
    assert ann["label"].tolist()[:2] == ["positive", "positive"]
    assert ann["migrated_from"].tolist()[:2] == ["rename good->positive (1.1.0)", ""]
    assert summary["migrations_applied"] == {"rename good->positive (1.1.0)": 1}


def test_parquet_sources(make_project: ProjectFactory) -> None:
    root = project(make_project)
    table = pa.table(
        {
            "item_id": ["r1", "r2"],
            "annotator_id": ["w1", "w1"],
            "label": ["positive", "negative"],
            "duration_s": [1.5, 2.0],
        }
    )
    pq.write_table(table, root / "datasets/example/raw/c.parquet")
    manifest = MANIFEST.replace(
        "    - path: raw/b.jsonl\n      batch: b2\n", "    - path: raw/c.parquet\n"
    )
    (root / "datasets/example/dataset.yaml").write_text(manifest, encoding="utf-8")
    summary = run_stages(root, "example", ("ingest",))["ingest"]
    parquet = next(s for s in summary["sources"] if s["file"].endswith("c.parquet"))
    assert (parquet["rows_in"], parquet["rows_kept"]) == (2, 2)


def test_missing_column_names_the_file_and_suggests(make_project: ProjectFactory) -> None:
    root = project(
        make_project, **{"datasets/example/raw/a.csv": "item,annotator_id,label\nr1,w1,positive\n"}
    )
    with pytest.raises(
        InputError,
        match=r"datasets/example/raw/a.csv:1:1: columns.item_id: column 'item_id' \(for item_id\) is not in the file, which has 'item', 'annotator_id', 'label'. Did you mean 'item'\?",
    ):
        run_stages(root, "example", ("ingest",))


def test_a_dataset_with_no_usable_rows_is_an_input_error(make_project: ProjectFactory) -> None:
    root = project(
        make_project,
        **{
            "datasets/example/raw/a.csv": "item_id,annotator_id,label\n",
            "datasets/example/raw/b.jsonl": "",
        },
    )
    with pytest.raises(InputError, match=r"dataset 'example' has no usable annotations"):
        run_stages(root, "example", ("ingest",))


def test_ordinal_values_map_to_label_ids(make_project: ProjectFactory) -> None:
    schema = """
    kind: schema
    format_version: 1
    version: "1.0.0"
    level: ordinal
    labels:
      - {id: low, value: 0}
      - {id: high, value: 1}
    item_fields:
      - {name: text, type: string, required: true}
    """
    guide = (make_project(name="g") / "guidelines/review_sentiment.md").read_text(encoding="utf-8")
    guide = guide.split("## Label: positive")[0] + "## Label: low\n\n## Label: high\n"
    root = project(
        make_project,
        **{
            "schemas/review_sentiment.yaml": schema,
            "guidelines/review_sentiment.md": guide,
            "qa_rules/review_sentiment.yaml": "kind: qa_rules\nformat_version: 1\n",
            "datasets/example/raw/a.csv": "item_id,annotator_id,label\nr1,w1,0\nr1,w2,1.0\nr2,w1,high\n",
            "datasets/example/raw/b.jsonl": '{"item_id": "r2", "annotator_id": "w2", "label": 1}\n',
        },
    )
    run_stages(root, "example", ("ingest",))
    ann = pd.read_parquet(root / "build/example/annotations.parquet")
    assert ann["label"].tolist() == ["low", "high", "high", "high"]


def test_ingest_is_byte_for_byte_reproducible(make_project: ProjectFactory) -> None:
    root = project(make_project)
    run_stages(root, "example", ("ingest",))
    first = {p.name: p.read_bytes() for p in (root / "build/example").iterdir() if p.is_file()}
    run_stages(root, "example", ("ingest",))
    second = {p.name: p.read_bytes() for p in (root / "build/example").iterdir() if p.is_file()}
    assert first == second


def test_a_split_label_sends_its_items_to_reannotation(make_project: ProjectFactory) -> None:
    schema = (make_project(name="s") / "schemas/review_sentiment.yaml").read_text(encoding="utf-8")
    schema = schema.replace('version: "1.0.0"', 'version: "1.1.0"') + (
        'migrations:\n  - op: split\n    since: "1.1.0"\n    from: mixed\n'
        "    to: [positive, negative]\n"
    )
    root = project(
        make_project,
        **{
            "schemas/review_sentiment.yaml": schema,
            "datasets/example/raw/a.csv": (
                "item_id,annotator_id,label\nr1,w1,mixed\nr1,w2,positive\nr2,w2,mixed\n"
                "r2,w1,mixed\nr2,w3,negative\n"
            ),
        },
    )
    summary = run_stages(root, "example", ("ingest",))["ingest"]
    again = pd.read_csv(root / "build/example/reannotation.csv", dtype=str)
    assert again.to_dict("records") == [
        {"item_id": "r1", "old_label": "mixed", "split_into": "positive, negative",
         "since": "1.1.0", "annotations": "1", "annotators": "w1"},
        {"item_id": "r2", "old_label": "mixed", "split_into": "positive, negative",
         "since": "1.1.0", "annotations": "2", "annotators": "w1, w2"},
    ]  # fmt: skip
    assert summary["reannotation"] == {
        "items": 2,
        "annotations": 3,
        "file": "build/example/reannotation.csv",
    }
    # The rows are still counted in the quarantine: nothing is lost.
    assert summary["quarantine_reasons"]["split_label_needs_reannotation"] == 3


MAPPED = (
    DATASET_HEAD
    + """sources:
  annotations:
    - path: raw/a.csv
guideline_versions:
  - {version: "1.0.0", batches: [b0]}
  - {version: "1.0.0", until: 2026-03-01}
  - {version: "1.1.0", from: 2026-03-01}
"""
)


def test_manifest_maps_batches_then_time_ranges_to_versions(make_project: ProjectFactory) -> None:
    root = make_project(name="m")
    guide = (root / "guidelines/review_sentiment.md").read_text(encoding="utf-8")
    (root / "guidelines/review_sentiment.md").write_text(
        guide.replace('version: "1.0.0"', 'version: "1.1.0"').replace("FAQ", "Questions"),
        encoding="utf-8",
    )
    from labelgate.guidelines.lock import write_lock
    from labelgate.project.loader import load_project

    write_lock(load_project(root))
    csv = (
        "item_id,annotator_id,label,batch,annotated_at,guideline_version\n"
        "r1,w1,positive,b0,2026-04-01T00:00:00Z,\n"  # batch wins over time
        "r1,w2,positive,,2026-02-28T23:59:59Z,\n"
        "r1,w3,positive,,2026-03-01T00:00:00Z,\n"  # 'from' is inclusive
        "r2,w1,negative,,,\n"  # no time, no batch: left unknown
        "r2,w2,negative,,2026-01-01T00:00:00Z,1.1.0\n"  # the export's own column wins
    )
    write = {"datasets/example/dataset.yaml": MAPPED, "datasets/example/raw/a.csv": csv}
    for name, text in write.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text.lstrip(), encoding="utf-8")
    run_stages(root, "example", ("ingest", "validate"))
    ann = pd.read_parquet(root / "build/example/annotations.parquet")
    assert ann["guideline_version"].tolist() == ["1.0.0", "1.0.0", "1.1.0", "", "1.1.0"]
    violations = pd.read_parquet(root / "build/example/violations.parquet")
    unknown = violations[violations["rule_id"] == "guideline_version"]
    assert unknown["annotator_id"].tolist() == ["w1"]
    assert "no guideline_versions mapping covers" in unknown["message"].iloc[0]


EPOCH_MANIFEST = (
    DATASET_HEAD
    + """sources:
  annotations:
    - path: raw/a.csv
      batch: b1
      guideline_version: "1.0.0"
      columns: {annotated_at: created}
"""
)


def test_a_column_of_epoch_seconds_names_the_column_the_value_and_the_fix(
    make_project: ProjectFactory,
) -> None:
    rows = (
        "item_id,annotator_id,label,created\nr1,w1,positive,1767225600\nr1,w2,negative,1767225660\n"
    )
    root = make_project(
        {"datasets/example/dataset.yaml": EPOCH_MANIFEST, "datasets/example/raw/a.csv": rows}
    )
    with pytest.raises(InputError) as caught:
        run_stages(root, "example", ("ingest",))
    (problem,) = caught.value.problems
    assert problem.render() == (
        "datasets/example/dataset.yaml: dataset 'example' has no usable annotations: all 2 rows "
        "were quarantined (bad_timestamp 2). datasets/example/raw/a.csv: no annotated_at value "
        "could be read, so all 2 rows with one were quarantined (bad_timestamp). Row 2: "
        "annotated_at '1767225600' (file column 'created') looks like Unix epoch seconds (that "
        "is 2026-01-01T00:00:00Z); export ISO 8601 times (2026-01-01T00:00:00Z), or map another "
        "column to annotated_at in dataset.yaml (columns: {annotated_at: <column>}). "
        "Check the exports and the column mapping in dataset.yaml."
    )


def test_every_bad_row_carries_its_value_and_fix_and_a_whole_bad_column_is_said_once(
    make_project: ProjectFactory,
) -> None:
    from labelgate.project.context import dataset_context
    from labelgate.stages.registry import stage_function

    rows = (
        "item_id,annotator_id,label,created,duration_s\n"
        "r1,w1,positive,1767225600,12s\n"
        "r1,w2,negative,,\n"
        "r2,w1,negative,,2m\n"
        "r2,w2,negative,,\n"
    )
    root = make_project(
        {"datasets/example/dataset.yaml": EPOCH_MANIFEST, "datasets/example/raw/a.csv": rows}
    )
    result = stage_function("ingest")(dataset_context(root, "example"))
    quarantine = pd.read_parquet(root / "build/example/quarantine.parquet")
    assert list(quarantine["reason"]) == ["bad_duration", "bad_duration"]  # codes unchanged
    assert list(quarantine["detail"]) == [
        "duration_s '12s' has a unit; export plain seconds >= 0 (12 or 12.5), or map another "
        "column to duration_s in dataset.yaml (columns: {duration_s: <column>})",
        "duration_s '2m' is in minutes or hours with a unit; export plain seconds >= 0 (12 or "
        "12.5), or map another column to duration_s in dataset.yaml (columns: {duration_s: "
        "<column>})",
    ]
    # Every duration failed: the stage's lines say so once, with the first row and the fix.
    assert result.lines[-1] == (
        "datasets/example/raw/a.csv: no duration_s value could be read, so all 2 rows with one "
        "were quarantined (bad_duration). Row 2: " + quarantine["detail"].iloc[0] + "."
    )
    # Where only some values fail, those rows are quarantined with their detail, and no note.
    mixed = (
        "item_id,annotator_id,label,created\n"
        "r1,w1,positive,1767225600\n"
        "r1,w2,negative,2026-01-01T10:00:00Z\n"
        "r2,w1,negative,\n"
    )
    (root / "datasets/example/raw/a.csv").write_text(mixed, encoding="utf-8")
    lines = stage_function("ingest")(dataset_context(root, "example")).lines
    assert lines == ["datasets/example/raw/a.csv: 3 rows in = 2 kept + 1 quarantined"]
    quarantine = pd.read_parquet(root / "build/example/quarantine.parquet")
    assert list(quarantine["reason"]) == ["bad_timestamp"]
    assert (
        quarantine["detail"]
        .iloc[0]
        .startswith(
            "annotated_at '1767225600' (file column 'created') looks like Unix epoch seconds"
        )
    )


@pytest.mark.parametrize(
    ("value", "looks"),
    [
        ("1767225600123", "looks like Unix epoch milliseconds (that is 2026-01-01T00:00:00Z)"),
        ("01/02/2026", "looks like a local date, whose day and month order is ambiguous"),
        ("yesterday", "is not an ISO 8601 time"),
    ],
)
def test_timestamp_details_say_what_the_value_looks_like(value: str, looks: str) -> None:
    from labelgate.io.ingest import _timestamp_details

    (detail,) = _timestamp_details(pd.Series([value], dtype="str"), {})
    assert detail.startswith(f"annotated_at '{value}' {looks}; export ISO 8601 times")


@pytest.mark.parametrize(
    ("value", "looks"),
    [
        ("1500ms", "is in milliseconds with a unit"),
        ("01:30", "looks like a clock time (mm:ss or hh:mm:ss)"),
        ("1,5", "has a decimal comma"),
        ("-3", "is negative"),
        ("oops", "is not a number >= 0"),
    ],
)
def test_duration_details_say_what_the_value_looks_like(value: str, looks: str) -> None:
    from labelgate.io.ingest import _duration_details

    (detail,) = _duration_details(pd.Series([value], dtype="str"), {"duration_s": "secs"})
    assert detail.startswith(f"duration_s '{value}' (file column 'secs') {looks}; export plain")


def test_every_quarantine_reason_is_documented() -> None:
    concepts = (Path(__file__).resolve().parents[3] / "docs/concepts.md").read_text("utf-8")
    ingest = concepts[concepts.index("**Ingest** reads") : concepts.index("**Validate** runs")]
    assert [r for r in col.QUARANTINE_REASONS if f"`{r}`" not in ingest] == []


def test_checking_an_export_in_chunks_writes_the_bytes_of_checking_it_whole(
    make_project: ProjectFactory,
) -> None:
    root = project(make_project)
    whole = ingest_in_chunks(root, 1_000)
    for size in (1, 2, 3):
        assert ingest_in_chunks(root, size) == whole
    quarantine = pd.read_parquet(root / "build/example/quarantine.parquet")
    for _, rows in quarantine.groupby("source", sort=False):
        assert rows["row"].is_monotonic_increasing  # in file order, whatever the chunks


def test_jsonl_and_parquet_exports_checked_in_chunks_write_the_bytes_of_checking_them_whole(
    make_project: ProjectFactory,
) -> None:
    frame = pd.read_csv(pd.io.common.StringIO(CSV.replace(",extra", "")), dtype=str)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    root = project(make_project)
    pq.write_table(table, root / "datasets/example/raw/c.parquet", row_group_size=2)
    records = [{k: v for k, v in r.items() if isinstance(v, str)} for r in frame.to_dict("records")]
    records[0].pop("label")  # keys some records lack: those rows are read as ''
    records[5]["guideline_version"] = "1.1.0"
    lines = [json.dumps(r) for r in records]
    (root / "datasets/example/raw/b.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    manifest = MANIFEST.replace("  items:", "    - path: raw/c.parquet\n  items:")
    (root / "datasets/example/dataset.yaml").write_text(manifest, encoding="utf-8")
    whole = ingest_in_chunks(root, 1_000)
    for size in (1, 2, 3):
        assert ingest_in_chunks(root, size) == whole
    summary = run_stages(root, "example", ("ingest",))["ingest"]
    by_file = {s["file"].rsplit("/", 1)[1]: s for s in summary["sources"]}
    assert by_file["b.jsonl"]["reasons"]["missing_label"] == 2
    assert by_file["c.parquet"]["rows_in"] == 8


@pytest.mark.parametrize("chunk_rows", [1, 1_000])
def test_a_jsonl_export_without_a_mapped_key_names_it_whole_or_in_chunks(
    make_project: ProjectFactory, chunk_rows: int
) -> None:
    rows = '{"item_id": "r1", "who": "w1", "label": "positive"}\n' * 3
    root = project(make_project, **{"datasets/example/raw/b.jsonl": rows})
    with pytest.raises(
        InputError,
        match=r"datasets/example/raw/b.jsonl:1:1: columns.annotator_id: column 'annotator_id' "
        r"\(for annotator_id\) is not in the file, which has 'item_id', 'who', 'label'",
    ):
        ingest_in_chunks(root, chunk_rows)


def test_a_column_is_whole_bad_only_when_it_fails_in_every_chunk(
    make_project: ProjectFactory,
) -> None:
    rows = (
        "item_id,annotator_id,label,duration_s\n"
        "r1,w1,positive,12s\n"
        "r1,w2,negative,\n"
        "r2,w1,negative,2m\n"
        "r2,w2,negative,3\n"
    )
    root = make_project(
        {"datasets/example/dataset.yaml": EPOCH_MANIFEST, "datasets/example/raw/a.csv": rows}
    )
    # Chunks of one row: the first two chunks fail whole, the file does not.
    lines, _ = ingest_in_chunks(root, 1)
    assert lines == ["datasets/example/raw/a.csv: 4 rows in = 2 kept + 2 quarantined"]
    bad = rows.replace(",3\n", ",3h\n")
    (root / "datasets/example/raw/a.csv").write_text(bad, encoding="utf-8")
    lines, _ = ingest_in_chunks(root, 1)
    assert lines[-1].startswith(
        "datasets/example/raw/a.csv: no duration_s value could be read, so all 3 rows with one "
        "were quarantined (bad_duration). Row 2: duration_s '12s' has a unit"
    )
