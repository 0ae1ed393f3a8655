"""`labelgate agreement --task multi_label|spans` on files, checked against independent counts
and the `krippendorff` package."""

from __future__ import annotations

import json
import random
from itertools import combinations
from pathlib import Path

import krippendorff
import numpy as np
import pytest

from tests.conftest import cli

LABELS = ["joy", "anger", "fear"]


def multi_rows(seed: int = 5, n_items: int = 40) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = []
    for item in range(n_items):
        truth = {label for label in LABELS if rng.random() < 0.4}
        for annotator in ("a", "b", "c"):
            chosen = {label for label in LABELS if (label in truth) != (rng.random() < 0.15)}
            rows.append({"item": f"i{item}", "who": annotator, "labels": sorted(chosen)})
    return rows


def test_multi_label_per_label_alpha_equals_krippendorff_on_present_absent(
    tmp_path: Path,
) -> None:
    rows = multi_rows()
    rows.append({"item": "i0", "who": "d", "labels": "not a list ["})
    rows.append({"item": "i1", "who": "d", "labels": ["joy", ["nested"]]})
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = cli(
        "agreement", str(path), "--task", "multi_label", "--item-col", "item",
        "--annotator-col", "who", "--label-col", "labels", "--format", "json",
        "--bootstrap", "0",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["skipped_reasons"] == {"malformed_row": 2}
    assert (report["n_items"], report["n_annotators"], report["n_annotations"]) == (40, 3, 120)
    good = rows[:-2]
    for entry in report["per_label"]:
        matrix = np.full((3, 40), np.nan)
        for row in good:
            matrix["abc".index(str(row["who"])), int(str(row["item"])[1:])] = (
                entry["label"] in row["labels"]  # type: ignore[operator]
            )
        expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
        assert entry["alpha"] == pytest.approx(expected, abs=1e-9), entry["label"]
    same = sum(
        a["labels"] == b["labels"]
        for i in range(40)
        for a, b in combinations([r for r in good if r["item"] == f"i{i}"], 2)
    )
    assert report["coefficients"]["exact_match_rate"]["value"] == pytest.approx(same / 120)
    assert 0 < report["coefficients"]["masi_alpha"]["value"] < 1


def test_span_strict_f1_and_token_alpha_against_independent_counts(tmp_path: Path) -> None:
    rng = random.Random(9)
    texts = {
        f"t{n}": " ".join(rng.choice(["ann", "lee", "met", "acme", "in", "oslo"]) for _ in range(8))
        for n in range(30)
    }
    truth = {}
    for item, text in texts.items():
        words = [(w.start(), w.end()) for w in __import__("re").finditer(r"\S+", text)]
        truth[item] = [(s, e, rng.choice(["PER", "ORG"])) for s, e in rng.sample(words, 2)]
    rows = []
    for item in texts:
        for who in ("a", "b"):
            spans = [list(span) for span in truth[item] if rng.random() < 0.8]
            rows.append({"item_id": item, "annotator_id": who, "label": spans})
    path = tmp_path / "spans.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = cli("agreement", str(path), "--task", "spans", "--format", "json", "--bootstrap", "0")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    marks = {(r["item_id"], r["annotator_id"]): {tuple(s) for s in r["label"]} for r in rows}  # type: ignore[union-attr]
    tp = sum(len(marks[(i, "a")] & marks[(i, "b")]) for i in texts)
    total = sum(len(marks[(i, "a")]) + len(marks[(i, "b")]) for i in texts)
    assert report["coefficients"]["span_f1_strict"]["value"] == pytest.approx(2 * tp / total)
    assert report["token_units"] == "characters"  # a plain file carries no item text
    # Character-level alpha by the krippendorff package: each character of each item, up to
    # its last span end (without the text, what follows is unknown), gets the label of the
    # span covering it, or O.
    codes = {"O": 0, "PER": 1, "ORG": 2}
    columns = []
    for item in texts:
        last = max((e for who in ("a", "b") for _, e, _ in marks[(item, who)]), default=0)
        for position in range(last):
            column = []
            for who in ("a", "b"):
                label = next((lab for s, e, lab in marks[(item, who)] if s <= position < e), "O")
                column.append(codes[label])
            columns.append(column)
    expected = krippendorff.alpha(
        reliability_data=np.array(columns, dtype=float).T, level_of_measurement="nominal"
    )
    assert report["coefficients"]["token_alpha"]["value"] == pytest.approx(expected, abs=1e-9)


def test_a_schema_of_another_task_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"item_id": "1", "annotator_id": "a", "label": ["x"]}\n', encoding="utf-8")
    from labelgate.scaffold.init import init_project

    root = tmp_path / "proj"
    init_project(root, git=False, dvc=False)
    target = root / "a.jsonl"
    target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    result = cli("agreement", str(target), "--task", "multi_label", "--schema", "review_sentiment")
    assert result.returncode == 2
    assert "is task single_label" in result.stderr


def test_aggregate_a_multi_label_and_a_span_file(tmp_path: Path) -> None:
    rows = [
        {"item_id": "1", "annotator_id": w, "label": labels}
        for w, labels in (("a", ["joy", "fear"]), ("b", ["joy"]), ("c", ["joy", "fear"]))
    ] + [
        {"item_id": "2", "annotator_id": w, "label": labels}
        for w, labels in (("a", ["anger"]), ("b", []))
    ]
    path = tmp_path / "multi.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "labels.csv"
    result = cli("aggregate", str(path), "--task", "multi_label", "-o", str(out))
    assert result.returncode == 0, result.stderr
    import pandas as pd

    labels = pd.read_csv(out, dtype={"item_id": str})
    assert list(labels["label"]) == ['["fear","joy"]', "[]"]  # sorted: no schema order here
    assert list(labels["status"]) == ["aggregated", "unresolved"]  # item 2: a tie on anger
    ties = cli("aggregate", str(path), "--task", "multi_label", "--param", "ties=present")
    assert ties.returncode == 0
    assert '2,"[""anger""]"' in ties.stdout
    bad = cli("aggregate", str(path), "--task", "multi_label", "--param", "rule=exact")
    assert bad.returncode == 2
    assert "takes ties, random_state; not rule" in bad.stderr
    gold = cli("aggregate", str(path), "--task", "multi_label", "--gold", str(path))
    assert gold.returncode == 2

    spans = [
        {"item_id": "1", "annotator_id": "a", "label": [[0, 7, "PER"]]},
        {"item_id": "1", "annotator_id": "b", "label": [[0, 3, "PER"]]},
        {"item_id": "1", "annotator_id": "c", "label": [[0, 7, "PER"]]},
    ]
    span_file = tmp_path / "spans.jsonl"
    span_file.write_text("".join(json.dumps(r) + "\n" for r in spans), encoding="utf-8")
    exact = cli("aggregate", str(span_file), "--task", "spans")
    assert exact.returncode == 0, exact.stderr
    assert '1,"[[0,7,""PER""]]",0.666' in exact.stdout
    overlap = cli("aggregate", str(span_file), "--task", "spans", "--param", "rule=overlap")
    assert '1,"[[0,7,""PER""]]",1.0' in overlap.stdout  # all three overlap; 0-7 the most marked


def test_a_reversed_or_empty_span_is_a_malformed_answer(tmp_path: Path) -> None:
    rows = [
        {"item_id": "1", "annotator_id": "a", "label": [[0, 5, "X"]]},
        {"item_id": "1", "annotator_id": "b", "label": [{"start": 5, "end": 2, "label": "X"}]},
        {"item_id": "1", "annotator_id": "c", "label": [[3, 3, "X"]]},
        {"item_id": "1", "annotator_id": "d", "label": [[-1, 3, "X"]]},
        {"item_id": "1", "annotator_id": "e", "label": [[0, 5, "X"]]},
    ]
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = cli("agreement", str(path), "--task", "spans", "--format", "json", "--bootstrap", "0")
    report = json.loads(result.stdout)
    assert report["skipped_reasons"] == {"malformed_row": 3}
    assert report["n_spans"] == 2


def test_exports_of_the_wrong_kind_and_degenerate_files_are_exit_3(tmp_path: Path) -> None:
    labels = [
        {"id": t, "data": {"text": "Ann Lee"}, "annotations": [
            {"id": 10 * t + w, "completed_by": w, "result": [
                {"from_name": "c", "to_name": "text", "type": "choices", "value": {"choices": ["a"]}}
            ]} for w in (1, 2)
        ]} for t in (1, 2)
    ]  # fmt: skip
    spans = [
        {"id": t, "data": {"text": "Ann Lee"}, "annotations": [
            {"id": 10 * t + w, "completed_by": w, "result": [
                {"from_name": "n", "to_name": "text", "type": "labels",
                 "value": {"start": 0, "end": 3, "text": "Ann", "labels": ["PER"]}}
            ]} for w in (1, 2)
        ]} for t in (1, 2)
    ]  # fmt: skip
    nothing = [{"id": 1, "data": {"text": "hi"}, "annotations": []}]
    for name, data in (("labels", labels), ("spans", spans), ("nothing", nothing)):
        (tmp_path / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")
    cases = [
        ("labels.json", "spans", "holds labels but no spans"),
        ("spans.json", "multi_label", "is a span export"),
        ("nothing.json", "spans", "no usable annotations"),
    ]
    for file, task, message in cases:
        result = cli("agreement", str(tmp_path / file), "--task", task)
        assert (result.returncode, message in result.stderr) == (3, True), (file, result.stderr)
    empty = tmp_path / "empty.jsonl"
    empty.write_text(
        "".join(
            json.dumps({"item_id": i, "annotator_id": w, "label": []}) + "\n"
            for i in "ab"
            for w in ("u1", "u2")
        ),
        encoding="utf-8",
    )
    result = cli("agreement", str(empty), "--task", "multi_label", "--bootstrap", "20")
    assert result.returncode == 3
    assert "no annotator chose any label" in result.stderr
    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps({"item_id": "a", "annotator_id": "u", "label": ["x"]}) + "\n")
    result = cli("agreement", str(one), "--task", "multi_label")
    assert (result.returncode, "at least two annotators" in result.stderr) == (3, True)


def test_output_paths_that_cannot_be_written_are_exit_3(tmp_path: Path) -> None:
    export = tmp_path / "x.json"
    export.write_text(json.dumps([{"id": 1, "data": {"text": "t"}, "annotations": []}]))
    blocker = tmp_path / "afile"
    blocker.write_text("", encoding="utf-8")
    for out in (blocker, blocker / "sub"):
        result = cli("import", str(export), "-o", str(out))
        assert result.returncode == 3, result.stderr
        assert "the output" in result.stderr
