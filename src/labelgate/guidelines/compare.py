"""The semantic difference between two versions of a guideline: labels and rulings, by id."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

from labelgate.config.guideline import Guideline, Ruling
from labelgate.config.schema import Migration


@dataclass(frozen=True)
class RulingChange:
    """A ruling whose title, labels or text changed."""

    id: str
    title: str
    changed: tuple[str, ...]  # which of "title", "labels", "text"
    labels: tuple[str, ...]  # old and new labels together
    diff: str = ""


@dataclass(frozen=True)
class LabelMigration:
    """Labels a schema migration renamed, merged or split, as the guideline's sections show:
    the old labels' sections are gone and the new labels' sections are there."""

    op: str  # "rename", "merge" or "split", as the schema's `migrations` entry says
    old: tuple[str, ...]  # `from`
    new: tuple[str, ...]  # `to`
    since: str  # the schema version that introduced it
    schema: str  # the schema file declaring it
    diff: str = ""  # the old labels' definitions -> the new labels' definitions


@dataclass(frozen=True)
class GuidelineChanges:
    """What changed between version A and version B of one guideline."""

    name: str
    file: str
    version_a: str | None  # None: the guideline did not exist at A
    version_b: str | None
    labels_added: tuple[str, ...] = ()
    labels_removed: tuple[str, ...] = ()
    labels_redefined: dict[str, str] = field(default_factory=dict)  # label -> unified diff
    labels_migrated: tuple[LabelMigration, ...] = ()  # renamed, merged or split by the schema
    rulings_added: tuple[Ruling, ...] = ()
    rulings_changed: tuple[RulingChange, ...] = ()
    rulings_withdrawn: tuple[Ruling, ...] = ()

    @property
    def version_bumped(self) -> bool:
        """Whether B's version differs from A's."""
        return self.version_a != self.version_b

    @property
    def affected_labels(self) -> tuple[str, ...]:
        """Labels whose meaning may have moved: changed definitions and every changed ruling's."""
        labels = {*self.labels_added, *self.labels_removed, *self.labels_redefined}
        for migration in self.labels_migrated:
            labels.update((*migration.old, *migration.new))
        for ruling in (*self.rulings_added, *self.rulings_withdrawn):
            labels.update(ruling.labels)
        for change in self.rulings_changed:
            labels.update(change.labels)
        return tuple(sorted(labels))

    @property
    def semantic(self) -> bool:
        """Whether labels or rulings changed (not only prose around them)."""
        return bool(
            self.labels_added
            or self.labels_removed
            or self.labels_redefined
            or self.labels_migrated
            or self.rulings_added
            or self.rulings_changed
            or self.rulings_withdrawn
        )


def _diff(old: str, new: str) -> str:
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), "before", "after", lineterm="")
    return "\n".join(list(lines)[2:])  # drop the ---/+++ header


def _definitions(labels: Sequence[str], sections: dict[str, str]) -> str:
    """The labels' sections as the guideline writes them, heading included."""
    return "\n\n".join(
        f"## Label: {label}\n{sections[label]}".rstrip() for label in labels if label in sections
    )


def migrated_labels(
    migrations: Sequence[Migration],
    schema: str,
    sections_a: dict[str, str],
    sections_b: dict[str, str],
) -> tuple[LabelMigration, ...]:
    """The schema migrations this change of sections carries out: at least one old label's
    section is gone in B, and every new label's section is in B."""
    removed = sections_a.keys() - sections_b.keys()
    claimed: set[str] = set()
    out = []
    for m in migrations:
        old = (m.from_,) if isinstance(m.from_, str) else tuple(m.from_)
        new = (m.to,) if isinstance(m.to, str) else tuple(m.to)
        gone = [label for label in old if label in removed and label not in claimed]
        if not gone or not all(label in sections_b for label in new):
            continue
        claimed.update(gone)
        diff = _diff(_definitions(old, sections_a), _definitions(new, sections_b))
        out.append(LabelMigration(m.op, old, new, m.since, schema, diff))
    return tuple(out)


def compare(
    name: str,
    file: str,
    a: Guideline | None,
    b: Guideline | None,
    migrations: Sequence[Migration] = (),
    schema: str = "",
) -> GuidelineChanges:
    """Labels added, removed, redefined, or renamed, merged or split by one of the schema's
    `migrations` (declared in the file `schema`), and rulings added, changed or withdrawn,
    A -> B."""
    sections_a = {s.label: s.text for s in a.sections} if a else {}
    sections_b = {s.label: s.text for s in b.sections} if b else {}
    migrated = migrated_labels(migrations, schema, sections_a, sections_b) if a and b else ()
    moved = {label for m in migrated for label in (*m.old, *m.new)}
    rulings_a = {r.id: r for r in a.rulings} if a else {}
    rulings_b = {r.id: r for r in b.rulings} if b else {}
    changed = []
    for rid in sorted(rulings_a.keys() & rulings_b.keys()):
        old, new = rulings_a[rid], rulings_b[rid]
        what = tuple(
            part
            for part, differs in (
                ("title", old.title != new.title),
                ("labels", set(old.labels) != set(new.labels)),
                ("text", old.text != new.text),
            )
            if differs
        )
        if what:
            labels = tuple(sorted({*old.labels, *new.labels}))
            changed.append(RulingChange(rid, new.title, what, labels, _diff(old.text, new.text)))
    return GuidelineChanges(
        name=name,
        file=file,
        version_a=a.front.version if a else None,
        version_b=b.front.version if b else None,
        labels_added=tuple(sorted(sections_b.keys() - sections_a.keys() - moved)),
        labels_removed=tuple(sorted(sections_a.keys() - sections_b.keys() - moved)),
        labels_redefined={
            label: _diff(sections_a[label], sections_b[label])
            for label in sorted(sections_a.keys() & sections_b.keys())
            if sections_a[label] != sections_b[label]
        },
        labels_migrated=migrated,
        rulings_added=tuple(rulings_b[r] for r in sorted(rulings_b.keys() - rulings_a.keys())),
        rulings_changed=tuple(changed),
        rulings_withdrawn=tuple(rulings_a[r] for r in sorted(rulings_a.keys() - rulings_b.keys())),
    )


@dataclass(frozen=True)
class Impact:
    """What one dataset built under the old version holds for the affected labels."""

    dataset: str
    built: bool
    annotations: int = 0  # under the old version, with an affected label
    annotations_total: int = 0
    final_labels: int = 0  # with an affected label and an annotation under the old version
    final_total: int = 0
    sample: tuple[tuple[str, str], ...] = ()  # (item_id, label), stratified by label
    seed: int = 0


@dataclass(frozen=True)
class GuidelineDiff:
    """One guideline's changes and their impact on each dataset that uses it."""

    changes: GuidelineChanges
    impact: tuple[Impact, ...]
