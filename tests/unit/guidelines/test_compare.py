"""The semantic guideline diff and the stratified re-annotation sample."""

from __future__ import annotations

import textwrap

import pandas as pd
from pydantic import TypeAdapter

from labelgate.app.guidelines_diff import allocate, stratified_sample
from labelgate.config.guideline import Guideline
from labelgate.config.schema import Migration
from labelgate.guidelines.compare import GuidelineDiff, compare
from labelgate.guidelines.markdown import guideline_section
from labelgate.guidelines.parser import parse_guideline

OLD = """
---
kind: guideline
format_version: 1
schema: s
version: "1.0.0"
---
## Label: a
Definition of a.

### Examples
An example of a.

### R-001: First
Applies to: b

Old text.

## Label: b
Definition of b.

### R-002: Second
Gone soon.

## Label: gone
Old label.
"""

NEW = """
---
kind: guideline
format_version: 1
schema: s
version: "1.1.0"
---
## Label: a
Definition of a.

### Examples
An example of a.

### R-001: First, renamed
Applies to: b

New text.

## Label: b
Definition of b, sharper.

## Label: c
New label.

### R-003: Third
Fresh.
"""


def parse(text: str) -> Guideline:
    return parse_guideline(textwrap.dedent(text).lstrip(), "g.md")[0]


def test_a_definition_is_its_section_without_its_rulings() -> None:
    sections = {s.label: s.text for s in parse(OLD).sections}
    assert sections["a"] == "Definition of a.\n\n### Examples\nAn example of a."
    rulings = {r.id: r for r in parse(OLD).rulings}
    assert rulings["R-001"].text == "Applies to: b\n\nOld text."
    assert rulings["R-001"].labels == ("a", "b")


def test_compare_reports_labels_and_rulings_by_id() -> None:
    changes = compare("s", "g.md", parse(OLD), parse(NEW))
    assert (changes.version_a, changes.version_b, changes.version_bumped) == (
        "1.0.0",
        "1.1.0",
        True,
    )
    assert changes.labels_added == ("c",)
    assert changes.labels_removed == ("gone",)
    assert list(changes.labels_redefined) == ["b"]
    assert "-Definition of b.\n+Definition of b, sharper." in changes.labels_redefined["b"]
    assert [r.id for r in changes.rulings_added] == ["R-003"]
    assert [r.id for r in changes.rulings_withdrawn] == ["R-002"]
    (changed,) = changes.rulings_changed
    assert (changed.id, changed.changed) == ("R-001", ("title", "text"))
    assert changes.affected_labels == ("a", "b", "c", "gone")


def test_identical_rulings_and_sections_are_not_changes() -> None:
    reworded = NEW.replace("## Label: a", "Intro prose.\n\n## Label: a")
    changes = compare("s", "g.md", parse(NEW), parse(reworded))
    assert not changes.semantic


def migration(op: str, old: str | list[str], new: str | list[str]) -> Migration:
    data = {"op": op, "since": "2.0.0", "from": old, "to": new}
    return TypeAdapter(Migration).validate_python(data)


def test_a_rename_the_schema_declares_is_reported_as_a_rename_with_its_definitions() -> None:
    changes = compare(
        "s", "g.md", parse(OLD), parse(NEW), [migration("rename", "gone", "c")], "schemas/s.yaml"
    )
    assert changes.labels_added == ()
    assert changes.labels_removed == ()
    (moved,) = changes.labels_migrated
    assert (moved.op, moved.old, moved.new, moved.since, moved.schema) == (
        "rename",
        ("gone",),
        ("c",),
        "2.0.0",
        "schemas/s.yaml",
    )
    assert moved.diff == "@@ -1,2 +1,2 @@\n-## Label: gone\n-Old label.\n+## Label: c\n+New label."
    assert changes.affected_labels == ("a", "b", "c", "gone")
    md = "\n".join(guideline_section(GuidelineDiff(changes, ())))
    assert (
        "- **Label renamed** `gone` → `c` (schema migration `rename` since 2.0.0 in "
        "`schemas/s.yaml`)" in md
    )
    assert "Labels added" not in md
    assert "Labels removed" not in md
    assert "<summary>Definition of <code>gone</code> → <code>c</code></summary>" in md
    assert "+## Label: c\n+New label." in md


def test_merges_and_splits_are_reported_with_every_label_involved() -> None:
    merged = compare("s", "g.md", parse(OLD), parse(NEW), [migration("merge", ["gone", "b"], "b")])
    (m,) = merged.labels_migrated
    assert (m.op, m.old, m.new) == ("merge", ("gone", "b"), ("b",))
    assert merged.labels_removed == ()
    assert merged.labels_added == ("c",)  # no migration names it
    assert list(merged.labels_redefined) == ["b"]  # b's own text changed too
    assert "-## Label: gone\n-Old label.\n-\n ## Label: b" in m.diff
    md = "\n".join(guideline_section(GuidelineDiff(merged, ())))
    assert "- **Labels merged** `gone`, `b` → `b` (schema migration `merge` since 2.0.0)" in md
    split = compare("s", "g.md", parse(OLD), parse(NEW), [migration("split", "gone", ["b", "c"])])
    (s,) = split.labels_migrated
    assert (s.op, s.old, s.new) == ("split", ("gone",), ("b", "c"))
    assert (split.labels_added, split.labels_removed) == ((), ())
    md = "\n".join(guideline_section(GuidelineDiff(split, ())))
    assert "- **Label split** `gone` → `b`, `c`" in md


def test_a_migration_the_guideline_does_not_carry_out_is_not_cited() -> None:
    for m in (
        migration("rename", "gone", "d"),  # no section for the new label
        migration("rename", "a", "c"),  # the old label is still there
    ):
        changes = compare("s", "g.md", parse(OLD), parse(NEW), [m])
        assert changes.labels_migrated == ()
        assert (changes.labels_added, changes.labels_removed) == (("c",), ("gone",))


def test_allocation_gives_every_stratum_one_then_the_rest_by_size() -> None:
    sizes = pd.Series({"a": 90, "b": 9, "c": 1})
    assert allocate(sizes, 10).to_dict() == {"a": 7, "b": 2, "c": 1}  # largest remainder
    assert allocate(sizes, 2).to_dict() == {"a": 2, "b": 0, "c": 0}  # too few for one each
    assert allocate(sizes, 500).to_dict() == {"a": 90, "b": 9, "c": 1}
    assert int(allocate(sizes, 37).sum()) == 37


def test_the_sample_is_seeded_stratified_and_stable() -> None:
    frame = pd.DataFrame(
        {"item_id": [f"i{k:03d}" for k in range(200)], "label": ["x"] * 150 + ["y"] * 50}
    )
    first = stratified_sample(frame, 20, seed=7)
    assert first.equals(stratified_sample(frame, 20, seed=7))
    assert first["label"].value_counts().to_dict() == {"x": 15, "y": 5}
    assert not first.equals(stratified_sample(frame, 20, seed=8))
    # Adding items elsewhere does not reshuffle a stratum's choice.
    more = pd.concat([frame, pd.DataFrame({"item_id": ["z1"], "label": ["z"]})])
    assert set(stratified_sample(more, 21, seed=7)["item_id"]) >= set(
        first[first["label"] == "y"]["item_id"]
    )
