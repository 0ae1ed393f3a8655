"""The Hugging Face export: stable bytes, a card the Hub and `datasets` read, hostile strings as text."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from labelgate import __version__
from labelgate.io.exporters.huggingface import DatasetCard, size_category, write_hf_dataset

LABELS = ["negative", "neutral", "positive"]
HOSTILE = "a|b <script>x</script> @all `tick`\n---\nlicense: mit"


def frames(labels: list[Any] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """final, annotations and items shaped like build/<ds>/*.parquet (pandas 3 string dtypes)."""
    labels = labels if labels is not None else ["positive", "negative", "neutral"]
    ids = [f"i{n}" for n in range(len(labels))]
    final = pd.DataFrame(
        {
            "item_id": ids,
            "label": pd.array(labels, dtype="str"),
            "confidence": [1.0, 0.5, 2 / 3][: len(ids)] + [0.9] * max(0, len(ids) - 3),
            "method": "majority_vote",
            "n_annotations": 2,
            "status": "agreed",
            "guideline_versions": "1.0.0",
            "rules_hash": "52ce88baee8446e9",
            "aggregator_params": '{"labels": ["negative"]}',
        }
    )
    annotations = pd.DataFrame(
        {
            "item_id": [i for i in ids for _ in range(2)],
            "annotator_id": ["w01", "=cmd|' /C calc'!A0"] * len(ids),
            "label": pd.array(
                [v if v is not None else "neutral" for v in labels for _ in range(2)]
            ),
            "annotated_at": pd.Timestamp("2026-10-05 10:47", tz="UTC"),
            "duration_s": 4.25,
        }
    )
    items = pd.DataFrame(
        {"item_id": ids[::-1], "text": [f"text of {i}" for i in ids[::-1]], "content_hash": "c6aa"}
    )
    return final, annotations, items


def objects(values: list[Any]) -> pd.Series:
    """A column of Python objects (lists, dicts), as items read from JSON hold them."""
    return pd.Series(values, dtype=object)


def card(**changes: Any) -> DatasetCard:
    fields: dict[str, Any] = {
        "name": "reviews",
        "pretty_name": "Product reviews",
        "license": "CC-BY-4.0",
        "task_categories": ["text-classification"],
        "labels": LABELS,
        "n_annotators": 2,
        "agreement": {
            "coefficient": "krippendorff_alpha",
            "value": 0.71234,
            "ci_low": 0.6,
            "ci_high": 0.8,
            "n_items": 3,
            "ci_level": 0.95,
        },
        "guideline": {"name": "reviews", "version": "1.2.0", "sha256": "ab" * 32},
        "schema_version": "1.0.0",
        "rules_hash": "52ce88baee8446e9",
        "pipeline_hash": "7204168b32922582",
        "git_commit": "0123abc",
    }
    fields.update(changes)
    return DatasetCard(**fields)


def split_card(path: Path) -> tuple[dict[str, Any], str]:
    """The README's YAML metadata and Markdown body, split the way the Hub splits them."""
    text = path.read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.DOTALL)
    assert match, "no front matter"
    return yaml.safe_load(match.group(1)), match.group(2)


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_layout_and_returned_paths(tmp_path: Path) -> None:
    written = write_hf_dataset(*frames(), card(), tmp_path / "hf")
    assert [str(p.relative_to(tmp_path / "hf")) for p in written] == [
        "data/final/train-00000-of-00001.parquet",
        "data/annotations/train-00000-of-00001.parquet",
        "README.md",
    ]
    assert set(tree(tmp_path / "hf")) == {str(p.relative_to(tmp_path / "hf")) for p in written}


def test_same_inputs_give_identical_bytes(tmp_path: Path) -> None:
    write_hf_dataset(*frames(), card(), tmp_path / "one")
    write_hf_dataset(*frames(), card(), tmp_path / "two")
    first = tree(tmp_path / "one")
    assert first == tree(tmp_path / "two")
    write_hf_dataset(*frames(), card(), tmp_path / "one")  # over an existing export
    assert tree(tmp_path / "one") == first


def test_default_config_joins_items_and_encodes_labels(tmp_path: Path) -> None:
    final, annotations, items = frames(["positive", None, "negative"])
    write_hf_dataset(final, annotations, items, card(), tmp_path)
    table = pq.read_table(tmp_path / "data/final")
    got = table.to_pandas()
    assert list(got.columns[:4]) == ["item_id", "text", "content_hash", "label"]
    assert got["item_id"].tolist() == ["i0", "i1", "i2"]  # the final labels' order
    assert got["text"].tolist() == ["text of i0", "text of i1", "text of i2"]
    assert got["label"].tolist() == [2, -1, 0]  # class ids; -1 is the datasets "no label"
    assert got["confidence"].tolist() == [1.0, 0.5, 2 / 3]
    assert b"huggingface" in table.schema.metadata
    assert b"pandas" not in table.schema.metadata  # no library versions in the bytes
    raw = pq.read_table(tmp_path / "data/annotations").to_pandas()
    assert raw["annotator_id"].tolist()[:2] == ["w01", "=cmd|' /C calc'!A0"]  # as given
    assert str(raw["annotated_at"].dtype) == "datetime64[us, UTC]"


def test_card_yaml_has_the_hub_keys(tmp_path: Path) -> None:
    write_hf_dataset(*frames(), card(), tmp_path)
    meta, _ = split_card(tmp_path / "README.md")
    assert list(meta) == [
        "license",
        "pretty_name",
        "task_categories",
        "size_categories",
        "tags",
        "configs",
        "dataset_info",
    ]
    assert meta["license"] == "cc-by-4.0"
    assert meta["pretty_name"] == "Product reviews"
    assert meta["task_categories"] == ["text-classification"]
    assert meta["size_categories"] == ["n<1K"]
    assert meta["tags"] == ["labelgate"]
    assert meta["configs"] == [
        {
            "config_name": "default",
            "default": True,
            "data_files": [{"split": "train", "path": "data/final/train-*.parquet"}],
        },
        {
            "config_name": "annotations",
            "data_files": [{"split": "train", "path": "data/annotations/train-*.parquet"}],
        },
    ]
    default, raw = meta["dataset_info"]
    assert default["config_name"] == "default"
    features = {f["name"]: f["dtype"] for f in default["features"]}
    assert features["label"] == {
        "class_label": {"names": {"0": "negative", "1": "neutral", "2": "positive"}}
    }
    assert features["confidence"] == "float64"
    assert features["n_annotations"] == "int64"
    assert features["text"] == "string"
    assert raw["config_name"] == "annotations"
    assert {f["name"]: f["dtype"] for f in raw["features"]} == {
        "item_id": "string",
        "annotator_id": "string",
        "label": "string",
        "annotated_at": "timestamp[us, tz=UTC]",
        "duration_s": "float64",
    }


@pytest.mark.parametrize(
    ("n_rows", "bucket"),
    [
        (0, "n<1K"),
        (999, "n<1K"),
        (1000, "1K<n<10K"),
        (9999, "1K<n<10K"),
        (10_000, "10K<n<100K"),
        (999_999, "100K<n<1M"),
        (1_000_000, "1M<n<10M"),
        (10**12, "n>1T"),
    ],
)
def test_size_category_uses_the_hub_buckets(n_rows: int, bucket: str) -> None:
    assert size_category(n_rows) == bucket


def test_size_category_counts_final_rows(tmp_path: Path) -> None:
    labels = (LABELS * 400)[:1000]
    write_hf_dataset(*frames(labels), card(), tmp_path)
    meta, _ = split_card(tmp_path / "README.md")
    assert meta["size_categories"] == ["1K<n<10K"]


def test_card_body_reports_counts_agreement_guideline_and_lineage(tmp_path: Path) -> None:
    write_hf_dataset(*frames(["positive", "positive", None]), card(), tmp_path)
    _, body = split_card(tmp_path / "README.md")
    assert "| 0 | negative | 0 |" in body
    assert "| 2 | positive | 2 |" in body
    assert "| -1 | (no label) | 1 |" in body
    assert "2 annotators made 6 annotations." in body
    assert "Krippendorff's alpha: **0.712** (95% CI 0.600 to 0.800), over 3 items." in body
    assert f"- SHA-256: `{'ab' * 32}`" in body
    assert "- Pipeline hash: `7204168b32922582`" in body
    assert "- Git commit: `0123abc`" in body
    assert f"labelgate) {__version__}" in body
    assert "| rules_hash | Hash of the QA rules the data passed. |" in body
    assert 'load_dataset("path/to/this/folder", "annotations")' in body


def test_card_without_agreement_or_guideline(tmp_path: Path) -> None:
    write_hf_dataset(*frames(), card(agreement={}, guideline={}, git_commit=None), tmp_path)
    _, body = split_card(tmp_path / "README.md")
    assert "Agreement was not computed for this export." in body
    assert "## Guideline\n\nNot recorded." in body
    assert "- Git commit: not recorded" in body


def test_hostile_strings_stay_text(tmp_path: Path) -> None:
    labels = [HOSTILE, "ok", "line\u2028sep", "négatif"]
    hostile = card(
        name="x`y",
        pretty_name="Evil\n---\nlicense: mit",
        labels=labels,
        description="# not a heading <img src=x>\n\n- not a list @team\n\n```\n\n1. no list",
    )
    write_hf_dataset(*frames([HOSTILE, "ok", "line\u2028sep", "négatif"]), hostile, tmp_path)
    meta, body = split_card(tmp_path / "README.md")
    # The YAML keeps every string exactly and the front matter ends where we ended it.
    assert meta["license"] == "cc-by-4.0"
    assert meta["pretty_name"] == "Evil --- license: mit"
    label = next(f for f in meta["dataset_info"][0]["features"] if f["name"] == "label")
    names = label["dtype"]["class_label"]["names"]
    assert list(names.values()) == labels
    # The Markdown shows them as text: no HTML, no @mention, no extra table cell or heading.
    assert "<script>" not in body
    assert "<img" not in body
    assert "@all" not in body
    assert "@team" not in body
    assert "\u2028" not in body
    assert "\\# not a heading &lt;img src=x&gt;" in body
    assert "\\- not a list @\u200dteam" in body
    assert "\n\\```\n" in body  # no fence swallowing the rest of the card
    assert "\n1\\. no list\n" in body
    assert "``x`y``" in body
    row = next(line for line in body.splitlines() if line.startswith("| 0 |"))
    assert len(re.split(r"(?<!\\)\|", row)) == 5  # three cells: the label's pipe is escaped
    assert "| 3 | négatif | 1 |" in body


def test_item_field_named_like_a_final_column_is_kept(tmp_path: Path) -> None:
    final, annotations, items = frames()
    items["status"] = "draft"
    write_hf_dataset(final, annotations, items, card(), tmp_path)
    got = pq.read_table(tmp_path / "data/final").to_pandas()
    assert got["item_status"].tolist() == ["draft"] * 3
    assert got["status"].tolist() == ["agreed"] * 3


def test_nested_item_fields_are_spelled_as_datasets_spells_them(tmp_path: Path) -> None:
    final, annotations, items = frames()
    items["tags"] = objects([["a", "b"], [], None])
    items["meta"] = objects([{"k": 1, "v": "x"}, {"k": None, "v": None}, {"k": 2, "v": "y"}])
    items["spans"] = objects([[{"start": 0, "end": 3}], [], None])
    items["grid"] = objects([[["a"]], [[]], []])
    write_hf_dataset(final, annotations, items, card(), tmp_path)
    meta, _ = split_card(tmp_path / "README.md")
    features = {f.pop("name"): f for f in meta["dataset_info"][0]["features"]}
    assert features["tags"] == {"list": "string"}
    assert features["meta"] == {
        "struct": [{"name": "k", "dtype": "int64"}, {"name": "v", "dtype": "string"}]
    }
    assert features["spans"] == {
        "list": [{"name": "start", "dtype": "int64"}, {"name": "end", "dtype": "int64"}]
    }
    assert features["grid"] == {"list": {"list": "string"}}


def test_a_type_datasets_cannot_name_is_refused(tmp_path: Path) -> None:
    final, annotations, items = frames()
    items["price"] = objects([Decimal("1.50"), Decimal("2.00"), None])
    with pytest.raises(ValueError, match="column 'price': type decimal"):
        write_hf_dataset(final, annotations, items, card(), tmp_path)


def test_stale_shards_are_removed(tmp_path: Path) -> None:
    write_hf_dataset(*frames(), card(), tmp_path, max_rows_per_shard=2)
    assert sorted(p.name for p in (tmp_path / "data/final").iterdir()) == [
        "train-00000-of-00002.parquet",
        "train-00001-of-00002.parquet",
    ]
    assert pq.read_table(tmp_path / "data/final").num_rows == 3
    write_hf_dataset(*frames(), card(), tmp_path)
    assert [p.name for p in (tmp_path / "data/final").iterdir()] == ["train-00000-of-00001.parquet"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"labels": ["negative", "positive"]}, "not in the card's label set: neutral"),
        ({"labels": ["a", "a"]}, "without duplicates"),
        ({"labels": []}, "without duplicates"),
        ({"license": "CC BY 4.0\n---"}, "not an SPDX-style id"),
    ],
)
def test_bad_cards_are_refused_before_writing(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        write_hf_dataset(*frames(), card(**change), tmp_path / "hf")
    assert not (tmp_path / "hf").exists()


def test_inconsistent_frames_are_refused(tmp_path: Path) -> None:
    final, annotations, items = frames()
    with pytest.raises(ValueError, match="no row in items"):
        write_hf_dataset(final, annotations, items.iloc[1:], card(), tmp_path)
    with pytest.raises(ValueError, match="more than once"):
        write_hf_dataset(final, annotations, pd.concat([items, items]), card(), tmp_path)
    with pytest.raises(ValueError, match="nothing to export"):
        write_hf_dataset(final.iloc[:0], annotations, items, card(), tmp_path)


def test_datasets_loads_both_configs(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    if not hasattr(datasets, "load_dataset"):  # the repo's own datasets/ folder, seen from pytest
        pytest.skip("the Hugging Face datasets library is not installed")
    labels = [*LABELS, HOSTILE]
    final, annotations, items = frames(["positive", None, HOSTILE, "neutral"])
    items["tags"] = objects([["a"], [], None, ["b", "c"]])
    items["meta"] = objects([{"k": 1}, {"k": None}, {"k": 2}, {"k": 3}])
    write_hf_dataset(final, annotations, items, card(labels=labels), tmp_path / "hf")
    path, cache = str(tmp_path / "hf"), str(tmp_path / "cache")

    assert datasets.get_dataset_config_names(path) == ["default", "annotations"]
    default = datasets.load_dataset(path, cache_dir=cache)["train"]
    assert default.num_rows == 4
    assert default.column_names[:6] == ["item_id", "text", "content_hash", "tags", "meta", "label"]
    assert default.features["label"].names == labels
    assert list(default["label"]) == [2, -1, 3, 1]
    assert default["text"][0] == "text of i0"
    assert default.features["label"].int2str(3) == HOSTILE
    assert default.features["tags"] == datasets.List(datasets.Value("string"))
    assert list(default["tags"]) == [["b", "c"], None, [], ["a"]]  # items were in reverse
    assert list(default["meta"]) == [{"k": 3}, {"k": 2}, {"k": None}, {"k": 1}]

    raw = datasets.load_dataset(path, "annotations", cache_dir=cache)["train"]
    assert raw.num_rows == 8
    assert raw.column_names == ["item_id", "annotator_id", "label", "annotated_at", "duration_s"]
    assert list(raw["annotator_id"][:2]) == ["w01", "=cmd|' /C calc'!A0"]
    assert raw.features["annotated_at"].dtype == "timestamp[us, tz=UTC]"

    # A shard read on its own still knows the label names (the parquet's own metadata).
    shard = datasets.load_dataset(
        "parquet", data_files=str(tmp_path / "hf/data/final/*.parquet"), cache_dir=cache
    )["train"]
    assert shard.features["label"].names == labels
