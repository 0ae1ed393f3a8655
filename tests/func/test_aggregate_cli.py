"""`labelgate aggregate FILE`: outputs, the annotator table, and refusals."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest

from labelgate.errors import InputError
from tests.conftest import ProjectFactory, Result, cli, run_stages


def aggregate(*args: str) -> Result:
    return cli("aggregate", *args)


EXPORT = "task,worker,answer\n" + "".join(
    f"t{i},{w},{'yes' if (i % 4 or w == 'w3') else 'no'}\n"
    for i in range(40)
    for w in ("w1", "w2", "w3")
)


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "answers.csv"
    path.write_text(EXPORT, encoding="utf-8")
    return path


COLS = ("--item-col", "task", "--annotator-col", "worker", "--label-col", "answer")


@pytest.mark.parametrize("method", ["majority_vote", "weighted_majority_vote", "dawid_skene"])
def test_writes_labels_and_annotators(export: Path, tmp_path: Path, method: str) -> None:
    gold = tmp_path / "gold.csv"
    gold.write_text("task,answer\nt0,no\nt1,yes\nt4,no\n", encoding="utf-8")
    out, people = tmp_path / "labels.parquet", tmp_path / "annotators.csv"
    done = aggregate(
        str(export),
        *COLS,
        "--method",
        method,
        "--gold",
        str(gold),
        "-o",
        str(out),
        "--annotators-out",
        str(people),
    )
    assert done.returncode == 0, done.stderr
    labels = pd.read_parquet(out)
    assert list(labels.columns) == [
        "item_id",
        "label",
        "confidence",
        "raw_confidence",
        "status",
        "n_annotations",
    ]
    assert labels.set_index("item_id").loc["t0", "label"] == "no"
    table = pd.read_csv(people).set_index("annotator_id")
    assert table.loc["w3", "gold_accuracy"] == pytest.approx(1 / 3)
    assert "accuracy on 3 gold items: 1.0000" in done.stderr


def test_csv_to_stdout_and_unresolved_below_confidence(export: Path) -> None:
    done = aggregate(str(export), *COLS, "--min-confidence", "0.9", "--calibration", "none")
    rows = [line.split(",") for line in done.stdout.splitlines()[1:]]
    assert {r[4] for r in rows if r[0] == "t0"} == {"unresolved"}  # 2 of 3 votes: 0.67 < 0.9
    assert {r[4] for r in rows if r[0] == "t1"} == {"agreed"}


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (
            ("--method", "dawid_skeen"),
            3,
            "unknown aggregator 'dawid_skeen'. Did you mean 'dawid_skene'?",
        ),
        (
            ("--method", "dawid_skene", "--param", "max_iters=5"),
            3,
            "'dawid_skene' has no parameter 'max_iters'. Did you mean 'max_iter'?",
        ),
        (("--param", "max_iter"), 2, "--param expects KEY=VALUE"),
        (("-o", "labels.txt"), 2, "use a .csv or .parquet file name"),
    ],
)
def test_refusals(export: Path, extra: tuple[str, ...], code: int, message: str) -> None:
    done = aggregate(str(export), *COLS, *extra)
    assert done.returncode == code
    assert message in done.stderr


def test_gold_without_annotations_is_ignored_and_a_new_gold_label_kept(
    export: Path, tmp_path: Path
) -> None:
    gold = tmp_path / "gold.csv"
    gold.write_text("task,answer\nt0,maybe\nzz9,yes\nzz8,no\nt1,yes\n", encoding="utf-8")
    people = tmp_path / "people.csv"
    done = aggregate(str(export), *COLS, "--gold", str(gold), "--annotators-out", str(people))
    assert done.returncode == 0, done.stderr
    assert "2 gold items have no annotations and are ignored, e.g. 'zz9', 'zz8'" in done.stderr
    assert "gold labels that no annotator used, kept as labels: 'maybe'" in done.stderr
    # t0's gold 'maybe' is a real label that consensus (no) misses; t1 is right.
    assert "accuracy on 2 gold items: 0.5000" in done.stderr
    table = pd.read_csv(people).set_index("annotator_id")
    assert table["n_gold"].tolist() == [2, 2, 2]
    assert table.loc["w1", "gold_accuracy"] == pytest.approx(0.5)


def test_gold_is_taken_as_the_pipeline_takes_it(make_project: ProjectFactory) -> None:
    """Gold items without annotations, a gold label (of the schema) no annotator used, and an
    item given twice: the same gold accuracy, per item and per annotator, as the pipeline."""
    root = make_project(
        {
            "datasets/example/raw/annotations.csv": "review_id,worker,answer\n"
            + "".join(
                f"r0{i},{w},{label}\n"
                for i, votes in enumerate(("ppn", "nnn", "ppp", "pnn"), start=1)
                for w, label in zip(("w1", "w2", "w3"), votes, strict=True)
            )
            .replace(",p\n", ",positive\n")
            .replace(",n\n", ",negative\n"),
            "datasets/example/raw/gold.csv": "review_id,label\n"
            "r01,positive\nr02,negative\nr03,neutral\nr01,negative\nr09,positive\nr11,neutral\n",
        }
    )
    summaries = run_stages(root, "example", ("ingest", "aggregate"))
    pipeline = summaries["aggregate"]
    assert isinstance(pipeline, dict)
    raw = root / "datasets/example/raw"
    people = root / "people.csv"
    done = aggregate(
        str(raw / "annotations.csv"),
        *("--item-col", "review_id", "--annotator-col", "worker", "--label-col", "answer"),
        *("--gold", str(raw / "gold.csv"), "--gold-label-col", "label"),
        *("--annotators-out", str(people)),
    )
    assert done.returncode == 0, done.stderr
    assert (
        f"accuracy on {pipeline['n_gold_items']} gold items: {pipeline['gold_accuracy']:.4f}"
        in done.stderr
    )
    assert pipeline["n_gold_items"] == 3
    assert "1 repeated gold rows are ignored: the first row of an item counts" in done.stderr
    assert "2 gold items have no annotations and are ignored, e.g. 'r09', 'r11'" in done.stderr
    assert "gold labels that no annotator used, kept as labels: 'neutral'" in done.stderr
    built = pd.read_csv(root / "build/example/annotators.csv").set_index("annotator_id")
    ours = pd.read_csv(people).set_index("annotator_id")
    pd.testing.assert_series_equal(ours["n_gold"], built["n_gold"])
    pd.testing.assert_series_equal(ours["gold_accuracy"], built["gold_accuracy"])


def test_non_convergence_is_said(export: Path) -> None:
    done = aggregate(
        str(export), *COLS, "--method", "dawid_skene", "--param", "max_iter=1", "--param", "tol=0"
    )
    assert done.returncode == 0
    assert "WARNING: dawid_skene did not converge in 1 iterations" in done.stderr


# 200 items, 4 annotators of accuracy 0.9, 0.8, 0.7, 0.6 (one-coin, 3 labels), seeded.
def crowd_export(tmp_path: Path) -> tuple[Path, Path]:
    import numpy as np

    rng = np.random.default_rng(5)
    truth = rng.integers(0, 3, 200)
    rows, gold = ["task,worker,answer"], ["task,answer"]
    for i, t in enumerate(truth):
        for w, accuracy in enumerate((0.9, 0.8, 0.7, 0.6)):
            label = t if rng.random() < accuracy else (t + rng.integers(1, 3)) % 3
            rows.append(f"t{i:03d},w{w},l{label}")
        if i % 5 == 0:
            gold.append(f"t{i:03d},l{t}")
    answers, gold_file = tmp_path / "crowd.csv", tmp_path / "crowd_gold.csv"
    answers.write_text("\n".join(rows) + "\n", encoding="utf-8")
    gold_file.write_text("\n".join(gold) + "\n", encoding="utf-8")
    return answers, gold_file


def test_calibration_and_target_error_rate_options(tmp_path: Path) -> None:
    answers, gold = crowd_export(tmp_path)
    out = tmp_path / "labels.csv"
    done = aggregate(
        str(answers), *COLS, "--gold", str(gold), "--target-error-rate", "0.1", "-o", str(out)
    )
    assert done.returncode == 0, done.stderr
    labels = pd.read_csv(out)
    assert "confidence calibration: gold_isotonic_crossfit (ECE on 40 gold items" in done.stderr
    unresolved = int((labels["status"] == "unresolved").sum())
    found = re.search(r"routing to a target error of 0.1: (\d+) items", done.stderr)
    assert found is not None
    # Routed items join those unresolved already (ties).
    assert 0 < int(found.group(1)) < unresolved < len(labels)
    accepted = labels[labels["status"] != "unresolved"]
    assert (1 - accepted["confidence"]).mean() <= 0.1
    assert labels["confidence"].tolist() != labels["raw_confidence"].tolist()
    # Same inputs, same bytes.
    again = tmp_path / "again.csv"
    aggregate(
        str(answers), *COLS, "--gold", str(gold), "--target-error-rate", "0.1", "-o", str(again)
    )
    assert again.read_bytes() == out.read_bytes()
    plain = aggregate(str(answers), *COLS, "--calibration", "none")
    table = pd.read_csv(io.StringIO(plain.stdout))
    assert table["confidence"].tolist() == table["raw_confidence"].tolist()
    assert "confidence calibration: none" in plain.stderr
    agreement = aggregate(str(answers), *COLS)  # auto without gold: agreement
    assert "confidence calibration: agreement_one_coin" in agreement.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--target-error-rate", "0.5"), "target_error_rate must be a number above 0 and below"),
        (("--target-error-rate", "nan"), "target_error_rate must be a number above 0 and below"),
        (("--calibration", "gold"), "calibration 'gold' needs at least 10 gold items"),
        (("--calibration", "isotonic"), "invalid choice: 'isotonic'"),
    ],
)
def test_calibration_refusals(export: Path, extra: tuple[str, ...], message: str) -> None:
    done = aggregate(str(export), *COLS, *extra)
    assert done.returncode == 2
    assert message in done.stderr


PIPELINE = """
kind: pipeline
format_version: 1
aggregate:
  method: majority_vote
  calibration: {calibration}
  target_error_rate: {target}
"""


def test_pipeline_calibration_and_routing(make_project: ProjectFactory) -> None:
    import json

    root = make_project({"pipelines/default.yaml": PIPELINE.format(calibration="none", target=0.1)})
    summary = run_stages(root, "example", ("ingest", "aggregate"))["aggregate"]
    assert isinstance(summary, dict)
    final = pd.read_parquet(root / "build/example/final_labels.parquet")
    assert list(final.columns[:4]) == ["item_id", "label", "confidence", "raw_confidence"]
    assert final["confidence"].tolist() == final["raw_confidence"].tolist()
    written = json.loads((root / "build/example/aggregate.json").read_text(encoding="utf-8"))
    assert written["calibration"]["method"] == "none"
    assert written["calibration"]["n_gold"] == 6
    assert written["calibration"]["ece_before"] == written["calibration"]["ece_after"]
    routing = written["routing"]
    assert routing["target"] == 0.1
    assert routing["n_routed"] == summary["status"]["unresolved"] > 0
    accepted = final[final["status"] != "unresolved"]
    assert (1 - accepted["confidence"]).mean() == pytest.approx(routing["expected_error"], abs=1e-6)
    assert routing["expected_error"] <= 0.1
    assert "selection" not in written  # majority vote exposes no selection_
    queue = pd.read_csv(root / "build/example/adjudication_queue.csv")
    assert len(queue) == routing["n_routed"]

    (root / "pipelines/default.yaml").write_text(
        PIPELINE.format(calibration="gold", target="null"), encoding="utf-8"
    )
    with pytest.raises(InputError, match=r"aggregate\.calibration: calibration 'gold' needs"):
        run_stages(root, "example", ("aggregate",))


@pytest.mark.parametrize(
    ("calibration", "target", "message"),
    [
        ("auto", "0.5", "aggregate.target_error_rate"),
        ("auto", ".nan", "aggregate.target_error_rate"),
        ("auto", "0", "aggregate.target_error_rate"),
        ("golden", "null", "aggregate.calibration"),
    ],
)
def test_check_validates_the_new_keys(
    make_project: ProjectFactory, calibration: str, target: str, message: str
) -> None:
    root = make_project(
        {"pipelines/default.yaml": PIPELINE.format(calibration=calibration, target=target)}
    )
    done = cli("check", str(root))
    assert done.returncode == 3
    assert message in done.stderr
