"""SVG charts are the same bytes whatever the process drew before, with ids unique per chart."""

from __future__ import annotations

import re

from labelgate.report import charts


def _heatmap(scale: int) -> dict[str, object]:
    labels = ["a", "b"]
    values = [
        {"given": g, "final": f, "n": scale * (1 + i + 2 * j), "share": (1 + i + 2 * j) / 10}
        for i, g in enumerate(labels)
        for j, f in enumerate(labels)
    ]
    return charts.heatmap(values, labels)


def test_ids_do_not_depend_on_what_was_drawn_before() -> None:
    first = charts.svg(_heatmap(1), "confusion")
    charts.svg(_heatmap(7), "other")  # the renderer's gradient counter moves on
    charts._render.cache_clear()  # as in a new process that drew charts in another order
    again = charts.svg(_heatmap(1), "confusion")
    assert again == first


def test_every_id_is_prefixed_and_every_reference_resolves() -> None:
    text = charts.svg(_heatmap(3), "confusion")
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert ids, "a heatmap has a legend gradient and clip paths"
    assert all(re.fullmatch(r"confusion-\d+", i) for i in ids)
    assert len(ids) == len(set(ids))
    assert set(re.findall(r"url\(#([^)]+)\)", text)) <= set(ids)
