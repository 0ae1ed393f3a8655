"""Vega-Lite chart specs for the HTML report, rendered to static SVG at build time.

Specs are plain data (the same spec renders interactively with vega-embed); `svg` renders
one with vl-convert (the Vega team's renderer, no browser and no network), so a page carries
SVG and no chart library. The SVG is deterministic (same spec, same bytes) and escapes every
string it draws; `svg` also gives each chart's ids a prefix, so two charts on a page never
share a clip-path id.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # a name, never fetched
CONFIG: dict[str, Any] = {
    # aria labels repeat every datum as text: off, to keep pages small (the tables carry them).
    "aria": False,
    # Text is laid out with Liberation Sans, which vl-convert bundles (so the layout does not
    # depend on the fonts a machine has) and which has Arial's and Helvetica's metrics (so the
    # text fits where a browser draws it with those). The padding absorbs wider fallbacks.
    "font": "Liberation Sans, Arial, Helvetica, sans-serif",
    "padding": {"left": 24, "right": 24, "top": 5, "bottom": 5},
    "view": {"stroke": None},
    "axis": {"labelLimit": 180, "titleFontWeight": "normal", "titlePadding": 10},
    "legend": {"labelLimit": 180},
}
WIDTH = 520
_ID = re.compile(r'\bid="([^"]+)"')
_REFERENCE = re.compile(r'(\bid="([^"]+)")|(url\(#([^)]+)\))')


def _spec(values: list[dict[str, Any]], body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"$schema": SCHEMA, "config": CONFIG, "data": {"values": values}, **extra, **body}


def bar_chart(
    values: list[dict[str, Any]], category: str, measure: str, title: str, domain: list[float]
) -> dict[str, Any]:
    """Horizontal bars, one per category in the order given; `domain` fixes the value axis."""
    body = {
        "mark": {"type": "bar", "color": "#4c78a8"},
        "encoding": {
            "y": {"field": category, "type": "nominal", "sort": None, "title": None},
            "x": {
                "field": measure,
                "type": "quantitative",
                "title": title,
                "scale": {"domain": domain},
            },
        },
    }
    return _spec(values, body, width=WIDTH - 180, height={"step": 16})


def interval_chart(values: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """Point estimates (`value`) with their intervals (`low`, `high`), one row per `name`."""
    y = {"field": "name", "type": "nominal", "sort": None, "title": None}
    x = {"type": "quantitative", "title": title, "scale": {"zero": False}}
    body = {
        "layer": [
            {
                "mark": {"type": "rule", "color": "#888"},
                "encoding": {"y": y, "x": {**x, "field": "low"}, "x2": {"field": "high"}},
            },
            {
                "mark": {"type": "point", "filled": True, "color": "#4c78a8", "size": 50},
                "encoding": {"y": y, "x": {**x, "field": "value"}},
            },
        ]
    }
    return _spec(values, body, width=WIDTH - 120, height={"step": 24})


def trend_chart(values: list[dict[str, Any]], order: list[str], title: str) -> dict[str, Any]:
    """One line per coefficient (`name`) across groups (`group`, in `order`)."""
    body = {
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "group", "type": "ordinal", "sort": order, "title": title},
            "y": {"field": "value", "type": "quantitative", "scale": {"zero": False}},
            "color": {"field": "name", "type": "nominal", "title": None},
        },
    }
    return _spec(values, body, width=WIDTH - 200, height=180)


def heatmap(values: list[dict[str, Any]], order: list[str]) -> dict[str, Any]:
    """Counts of annotator labels (`given`) against final labels (`final`), with the count
    written in each cell."""
    x = {"field": "given", "type": "nominal", "sort": order, "title": "annotator's label"}
    y = {"field": "final", "type": "nominal", "sort": order, "title": "final label"}
    body = {
        "encoding": {"x": x, "y": y},
        "layer": [
            {
                "mark": "rect",
                "encoding": {
                    "color": {
                        "field": "share",
                        "type": "quantitative",
                        "title": "share of row",
                        "scale": {"scheme": "blues", "domain": [0, 1]},
                    }
                },
            },
            {
                "mark": {"type": "text", "fontSize": 10},
                "encoding": {
                    "text": {"field": "n", "type": "quantitative"},
                    "color": {
                        "condition": {"test": "datum.share > 0.5", "value": "white"},
                        "value": "black",
                    },
                },
            },
        ],
    }
    side = min(WIDTH - 160, 28 * max(len(order), 1))
    return _spec(values, body, width=side, height=side)


@functools.lru_cache(maxsize=256)
def _render(text: str) -> str:
    import vl_convert  # imported here: 30 MB of renderer, loaded only when a chart is drawn

    svg: str = vl_convert.vegalite_to_svg(json.loads(text))
    return svg


def svg(spec: dict[str, Any], prefix: str) -> str:
    """The chart as an SVG element; its ids (and references to them) are `prefix-1`, `prefix-2`
    ... in order of appearance. The renderer numbers gradients and clip paths with a counter
    that lives as long as the process, so its own ids depend on what was drawn before."""
    text = _render(json.dumps(spec, sort_keys=True))
    names: dict[str, str] = {}
    for name in _ID.findall(text):
        names.setdefault(name, f"{prefix}-{len(names) + 1}")

    def rename(match: re.Match[str]) -> str:
        name = match.group(2) or match.group(4)
        if name not in names:
            return match.group(0)
        return f'id="{names[name]}"' if match.group(1) else f"url(#{names[name]})"

    return _REFERENCE.sub(rename, text)
