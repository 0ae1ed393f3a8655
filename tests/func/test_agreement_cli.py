"""`labelgate agreement FILE`: the JSON contract, the table, and refusals with exit 3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ProjectFactory, Result, cli


def agreement(*args: str, cwd: Path | None = None) -> Result:
    return cli("agreement", *args, cwd=cwd)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


EXPORT = "item,who,answer\n" + "".join(
    f"i{i},{w},{(i + (w == 'c') * (i % 3 == 0)) % 3}\n" for i in range(60) for w in "abc"
)


def test_json_shape(tmp_path: Path) -> None:
    path = write(tmp_path / "export.csv", EXPORT)
    args = ("--item-col", "item", "--annotator-col", "who", "--label-col", "answer")
    seeded = ("--format", "json", "--bootstrap", "200", "--seed", "3")
    done = agreement(str(path), *args, *seeded)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {
        "n_items",
        "n_annotators",
        "n_annotations",
        "level",
        "coefficients",
        "pairs",
        "per_label",
        "per_annotator",
        "diagnostics",
    } <= set(report)
    assert (
        report["n_items"],
        report["n_annotators"],
        report["n_annotations"],
        report["level"],
    ) == (60, 3, 180, "nominal")
    assert set(report["coefficients"]) == {
        "krippendorff_alpha",
        "fleiss_kappa",
        "gwet_ac1",
        "brennan_prediger",
        "percent_agreement",
        "mean_pairwise_cohen_kappa",
    }
    alpha = report["coefficients"]["krippendorff_alpha"]
    assert alpha["ci_low"] < alpha["value"] < alpha["ci_high"]
    assert report["pairs"][0] == {
        "annotator_a": "a",
        "annotator_b": "b",
        "n_items": 60,
        "cohen_kappa": 1.0,
    }
    assert (
        report["per_annotator"]["c"]["percent_agreement_with_others"]
        < report["per_annotator"]["a"]["percent_agreement_with_others"]
    )
    assert list(report["per_label"]) == ["0", "1", "2"]
    # Same seed, same bytes.
    again = agreement(str(path), *args, *seeded)
    assert again.stdout == done.stdout


def test_no_bootstrap_gives_null_intervals_and_table_output(tmp_path: Path) -> None:
    path = write(
        tmp_path / "export.csv", EXPORT.replace("item,who,answer", "item_id,annotator_id,label")
    )
    done = agreement(str(path), "--bootstrap", "0", "--format", "json")
    assert json.loads(done.stdout)["coefficients"]["fleiss_kappa"]["ci_low"] is None
    table = agreement(str(path), "--bootstrap", "50")
    assert table.returncode == 0
    assert "krippendorff_alpha" in table.stdout
    assert "95% interval (50 resamples, seed 0)" in table.stdout


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (
            "item_id,annotator_id,label\ni1,a,x\ni2,a,y\n",
            (),
            "agreement needs at least two annotators; found 1 ('a')",
        ),
        (
            "item_id,annotator_id,label\ni1,a,x\ni2,b,y\n",
            (),
            "no item has two or more annotations (2 items, one annotation each)",
        ),
        (
            "item_id,annotator_id,label\ni1,a,low\ni1,b,2\n",
            ("--level", "interval"),
            "level 'interval' needs numeric labels, but found 'low'",
        ),
        (
            "id,annotator_id,label\ni1,a,1\n",
            (),
            "column 'item_id' (for item_id) is not in the file, which has 'id', 'annotator_id', 'label'",
        ),
    ],
)
def test_bad_input_exits_3(
    tmp_path: Path, content: str, args: tuple[str, ...], message: str
) -> None:
    path = write(tmp_path / "bad.csv", content)
    done = agreement(str(path), *args)
    assert done.returncode == 3, done.stdout
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_labels_and_level_from_a_project_schema(make_project: ProjectFactory) -> None:
    root = make_project()
    export = write(
        root / "extra.csv",
        "item_id,annotator_id,label\ni1,a,positive\ni1,b,negative\ni2,a,neutral\ni2,b,neutral\n",
    )
    done = agreement(
        str(export), "--schema", "review_sentiment", "--format", "json", "--bootstrap", "0"
    )
    assert done.returncode == 0, done.stderr
    assert list(json.loads(done.stdout)["per_label"]) == ["positive", "negative", "neutral"]
    write(export, "item_id,annotator_id,label\ni1,a,positive\ni1,b,happy\n")
    refused = agreement(str(export), "--schema", "review_sentiment")
    assert refused.returncode == 3
    assert "labels outside the schema: 'happy'" in refused.stderr
    unknown = agreement(str(export), "--schema", "review_sentimen")
    assert unknown.returncode == 3
    assert "Did you mean 'review_sentiment'?" in unknown.stderr
