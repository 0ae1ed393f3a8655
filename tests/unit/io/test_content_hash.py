"""content_hash: case and every Python whitespace folded, as `re` folds it, hashed per row."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd

from labelgate.io.canonical import PYTHON_WHITESPACE, content_hash


def reference(values: pd.DataFrame) -> list[str]:
    """The definition: fields joined by \\x1f, lower-cased (Arrow's simple case mapping, which
    hashes recorded so far used: 'İ' -> 'i', unlike Python's 'i̇'), `re`'s \\s runs to one
    space, stripped."""
    rows = ["\x1f".join(str(v) for v in row) for row in values.itertuples(index=False)]
    lowered = pd.Series(rows, dtype="str").str.lower()
    normal = (re.sub(r"\s+", " ", text).strip() for text in lowered)
    return [hashlib.sha256(t.encode("utf-8")).hexdigest()[:16] for t in normal]


def test_the_whitespace_class_is_pythons():
    every = {chr(c) for c in range(0x110000) if re.fullmatch(r"\s", chr(c))}
    assert set(PYTHON_WHITESPACE) == every


def test_folds_case_and_unicode_whitespace():
    frame = pd.DataFrame({"text": ["Hello\u3000 World\u2028", "  hello world", "hello  worlds"]})
    hashes = content_hash(frame)
    assert hashes[0] == hashes[1] != hashes[2]
    assert hashes[1] == hashlib.sha256(b"hello world").hexdigest()[:16]
    assert list(hashes.index) == [0, 1, 2]
    assert hashes.dtype == "str"


def test_equals_the_definition_on_random_text():
    rng = np.random.default_rng(7)
    alphabet = list("abcXYZ\u00e9\u00c4\u0130\u03a3 \u200b\u180e") + list(PYTHON_WHITESPACE)
    texts = ["".join(rng.choice(alphabet, rng.integers(0, 12))) for _ in range(3_000)]
    frame = pd.DataFrame({"text": texts, "title": texts[::-1]}, index=range(10, 3_010))
    assert content_hash(frame).tolist() == reference(frame)
    assert list(content_hash(frame).index) == list(frame.index)


def test_no_rows():
    assert content_hash(pd.DataFrame({"text": pd.Series([], dtype="str")})).empty
