"""The guideline diff as Markdown, for a pull-request comment or a reviewer's terminal.

Also the Markdown escaping every renderer uses (re-exported by `labelgate.report.escape`; it
lives here because the guidelines layer is below the report layer and needs it too). Every
string that comes from a user (dataset names, annotator and item ids, labels, gate and rule
ids, messages that embed them, guideline text) goes through one of these, so it shows as
text: no HTML, no live @mention, no broken table, fence or `<details>` block.
"""

from __future__ import annotations

import re
from typing import Any

from labelgate.guidelines.compare import GuidelineDiff, Impact, LabelMigration

SAMPLE_ROWS = 20  # sample items shown inline; the full list is in --format json / --sample-out
MIGRATED = {"rename": "Label renamed", "merge": "Labels merged", "split": "Label split"}

ZWJ = "\u200d"  # after an @, it keeps the text readable and stops GitHub's @mention
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")
_BACKTICKS = re.compile(r"`+")
_MD_TEXT = str.maketrans({"\\": "\\\\", "&": "&amp;", "<": "&lt;", ">": "&gt;"})
_HTML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def _one_line(value: Any) -> str:
    """`value` as a string on one line: a line break in an id or label would end a table row,
    a list item or a paragraph, and could start a heading or a fence."""
    return _LINE_BREAKS.sub(" ", str(value))


def _no_mention(text: str) -> str:
    return text.replace("@", "@" + ZWJ)


def md_text(value: Any) -> str:
    """`value` as Markdown text: one line, `&`, `<`, `>` as entities (no HTML tag, no
    `</details>`), backslashes doubled, `@` followed by a zero-width joiner (no @mention)."""
    return _no_mention(_one_line(value).translate(_MD_TEXT))


def md_cell(value: Any) -> str:
    """`value` as the text of a Markdown table cell: `md_text` with pipes escaped (`\\|`)."""
    return md_text(value).replace("|", "\\|")


def md_code(value: Any) -> str:
    """`value` as an inline code span, on one line, fenced with more backticks than any run of
    them inside (padded with a space when it starts or ends with one). GitHub renders neither
    HTML nor @mentions inside code. Not for table cells: use `md_cell` there."""
    text = _one_line(value)
    if not text:
        return "` `"
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = (
        " "
        if text.startswith("`")
        or text.endswith("`")
        or (text.startswith(" ") and text.endswith(" ") and text.strip())
        else ""
    )
    return f"{fence}{pad}{text}{pad}{fence}"


def html_text(value: Any) -> str:
    """`value` inside raw HTML (a `<summary>` line): one line, HTML-escaped, no @mention."""
    return _no_mention(_one_line(value).translate(_HTML_TEXT))


def md_fence(text: str, info: str = "") -> list[str]:
    """`text` as a fenced code block (lines): the fence is longer than any run of backticks
    in `text`, so no line of it can close the block early."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, text, fence]


def _codes(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(md_code(n) for n in names)


def _impact_rows(diff: GuidelineDiff) -> list[str]:
    old = md_cell(diff.changes.version_a)
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
            rows.append(
                f"| {md_cell(i.dataset)} | not built | not built | run `labelgate run` first |"
            )
            continue
        rows.append(
            f"| {md_cell(i.dataset)} | {i.annotations} of {i.annotations_total} | {i.final_labels} of "
            f"{i.final_total} | {len(i.sample)} items (seed {i.seed}, stratified by label) |"
        )
    for i in diff.impact:
        if i.sample:
            rows += _sample_block(i)
    return rows


def _sample_block(i: Impact) -> list[str]:
    rows = [
        "",
        f"<details><summary>Re-annotation sample for {html_text(i.dataset)}: {len(i.sample)} items "
        f"(seed {i.seed})</summary>",
        "",
        "| item_id | current label |",
        "|---|---|",
    ]
    rows += [f"| {md_cell(item)} | {md_cell(label)} |" for item, label in i.sample[:SAMPLE_ROWS]]
    if len(i.sample) > SAMPLE_ROWS:
        rows.append(f"| … {len(i.sample) - SAMPLE_ROWS} more | (see --sample-out) |")
    return [*rows, "", "</details>"]


def migration_line(m: LabelMigration) -> str:
    """'- **Label renamed** `a` → `b` (schema migration `rename` since 1.1.0 in `schemas/s.yaml`)'."""
    where = f" in {md_code(m.schema)}" if m.schema else ""
    return (
        f"- **{md_text(MIGRATED.get(m.op, m.op))}** {_codes(m.old)} → {_codes(m.new)} "
        f"(schema migration {md_code(m.op)} since {md_text(m.since)}{where})"
    )


def _diff_block(title: str, text: str) -> list[str]:
    """A collapsed diff; `title` is HTML its caller escaped, `text` may hold anything."""
    return [
        "",
        f"<details><summary>{title}</summary>",
        "",
        *md_fence(text, "diff"),
        "",
        "</details>",
    ]


def guideline_section(diff: GuidelineDiff, level: str = "###") -> list[str]:
    """One guideline's changes, impact and sample."""
    c = diff.changes
    name, file = md_code(c.name), md_code(c.file)
    if c.version_a is None:
        return ["", f"{level} {name}: new guideline {md_text(c.version_b)} ({file})"]
    if c.version_b is None:
        return ["", f"{level} {name}: guideline removed (was {md_text(c.version_a)})"]
    lines = ["", f"{level} {name} {md_text(c.version_a)} → {md_text(c.version_b)} ({file})", ""]
    if not c.version_bumped:
        lines += [
            f"⚠️ The content changed but the version is still {md_text(c.version_a)}: "
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
        lines.append(f"- **Ruling added** {md_text(r.id)}: {md_text(r.title)} ({_codes(r.labels)})")
    for ch in c.rulings_changed:
        lines.append(
            f"- **Ruling changed** {md_text(ch.id)}: {md_text(ch.title)} "
            f"({md_text(', '.join(ch.changed))} changed; "
            f"{_codes(ch.labels)})"
        )
    for r in c.rulings_withdrawn:
        lines.append(
            f"- **Ruling withdrawn** {md_text(r.id)}: {md_text(r.title)} ({_codes(r.labels)})"
        )
    for m in c.labels_migrated:
        old = ", ".join(f"<code>{html_text(label)}</code>" for label in m.old)
        new = ", ".join(f"<code>{html_text(label)}</code>" for label in m.new)
        lines += _diff_block(f"Definition of {old} → {new}", m.diff)
    for label, text in c.labels_redefined.items():
        lines += _diff_block(f"Definition of <code>{html_text(label)}</code>", text)
    for ch in c.rulings_changed:
        if ch.diff:
            lines += _diff_block(f"Text of {html_text(ch.id)}", ch.diff)
    if diff.impact:
        lines += _impact_rows(diff)
    return lines


def markdown(revisions: dict[str, str | None], diffs: list[GuidelineDiff]) -> str:
    """The whole diff as one Markdown document."""
    a = revisions["a"] or ""
    head = (
        f"## Guideline changes: {md_text(revisions['a_name'])} ({md_text(a[:10])}) → "
        f"{md_text(revisions['b_name'])}"
    )
    if revisions.get("b"):
        head += f" ({md_text(str(revisions['b'])[:10])})"
    lines = [head]
    if not diffs:
        return "\n".join([*lines, "", "No guideline changed."]) + "\n"
    for diff in diffs:
        lines += guideline_section(diff)
    return "\n".join(lines) + "\n"
