"""`labelgate aggregate FILE`: outputs, the annotator table, and refusals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

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
    assert list(labels.columns) == ["item_id", "label", "confidence", "status", "n_annotations"]
    assert labels.set_index("item_id").loc["t0", "label"] == "no"
    table = pd.read_csv(people).set_index("annotator_id")
    assert table.loc["w3", "gold_accuracy"] == pytest.approx(1 / 3)
    assert "accuracy on 3 gold items: 1.0000" in done.stderr


def test_csv_to_stdout_and_unresolved_below_confidence(export: Path) -> None:
    done = aggregate(str(export), *COLS, "--min-confidence", "0.9")
    rows = [line.split(",") for line in done.stdout.splitlines()[1:]]
    assert {r[3] for r in rows if r[0] == "t0"} == {"unresolved"}  # 2 of 3 votes: 0.67 < 0.9
    assert {r[3] for r in rows if r[0] == "t1"} == {"agreed"}


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
