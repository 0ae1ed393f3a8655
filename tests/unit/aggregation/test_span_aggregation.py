"""Span aggregation: hand examples, order invariance, a naive re-implementation of both
rules on random data, and the doccano two-user export."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from labelgate.aggregation.spans import ITEM_COLUMNS, SPAN_COLUMNS, aggregate_spans
from tests.conftest import SHARED

DOCCANO = (
    SHARED / "data/real/tool_exports/doccano/doccano_transformer_tests/labeling_labeling.jsonl"
)

TEXT = "Barack Obama visited Paris ."
ITEMS = pd.DataFrame({"item_id": ["a", "b", "c"], "text": [TEXT, "abcdef", "xy"]})
# Item a: x, y, z. x and y mark "Barack Obama" PER, z marks "Obama" PER; x says Paris LOC,
# y says Paris ORG. Item b: x and y looked; only x marks [0,3) X (a 1-1 tie). Item c: one
# annotator. Item d: x and y looked, nothing marked.
ANNOTATIONS = pd.DataFrame(
    {
        "item_id": ["a", "a", "a", "b", "b", "c", "d", "d"],
        "annotator_id": ["x", "y", "z", "x", "y", "x", "x", "y"],
    }
)
SPANS = pd.DataFrame(
    {
        "item_id": ["a", "a", "a", "a", "a", "b", "c"],
        "annotator_id": ["x", "y", "z", "x", "y", "x", "x"],
        "start": [0, 0, 7, 21, 21, 0, 0],
        "end": [12, 12, 12, 26, 26, 3, 2],
        "label": ["PER", "PER", "PER", "LOC", "ORG", "X", "Y"],
        "text": ["Barack Obama", "Barack Obama", "Obama", "Paris", "Paris", "abc", "xy"],
    }
)


def test_exact_rule_hand_example() -> None:
    out = aggregate_spans(ANNOTATIONS, SPANS, ITEMS, rule="exact")
    assert tuple(out.spans.columns) == SPAN_COLUMNS
    assert tuple(out.items.columns) == ITEM_COLUMNS
    rows = out.spans.to_dict("records")
    # [0,12) PER: 2 of 3 > 1.5 kept; [7,12): 1 of 3; LOC, ORG: 1 of 3 each; b: 1 of 2 = tie.
    assert rows == [
        {"item_id": "a", "start": 0, "end": 12, "label": "PER", "text": "Barack Obama",
         "confidence": pytest.approx(2 / 3), "n_annotators": 3, "n_agreeing": 2},
        {"item_id": "c", "start": 0, "end": 2, "label": "Y", "text": "xy",
         "confidence": 1.0, "n_annotators": 1, "n_agreeing": 1},
    ]  # fmt: skip
    status = dict(zip(out.items["item_id"], out.items["status"], strict=True))
    assert status == {"a": "aggregated", "b": "unresolved", "c": "aggregated", "d": "agreed"}
    assert out.items["n_spans"].tolist() == [1, 0, 1, 0]


def test_overlap_rule_hand_example() -> None:
    out = aggregate_spans(ANNOTATIONS, SPANS, ITEMS, rule="overlap")
    first = out.spans.iloc[0].to_dict()
    # The PER cluster {[0,12) x2, [7,12)} has all 3 annotators; [0,12) is the most common.
    assert first == {
        "item_id": "a", "start": 0, "end": 12, "label": "PER", "text": "Barack Obama",
        "confidence": 1.0, "n_annotators": 3, "n_agreeing": 3,
    }  # fmt: skip
    assert len(out.spans) == 2  # LOC and ORG are different labels: 1 of 3 each


def test_overlap_boundaries_ties_take_earliest_then_shortest() -> None:
    ann = pd.DataFrame({"item_id": ["i"] * 3, "annotator_id": ["p", "q", "r"]})
    spans = pd.DataFrame(
        {
            "item_id": ["i"] * 3,
            "annotator_id": ["p", "q", "r"],
            "start": [2, 0, 0],
            "end": [6, 6, 4],
            "label": ["L"] * 3,
        }
    )
    out = aggregate_spans(ann, spans, rule="overlap")
    assert out.spans[["start", "end", "n_agreeing"]].values.tolist() == [[0, 4, 3]]
    assert out.spans["text"].tolist() == [""]  # no text anywhere


def test_duplicate_spans_of_one_annotator_count_once() -> None:
    ann = pd.DataFrame({"item_id": ["i"] * 3, "annotator_id": ["p", "q", "r"]})
    spans = pd.DataFrame(
        {"item_id": ["i"] * 3, "annotator_id": ["p", "p", "q"], "start": [0, 0, 5],
         "end": [3, 3, 8], "label": ["L"] * 3}
    )  # fmt: skip
    for rule in ("exact", "overlap"):
        assert aggregate_spans(ann, spans, rule=rule).spans.empty


def test_unknown_rule() -> None:
    with pytest.raises(ValueError, match="unknown rule"):
        aggregate_spans(ANNOTATIONS, SPANS, rule="fuzzy")  # type: ignore[arg-type]


def random_frames(seed: int, n_items: int = 50) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ann, spans = [], []
    for item in range(n_items):
        for who in range(int(rng.integers(1, 6))):
            ann.append((f"i{item}", f"w{who}"))
            for _ in range(int(rng.integers(0, 4))):
                start = int(rng.integers(0, 4)) * 6 + int(rng.integers(0, 2))
                end = start + int(rng.integers(2, 6))
                spans.append((f"i{item}", f"w{who}", start, end, str(rng.choice(["A", "B"]))))
    return (
        pd.DataFrame(ann, columns=["item_id", "annotator_id"]),
        pd.DataFrame(spans, columns=["item_id", "annotator_id", "start", "end", "label"]),
    )


def find(parent: list[int], i: int) -> int:
    """Union-find root."""
    while parent[i] != i:
        i = parent[i]
    return i


def naive(ann: pd.DataFrame, spans: pd.DataFrame, rule: str) -> set[tuple[str, int, int, str, int]]:
    """(item, start, end, label, n_agreeing) of the final spans, by loops and union-find."""
    looked: Counter[str] = Counter(ann.drop_duplicates()["item_id"].tolist())
    columns = [spans[c].tolist() for c in ("item_id", "annotator_id", "start", "end", "label")]
    marks: set[tuple[str, str, int, int, str]] = set(zip(*columns, strict=True))
    out: set[tuple[str, int, int, str, int]] = set()
    for item, n in looked.items():
        mine = [m for m in marks if m[0] == item]
        if rule == "exact":
            votes = Counter((s, e, lab) for _, _, s, e, lab in mine)
            out |= {(item, s, e, lab, v) for (s, e, lab), v in votes.items() if 2 * v > n}
            continue
        parent = list(range(len(mine)))

        for i in range(len(mine)):
            for j in range(i):
                if mine[i][4] == mine[j][4] and mine[i][2] < mine[j][3] and mine[j][2] < mine[i][3]:
                    parent[find(parent, i)] = find(parent, j)
        clusters: dict[int, list[tuple[str, str, int, int, str]]] = {}
        for i, m in enumerate(mine):
            clusters.setdefault(find(parent, i), []).append(m)
        for members in clusters.values():
            support = len({m[1] for m in members})
            if 2 * support <= n:
                continue
            counts = Counter((m[2], m[3]) for m in members)
            s, e = min(counts, key=lambda b: (-counts[b], b[0], b[1] - b[0]))
            out.add((item, s, e, members[0][4], support))
    return out


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("rule", ["exact", "overlap"])
def test_equals_naive_and_ignores_order(seed: int, rule: str) -> None:
    ann, spans = random_frames(seed)
    out = aggregate_spans(ann, spans, rule=rule)  # type: ignore[arg-type]
    columns = ("item_id", "start", "end", "label", "n_agreeing")
    found = set(zip(*[out.spans[c].tolist() for c in columns], strict=True))
    assert found == naive(ann, spans, rule)
    again = aggregate_spans(
        ann.sample(frac=1, random_state=seed),
        spans.sample(frac=1, random_state=seed),
        rule=rule,  # type: ignore[arg-type]
    )
    pd.testing.assert_frame_equal(out.spans, again.spans)
    pd.testing.assert_frame_equal(out.items, again.items)
    np.testing.assert_allclose(
        out.spans["confidence"], out.spans["n_agreeing"] / out.spans["n_annotators"]
    )


@pytest.mark.skipif(not DOCCANO.exists(), reason="needs ../shared real data")
def test_doccano_two_users() -> None:
    """Users 1 and 2 mark the same 5 spans on item 2578 (kept, agreed); user 2 alone marks 6
    on 2580 (kept, confidence 1). Checked against the raw JSON, read here without the importer."""
    from labelgate.io.importers import doccano

    imported = doccano.read(DOCCANO, "labeling_labeling.jsonl")
    out = aggregate_spans(imported.annotations, imported.spans, imported.items, rule="exact")
    records = [json.loads(line) for line in DOCCANO.read_text().splitlines() if line.strip()]
    expected = set()
    for record in records:
        users = {a["user"] for a in record["annotations"]}
        votes = Counter(
            (a["start_offset"], a["end_offset"], str(a["label"])) for a in record["annotations"]
        )
        for (s, e, label), v in votes.items():
            if 2 * v > len(users):
                expected.add((str(record["id"]), s, e, label, record["text"][s:e], v, len(users)))
    found = {
        (r.item_id, r.start, r.end, r.label, r.text, r.n_agreeing, r.n_annotators)
        for r in out.spans.itertuples()
    }
    assert found == expected
    assert len(found) == 11
    status = dict(zip(out.items["item_id"], out.items["status"], strict=True))
    assert status == {"2578": "agreed", "2580": "aggregated"}
    overlap = aggregate_spans(imported.annotations, imported.spans, imported.items, rule="overlap")
    pd.testing.assert_frame_equal(out.spans, overlap.spans)


def test_text_from_spans_without_items_and_empty_input() -> None:
    out = aggregate_spans(ANNOTATIONS, SPANS, items=None)
    assert out.spans["text"].tolist() == ["Barack Obama", "xy"]
    empty = aggregate_spans(ANNOTATIONS, SPANS.iloc[:0], ITEMS, rule="overlap")
    assert empty.spans.empty
    assert tuple(empty.spans.columns) == SPAN_COLUMNS
    status = dict(zip(empty.items["item_id"], empty.items["status"], strict=True))
    assert status == {"a": "agreed", "b": "agreed", "c": "aggregated", "d": "agreed"}
