"""Seeded generators of hostile configs and data files.

Every case is a pure function of `(seed, index)`: `config_case(seed, i)` and `data_case(seed, i)`
return a description (a dict of plain values) that `harness.py` applies to a fresh copy of a
project made by `labelgate init`, so any failing case can be written down and replayed.

Config cases mutate one or two of the template's YAML files (schemas, qa_rules, pipelines,
datasets, conf): wrong types, NaN/inf/huge/negative numbers, unknown keys, duplicate keys, deep
nesting, small alias bombs, control characters, unicode, empty and missing files. Data cases
write an annotations export (CSV, JSONL or Parquet) with duplicate headers, stray quotes,
newlines in ids, nested JSON values, wrong encodings, empty cells, huge fields and formula
trigger cells.
"""

from __future__ import annotations

import copy
import io
import json
import math
import random
from pathlib import Path
from typing import Any

import yaml

# The YAML files of an `init` project that config cases mutate (relative to the project root).
CONFIG_FILES = (
    "schemas/review_sentiment.yaml",
    "qa_rules/review_sentiment.yaml",
    "pipelines/default.yaml",
    "datasets/example/dataset.yaml",
    "conf/config.yaml",
    "conf/engine/local.yaml",
)

WEIRD_STRINGS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x1b[31mred\x1b[0m",
    "line\nbreak",
    "cr\rreturn",
    "tab\there",
    "\u202eevil",
    "\ufeffbom",
    "é",
    "日本語",
    "🙂",
    "\U0010ffff",
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "|pipe|",
    "*bold* _it_ `code`",
    "<script>alert(1)</script>",
    "../../../etc/passwd",
    "/etc/passwd",
    "~",
    "null",
    "true",
    "1e309",
    "NaN",
    ".inf",
    "x" * 5000,
    "${oc.env:HOME}",
    "${now:%Y}",
    "%(x)s",
    "{0}",
)

WEIRD_SCALARS: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    1,
    2,
    -(10**9),
    10**18,
    10**40,
    0.5,
    -0.5,
    1e-300,
    1e300,
    math.nan,
    math.inf,
    -math.inf,
    [],
    {},
    [None],
    {"a": 1},
    [[[]]],
)

UNKNOWN_KEYS = ("unknown_key", "kind", "format_version", "__proto__", "<<", "!!python", "", "0")


def _rand_value(rng: random.Random, depth: int = 0) -> Any:
    r = rng.random()
    if r < 0.45:
        return rng.choice(WEIRD_SCALARS)
    if r < 0.85 or depth > 3:
        return rng.choice(WEIRD_STRINGS)
    if r < 0.93:
        return [_rand_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(UNKNOWN_KEYS): _rand_value(rng, depth + 1) for _ in range(rng.randint(0, 2))}


def _paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a node (dict key or list index) in a parsed YAML tree."""
    out: list[tuple[Any, ...]] = []
    if isinstance(tree, dict):
        for k, v in tree.items():
            out.append((*prefix, k))
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out.append((*prefix, i))
            out.extend(_paths(v, (*prefix, i)))
    return out


def _get(tree: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        tree = tree[p]
    return tree


def _deep(depth: int) -> Any:
    node: Any = "leaf"
    for i in range(depth):
        node = {"k": node} if i % 2 else [node]
    return node


def mutate_tree(tree: Any, rng: random.Random) -> Any:
    """One structural mutation of a parsed YAML document (unchanged if it is too deep)."""
    try:
        return _mutate_tree(copy.deepcopy(tree), rng)
    except RecursionError:
        return tree


def _mutate_tree(tree: Any, rng: random.Random) -> Any:
    paths = _paths(tree)
    op = rng.choice(("replace", "replace", "replace", "delete", "add_key", "deep", "wrap", "root"))
    if op == "root" or not paths:
        return _rand_value(rng)
    path = rng.choice(paths)
    parent = _get(tree, path[:-1])
    key = path[-1]
    if op == "replace":
        parent[key] = _rand_value(rng)
    elif op == "delete":
        del parent[key]
    elif op == "add_key":
        target = parent[key] if isinstance(parent[key], dict) else parent
        if isinstance(target, dict):
            target[rng.choice(UNKNOWN_KEYS)] = _rand_value(rng)
        else:
            target.append(_rand_value(rng))
    elif op == "deep":
        parent[key] = _deep(rng.choice((5, 50, 150)))
    elif op == "wrap":
        parent[key] = [parent[key]] if rng.random() < 0.5 else {"value": parent[key]}
    return tree


def _dump(tree: Any) -> str:
    try:
        return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False, width=10**6)
    except (yaml.YAMLError, RecursionError):
        return "{}\n"


ALIAS_BOMB = (
    "a: &a [x, x, x, x, x, x, x, x]\n"
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d]\n"
)


def mutate_text(text: str, rng: random.Random) -> str | None:
    """One textual mutation of a YAML file; None means: delete the file."""
    lines = text.splitlines(keepends=True) or ["\n"]
    op = rng.choice(
        (
            "empty",
            "missing",
            "dup_key",
            "control",
            "unicode",
            "alias_bomb",
            "alias_small",
            "truncate",
            "tag",
            "bad_yaml",
            "bom",
            "binary",
            "multi_doc",
            "long_line",
            "anchor_merge",
            "crlf",
            "deep_flow",
        )
    )
    if op == "empty":
        return rng.choice(("", "\n", "---\n", "~\n", "# only a comment\n"))
    if op == "missing":
        return None
    if op == "dup_key":
        i = rng.randrange(len(lines))
        return "".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])
    if op == "control":
        i = rng.randrange(len(lines))
        ch = rng.choice(("\x00", "\x07", "\x1b", "\x7f", "\x85", "\u2028", "\ufffe", "\r", "\t"))
        line = lines[i]
        pos = rng.randrange(len(line) + 1)
        lines[i] = line[:pos] + ch + line[pos:]
        return "".join(lines)
    if op == "unicode":
        i = rng.randrange(len(lines))
        lines[i] = lines[i].replace(":", rng.choice((":", "：", ": 🙂", ": \u202e")), 1)
        return "".join(lines)
    if op == "alias_bomb":
        return text + ("\n" if not text.endswith("\n") else "") + ALIAS_BOMB
    if op == "alias_small":
        return "x: &x " + rng.choice(("1", "[1, 2]", "{a: 1}")) + "\n" + text + "y: *x\n"
    if op == "truncate":
        return text[: rng.randrange(len(text) + 1)]
    if op == "tag":
        return text + rng.choice(
            (
                "z: !!python/object/apply:os.system ['true']\n",
                "z: !custom 3\n",
                "z: !!binary aGVsbG8=\n",
                "z: !!timestamp 2001-12-14\n",
                "z: !!set {a, b}\n",
            )
        )
    if op == "bad_yaml":
        return text + rng.choice(
            ("\n  - : :\n", "{", "[", "key: 'unterminated\n", "\t- tab\n", "@x\n")
        )
    if op == "bom":
        return "\ufeff" + text
    if op == "binary":
        return "".join(chr(rng.randrange(0, 256)) for _ in range(rng.randint(1, 200)))
    if op == "multi_doc":
        return text + "\n---\n" + text
    if op == "long_line":
        return text + "description: " + "y" * rng.choice((10_000, 1_000_000)) + "\n"
    if op == "anchor_merge":
        return "base: &b {kind: x}\n" + text + "m:\n  <<: *b\n"
    if op == "deep_flow":
        n = rng.choice((100, 1000, 10_000))
        return text + "zz: " + "[" * n + "]" * n + "\n"
    # crlf
    return text.replace("\n", "\r\n")


def config_case(seed: int, index: int, template: dict[str, str]) -> dict[str, Any]:
    """A config case: {files: {relpath: text or None}}, applied on a template project whose
    files are `template` (`template_texts(project)`)."""
    rng = random.Random(f"config:{seed}:{index}")
    n = 1 if rng.random() < 0.8 else 2
    files: dict[str, str | None] = {}
    for rel in rng.sample(CONFIG_FILES, n):
        text = files.get(rel, template[rel])
        if text is None:
            continue
        if rng.random() < 0.6:
            try:
                tree = yaml.safe_load(text)
            except yaml.YAMLError:
                tree = None
            for _ in range(rng.randint(1, 3)):
                tree = mutate_tree(tree, rng)
            files[rel] = _dump(tree)
        else:
            files[rel] = mutate_text(text, rng)
    return {"kind": "config", "seed": seed, "index": index, "files": files}


def template_texts(project: Path) -> dict[str, str]:
    """The texts of the files config cases mutate, in a project made by `labelgate init`."""
    return {rel: (project / rel).read_text(encoding="utf-8") for rel in CONFIG_FILES}


# ---------------------------------------------------------------------------------------------
# Data files

ITEMS = [f"r{i:02d}" for i in range(1, 13)]
WORKERS = ["w1", "w2", "w3"]
LABELS = ["positive", "negative", "neutral"]
HEADER = ["review_id", "worker", "answer", "duration_s"]

HOSTILE_CELLS: tuple[Any, ...] = (
    "",
    " ",
    "a\nb",
    "a\r\nb",
    "a\rb",
    '"',
    'a"b',
    "'",
    ",",
    '=HYPERLINK("http://evil","click")',
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-1",
    "@SUM(1)",
    "\t=x",
    "\x00",
    "\x1b[2J",
    "| a | b |",
    "**bold**",
    "\u202e",
    "\ufeff",
    "日本",
    "🙂",
    "x" * 100_000,
    "NaN",
    "nan",
    "None",
    "null",
    "inf",
    "1e400",
    "0",
    "1.5",
    "-0",
    "True",
)

NESTED_VALUES: tuple[Any, ...] = (
    {"a": 1},
    [1, 2],
    [],
    {},
    None,
    True,
    1.5,
    10**30,
    {"nested": {"deeper": ["x"]}},
    ["positive"],
)


def _base_rows(rng: random.Random) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for item in ITEMS:
        for w in WORKERS:
            rows.append([item, w, rng.choice(LABELS), str(rng.randint(1, 60))])
    return rows


def data_case(seed: int, index: int) -> dict[str, Any]:
    """A data case: {fmt, content (bytes as latin-1 str), ...}: an annotations export with
    columns review_id, worker, answer, duration_s, mutated."""
    rng = random.Random(f"data:{seed}:{index}")
    fmt = rng.choices(("csv", "jsonl", "parquet"), weights=(5, 3, 2))[0]
    header = list(HEADER)
    rows = _base_rows(rng)
    ops = []
    for _ in range(rng.randint(1, 4)):
        op = rng.choice(
            (
                "cell",
                "cell",
                "cell",
                "newline_id",
                "dup_header",
                "missing_col",
                "extra_col",
                "empty_rows",
                "nested",
                "huge",
                "many_rows",
                "formula",
                "drop_rows",
                "single_annotator",
                "ragged",
                "stray_quote",
                "encoding",
                "empty_file",
                "header_only",
            )
        )
        if not header and op in ("cell", "dup_header", "missing_col"):
            op = "extra_col"
        ops.append(op)
        try:
            if op == "cell" and rows:
                r = rng.randrange(len(rows))
                c = rng.randrange(len(header))
                if c < len(rows[r]):
                    rows[r][c] = rng.choice(HOSTILE_CELLS)
            elif op == "newline_id" and rows:
                for _ in range(rng.randint(1, 5)):
                    r = rng.randrange(len(rows))
                    c = rng.choice((0, 1, 2))
                    rows[r][c] = str(rows[r][c]) + rng.choice(
                        ("\n", "\r\n", "\r", "\n\nx", "\u2028")
                    )
            elif op == "dup_header":
                c = rng.randrange(len(header))
                header.append(header[c])
                for row in rows:
                    row.append(rng.choice(("positive", "w9", "r99", "")))
            elif op == "missing_col":
                c = rng.randrange(len(header))
                del header[c]
                for row in rows:
                    if c < len(row):
                        del row[c]
            elif op == "extra_col":
                header.append(rng.choice(("", "extra", "review_id ", "Review_ID", "=cmd")))
                for row in rows:
                    row.append(rng.choice(HOSTILE_CELLS[:20]))
            elif op == "empty_rows":
                for _ in range(rng.randint(1, 5)):
                    rows.insert(rng.randrange(len(rows) + 1), [""] * len(header))
            elif op == "nested" and rows:
                for _ in range(rng.randint(1, 4)):
                    r = rng.randrange(len(rows))
                    c = rng.randrange(len(rows[r])) if rows[r] else 0
                    if rows[r]:
                        rows[r][c] = rng.choice(NESTED_VALUES)
            elif op == "huge" and rows:
                r = rng.randrange(len(rows))
                rows[r][rng.randrange(len(rows[r]))] = "H" * rng.choice((10**5, 10**6, 5 * 10**6))
            elif op == "many_rows":
                extra = rng.choice((1000, 20_000))
                for i in range(extra):
                    rows.append(
                        [f"i{i % 3000}", f"w{i % 7}", rng.choice(LABELS), "1"][: len(header)]
                    )
            elif op == "formula" and rows:
                for _ in range(rng.randint(1, 6)):
                    r = rng.randrange(len(rows))
                    c = rng.choice((0, 1, 2))
                    if c < len(rows[r]):
                        rows[r][c] = rng.choice(
                            ('=HYPERLINK("http://evil","x")', "=1+2", "+1", "-1+1", "@A1", "\t=1")
                        )
            elif op == "drop_rows":
                rows = rows[: rng.randrange(len(rows) + 1)]
            elif op == "single_annotator":
                for row in rows:
                    if len(row) > 1:
                        row[1] = "w1"
            elif op == "ragged" and rows:
                r = rng.randrange(len(rows))
                rows[r] = rows[r][: rng.randrange(len(rows[r]) + 1)] + (["x"] * rng.randint(0, 3))
            elif op == "stray_quote":
                ops.append("stray_quote_text")
            elif op == "encoding":
                ops.append(
                    "encoding:" + rng.choice(("latin-1", "utf-16", "cp1252", "garbage", "bom"))
                )
            elif op == "empty_file":
                rows, header = [], []
            elif op == "header_only":
                rows = []
        except (IndexError, ValueError):  # a row or header too short for this op
            pass
    return {
        "kind": "data",
        "seed": seed,
        "index": index,
        "fmt": fmt,
        "header": header,
        "rows": rows,
        "ops": ops,
        "method": rng.choice(
            ("majority_vote", "weighted_majority_vote", "dawid_skene", "mace", "ordinal_median")
        ),
        "level": rng.choice((None, None, "nominal", "ordinal", "interval", "ratio")),
    }


def _csv_cell(v: Any) -> str:
    if isinstance(v, (dict, list)):
        v = json.dumps(v)
    s = "" if v is None else str(v)
    if any(ch in s for ch in ',"\n\r') or s != s.strip():
        s = '"' + s.replace('"', '""') + '"'
    return s


def render_data(case: dict[str, Any]) -> bytes:
    """The bytes of a data case's file, in its format."""
    header, rows, ops, fmt = case["header"], case["rows"], case["ops"], case["fmt"]
    rng = random.Random(f"render:{case['seed']}:{case['index']}")
    if fmt == "parquet":
        import pandas as pd

        width = len(header)
        norm = [(list(r) + [None] * width)[:width] for r in rows]
        # Unique column names for pandas; duplicates are a CSV/JSONL thing.
        cols = [f"{h}" if header.index(h) == i else f"{h}.{i}" for i, h in enumerate(header)]
        df = pd.DataFrame(norm, columns=cols)
        for c in df.columns:
            if df[c].map(lambda v: isinstance(v, (dict, list))).any():
                # Mixed nested values: keep some nested columns as JSON text, some as objects.
                if rng.random() < 0.5:
                    df[c] = df[c].map(lambda v: json.dumps(v) if isinstance(v, (dict, list)) else v)
                else:
                    df[c] = df[c].map(lambda v: v if isinstance(v, (dict, list)) else {"v": v})
            else:
                df[c] = df[c].map(lambda v: None if v is None else str(v))
        buf = io.BytesIO()
        try:
            df.to_parquet(buf, index=False)
        except Exception:
            df = df.astype(str)
            buf = io.BytesIO()
            df.to_parquet(buf, index=False)
        return buf.getvalue()
    if fmt == "jsonl":
        lines = []
        for r in rows:
            obj: dict[str, Any] = {}
            for h, v in zip(header, r, strict=False):
                obj[h] = v if not isinstance(v, float) or math.isfinite(v) else str(v)
            lines.append(json.dumps(obj, ensure_ascii=rng.random() < 0.5))
        if "stray_quote_text" in ops and lines:
            i = rng.randrange(len(lines))
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        text = "\n".join(lines) + ("\n" if lines and rng.random() < 0.8 else "")
    else:
        out = [",".join(_csv_cell(h) for h in header)] if header else []
        out.extend(",".join(_csv_cell(v) for v in r) for r in rows)
        if "stray_quote_text" in ops and out:
            i = rng.randrange(len(out))
            pos = rng.randrange(len(out[i]) + 1)
            out[i] = out[i][:pos] + '"' + out[i][pos:]
        text = "\n".join(out) + ("\n" if out else "")
    for op in ops:
        if op.startswith("encoding:"):
            enc = op.split(":", 1)[1]
            if enc == "garbage":
                raw = text.encode("utf-8", "surrogatepass")
                junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 50)))
                pos = rng.randrange(len(raw) + 1)
                return raw[:pos] + junk + raw[pos:]
            if enc == "bom":
                return b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass")
            return text.encode(enc, "replace")
    return text.encode("utf-8", "surrogatepass")
