"""What a model reads and what its predictions table holds, without the model itself."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from labelgate.config import columns as col
from labelgate.config.pipeline import ModelStep
from labelgate.config.schema import Schema

# Final labels a person or the crowd settled; unresolved items are predicted, never trained on.
TRAINED_STATUSES = ("agreed", "aggregated", "adjudicated")


def model_fields(step: ModelStep | None, schema: Schema) -> list[str]:
    """The item fields the model reads: the pipeline's list, else the schema's string item
    fields, else `text`."""
    if step is not None and step.fields:
        return list(step.fields)
    strings = [f.name for f in schema.item_fields if f.type == "string"]
    return strings or ["text"]


NUMERIC_FIELD_TYPES = ("integer", "float", "boolean")
_BOOLEAN = {"true": 1.0, "yes": 1.0, "1": 1.0, "false": 0.0, "no": 0.0, "0": 0.0}


def numeric_fields(items: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """The schema's integer, float and boolean item fields the items have, as float64 (booleans
    1 or 0). A value that is not one (validation reports it) is missing, so one stray value
    never turns a number into a category."""
    out = {}
    for spec in schema.item_fields:
        if spec.type not in NUMERIC_FIELD_TYPES or spec.name not in items.columns:
            continue
        text = items[spec.name].astype("string").str.strip()
        if spec.type == "boolean":
            values = text.str.lower().map(_BOOLEAN)
        else:
            values = pd.to_numeric(text, errors="coerce")
        out[spec.name] = values.astype("float64").to_numpy()
    return pd.DataFrame(out, index=items.index)


def model_text(items: pd.DataFrame, fields: Sequence[str]) -> pd.Series:
    """Each item's fields joined by a newline, as the model reads them; missing -> ''."""
    parts = [items[f].astype("string").fillna("") for f in fields]
    text = parts[0]
    for part in parts[1:]:
        text = text + "\n" + part
    return pd.Series(text.to_numpy(dtype=object), index=items[col.ITEM_ID].to_numpy())


def probability_matrix(
    frame: pd.DataFrame, item_ids: Sequence[str], label_ids: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities (n, K) for `item_ids`, has_prediction (n,) bool) from a predictions table."""
    indexed = frame.set_index(col.ITEM_ID).reindex(list(item_ids))
    values = indexed[list(label_ids)].to_numpy(dtype=np.float64, copy=True)
    has = ~np.isnan(values).any(axis=1)
    values[~has] = 1.0 / len(label_ids)
    return values, has
