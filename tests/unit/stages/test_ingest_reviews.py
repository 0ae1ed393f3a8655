"""ingest: review verdicts and the qualification test become canonical tables; bad rows are
quarantined with the value and the fix, and counted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from labelgate.config import columns as col
from labelgate.config.dataset import AnnotationSource, SourceFile
from labelgate.config.schema import Schema
from labelgate.errors import ConfigError, InputError
from labelgate.io.ingest import RawSource, RawSources, ingest
from labelgate.io.readers import RawTable
from tests.conftest import DATASET_HEAD, ProjectFactory, ingest_in_chunks, run_stages

MANIFEST = (
    DATASET_HEAD
    + """sources:
  annotations:
    - path: raw/annotations.csv
      batch: b1
      guideline_version: "1.0.0"
      columns: {item_id: review_id, annotator_id: worker, label: answer}
  items: {path: raw/items.jsonl, columns: {item_id: review_id}}
  reviews:
    path: raw/reviews.csv
    columns: {item_id: review_id, annotator_id: worker, reviewer_id: reviewer, verdict: decision}
  qualification:
    path: raw/quali.csv
    columns: {annotator_id: worker, item_id: question, label: answer}
  qualification_key:
    path: raw/quali_key.csv
    columns: {item_id: question, label: answer}
"""
)

# Header is row 1. The template's annotations: r01 and r02 by w1, w2 and w3.
REVIEWS = """review_id,worker,reviewer,decision,reason,reviewed_at
r01,w1,rv1,accept,,2026-01-02T10:00:00Z
r01,w2,rv1,REJECT,too hasty,2026-01-02T10:01:00+02:00
r02,w1,rv1,approved,,2026-01-02T10:02:00Z
r02,w1,rv1,reject,,yesterday
r02,w9,rv1,reject,,
r99,w1,rv1,accept,,
r02,w2,rv1,,no verdict,
r02,w3,rv2,Accept,,
r01,w1,rv1,accept,,2026-01-02T10:00:00Z
"""

QUALI = """worker,question,answer
w1,q1,positive
w1,q2,negative
w1,q2,neutral
w1,q3,Positive
w2,q1,negative
w2,q9,positive
w4,q3,neutral
"""

KEY = """question,answer
q1,positive
q2,negative
q3,neutral
q3,positive
"""


def project(make_project: ProjectFactory, **files: str) -> Path:
    return make_project(
        {
            "datasets/example/dataset.yaml": MANIFEST,
            "datasets/example/raw/reviews.csv": REVIEWS,
            "datasets/example/raw/quali.csv": QUALI,
            "datasets/example/raw/quali_key.csv": KEY,
            **files,
        }
    )


def _by_table(summary: Any) -> dict[str, dict[str, Any]]:
    return {s["table"]: s for s in summary["sources"]}


def test_reviews_are_checked_and_every_row_is_counted(make_project: ProjectFactory) -> None:
    root = project(make_project)
    summary = run_stages(root, "example", ("ingest",))["ingest"]
    reviews = _by_table(summary)["reviews"]
    assert (reviews["rows_in"], reviews["rows_kept"], reviews["rows_quarantined"]) == (9, 3, 6)
    assert reviews["reasons"] == {
        "bad_timestamp": 1,
        "bad_verdict": 1,
        "duplicate_review": 1,  # the last row repeats the first
        "missing_verdict": 1,
        "unknown_annotation": 2,
    }
    table = pd.read_parquet(root / "build/example/reviews.parquet")
    assert list(table.columns) == list(col.REVIEW_COLUMNS)
    assert table[["item_id", "annotator_id", "reviewer_id", "verdict", "reason"]].to_dict(
        "records"
    ) == [
        {"item_id": "r01", "annotator_id": "w1", "reviewer_id": "rv1", "verdict": "accept", "reason": ""},
        {"item_id": "r01", "annotator_id": "w2", "reviewer_id": "rv1", "verdict": "reject", "reason": "too hasty"},
        {"item_id": "r02", "annotator_id": "w3", "reviewer_id": "rv2", "verdict": "accept", "reason": ""},
    ]  # fmt: skip
    # Times are UTC; an offset is converted, an empty time stays empty.
    assert [str(t) for t in table["reviewed_at"]] == [
        "2026-01-02 10:00:00+00:00",
        "2026-01-02 08:01:00+00:00",
        "NaT",
    ]


def test_a_quarantined_review_names_the_row_the_value_and_the_fix(
    make_project: ProjectFactory,
) -> None:
    root = project(make_project)
    run_stages(root, "example", ("ingest",))
    quarantine = pd.read_parquet(root / "build/example/quarantine.parquet")
    lost = quarantine[quarantine["table"] == "reviews"]
    assert set(lost["source"]) == {"datasets/example/raw/reviews.csv"}
    rows: list[int] = lost["row"].tolist()
    reason: dict[int, str] = dict(zip(rows, lost["reason"].tolist(), strict=True))
    detail: dict[int, str] = dict(zip(rows, lost["detail"].tolist(), strict=True))
    record: dict[int, str] = dict(zip(rows, lost["raw"].tolist(), strict=True))
    assert reason[4] == "bad_verdict"
    assert detail[4].startswith(
        "verdict 'approved' (file column 'decision') is neither accept nor reject "
        "(case does not matter); export accept or reject, or map another column to verdict"
    )
    assert reason[5] == "bad_timestamp"
    assert detail[5].startswith("reviewed_at 'yesterday' is not an ISO 8601 time")
    assert detail[6].startswith(
        "annotator_id 'w9' has no annotation of item_id 'r02' (the item's other annotations"
    )
    assert "(no annotation of the item was ingested)" in detail[7]
    assert '"verdict": "approved"' in record[4]  # the record, canonical names


def test_a_review_of_a_quarantined_annotation_is_quarantined_too(
    make_project: ProjectFactory,
) -> None:
    """The annotation r01/w1 has a label the schema lacks, so its review judges nothing."""
    root = project(make_project)
    path = root / "datasets/example/raw/annotations.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("r01,w1,positive", "r01,w1,great"), encoding="utf-8")
    summary = run_stages(root, "example", ("ingest",))["ingest"]
    reviews = _by_table(summary)["reviews"]
    assert reviews["reasons"]["unknown_annotation"] == 3
    assert reviews["rows_kept"] == 2


def test_qualification_answers_and_key_are_mapped_like_gold(make_project: ProjectFactory) -> None:
    root = project(make_project)
    summary = run_stages(root, "example", ("ingest",))["ingest"]
    by_table = _by_table(summary)
    key = by_table["qualification_key"]
    assert (key["rows_in"], key["rows_kept"], key["reasons"]) == (4, 3, {"duplicate_item_id": 1})
    answers = by_table["qualification"]
    assert (answers["rows_in"], answers["rows_kept"], answers["rows_quarantined"]) == (7, 4, 3)
    assert answers["reasons"] == {"duplicate_answer": 1, "unknown_item": 1, "unknown_label": 1}
    table = pd.read_parquet(root / "build/example/qualification.parquet")
    assert list(table.columns) == list(col.QUALIFICATION_COLUMNS)
    assert table.values.tolist() == [
        ["w1", "q1", "positive"],
        ["w1", "q2", "negative"],  # the first answer to q2 is kept
        ["w2", "q1", "negative"],
        ["w4", "q3", "neutral"],
    ]
    key_table = pd.read_parquet(root / "build/example/qualification_key.parquet")
    assert key_table.values.tolist() == [["q1", "positive"], ["q2", "negative"], ["q3", "neutral"]]
    quarantine = pd.read_parquet(root / "build/example/quarantine.parquet")
    unknown = quarantine[quarantine["reason"] == "unknown_item"].iloc[0]
    assert (unknown["table"], unknown["row"]) == ("qualification", 7)
    assert unknown["detail"].startswith(
        "question item_id 'q9' is not in the qualification key "
        "(datasets/example/raw/quali_key.csv), so the answer cannot be scored"
    )
    # Labels are case-sensitive here as everywhere: 'Positive' is not a label.
    label = quarantine[(quarantine["table"] == "qualification") & (quarantine["row"] == 5)]
    assert label["reason"].tolist() == ["unknown_label"]


def test_undeclared_sources_give_empty_tables_with_their_columns(
    make_project: ProjectFactory,
) -> None:
    root = make_project()  # the template declares neither reviews nor a qualification test
    summary = run_stages(root, "example", ("ingest",))["ingest"]
    assert not {"reviews", "qualification", "qualification_key"} & set(_by_table(summary))
    out = root / "build/example"
    reviews = pd.read_parquet(out / "reviews.parquet")
    assert (list(reviews.columns), len(reviews)) == (list(col.REVIEW_COLUMNS), 0)
    assert str(reviews["reviewed_at"].dtype) == "datetime64[us, UTC]"
    answers = pd.read_parquet(out / "qualification.parquet")
    assert (list(answers.columns), len(answers)) == (list(col.QUALIFICATION_COLUMNS), 0)
    key = pd.read_parquet(out / "qualification_key.parquet")
    assert (list(key.columns), len(key)) == (list(col.GOLD_COLUMNS), 0)


def test_ingest_is_byte_identical_on_a_second_run(make_project: ProjectFactory) -> None:
    root = project(make_project)
    out = root / "build/example"
    names = ("reviews.parquet", "qualification.parquet", "qualification_key.parquet")
    run_stages(root, "example", ("ingest",))
    first = [(out / n).read_bytes() for n in names]
    run_stages(root, "example", ("ingest",))
    assert [(out / n).read_bytes() for n in names] == first


def test_reviews_are_checked_against_annotations_streamed_in_pieces(
    make_project: ProjectFactory,
) -> None:
    # The annotations go to their file piece by piece; the review check keeps their ids.
    root = project(make_project)
    whole = ingest_in_chunks(root, 1_000)
    for size in (1, 2):
        assert ingest_in_chunks(root, size) == whole
    quarantine = pd.read_parquet(root / "build/example/quarantine.parquet")
    unknown = quarantine[quarantine["reason"] == "unknown_annotation"]
    assert set(unknown["row"]) == {6, 7}  # r02 by w9, r99: in no piece of the annotations


def test_a_qualification_test_on_a_multi_label_dataset_is_refused(
    make_project: ProjectFactory,
) -> None:
    root = project(make_project)
    path = root / "schemas/review_sentiment.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("level: nominal", "task: multi_label"), encoding="utf-8")
    with pytest.raises(ConfigError, match="scored on single-label tasks"):
        run_stages(root, "example", ("ingest",))


def test_ingest_itself_refuses_a_qualification_test_on_a_multi_label_task() -> None:
    """The same guard without `labelgate check` in front (the library call)."""
    schema = Schema.model_validate(
        {
            "kind": "schema",
            "format_version": 1,
            "version": "1.0.0",
            "task": "multi_label",
            "labels": [{"id": "joy"}, {"id": "fear"}],
        }
    )
    frame = pd.DataFrame(
        {"_row": [2], "item_id": ["i1"], "annotator_id": ["a"], "label": ['["joy"]']}
    )
    answers = pd.DataFrame(
        {"_row": [2], "annotator_id": ["a"], "item_id": ["q1"], "label": ["joy"]}
    )
    raw = RawSources(
        annotations=[RawSource(AnnotationSource(path="a.csv"), RawTable(frame), "a.csv")],
        qualification=RawSource(SourceFile(path="q.csv"), RawTable(answers), "q.csv"),
    )
    with pytest.raises(InputError, match=r"q\.csv: a qualification test is scored on single-label"):
        ingest(raw, schema, [])
