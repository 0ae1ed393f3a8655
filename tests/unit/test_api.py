"""The Python API (docs/api.md): the same results as the commands on the same rows, labelgate's
errors with messages that say what to fix, a loaded project, and a light `import labelgate`."""

from __future__ import annotations

import ast
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import labelgate
from labelgate.errors import ConfigError, InputError, UsageError
from tests.conftest import REPO_ROOT, ProjectFactory, cli, run_stages

RATINGS = REPO_ROOT / "datasets/toxicity/raw/ratings.jsonl"
RATING_COLS = {"item_col": "comment_id", "annotator_col": "rater", "label_col": "severity"}
RATING_FLAGS = ("--item-col", "comment_id", "--annotator-col", "rater", "--label-col", "severity")


def flags(**columns: str) -> list[str]:
    return [a for k, v in columns.items() for a in (f"--{k.replace('_', '-')}", v)]


# Three annotators; c disagrees on every third item; one row without a label, one without an id.
EXPORT = (
    "item,who,answer\n"
    + "".join(f"i{i},{w},{(i + (w == 'c') * (i % 3 == 0)) % 4}\n" for i in range(40) for w in "abc")
    + "i40,a,\n,b,2\n"
)
COLS = {"item_col": "item", "annotator_col": "who", "label_col": "answer"}


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    return path


def cli_json(*args: str | Path) -> dict[str, Any]:
    done = cli("agreement", *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# -- agreement ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"level": "ordinal", "bootstrap": 200, "seed": 3},
        {"level": "interval", "weights": "linear", "confidence": 0.9, "bootstrap": 100},
        {"bootstrap": 0, "min_pair_items": 50},
    ],
)
def test_agreement_equals_the_command_json(export: Path, settings: dict[str, Any]) -> None:
    args = [str(export), *flags(**COLS)]
    for key, value in settings.items():
        name = "--min-pair-items" if key == "min_pair_items" else f"--{key}"
        args += [name, str(value)]
    frame = pd.read_csv(export, dtype=str)
    report = labelgate.agreement(frame, **COLS, **settings, source=str(export))
    assert report == cli_json(*args)
    assert report["skipped_reasons"] == {"missing_item_id": 1, "missing_label": 1}


def test_agreement_on_a_frame_pandas_reads_equals_the_command() -> None:
    """pandas reads the ratings' severity as floats with NaN: 2.0 is still the label "2"."""
    ratings = pd.read_json(RATINGS, lines=True)
    assert ratings["severity"].dtype == np.float64
    report = labelgate.agreement(
        ratings, **RATING_COLS, level="ordinal", bootstrap=100, source=str(RATINGS)
    )
    expected = cli_json(RATINGS, *RATING_FLAGS, "--level", "ordinal", "--bootstrap", "100")
    assert report == expected
    assert list(report["per_label"]) == ["0", "1", "2", "3", "4"]


def test_cells_are_read_as_a_parquet_file_reads_them(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "item_id": ["i1", "i1", "i2", "i2", "i3", "i3", None],
            "annotator_id": [1, 2, 1, 2, 1, 2, 1],
            "label": [1.0, 1.0, 2.0, np.nan, 3.0, 3.0, 1.0],
        }
    )
    path = tmp_path / "rows.parquet"
    frame.to_parquet(path)
    report = labelgate.agreement(frame, level="interval", bootstrap=0, source=str(path))
    assert report == cli_json(path, "--level", "interval", "--bootstrap", "0")
    assert report["skipped_reasons"] == {"missing_item_id": 1, "missing_label": 1}
    assert list(report["per_annotator"]) == ["1", "2"]
    # pandas' nullable dtypes: <NA> is missing too.
    nullable = frame.astype({"item_id": "string", "annotator_id": "Int64", "label": "Float64"})
    assert labelgate.agreement(nullable, level="interval", bootstrap=0, source=str(path)) == report


def test_labels_give_order_and_values() -> None:
    rows = pd.DataFrame(
        {
            "item_id": ["t1", "t1", "t2", "t2", "t3", "t3", "t4", "t4"],
            "annotator_id": ["a", "b"] * 4,
            "label": ["low", "mid", "mid", "mid", "high", "high", "low", "low"],
        }
    )
    ordinal = labelgate.agreement(rows, level="ordinal", labels=["low", "mid", "high"], bootstrap=0)
    assert list(ordinal["per_label"]) == ["low", "mid", "high"]
    near = labelgate.agreement(
        rows, level="interval", labels={"low": 1, "mid": 2, "high": 9}, bootstrap=0
    )
    far = labelgate.agreement(
        rows, level="interval", labels={"low": 1, "mid": 8, "high": 9}, bootstrap=0
    )
    alpha = "krippendorff_alpha"
    # The one disagreement (low vs mid) costs more when the two are far apart.
    assert far["coefficients"][alpha]["value"] < near["coefficients"][alpha]["value"]
    numeric = rows.assign(label=rows["label"].map({"low": 1, "mid": 2, "high": 9}))
    same = labelgate.agreement(numeric, level="interval", bootstrap=0)
    assert same["coefficients"] == near["coefficients"]  # names differ, the numbers do not
    assert (
        labelgate.agreement(rows, labels=["high", "mid", "low", "none"], bootstrap=0)["per_label"][
            "none"
        ]["n_annotations"]
        == 0
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"level": "ordinl"},
            UsageError,
            "level must be one of nominal, ordinal, interval, ratio; got 'ordinl'. Did you mean 'ordinal'?",
        ),
        ({"weights": "quad"}, UsageError, "weights must be one of auto, identity"),
        ({"confidence": 1.5}, UsageError, "confidence must be between 0.5 and 1, got 1.5."),
        ({"bootstrap": -1}, UsageError, "bootstrap must be >= 0 and min_pair_items >= 1."),
        ({"bootstrap": 1.5}, UsageError, "bootstrap must be an integer, got 1.5."),
        ({"confidence": "high"}, UsageError, "confidence must be a number, got 'high'."),
        ({"labels": "012"}, UsageError, "labels must be a list of labels or a mapping"),
        ({"labels": []}, UsageError, "labels is empty; leave it None"),
        ({"labels": ["0", "1", "1"]}, UsageError, "labels repeats '1'."),
        ({"labels": {"0": "low"}}, UsageError, "every value of the mapping must be a number"),
        ({"labels": ["0", "1"]}, InputError, "labels that are not in labels=: '2', '3'."),
        (
            {"labels": ["0", "1", "2", "x"], "level": "interval"},
            InputError,
            "level 'interval' needs numeric labels, but labels has 'x'.",
        ),
        (
            {"item_col": "items"},
            InputError,
            "DataFrame: column 'items' (item_col) is not in the DataFrame, which has 'item', 'who', 'answer'. Did you mean 'item'? Pass item_col='<column>'.",
        ),
    ],
)
def test_agreement_refusals(
    export: Path, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    frame = pd.read_csv(export, dtype=str)
    with pytest.raises(error) as raised:
        labelgate.agreement(frame, **{**COLS, "bootstrap": 0, **kwargs})
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("rows", "level", "message"),
    [
        (
            {"item_id": ["i1", "i2"], "annotator_id": ["a", "a"], "label": ["1", "2"]},
            "nominal",
            "mine: agreement needs at least two annotators; found 1 ('a')",
        ),
        (
            {"item_id": ["i1", "i2"], "annotator_id": ["a", "b"], "label": ["1", "2"]},
            "nominal",
            "mine: no item has two or more annotations",
        ),
        (
            {"item_id": ["i1", "i1"], "annotator_id": ["a", "b"], "label": ["low", "2"]},
            "ordinal",
            "mine: level 'ordinal' needs numeric labels, but found 'low'",
        ),
    ],
)
def test_data_refusals_are_the_commands(
    rows: dict[str, list[str]], level: str, message: str
) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        labelgate.agreement(pd.DataFrame(rows), level=level, bootstrap=0, source="mine")


def test_not_a_frame_is_refused() -> None:
    with pytest.raises(UsageError, match="expected a pandas DataFrame, got list"):
        labelgate.agreement([{"item_id": "i1"}])  # type: ignore[arg-type]


# -- aggregate ------------------------------------------------------------------------------


ANSWERS = "task,worker,answer\n" + "".join(
    f"t{i},{w},{'yes' if (i % 4 or w == 'w3') else 'no'}\n"
    for i in range(40)
    for w in ("w1", "w2", "w3")
)
# t0 appears twice (the first row counts); zz9 has no annotations; 'maybe' no annotator used.
GOLD = "task,answer\nt0,no\nt1,yes\nt0,yes\nt4,maybe\nzz9,yes\n"
AGG_COLS = {"item_col": "task", "annotator_col": "worker", "label_col": "answer"}


@pytest.mark.parametrize(
    "method", ["majority_vote", "weighted_majority_vote", "dawid_skene", "mace"]
)
def test_aggregate_equals_the_command(tmp_path: Path, method: str) -> None:
    answers, gold = tmp_path / "answers.csv", tmp_path / "gold.csv"
    answers.write_text(ANSWERS, encoding="utf-8")
    gold.write_text(GOLD, encoding="utf-8")
    labels_out, people_out = tmp_path / "labels.parquet", tmp_path / "people.csv"
    params = {"max_iter": 30} if method in ("dawid_skene", "mace") else {}
    done = cli(
        "aggregate", answers, *flags(**AGG_COLS), "--method", method, "--gold", gold,
        *[f"--param={k}={v}" for k, v in params.items()],
        "-o", labels_out, "--annotators-out", people_out,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = labelgate.aggregate(
        pd.read_csv(answers, dtype=str),
        method=method,
        **AGG_COLS,
        gold=pd.read_csv(gold, dtype=str),
        params=params,
    )
    pd.testing.assert_frame_equal(result.labels, pd.read_parquet(labels_out))
    people = pd.read_csv(people_out, dtype={"annotator_id": str})
    pd.testing.assert_frame_equal(result.annotators, people, check_dtype=False)
    assert done.stderr.splitlines()[: len(result.messages)] == result.messages
    assert "1 repeated gold rows are ignored: the first row of an item counts" in result.messages
    assert "1 gold items have no annotations and are ignored, e.g. 'zz9'" in result.messages
    assert "gold labels that no annotator used, kept as labels: 'maybe'" in result.messages


def test_gold_as_a_series_or_a_dict_and_the_csv_on_stdout(tmp_path: Path) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_text(ANSWERS, encoding="utf-8")
    frame = pd.read_csv(answers, dtype=str)
    by_series = labelgate.aggregate(frame, **AGG_COLS, gold=pd.Series({"t0": "no", "t1": "yes"}))
    by_dict = labelgate.aggregate(frame, **AGG_COLS, gold={"t0": "no", "t1": "yes"})
    pd.testing.assert_frame_equal(by_series.annotators, by_dict.annotators)
    assert by_dict.messages[-1] == "accuracy on 2 gold items: 1.0000"
    done = cli("aggregate", answers, *flags(**AGG_COLS), "--min-confidence", "0.9")
    plain = labelgate.aggregate(frame, **AGG_COLS, min_confidence=0.9)
    buffer = io.StringIO()
    plain.labels.to_csv(buffer, index=False, lineterminator="\n")
    assert buffer.getvalue() == done.stdout


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"method": "dawid_skeen"},
            ConfigError,
            "unknown aggregator 'dawid_skeen'. Did you mean 'dawid_skene'?",
        ),
        (
            {"method": "dawid_skene", "params": {"max_iters": 5}},
            ConfigError,
            "'dawid_skene' has no parameter 'max_iters'. Did you mean 'max_iter'?",
        ),
        (
            {"params": ["max_iter=5"]},
            UsageError,
            "params must be a dict of parameter values, got list.",
        ),
        ({"seed": "0"}, UsageError, "seed must be an integer, got '0'."),
        ({"min_confidence": None}, UsageError, "min_confidence must be a number, got None."),
        (
            {"gold": ["t0"]},
            UsageError,
            "gold must be a pandas Series (label by item id), a dict or a DataFrame, got list.",
        ),
        (
            {"gold": pd.DataFrame({"item": ["t0"], "answer": ["no"]})},
            InputError,
            "column 'task' (item_col (of gold)) is not in the DataFrame",
        ),
        (
            {"annotator_col": "workers"},
            InputError,
            "column 'workers' (annotator_col) is not in the DataFrame, which has 'task', 'worker', 'answer'. Did you mean 'worker'? Pass annotator_col='<column>'.",
        ),
    ],
)
def test_aggregate_refusals(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    frame = pd.read_csv(io.StringIO(ANSWERS), dtype=str)
    with pytest.raises(error) as raised:
        labelgate.aggregate(frame, **{**AGG_COLS, **kwargs})
    assert message in str(raised.value)


def test_no_usable_row_is_refused() -> None:
    frame = pd.DataFrame({"item_id": ["", None], "annotator_id": ["a", "b"], "label": ["x", "y"]})
    with pytest.raises(InputError, match="annotations: no usable annotation rows"):
        labelgate.aggregate(frame)


# -- load_project ---------------------------------------------------------------------------


def test_load_project_documents_names_and_built_tables(make_project: ProjectFactory) -> None:
    root = make_project()
    project = labelgate.load_project(root / "datasets")  # any folder inside it
    assert project.root == root
    assert project.dataset_names == ["example"]
    assert project.schemas["review_sentiment"].model.label_ids == [
        "positive",
        "negative",
        "neutral",
    ]
    assert project.datasets["example"].file == "datasets/example/dataset.yaml"
    assert project.check() == []
    with pytest.raises(
        InputError,
        match=r"build/example/final_labels.parquet: this build output is missing. Run 'labelgate run'",
    ):
        project.table("example", "final_labels")
    assert project.outputs("example") == []
    run_stages(root, "example", ("ingest", "validate", "agreement", "aggregate"))
    final = project.table("example", "final_labels")
    assert len(final) == 12
    assert {"item_id", "label", "status"} <= set(final.columns)
    assert project.table("example", "annotators")["annotator_id"].tolist() == ["w1", "w2", "w3"]
    assert project.report("example", "aggregate")["method"] == "majority_vote"
    assert {"annotations", "final_labels", "aggregate"} <= set(project.outputs("example"))
    with pytest.raises(
        ConfigError, match=r"dataset 'exampel' does not exist .* Did you mean 'example'"
    ):
        project.table("exampel", "final_labels")
    with pytest.raises(
        UsageError,
        match=re.escape("table: no output named 'final_label'. Did you mean 'final_labels'"),
    ):
        project.table("example", "final_label")
    with pytest.raises(UsageError, match="report: no output named 'final_labels'"):
        project.report("example", "final_labels")


def test_load_project_refuses_a_project_that_does_not_load(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    root = make_project({"pipelines/default.yaml": "kind: pipeline\nformat_version: 1\nbogus: 1\n"})
    with pytest.raises(ConfigError, match=re.escape("pipelines/default.yaml")):
        labelgate.load_project(root)
    with pytest.raises(ConfigError, match="not inside a labelgate project"):
        labelgate.load_project(tmp_path / "proj" / ".." / "..")


# -- the module ----------------------------------------------------------------------------


def test_the_api_is_lazy_and_complete() -> None:
    import labelgate.api

    assert labelgate.agreement is labelgate.api.agreement
    assert {"agreement", "aggregate", "load_project"} <= set(dir(labelgate))
    with pytest.raises(AttributeError, match="has no attribute 'agreemnt'"):
        _ = labelgate.agreemnt  # type: ignore[attr-defined]


def _top_level_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in tree.body:  # module level only: imports inside functions are lazy
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module or "")
    return names


def test_import_labelgate_and_labelgate_api_stay_light() -> None:
    """Neither module imports pandas or a use case at import time (tests/func/test_processes.py
    checks the command line in a fresh interpreter)."""
    package = REPO_ROOT / "src/labelgate"
    assert _top_level_imports(package / "__init__.py") == []
    allowed = {"__future__", "collections.abc", "os", "pathlib", "typing"}
    assert set(_top_level_imports(package / "api.py")) <= allowed


def test_the_examples_of_the_api_page_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every python block of docs/api.md, signatures aside, from the repository root; a block
    that reads a build output this checkout has not built may stop there."""
    monkeypatch.chdir(REPO_ROOT)
    text = (REPO_ROOT / "docs/api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    examples = [b for b in blocks if not b.startswith("labelgate.")]  # not the signatures
    assert len(examples) == 6
    for block in examples:
        try:
            exec(compile(block, "docs/api.md", "exec"), {})
        except InputError as exc:
            if "this build output is missing" not in str(exc):
                raise
