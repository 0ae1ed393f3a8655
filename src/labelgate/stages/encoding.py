"""Factorise ids to integer codes once, so metrics work on NumPy arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from labelgate.config import columns as col
from labelgate.config.schema import Schema
from labelgate.metrics.counts import FloatArray, IntArray


@dataclass(frozen=True)
class Encoded:
    """Annotations as codes: items (A,), annotators (A,), labels (A,) with their id tables."""

    items: IntArray
    annotators: IntArray
    labels: IntArray
    item_ids: pd.Index
    annotator_ids: pd.Index
    label_ids: list[str]
    values: FloatArray  # numeric value of each label code (its index for nominal schemas)


def unique_annotations(annotations: pd.DataFrame) -> pd.DataFrame:
    """One annotation per (item, annotator): the first in source order (the rule validate reports)."""
    return annotations.drop_duplicates([col.ITEM_ID, col.ANNOTATOR_ID], keep="first")


def encode(annotations: pd.DataFrame, schema: Schema) -> Encoded:
    """Codes for item, annotator and label; label codes follow the schema's label order."""
    item_codes, item_ids = pd.factorize(annotations[col.ITEM_ID], sort=True)
    annotator_codes, annotator_ids = pd.factorize(annotations[col.ANNOTATOR_ID], sort=True)
    label_codes = pd.Categorical(annotations[col.LABEL], categories=schema.label_ids).codes
    if schema.level == "nominal":
        values = np.arange(len(schema.labels), dtype=np.float64)
    else:
        values = np.array([float(label.value or 0.0) for label in schema.labels])
    return Encoded(
        items=item_codes.astype(np.int64),
        annotators=annotator_codes.astype(np.int64),
        labels=label_codes.astype(np.int64),
        item_ids=pd.Index(item_ids),
        annotator_ids=pd.Index(annotator_ids),
        label_ids=list(schema.label_ids),
        values=values,
    )
