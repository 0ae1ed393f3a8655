"""Hostile YAML ends in a ConfigError (exit 3) naming the file and line, fast and in little
memory: alias bombs, deep nesting, huge files, control characters."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from labelgate.config.yaml_loader import (
    MAX_ALIAS_NODES,
    MAX_ALIASES,
    MAX_CONFIG_BYTES,
    MAX_DEPTH,
    MAX_TEXT_BYTES,
    MAX_VALUES,
    _LibyamlLoader,
    _PythonLoader,
    load_yaml,
    parse_yaml,
    read_text,
)
from labelgate.errors import ConfigError
from labelgate.guidelines.parser import parse_guideline


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """'Billion laughs': each level lists the previous one `width` times (about 550 bytes)."""
    lines = ["kind: pipeline", "a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_in_well_under_a_second_and_little_memory(
    tmp_path: Path,
) -> None:
    # Before the limits this file ran 34 s and took 3+ GB before failing.
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb(), encoding="utf-8")
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        load_yaml(path, "pipelines/bomb.yaml")
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 20 * 1024 * 1024
    assert caught.value.exit_code == 3
    message = str(caught.value)
    assert message.startswith("pipelines/bomb.yaml:6:"), message
    assert f"aliases expand to more than {MAX_ALIAS_NODES:,} values" in message


def test_modest_aliases_and_merge_keys_still_load() -> None:
    text = "base: &b {x: 1, y: [1, 2]}\none: *b\ntwo:\n  <<: *b\n  y: [3]\n"
    data = parse_yaml(text, "f.yaml").data
    assert data["one"] == {"x": 1, "y": [1, 2]}
    assert data["two"] == {"x": 1, "y": [3]}


def test_too_many_alias_references_are_refused_with_the_line() -> None:
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(ConfigError, match=rf"f.yaml:2:\d+: more than {MAX_ALIASES:,} alias"):
        parse_yaml(text, "f.yaml")


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 5000 + "]" * 5000 + "\n",
        "a: " + "{b: " * 5000 + "1" + "}" * 5000 + "\n",
        "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v\n",
    ],
    ids=["flow-sequences", "flow-mappings", "block-mappings"],
)
def test_deep_nesting_is_refused_without_a_recursion_error(text: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=rf"f.yaml:\d+:\d+: values nest more than {MAX_DEPTH}"):
        parse_yaml(text, "f.yaml")
    assert time.perf_counter() - start < 1.0


def test_aliases_that_nest_deeper_than_the_limit_are_refused() -> None:
    lines = ["a0: &a0 [1]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, MAX_DEPTH + 5)]
    with pytest.raises(ConfigError, match=r"f.yaml:\d+:\d+: alias '\*a\d+' nests values more"):
        parse_yaml("\n".join(lines) + "\n", "f.yaml")


def test_nesting_up_to_the_limit_loads() -> None:
    depth = MAX_DEPTH - 1  # the document's mapping is the first level
    data = parse_yaml("a: " + "[" * depth + "]" * depth + "\n", "f.yaml").data
    assert isinstance(data["a"], list)


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("w", encoding="utf-8") as out:
        out.write("a: '")
        out.write("x" * (MAX_CONFIG_BYTES + 10))
        out.write("'\n")
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=r"datasets/big.yaml: the file is too large .* limit"):
        load_yaml(path, "datasets/big.yaml")
    assert time.perf_counter() - start < 1.0


def test_a_huge_guideline_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "g.md"
    path.write_text("---\nkind: guideline\n---\n" + "x" * MAX_TEXT_BYTES, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"g.md: the file is too large .* is 1,048,576 bytes"):
        read_text(path, "guidelines/g.md")
    assert read_text(path, "g.md", None).startswith("---")


def test_yaml_just_under_the_limit_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("a: '" + "x" * (MAX_CONFIG_BYTES - 10) + "'\n", encoding="utf-8")
    start = time.perf_counter()
    assert len(load_yaml(path).data["a"]) == MAX_CONFIG_BYTES - 10
    assert time.perf_counter() - start < 2.0


def test_more_values_than_the_limit_are_refused_with_the_line() -> None:
    rows = MAX_VALUES // 6 + 10  # a row is 6 values: a list, a, b, a mapping, c, d
    text = "- [a, b, {c: d}]\n" * rows
    with pytest.raises(ConfigError, match=rf"f.yaml:\d+:\d+: more than {MAX_VALUES:,} values"):
        parse_yaml(text, "f.yaml")
    assert len(parse_yaml("- [a, b, {c: d}]\n" * (rows - 20), "f.yaml").data) == rows - 20


def test_the_densest_yaml_under_the_size_limit_loads_or_fails_fast() -> None:
    # Python-level composition is the cost: about 12 bytes per value at the densest.
    dense = "".join(f"k{i}: {i}\n" for i in range(MAX_CONFIG_BYTES // 12))[: MAX_CONFIG_BYTES - 2]
    dense = dense[: dense.rindex("\n") + 1]
    start = time.perf_counter()
    assert len(parse_yaml(dense, "f.yaml").data) > 20_000
    assert time.perf_counter() - start < 2.0  # about 0.4 s here; the pure-Python parser took 2


@pytest.mark.skipif(_LibyamlLoader is None, reason="PyYAML without libyaml")
def test_libyaml_and_the_python_parser_agree_on_data_and_positions() -> None:
    from labelgate.config import yaml_loader

    text = (
        "kind: schema\nlabels:\n  - name: 'a'\n    description: >-\n      folded\n      text\n"
        "  - {name: b, aliases: [x, y]}\nbase: &b {p: 1}\nother:\n  <<: *b\n  q: 2\n"
    )
    results = []
    for loader in (_LibyamlLoader, _PythonLoader):
        original = yaml_loader._LimitedLoader
        yaml_loader._LimitedLoader = loader
        try:
            loaded = parse_yaml(text, "f.yaml")
        finally:
            yaml_loader._LimitedLoader = original
        results.append((loaded.data, loaded.positions.spots))
    assert results[0] == results[1]
    assert results[0][1][("labels", 1, "aliases", 1)] == (7, 28)


def test_huge_text_is_refused_by_parse_yaml_too() -> None:
    with pytest.raises(ConfigError, match=r"f.md: the file is too large"):
        parse_yaml("a: " + "x" * MAX_CONFIG_BYTES, "f.md")


@pytest.mark.parametrize(
    ("text", "where", "name"),
    [
        ("a: 1\nb: x\x00y\n", "2:5", "U\\+0000 \\(NUL\\)"),
        ("a: \x07\n", "1:4", "U\\+0007 \\(BEL\\)"),
        ("a: 1\r\nb: 2\x1b\n", "2:5", "U\\+001B \\(ESC\\)"),
        ("a: 'x\x7f'\n", "1:6", "U\\+007F \\(DEL\\)"),
        ("a: x\x85y\n", "1:5", "U\\+0085 \\(NEL\\)"),
        ("a: x\x9b\n", "1:5", "U\\+009B \\(control character\\)"),
        ("a: \ufffe\n", "1:4", "U\\+FFFE \\(non-character\\)"),
    ],
)
def test_control_characters_are_refused_with_position_and_fix(
    text: str, where: str, name: str
) -> None:
    with pytest.raises(
        ConfigError, match=rf"f.yaml:{where}: {name} is not allowed in a YAML file. Delete it"
    ) as caught:
        parse_yaml(text, "f.yaml")
    assert caught.value.exit_code == 3


def test_tabs_and_line_breaks_are_fine() -> None:
    assert parse_yaml("a: 'x\ty'\r\nb: 2\n", "f.yaml").data == {"a": "x\ty", "b": 2}


def test_every_control_character_is_reported_up_to_a_few() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_yaml("a: \x01\nb: \x02\n" + "c: \x03\n" * 20, "f.yaml")
    problems = caught.value.problems
    assert [(p.line, p.column) for p in problems[:2]] == [(1, 4), (2, 4)]
    assert len(problems) == 10


def test_guideline_front_matter_gets_the_same_protection() -> None:
    text = "---\n" + alias_bomb() + "---\n# Title\n"
    with pytest.raises(ConfigError, match=r"guidelines/g.md:\d+:\d+: aliases expand"):
        parse_guideline(text, "guidelines/g.md")
    with pytest.raises(ConfigError, match=r"guidelines/g.md:3:9: U\+0000 \(NUL\)"):
        parse_guideline("---\nkind: guideline\nschema: \x00\n---\n# T\n", "guidelines/g.md")


def test_a_value_that_looks_like_a_date_but_is_not_one_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"f.yaml: a value looks like a date .* Quote the value"):
        parse_yaml("description: 2026-13-45\n", "f.yaml")
