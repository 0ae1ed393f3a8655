"""Rosters, YAML and CSV: what is accepted, and each problem with its line and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from labelgate.config.roster import Roster
from labelgate.errors import ConfigError
from labelgate.project.roster import load_roster


def _load(tmp_path: Path, name: str, text: str) -> Roster:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_roster(path, name)


def test_a_csv_roster_reads_skills_and_active(tmp_path: Path) -> None:
    roster = _load(
        tmp_path,
        "team.csv",
        "annotator_id,capacity,rate_per_item,skills,active\na,10,0.05,x;y,true\nb,0,,,no\n",
    )
    first, second = roster.annotators
    assert (first.capacity, first.rate_per_item, first.skills, first.active) == (
        10,
        0.05,
        ["x", "y"],
        True,
    )
    assert second.active is False
    assert second.rate_per_item is None


def test_csv_problems_name_the_line_and_column(tmp_path: Path) -> None:
    text = "annotator_id,capacity,rate_per_hour,rate_per_item\na,10,20,0.1\nb,-1,,\n"
    with pytest.raises(ConfigError, match="both rate_per_hour and rate_per_item") as info:
        _load(tmp_path, "team.csv", text)
    rendered = [p.render() for p in info.value.problems]
    assert rendered[0].startswith("team.csv:2:1: ")
    assert rendered[1].startswith("team.csv:3:1: capacity: ")


def test_an_unknown_csv_column_gets_did_you_mean(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Did you mean 'capacity'"):
        _load(tmp_path, "team.csv", "annotator_id,capacty\na,1\n")


def test_a_yaml_roster_refuses_duplicate_ids_and_unknown_keys(tmp_path: Path) -> None:
    text = (
        "kind: roster\nformat_version: 1\nannotators:\n"
        "  - {annotator_id: a, capacity: 1}\n  - {annotator_id: a, capacity: 2}\n"
    )
    with pytest.raises(ConfigError, match="annotator 'a' is listed twice"):
        _load(tmp_path, "team.yaml", text)
    with pytest.raises(ConfigError, match="unknown key 'rate'"):
        _load(tmp_path, "bad.yaml", text.replace("capacity: 2", "capacity: 2, rate: 3"))
