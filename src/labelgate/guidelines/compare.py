"""The semantic difference between two versions of a guideline: labels and rulings, by id."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from labelgate.config.guideline import Guideline, Ruling


@dataclass(frozen=True)
class RulingChange:
    """A ruling whose title, labels or text changed."""

    id: str
    title: str
    changed: tuple[str, ...]  # which of "title", "labels", "text"
    labels: tuple[str, ...]  # old and new labels together
    diff: str = ""


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
            or self.rulings_added
            or self.rulings_changed
            or self.rulings_withdrawn
        )


def _diff(old: str, new: str) -> str:
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), "before", "after", lineterm="")
    return "\n".join(list(lines)[2:])  # drop the ---/+++ header


def compare(name: str, file: str, a: Guideline | None, b: Guideline | None) -> GuidelineChanges:
    """Labels added, removed or redefined and rulings added, changed or withdrawn, A -> B."""
    sections_a = {s.label: s.text for s in a.sections} if a else {}
    sections_b = {s.label: s.text for s in b.sections} if b else {}
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
        labels_added=tuple(sorted(sections_b.keys() - sections_a.keys())),
        labels_removed=tuple(sorted(sections_a.keys() - sections_b.keys())),
        labels_redefined={
            label: _diff(sections_a[label], sections_b[label])
            for label in sorted(sections_a.keys() & sections_b.keys())
            if sections_a[label] != sections_b[label]
        },
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
