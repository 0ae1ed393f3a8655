"""The HTML pages' shared parts: the Jinja environment (autoescape on), cells, tables, and the
content security policy that keeps a page offline.

Every page is one file: CSS, the table-sorting script and the charts' SVG are inline, and the
policy (`default-src 'none'`) forbids the browser to load anything, so a page works from a
disk, a CI artifact or an e-mail and cannot leak its viewer's address. The script is allowed
by its SHA-256, not by `unsafe-inline`: a string that slipped past escaping could not run.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

import jinja2
from markupsafe import Markup

SORT_SCRIPT = "sort.js"
STYLE = "style.css"


@dataclass(frozen=True)
class Cell:
    """One table cell: the text shown and the key a column sorts by (a number or text)."""

    text: str
    sort: float | str = ""
    css: str = ""


@dataclass(frozen=True)
class Table:
    """A table's header (`numeric` marks columns sorted as numbers) and rows of cells."""

    columns: list[str]
    rows: list[list[Cell]]
    numeric: set[int] = field(default_factory=set)
    caption: str = ""


def fmt(value: Any, digits: int = 3) -> str:
    """A value for people: `n/a` for none or NaN, integers as they are, other numbers with
    fixed decimals, text as it is."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit()):
        return str(value)
    number = as_number(value)
    if number is None:
        return "n/a" if value is None or value == "" or isinstance(value, float) else str(value)
    return f"{number:.{digits}f}"


def pct(value: Any) -> str:
    """A share as a percentage with one decimal; `n/a` for none."""
    number = as_number(value)
    return "n/a" if number is None else f"{number:.1%}"


def as_number(value: Any) -> float | None:
    """A float from a number or numeric CSV text; None for anything else (or NaN)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return None if math.isnan(value) else float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return None if math.isnan(number) else number
    return None


def num_cell(value: Any, digits: int = 3) -> Cell:
    """A numeric cell: formatted text, sorted by value (missing values sort first)."""
    number = as_number(value)
    return Cell(fmt(value, digits), -1e300 if number is None else number)


def text_cell(value: Any) -> Cell:
    """A text cell, sorted as text."""
    text = "" if value is None else str(value)
    return Cell(text, text.casefold())


@functools.cache
def environment() -> jinja2.Environment:
    """Templates from the package (`report/templates/`), every `{{ }}` HTML-escaped."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("labelgate.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    env.filters["pct"] = pct
    return env


def _asset(name: str) -> str:
    loader = environment().loader
    assert loader is not None  # set above; for mypy
    source, _, _ = loader.get_source(environment(), name)
    return source


def _csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return (
        "default-src 'none'; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def render_page(template: str, **context: Any) -> str:
    """A whole page: `template` with the shared style, script and policy."""
    script = _asset(SORT_SCRIPT)
    return (
        environment()
        .get_template(template)
        .render(
            style=Markup(_asset(STYLE)),  # our own file, shipped with the package
            script=Markup(script),  # ours, allowed by its hash in the policy
            csp=_csp(script),
            **context,
        )
    )
