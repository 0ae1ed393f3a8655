"""Safe YAML loading: positions, duplicate keys, object tags, syntax errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from labelgate.config.yaml_loader import dotted, load_yaml, parse_yaml
from labelgate.errors import ConfigError


def test_positions_are_one_based_lines_and_columns() -> None:
    loaded = parse_yaml("a: 1\nb:\n  - c: 2\n    d: 3\n", "f.yaml")
    assert loaded.data == {"a": 1, "b": [{"c": 2, "d": 3}]}
    assert loaded.positions.locate(("b", 0, "d")) == (4, 5)
    # Unknown tail parts fall back to the nearest known key.
    assert loaded.positions.locate(("b", 0, "zzz")) == (3, 5)


def test_line_offset_shifts_positions() -> None:
    loaded = parse_yaml("a: 1\n", "g.md", line_offset=1)
    assert loaded.positions.problem(("a",), "msg").render() == "g.md:2:1: a: msg"


def test_duplicate_key_is_refused_with_both_lines() -> None:
    with pytest.raises(
        ConfigError, match=r"f.yaml:3:3: x.b: duplicate key 'b' \(first defined on line 2\)"
    ):
        parse_yaml("x:\n  b: 1\n  b: 2\n", "f.yaml")


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['echo owned']\n",
        "a: !!python/name:os.system\n",
        "a: !custom 3\n",
    ],
)
def test_tags_that_construct_objects_are_refused(text: str) -> None:
    with pytest.raises(ConfigError, match=r"f.yaml:1:4: YAML tag '.*' is not allowed"):
        parse_yaml(text, "f.yaml")


def test_syntax_error_names_file_line_and_column() -> None:
    with pytest.raises(
        ConfigError, match=r"bad.yaml:2:1: invalid YAML: (did not find )?expected ',' or ']'"
    ):
        parse_yaml("a: [1, 2\n", "bad.yaml")


def test_tab_indentation_is_a_syntax_error() -> None:
    with pytest.raises(ConfigError, match=r"bad.yaml:2:\d+: invalid YAML"):
        parse_yaml("a:\n\tb: 1\n", "bad.yaml")


def test_empty_document_loads_as_none() -> None:
    assert parse_yaml("", "e.yaml").data is None


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope.yaml: file not found"):
        load_yaml(tmp_path / "nope.yaml", "nope.yaml")
    (tmp_path / "bin.yaml").write_bytes(b"a: \xff\xfe\n")
    with pytest.raises(ConfigError, match=r"bin.yaml: not UTF-8 text"):
        load_yaml(tmp_path / "bin.yaml", "bin.yaml")


def test_dotted_key_paths() -> None:
    assert dotted(("checks", 2, "severity")) == "checks[2].severity"
    assert dotted(()) == ""
