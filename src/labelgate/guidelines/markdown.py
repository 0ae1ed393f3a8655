"""The guideline diff as Markdown, for a pull-request comment or a reviewer's terminal."""

from __future__ import annotations

from labelgate.guidelines.compare import GuidelineDiff, Impact, LabelMigration

SAMPLE_ROWS = 20  # sample items shown inline; the full list is in --format json / --sample-out
MIGRATED = {"rename": "Label renamed", "merge": "Labels merged", "split": "Label split"}


def _codes(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _impact_rows(diff: GuidelineDiff) -> list[str]:
    old = diff.changes.version_a
    rows = [
        "",
        f"Impact of the change on data labelled under {old} (affected labels: "
        f"{_codes(diff.changes.affected_labels)}):",
        "",
        f"| dataset | annotations under {old} with an affected label | final labels in doubt "
        "| re-annotation sample |",
        "|---|---|---|---|",
    ]
    for i in diff.impact:
        if not i.built:
            rows.append(f"| {i.dataset} | not built | not built | run `labelgate run` first |")
            continue
        rows.append(
            f"| {i.dataset} | {i.annotations} of {i.annotations_total} | {i.final_labels} of "
            f"{i.final_total} | {len(i.sample)} items (seed {i.seed}, stratified by label) |"
        )
    for i in diff.impact:
        if i.sample:
            rows += _sample_block(i)
    return rows


def _sample_block(i: Impact) -> list[str]:
    rows = [
        "",
        f"<details><summary>Re-annotation sample for {i.dataset}: {len(i.sample)} items "
        f"(seed {i.seed})</summary>",
        "",
        "| item_id | current label |",
        "|---|---|",
    ]
    rows += [f"| {item} | {label} |" for item, label in i.sample[:SAMPLE_ROWS]]
    if len(i.sample) > SAMPLE_ROWS:
        rows.append(f"| … {len(i.sample) - SAMPLE_ROWS} more | (see --sample-out) |")
    return [*rows, "", "</details>"]


def migration_line(m: LabelMigration) -> str:
    """'- **Label renamed** `a` → `b` (schema migration `rename` since 1.1.0 in `schemas/s.yaml`)'."""
    where = f" in `{m.schema}`" if m.schema else ""
    return (
        f"- **{MIGRATED.get(m.op, m.op)}** {_codes(m.old)} → {_codes(m.new)} "
        f"(schema migration `{m.op}` since {m.since}{where})"
    )


def _diff_block(title: str, text: str) -> list[str]:
    return [
        "",
        f"<details><summary>{title}</summary>",
        "",
        "```diff",
        text,
        "```",
        "",
        "</details>",
    ]


def guideline_section(diff: GuidelineDiff, level: str = "###") -> list[str]:
    """One guideline's changes, impact and sample."""
    c = diff.changes
    if c.version_a is None:
        return ["", f"{level} `{c.name}`: new guideline {c.version_b} (`{c.file}`)"]
    if c.version_b is None:
        return ["", f"{level} `{c.name}`: guideline removed (was {c.version_a})"]
    lines = ["", f"{level} `{c.name}` {c.version_a} → {c.version_b} (`{c.file}`)", ""]
    if not c.version_bumped:
        lines += [
            f"⚠️ The content changed but the version is still {c.version_a}: "
            "`labelgate check` fails until it is bumped.",
            "",
        ]
    if not c.semantic:
        lines.append("Wording only: no label definition or ruling changed.")
        return lines
    lines += [migration_line(m) for m in c.labels_migrated]
    for what, names in (
        ("Labels added", c.labels_added),
        ("Labels removed", c.labels_removed),
        ("Labels redefined", tuple(c.labels_redefined)),
    ):
        if names:
            lines.append(f"- **{what}**: {_codes(names)}")
    for r in c.rulings_added:
        lines.append(f"- **Ruling added** {r.id}: {r.title} ({_codes(r.labels)})")
    for ch in c.rulings_changed:
        lines.append(
            f"- **Ruling changed** {ch.id}: {ch.title} ({', '.join(ch.changed)} changed; "
            f"{_codes(ch.labels)})"
        )
    for r in c.rulings_withdrawn:
        lines.append(f"- **Ruling withdrawn** {r.id}: {r.title} ({_codes(r.labels)})")
    for m in c.labels_migrated:
        old = ", ".join(f"<code>{label}</code>" for label in m.old)
        new = ", ".join(f"<code>{label}</code>" for label in m.new)
        lines += _diff_block(f"Definition of {old} → {new}", m.diff)
    for label, text in c.labels_redefined.items():
        lines += _diff_block(f"Definition of <code>{label}</code>", text)
    for ch in c.rulings_changed:
        if ch.diff:
            lines += _diff_block(f"Text of {ch.id}", ch.diff)
    if diff.impact:
        lines += _impact_rows(diff)
    return lines


def markdown(revisions: dict[str, str | None], diffs: list[GuidelineDiff]) -> str:
    """The whole diff as one Markdown document."""
    a = revisions["a"] or ""
    head = f"## Guideline changes: {revisions['a_name']} ({a[:10]}) → {revisions['b_name']}"
    if revisions.get("b"):
        head += f" ({str(revisions['b'])[:10]})"
    lines = [head]
    if not diffs:
        return "\n".join([*lines, "", "No guideline changed."]) + "\n"
    for diff in diffs:
        lines += guideline_section(diff)
    return "\n".join(lines) + "\n"
