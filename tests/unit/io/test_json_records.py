"""`parse_object` (io/json_records.py): a JSONL record whose key is given twice, in the record or in
an object nested in it, is refused naming the key, where it is and its values, never read as the
last value the way `json.loads` reads it."""

from __future__ import annotations

import json

import pytest

from labelgate.io.json_records import DuplicateKeyError, NotAnObjectError, parse_object


def test_a_plain_record_reads_as_json_loads_reads_it() -> None:
    line = '{"item_id": "i1", "label": 2, "meta": {"tags": [{"a": 1}, {"a": 1}]}, "x": null}\n'
    assert parse_object(line) == json.loads(line)


def test_a_top_level_duplicate_names_the_key_and_both_values() -> None:
    with pytest.raises(DuplicateKeyError) as caught:
        parse_object('{"item_id": "i1", "label": "a", "label": "b"}')
    error = caught.value
    assert str(error) == "duplicate key 'label' in the JSON object"
    assert (error.key, error.path, error.values) == ("label", "", ["a", "b"])
    assert (
        error.fix
        == '\'label\' is given 2 times ("a", then "b"). Export each key once per JSON object.'
    )
    assert isinstance(error, ValueError)


def test_the_same_value_twice_is_still_a_duplicate() -> None:
    with pytest.raises(DuplicateKeyError, match="duplicate key 'label'"):
        parse_object('{"label": "a", "label": "a"}')


@pytest.mark.parametrize(
    ("line", "key", "path"),
    [
        ('{"meta": {"x": 1, "x": 2}}', "x", "meta"),
        ('{"meta": {"tags": [{"y": 1}, {"y": 1, "y": 2}]}}', "y", "meta.tags[1]"),
        ('{"a b": {"x": 1, "x": 2}}', "x", '["a b"]'),
        ('{"rows": [[{"z": 0, "z": 1}]]}', "z", "rows[0][0]"),
    ],
)
def test_a_nested_duplicate_names_where_its_object_is(line: str, key: str, path: str) -> None:
    with pytest.raises(DuplicateKeyError) as caught:
        parse_object(line)
    assert (caught.value.key, caught.value.path) == (key, path)
    assert str(caught.value) == f"duplicate key {key!r} in the JSON object at {path}"


def test_the_record_s_own_duplicate_comes_before_a_nested_one() -> None:
    # The hook sees the nested object first; the record's own duplicate is the one to report.
    with pytest.raises(DuplicateKeyError) as caught:
        parse_object('{"meta": {"x": 1, "x": 2}, "label": "a", "label": "b"}')
    assert (caught.value.key, caught.value.path) == ("label", "")


def test_a_nested_duplicate_dropped_by_an_outer_one_is_reported_through_it() -> None:
    with pytest.raises(DuplicateKeyError) as caught:
        parse_object('{"meta": {"x": 1, "x": 2}, "meta": 3}')
    assert (caught.value.key, caught.value.path, caught.value.values) == (
        "meta",
        "",
        [{"x": 2}, 3],
    )


def test_long_values_are_cut_in_the_fix() -> None:
    with pytest.raises(DuplicateKeyError) as caught:
        parse_object(json.dumps({"label": "a"})[:-1] + ', "label": "' + "b" * 500 + '"}')
    assert len(caught.value.fix) < 200
    assert '"bbbb' in caught.value.fix


@pytest.mark.parametrize(
    ("line", "kind"),
    [("[1, 2]", "an array"), ('"x"', "a string"), ("3", "a number"), ("null", "null")],
)
def test_valid_json_that_is_not_an_object_is_refused(line: str, kind: str) -> None:
    with pytest.raises(NotAnObjectError, match=f"not a JSON object but {kind}"):
        parse_object(line)


def test_invalid_json_is_json_loads_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        parse_object('{"label": ')


def test_a_deeply_nested_record_is_read_without_recursion() -> None:
    depth = 500
    line = '{"a": ' * depth + '{"x": 1, "x": 2}' + "}" * depth
    with pytest.raises(DuplicateKeyError) as caught:
        parse_object(line)
    assert caught.value.path == ".".join(["a"] * depth)


def test_an_escaped_spelling_of_a_key_is_the_same_key() -> None:
    with pytest.raises(DuplicateKeyError, match="duplicate key 'label'"):
        parse_object('{"label": "a", "\\u006cabel": "b"}')


@pytest.mark.parametrize(
    "line", ['{"x": NaN, "y": -Infinity}', '{"t": "caf\\u00e9 \\ud83d\\ude00"}', ' {"a": 1} \n']
)
def test_what_json_loads_accepts_parses_the_same(line: str) -> None:
    assert json.dumps(parse_object(line)) == json.dumps(json.loads(line))
