"""Windows and the shared id codes: integer codes agree with the string operations they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelgate.analysis.encoding import positions
from labelgate.analysis.windows import (
    assign_windows,
    id_codes,
    sorted_codes,
)

ANNOTATIONS = pd.DataFrame(
    {
        "item_id": ["i3", "i1", "i3", "i2", "i1", "i4"],
        "annotator_id": ["b", "a", "a", "b", "c", "a"],
        "label": ["x", "y", "x", "x", "y", "y"],
        "batch": ["b2", "b2", "b1", "b1", None, "b3"],
        "annotated_at": [
            "2026-10-03T10:00:00Z",
            "2026-10-03T09:00:00Z",
            "2026-10-01T10:00:00Z",
            None,
            "2026-10-02T10:00:00Z",
            None,
        ],
    }
).astype({"item_id": "str", "annotator_id": "str", "batch": "str"})


def test_sorted_codes_follow_id_order() -> None:
    codes, uniques = sorted_codes(pd.Series(["b", "a", None, "b"], dtype="str"))
    assert uniques.tolist() == ["a", "b"]
    assert codes.tolist() == [1, 0, -1, 1]


@pytest.mark.parametrize("values", [["i2", "zz", "i1", "i2", None], ["i1"], []])
def test_positions_match_get_indexer(values: list[str | None]) -> None:
    index = pd.Index([f"i{k}" for k in range(40)], dtype="str")
    target = pd.Series(values, dtype="str")
    expected = pd.Index(index.to_numpy(dtype=object)).get_indexer(target.to_numpy(dtype=object))
    assert positions(target, index).tolist() == expected.tolist()


def test_positions_of_the_index_itself_and_a_large_target() -> None:
    index = pd.Index(["a", "b", "c"], dtype="str")
    assert positions(pd.Series(["a", "b", "c"], dtype="str"), index).tolist() == [0, 1, 2]
    target = pd.Series(["c", "a", "x", "b", "c"], dtype="str")
    assert positions(target, index).tolist() == [2, 0, -1, 1, 2]
    assert positions(target, pd.Index([], dtype="str")).tolist() == [-1] * 5


def test_id_codes() -> None:
    ids = id_codes(ANNOTATIONS)
    assert ids.item_ids.tolist() == ["i1", "i2", "i3", "i4"]
    assert ids.item.tolist() == [2, 0, 2, 1, 0, 3]
    assert ids.annotator_ids.tolist() == ["a", "b", "c"]
    assert ids.annotator.tolist() == [1, 0, 0, 1, 2, 0]


@pytest.mark.parametrize("kind", ["batch", "day", "week", "month"])
def test_windows_with_and_without_shared_codes(kind: str) -> None:
    own = assign_windows(ANNOTATIONS, kind)  # type: ignore[arg-type]
    shared = assign_windows(ANNOTATIONS, kind, id_codes(ANNOTATIONS))  # type: ignore[arg-type]
    assert own.order == shared.order
    pd.testing.assert_series_equal(own.of_item, shared.of_item)
    assert own.rank is not None
    assert shared.rank is not None
    assert np.array_equal(own.rank, shared.rank)


def test_batch_windows_and_where_items_entered() -> None:
    windows = assign_windows(ANNOTATIONS, "batch")
    # b1 holds the earliest timestamp, b2 the next; b3 has none, so it comes last.
    assert windows.order == ("b1", "b2", "b3")
    assert windows.of_item.to_dict() == {"i1": "b2", "i2": "b1", "i3": "b1", "i4": "b3"}
    assert windows.of_item.index.tolist() == ["i1", "i2", "i3", "i4"]
    assert windows.rank is not None
    assert windows.rank.tolist() == [1, 1, 0, 0, -1, 2]
    assert windows.n_without_window == 1


def test_day_windows_pick_the_earliest_day_then_row() -> None:
    windows = assign_windows(ANNOTATIONS, "day")
    assert windows.order == ("2026-10-01", "2026-10-02", "2026-10-03")
    assert windows.of_item.to_dict() == {"i1": "2026-10-02", "i3": "2026-10-01"}
    assert windows.n_without_window == 2
