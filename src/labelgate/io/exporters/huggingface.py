"""A built dataset as a Hugging Face dataset folder: Parquet shards plus a README.md dataset card."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from labelgate import __version__
from labelgate.io.json_io import atomic_output, write_text

__all__ = [
    "DEFAULT_CONFIG",
    "RAW_CONFIG",
    "AgreementSummary",
    "DatasetCard",
    "GuidelineRef",
    "size_category",
    "write_hf_dataset",
]

DEFAULT_CONFIG = "default"  # final labels joined with item fields
RAW_CONFIG = "annotations"  # the raw annotations, one row per (item, annotator) judgement
DATA_DIRS = {DEFAULT_CONFIG: "final", RAW_CONFIG: "annotations"}
NO_LABEL = -1  # the datasets convention for "no label" in a ClassLabel column
MAX_ROWS_PER_SHARD = 1_000_000

# The Hub's size_categories buckets (upper bounds, exclusive), in order.
_SIZE_BUCKETS: tuple[tuple[int, str], ...] = (
    (10**3, "n<1K"),
    (10**4, "1K<n<10K"),
    (10**5, "10K<n<100K"),
    (10**6, "100K<n<1M"),
    (10**7, "1M<n<10M"),
    (10**8, "10M<n<100M"),
    (10**9, "100M<n<1B"),
    (10**10, "1B<n<10B"),
    (10**11, "10B<n<100B"),
    (10**12, "100B<n<1T"),
)
_LICENSE = re.compile(r"[a-z0-9][a-z0-9.+-]*")

_COEFFICIENTS = {
    "krippendorff_alpha": "Krippendorff's alpha",
    "fleiss_kappa": "Fleiss' kappa",
    "cohen_kappa": "Cohen's kappa",
    "gwet_ac1": "Gwet's AC1",
    "brennan_prediger": "Brennan-Prediger kappa",
    "percent_agreement": "Percent agreement",
}

# What the lineage columns of final_labels.parquet mean; other columns are item fields.
_COLUMNS = {
    "item_id": "The item's id, as in the source data.",
    "label": "The final label (a class index; -1 when the item has none).",
    "confidence": "The calibrated probability that the final label is right, 0 to 1.",
    "raw_confidence": "The aggregator's own posterior of the final label, before calibration.",
    "method": "How the label was decided (the aggregator, or adjudication).",
    "n_annotations": "How many annotations the item had.",
    "status": "agreed, aggregated, adjudicated or unresolved.",
    "guideline_versions": "Guideline versions the item's annotations were made under.",
    "guideline_hashes": "Content hashes of those guideline versions.",
    "schema_version": "Version of the label schema the labels follow.",
    "migrations": "Label migrations applied to older annotations (empty when none).",
    "rules_hash": "Hash of the QA rules the data passed.",
    "pipeline_hash": "Hash of the pipeline configuration that built the labels.",
    "aggregator_params": "The aggregator's parameters, as JSON.",
    "posterior": "The aggregator's label distribution for the item.",
    "audit_verdict": "The verdict of an audit of the item, when it was sampled.",
    "adjudicator_id": "Who adjudicated the item, when it was adjudicated.",
    "ruling_id": "The adjudication ruling applied, when there was one.",
    "note": "The adjudicator's note.",
    "content_hash": "Hash of the item's content, to detect edits to the source.",
}


class AgreementSummary(TypedDict, total=False):
    """One agreement coefficient over the dataset; every key may be missing or None."""

    coefficient: str | None  # e.g. "krippendorff_alpha"
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n_items: int | None
    ci_level: float | None  # e.g. 0.95; the card says "CI" without it


class GuidelineRef(TypedDict, total=False):
    """The annotation guideline the labels were made under; every key may be missing or None."""

    name: str | None
    version: str | None
    sha256: str | None


@dataclass(frozen=True)
class DatasetCard:
    """What the dataset card says beyond what the tables show."""

    name: str
    pretty_name: str
    license: str  # an SPDX id (written lower-case, as the Hub lists them), "other" or "unknown"
    task_categories: Sequence[str]
    labels: Sequence[str]  # class index order
    n_annotators: int
    agreement: AgreementSummary = field(default_factory=lambda: AgreementSummary())
    guideline: GuidelineRef = field(default_factory=lambda: GuidelineRef())
    schema_version: str | None = None
    rules_hash: str | None = None
    pipeline_hash: str | None = None
    git_commit: str | None = None
    description: str | None = None


# --- Markdown escaping. The helpers in labelgate.guidelines.markdown are out of reach here (io
# sits below guidelines in the layer contract), so these mirror md_text, md_cell and md_code.

_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")
_BACKTICKS = re.compile(r"`+")
_MD_TEXT = str.maketrans({"\\": "\\\\", "&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ZWJ = "\u200d"  # after an @, it stops an @mention
# A line starting like this would be a heading, list, quote, fence, rule or table row.
_BLOCK_START = re.compile(r"^(\d*)([#>*+=|~_`.)-])")


def _one_line(value: Any) -> str:
    return _LINE_BREAKS.sub(" ", str(value))


def _md_text(value: Any) -> str:
    """One line of text: no HTML, no @mention, backslashes doubled."""
    return _one_line(value).translate(_MD_TEXT).replace("@", "@" + _ZWJ)


def _md_cell(value: Any) -> str:
    return _md_text(value).replace("|", "\\|")


def _md_code(value: Any) -> str:
    """An inline code span fenced with more backticks than any run inside."""
    text = _one_line(value)
    if not text:
        return "` `"
    fence = "`" * (max((len(r) for r in _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_paragraphs(text: str) -> list[str]:
    """Free text as Markdown paragraphs (split on blank lines), each one escaped line that
    cannot start a heading, list, quote, table or fence."""
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        line = _md_text(" ".join(block.split()))
        if line:
            # Escape the marker itself: `\#`, `\-`, and `1\.` (a backslash before a digit is
            # no escape in CommonMark).
            out.append(_BLOCK_START.sub(r"\1\\\2", line, count=1))
    return out


# --- Tables.


def size_category(n_rows: int) -> str:
    """The Hub's size_categories bucket for `n_rows` rows (1000 rows is 1K<n<10K)."""
    for bound, name in _SIZE_BUCKETS:
        if n_rows < bound:
            return name
    return "n>1T"


def _arrow_table(frame: pd.DataFrame, what: str) -> pa.Table:
    """`frame` as an Arrow table of types the datasets library names (see `_normal_type`)."""
    try:
        table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise ValueError(f"{what}: a column mixes types Parquet cannot hold: {error}") from error
    fields = [
        pa.field(column.name, _normal_type(column.type, f"{what} column {column.name!r}"))
        for column in table.schema
    ]
    return table.cast(pa.schema(fields))


def _normal_type(kind: pa.DataType, where: str) -> pa.DataType:
    """`kind` with strings as `string` (pandas 3 gives `large_string`), categoricals decoded,
    all-null columns as strings and every list a plain list; nested types kept (an item field
    may hold a list or an object). A type datasets has no feature for raises ValueError."""
    if pa.types.is_dictionary(kind):
        return _normal_type(kind.value_type, where)
    if pa.types.is_large_string(kind) or pa.types.is_null(kind):
        return pa.string()
    if pa.types.is_large_binary(kind):
        return pa.binary()
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return pa.list_(_normal_type(kind.value_type, where))
    if pa.types.is_struct(kind) and kind.num_fields:
        return pa.struct([pa.field(f.name, _normal_type(f.type, where)) for f in kind])
    _value_dtype(kind, where)
    return kind


def _value_dtype(kind: pa.DataType, where: str = "a column") -> str:
    """The datasets `Value` dtype name of a scalar Arrow type."""
    if pa.types.is_string(kind):
        return "string"
    if pa.types.is_boolean(kind):
        return "bool"
    if pa.types.is_binary(kind):
        return "binary"
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return {"halffloat": "float16", "float": "float32", "double": "float64"}.get(
            str(kind), str(kind)
        )
    if pa.types.is_timestamp(kind):
        tz = f", tz={kind.tz}" if kind.tz else ""
        return f"timestamp[{kind.unit}{tz}]"
    if pa.types.is_date32(kind):
        return "date32"  # str() says date32[day]
    if pa.types.is_date64(kind):
        return "date64"
    raise ValueError(f"{where}: type {kind} is not supported in a Hugging Face export")


def _yaml_feature(kind: pa.DataType) -> dict[str, Any]:
    """A feature as the card's YAML spells it, without its name (datasets' `_to_yaml_list`):
    `dtype: int64`, `struct: [...]` or `list: ...`."""
    if pa.types.is_struct(kind):
        return {"struct": [{"name": f.name, **_yaml_feature(f.type)} for f in kind]}
    if pa.types.is_list(kind):
        inner = _yaml_feature(kind.value_type)
        # A list of scalars says `list: string`, a list of objects `list: [fields]`.
        return {"list": inner.get("dtype", inner.get("struct", inner))}
    return {"dtype": _value_dtype(kind)}


def _json_feature(kind: pa.DataType) -> dict[str, Any]:
    """A feature as datasets' `Features.to_dict` spells it (the Parquet `huggingface` key)."""
    if pa.types.is_struct(kind):
        return {f.name: _json_feature(f.type) for f in kind}
    if pa.types.is_list(kind):
        return {"feature": _json_feature(kind.value_type), "_type": "List"}
    return {"dtype": _value_dtype(kind), "_type": "Value"}


def _features(schema: pa.Schema, labels: Sequence[str] | None) -> list[dict[str, Any]]:
    """The card's `features` list; `label` is a ClassLabel when `labels` is given."""
    out: list[dict[str, Any]] = []
    for column in schema:
        if labels is not None and column.name == "label":
            names = {str(i): name for i, name in enumerate(labels)}
            out.append({"name": "label", "dtype": {"class_label": {"names": names}}})
        else:
            out.append({"name": column.name, **_yaml_feature(column.type)})
    return out


def _hf_schema_metadata(schema: pa.Schema, labels: Sequence[str] | None) -> dict[bytes, bytes]:
    """The `huggingface` schema metadata datasets itself writes, so a shard read on its own
    (`load_dataset("parquet", data_files=...)`) still knows the ClassLabel names."""
    features: dict[str, Any] = {}
    for column in schema:
        if labels is not None and column.name == "label":
            features["label"] = {"names": list(labels), "_type": "ClassLabel"}
        else:
            features[column.name] = _json_feature(column.type)
    info = json.dumps({"info": {"features": features}}, ensure_ascii=False, sort_keys=False)
    return {b"huggingface": info.encode("utf-8")}


def _final_frame(final: pd.DataFrame, items: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """Final labels joined with item fields: item_id, item fields, then the final columns, with
    the label as its class index."""
    for what, frame in (("final", final), ("items", items)):
        if "item_id" not in frame.columns:
            raise ValueError(f"{what} has no item_id column")
        if frame["item_id"].duplicated().any():
            dup = frame.loc[frame["item_id"].duplicated(), "item_id"].iloc[0]
            raise ValueError(f"{what} has item_id {dup!r} more than once")
    if "label" not in final.columns:
        raise ValueError("final has no label column")
    missing = final.loc[~final["item_id"].isin(items["item_id"]), "item_id"]
    if len(missing):
        raise ValueError(
            f"{len(missing)} final label(s) have no row in items, e.g. {missing.iloc[0]!r}"
        )
    # An item field named like a final column (a field called `status`) keeps its value under
    # item_<name>, so neither is lost.
    taken = set(final.columns)
    renames: dict[str, str] = {}
    for column in items.columns:
        if column != "item_id" and column in taken:
            new = f"item_{column}"
            while new in taken or new in items.columns:
                new = f"item_{new}"
            renames[column] = new
            taken.add(new)
    fields = items.rename(columns=renames)
    joined = final[["item_id"]].merge(fields, on="item_id", how="left", validate="one_to_one")
    rest = final.drop(columns=["item_id"]).reset_index(drop=True)
    joined = pd.concat([joined.reset_index(drop=True), rest], axis=1)

    index = {name: i for i, name in enumerate(labels)}
    raw = joined["label"].astype(object)
    unknown = sorted({str(v) for v in raw if not _is_missing(v) and v not in index})
    if unknown:
        raise ValueError(f"final labels not in the card's label set: {', '.join(unknown[:5])}")
    joined["label"] = pd.array(
        [NO_LABEL if _is_missing(v) else index[v] for v in raw], dtype="int64"
    )
    return joined


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _write_config(
    table: pa.Table, directory: Path, labels: Sequence[str] | None, max_rows: int
) -> list[Path]:
    """`table` as train-NNNNN-of-NNNNN.parquet shards in `directory`; older shards the new ones
    do not overwrite are removed, as the `train-*` glob in the card would load them too."""
    table = table.replace_schema_metadata(_hf_schema_metadata(table.schema, labels))
    n_shards = max(1, math.ceil(table.num_rows / max_rows))
    written = []
    for shard in range(n_shards):
        path = directory / f"train-{shard:05d}-of-{n_shards:05d}.parquet"
        with atomic_output(path) as handle:
            pq.write_table(table.slice(shard * max_rows, max_rows), handle, compression="zstd")
        written.append(path)
    for stale in sorted(directory.glob("train-*.parquet")):
        if stale not in written:
            stale.unlink()
    return written


# --- The card.


def _front_matter(
    card: DatasetCard, n_rows: int, final_schema: pa.Schema, raw_schema: pa.Schema
) -> str:
    configs = [
        {
            "config_name": name,
            **({"default": True} if name == DEFAULT_CONFIG else {}),
            "data_files": [{"split": "train", "path": f"data/{DATA_DIRS[name]}/train-*.parquet"}],
        }
        for name in (DEFAULT_CONFIG, RAW_CONFIG)
    ]
    meta = {
        "license": _license(card.license),
        "pretty_name": _one_line(card.pretty_name).strip() or _one_line(card.name),
        "task_categories": [str(t) for t in card.task_categories],
        "size_categories": [size_category(n_rows)],
        "tags": ["labelgate"],
        "configs": configs,
        "dataset_info": [
            {"config_name": DEFAULT_CONFIG, "features": _features(final_schema, card.labels)},
            {"config_name": RAW_CONFIG, "features": _features(raw_schema, None)},
        ],
    }
    return f"---\n{_yaml_text(meta)}---\n"


def _yaml_text(data: dict[str, Any]) -> str:
    """`data` as YAML that loads back to `data`. A line of a multi-line string is indented, so
    no user string can put `---` at the start of a line and end the front matter early.
    Non-ASCII text stays readable unless that breaks the round trip (PyYAML writes U+2028 and
    U+0085 raw, and reads them back as line breaks); then everything non-ASCII is escaped."""
    for allow_unicode in (True, False):
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=allow_unicode, width=2**31 - 1)
        if yaml.safe_load(text) == data:
            return text
    raise ValueError("the card metadata does not survive a YAML round trip")


def _license(value: str) -> str:
    license_id = value.strip().lower()
    if not _LICENSE.fullmatch(license_id):
        raise ValueError(
            f"license {value!r} is not an SPDX-style id (e.g. cc-by-4.0, other, unknown)"
        )
    return license_id


def _number(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{float(value):.{digits}f}"


def _agreement_lines(agreement: AgreementSummary) -> list[str]:
    coefficient = agreement.get("coefficient")
    value = agreement.get("value")
    if coefficient is None and value is None:
        return ["Agreement was not computed for this export."]
    label = _COEFFICIENTS.get(coefficient, _md_code(coefficient)) if coefficient else "Agreement"
    line = f"{label}: **{_number(value)}**"
    low, high = agreement.get("ci_low"), agreement.get("ci_high")
    if low is not None and high is not None:
        level = agreement.get("ci_level")
        name = f"{round(float(level) * 100):g}% CI" if level is not None else "CI"
        line += f" ({name} {_number(low)} to {_number(high)})"
    n_items = agreement.get("n_items")
    if n_items is not None:
        line += f", over {int(n_items)} items"
    return [line + "."]


def _card_text(
    card: DatasetCard,
    final: pd.DataFrame,
    n_annotations: int,
    final_schema: pa.Schema,
    item_columns: Sequence[str],
    raw_schema: pa.Schema,
) -> str:
    name = _md_code(card.name)
    lines = [f"# {_md_text(_one_line(card.pretty_name).strip() or card.name)}", ""]
    if card.description:
        for paragraph in _md_paragraphs(card.description):
            lines += [paragraph, ""]
    lines += [
        f"Final labels of the labelgate dataset {name}: one row per item, with the item's "
        "fields, its final label, the confidence in that label and the lineage of how it was "
        "decided. The raw annotations it was built from are the `annotations` config.",
        "",
        "| Config | Rows | Contents |",
        "|---|---:|---|",
        f"| `default` | {len(final)} | final labels joined with item fields |",
        f"| `annotations` | {n_annotations} | raw annotations, annotator ids as given |",
        "",
        "## Labels",
        "",
        "`label` is a `ClassLabel`: the id is what the column holds.",
        "",
        "| Id | Label | Items |",
        "|---:|---|---:|",
    ]
    counts = final["label"].value_counts()
    for i, label in enumerate(card.labels):
        lines.append(f"| {i} | {_md_cell(label)} | {int(counts.get(i, 0))} |")
    if int(counts.get(NO_LABEL, 0)):
        lines.append(f"| {NO_LABEL} | (no label) | {int(counts[NO_LABEL])} |")
    lines += [
        "",
        "## Annotators and agreement",
        "",
        f"{card.n_annotators} annotators made {n_annotations} annotations.",
        "",
        *_agreement_lines(card.agreement),
        "",
        "## Guideline",
        "",
    ]
    guideline = card.guideline
    if any(guideline.get(k) for k in ("name", "version", "sha256")):
        for key, title in (("name", "Name"), ("version", "Version"), ("sha256", "SHA-256")):
            value = guideline.get(key)
            lines.append(f"- {title}: {_md_code(value) if value else 'not recorded'}")
    else:
        lines.append("Not recorded.")
    lines += ["", "## Columns of the default config", "", "| Column | Meaning |", "|---|---|"]
    for column in final_schema.names:
        meaning = _COLUMNS.get(column, "")
        if column in item_columns and column != "item_id":
            meaning = meaning or "An item field, as in the source data."
        lines.append(f"| {_md_cell(column)} | {_md_cell(meaning or 'From the final labels.')} |")
    raw_columns = ", ".join(_md_code(c) for c in raw_schema.names)
    lines += [
        "",
        f"The `annotations` config has the columns {raw_columns}.",
        "",
        "## How it was built",
        "",
        f"Built and exported by [labelgate](https://github.com/labelgate/labelgate) {__version__}.",
        "",
    ]
    for title, value in (
        ("Schema version", card.schema_version),
        ("QA rules hash", card.rules_hash),
        ("Pipeline hash", card.pipeline_hash),
        ("Git commit", card.git_commit),
    ):
        lines.append(f"- {title}: {_md_code(value) if value else 'not recorded'}")
    lines += [
        "",
        "## How to load",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        'final = load_dataset("path/to/this/folder")  # or its Hub repo id, once pushed',
        'annotations = load_dataset("path/to/this/folder", "annotations")',
        'final["train"].features["label"].int2str(0)  # the label name of id 0',
        "```",
        "",
    ]
    return "\n".join(lines)


def write_hf_dataset(
    final: pd.DataFrame,
    annotations: pd.DataFrame,
    items: pd.DataFrame,
    card: DatasetCard,
    out_dir: Path,
    *,
    max_rows_per_shard: int = MAX_ROWS_PER_SHARD,
) -> list[Path]:
    """Write `out_dir` as a Hugging Face dataset folder and return the files written.

    Layout: `data/final/train-*.parquet` (the default config: final labels joined with item
    fields, `label` a ClassLabel over `card.labels`), `data/annotations/train-*.parquet` (the
    `annotations` config) and `README.md` (YAML metadata and the dataset card). Rows keep the
    order given. The same inputs give byte-identical files; each file is written atomically,
    the README last so that it never names shards that are not there yet.
    """
    labels = [str(label) for label in card.labels]
    if not labels or len(set(labels)) != len(labels):
        raise ValueError("the card needs a non-empty label set without duplicates")
    if max_rows_per_shard < 1:
        raise ValueError("max_rows_per_shard must be at least 1")
    if "item_id" not in annotations.columns:
        raise ValueError("annotations has no item_id column")
    if final.empty or annotations.empty:
        # datasets refuses to load a split without rows, so such a folder would be unusable.
        raise ValueError("nothing to export: the final labels or the annotations are empty")
    out_dir = Path(out_dir)
    joined = _final_frame(final, items, labels)
    final_table = _arrow_table(joined, "final labels")
    raw_table = _arrow_table(annotations, "annotations")
    item_columns = [c for c in joined.columns if c not in final.columns or c == "item_id"]
    # The whole card is made before any file is written: a card that cannot be written
    # leaves the folder as it was.
    readme = _front_matter(card, len(joined), final_table.schema, raw_table.schema) + "\n"
    readme += _card_text(
        card, joined, len(annotations), final_table.schema, item_columns, raw_table.schema
    )
    written = _write_config(
        final_table, out_dir / "data" / DATA_DIRS[DEFAULT_CONFIG], labels, max_rows_per_shard
    )
    written += _write_config(
        raw_table, out_dir / "data" / DATA_DIRS[RAW_CONFIG], None, max_rows_per_shard
    )
    written.append(write_text(out_dir / "README.md", readme))
    return written
