"""The one-vote rule shared by the stages: one annotation per (item, annotator)."""

from __future__ import annotations

import pandas as pd

from labelgate.config import columns as col


def unique_annotations(annotations: pd.DataFrame) -> pd.DataFrame:
    """One annotation per (item, annotator): the first in source order (validate reports the rest)."""
    return annotations.drop_duplicates([col.ITEM_ID, col.ANNOTATOR_ID], keep="first")
