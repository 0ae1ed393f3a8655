"""Markdown escaping for the renderers: every user string goes through one of these.

| helper | for | does |
|---|---|---|
| `md_text` | text in a line of Markdown | one line; `&`, `<`, `>` as entities; `\\` doubled; `@` + zero-width joiner |
| `md_cell` | a table cell | `md_text`, and `\\|` for a pipe |
| `md_code` | an id or path as inline code | one line; a fence longer than any backtick run inside |
| `html_text` | text inside raw HTML (`<summary>`) | one line; HTML-escaped; `@` + zero-width joiner |
| `md_fence` | a block of text (a diff) | a fence of at least three backticks, longer than any run inside |

Strings that need none of it (`w07`, `billing`, `tickets`, `alpha_min`) come out unchanged.
The helpers live in `labelgate.guidelines.markdown`, below this layer, because the guideline
diff renders Markdown too.
"""

from __future__ import annotations

from labelgate.guidelines.markdown import ZWJ, html_text, md_cell, md_code, md_fence, md_text

__all__ = ["ZWJ", "html_text", "md_cell", "md_code", "md_fence", "md_text"]
