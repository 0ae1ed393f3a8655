"""Markdown escaping: user strings show as text, and plain ids come out unchanged."""

from __future__ import annotations

import pytest

from labelgate.report.escape import ZWJ, html_text, md_cell, md_code, md_fence, md_text


@pytest.mark.parametrize("plain", ["w07", "r17", "billing", "tickets", "alpha_min", "1.1.0"])
def test_plain_ids_need_no_escaping(plain: str) -> None:
    assert md_text(plain) == plain
    assert md_cell(plain) == plain
    assert md_code(plain) == f"`{plain}`"
    assert html_text(plain) == plain


def test_html_becomes_entities() -> None:
    assert md_text("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert md_text("</details>") == "&lt;/details&gt;"
    assert md_text("a & b") == "a &amp; b"
    assert md_text("&#64;x") == "&amp;#64;x"


def test_mentions_are_broken_with_a_zero_width_joiner() -> None:
    assert md_text("@octocat") == f"@{ZWJ}octocat"
    assert html_text("@team/all") == f"@{ZWJ}team/all"
    assert "@octocat" not in md_cell("hi @octocat")


def test_line_breaks_become_spaces() -> None:
    assert md_text("a\n```\n# b\r\nc") == "a ``` # b c"
    assert md_cell("x\n| y") == "x \\| y"
    assert md_code("a\nb") == "`a b`"


def test_backslashes_are_doubled_so_no_escape_can_be_forged() -> None:
    assert md_text("a\\<b") == "a\\\\&lt;b"
    assert md_cell("a\\|b") == "a\\\\\\|b"


def test_pipes_are_escaped_in_cells_only() -> None:
    assert md_cell("a|b") == "a\\|b"
    assert md_text("a|b") == "a|b"


@pytest.mark.parametrize(
    ("value", "span"),
    [
        ("a`b", "``a`b``"),
        ("``x", "``` ``x ```"),
        ("x`", "`` x` ``"),
        (" a ", "`  a  `"),
        ("", "` `"),
        ("<img onerror=x>", "`<img onerror=x>`"),
        ("@octocat", "`@octocat`"),
    ],
)
def test_code_spans_are_fenced_past_every_backtick_run(value: str, span: str) -> None:
    assert md_code(value) == span


def test_fences_are_longer_than_any_backtick_run_inside() -> None:
    assert md_fence("+ a\n- b", "diff") == ["```diff", "+ a\n- b", "```"]
    text = "- old\n+ ````\n+ </details>"
    lines = md_fence(text, "diff")
    assert lines[0] == "`````diff"
    assert lines[-1] == "`````"
    assert lines[1] == text


def test_html_text_escapes_quotes_for_attributes() -> None:
    assert html_text("\"a\" 'b' <i>") == "&quot;a&quot; &#x27;b&#x27; &lt;i&gt;"
