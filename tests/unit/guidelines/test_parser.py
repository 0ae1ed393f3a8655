"""Guideline Markdown: front matter, label sections, rulings with stable ids."""

from __future__ import annotations

import textwrap

import pytest

from labelgate.errors import ConfigError
from labelgate.guidelines.parser import parse_guideline

GUIDE = """
---
kind: guideline
format_version: 1
schema: sentiment
version: "1.1.0"
---

# Sentiment

## Label: positive

### R-001: Faint praise
Applies to: positive, neutral

Text.

```markdown
### R-999: inside a code fence, not a ruling
```

## Label: `negative`

### R-002: Delivery complaints

## FAQ

### R-003: General ruling
Applies to: neutral
"""


def parse(text: str) -> object:
    return parse_guideline(textwrap.dedent(text).lstrip(), "guidelines/g.md")


def test_sections_and_rulings_with_lines_and_labels() -> None:
    guide, positions = parse_guideline(textwrap.dedent(GUIDE).lstrip(), "g.md")
    assert guide.front.schema_ == "sentiment"
    assert guide.front.version == "1.1.0"
    assert [(s.label, s.line) for s in guide.sections] == [("positive", 10), ("negative", 21)]
    assert [(r.id, r.labels) for r in guide.rulings] == [
        ("R-001", ("positive", "neutral")),
        ("R-002", ("negative",)),
        ("R-003", ("neutral",)),
    ]
    assert guide.rulings[0].line == 12
    assert guide.rulings[0].title == "Faint praise"
    # Front-matter positions are shifted past the opening '---'.
    assert positions.locate(("version",)) == (5, 1)


def test_missing_front_matter() -> None:
    with pytest.raises(
        ConfigError, match=r"guidelines/g.md:1:1: guideline has no YAML front matter"
    ):
        parse("# Title\n\n## Label: a\n")


def test_unclosed_front_matter() -> None:
    with pytest.raises(ConfigError, match=r"front matter is not closed"):
        parse("---\nkind: guideline\n")


def test_front_matter_errors_have_file_positions() -> None:
    text = GUIDE.replace('version: "1.1.0"', "version: 1.x")
    with pytest.raises(
        ConfigError, match=r"guidelines/g.md:5:1: version: version '1.x' is not semantic"
    ):
        parse(text)


def test_malformed_front_matter_yaml() -> None:
    text = GUIDE.replace("schema: sentiment", "schema: [sentiment")
    with pytest.raises(ConfigError, match=r"guidelines/g.md:\d+:\d+: invalid YAML"):
        parse(text)


def test_malformed_ruling_id() -> None:
    text = GUIDE.replace("### R-002: Delivery", "### R-2: Delivery")
    with pytest.raises(
        ConfigError,
        match=r"guidelines/g.md:23:1: ruling heading '### R-2: Delivery complaints' does not follow the id format",
    ):
        parse(text)
