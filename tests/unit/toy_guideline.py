"""A three-label guideline with one ruling on the x/y pair, for the feedback tests."""

from __future__ import annotations

import textwrap

from labelgate.config.guideline import Guideline
from labelgate.guidelines.parser import parse_guideline

LABELS = ["x", "y", "z"]
GUIDE = """
---
kind: guideline
format_version: 1
schema: toy
version: "{version}"
---

# Toy

## Label: x

X things.

### R-001: X or Y
Applies to: x, y

{ruling}

## Label: y

Y things.

## Label: z

Z things.
"""


def toy_guideline(
    version: str = "1.1.0", ruling: str = "Choose x when the thing is mostly X."
) -> Guideline:
    """The guideline parsed as the project loader parses guidelines/toy.md."""
    text = textwrap.dedent(GUIDE).lstrip().format(version=version, ruling=ruling)
    return parse_guideline(text, "guidelines/toy.md")[0]
