"""The one-vote rule shared by the stages, and id columns as shared integer codes."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd

from labelgate.config import columns as col


def unique_annotations(annotations: pd.DataFrame) -> pd.DataFrame:
    """One annotation per (item, annotator): the first in source order (validate reports the rest)."""
    return annotations.drop_duplicates([col.ITEM_ID, col.ANNOTATOR_ID], keep="first")


def codes_together(*columns: pd.Series) -> tuple[list[np.ndarray], pd.Index]:
    """Integer codes of several columns over one shared set of values (-1: missing).

    One factorisation instead of string joins, merges or `isin` on each pair of columns."""
    codes, uniques = pd.factorize(pd.concat(columns, ignore_index=True))
    bounds = np.cumsum([0, *(len(c) for c in columns)])
    return [codes[a:b] for a, b in pairwise(bounds)], uniques


def first_votes(item_codes: np.ndarray, annotator_codes: np.ndarray) -> np.ndarray:
    """Mask of the first annotation per (item, annotator): `unique_annotations`' rule, on codes."""
    width = int(annotator_codes.max(initial=-1)) + 2
    key = (item_codes.astype(np.int64) + 1) * width + (annotator_codes + 1)
    return ~pd.Series(key).duplicated().to_numpy()
