"""Wawa and ZBS by item partition: the same bits for every partition size and engine, since
vote shares stay per item and an annotator's agreement is two exact counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelgate.aggregation.base import Aggregator, encode
from labelgate.aggregation.majority_vote import vote_shares
from labelgate.aggregation.wawa import Wawa, ZeroBasedSkill
from labelgate.backends.executor import LocalExecutor
from tests.crowds import synthetic_crowd

LABELS = ["a", "b", "c"]


def crowd(seed: int) -> pd.DataFrame:
    """Items with 1-4 annotations from annotators of mixed accuracy, rows in no item order."""
    return synthetic_crowd(seed, LABELS, 400, 15, most_per_item=4, skill=(0.3, 0.95))[0]


GOLD = pd.Series(["a", "b", "c", "a"], index=["i00000", "i00001", "i00002", "i00003"])


def fit(model: type[Aggregator], frame: pd.DataFrame, executor: object) -> Aggregator:
    return model(labels=LABELS).use_engine(executor).fit(frame, GOLD)  # type: ignore[arg-type]


@pytest.mark.parametrize("model", [Wawa, ZeroBasedSkill])
@pytest.mark.parametrize("rows", [1, 7, 250])
def test_any_partition_size_gives_the_bits_of_one_partition(
    model: type[Aggregator], rows: int
) -> None:
    frame = crowd(11)
    whole = fit(model, frame, LocalExecutor())
    parts = fit(model, frame, LocalExecutor(rows))
    np.testing.assert_array_equal(parts.skills_, whole.skills_)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(parts.probas_.to_numpy(), whole.probas_.to_numpy())
    pd.testing.assert_series_equal(parts.labels_, whole.labels_)


def test_wawa_is_the_vote_weighted_by_agreement_with_the_vote_or_gold() -> None:
    # The definition on whole arrays, for the partitioned fit to match.
    frame = crowd(12)
    codes = encode(frame, LABELS, GOLD)
    _, a, _ = codes.shape
    reference = np.where(codes.gold >= 0, codes.gold, vote_shares(codes).argmax(axis=1))
    right = np.bincount(codes.annotators, weights=codes.labels == reference[codes.items])
    skills = right / np.maximum(np.bincount(codes.annotators, minlength=a), 1)
    model = fit(Wawa, frame, LocalExecutor(9))
    np.testing.assert_array_equal(model.skills_, skills)  # type: ignore[attr-defined]
    expected = vote_shares(codes, np.maximum(skills, 0.0) + 1e-9)
    np.testing.assert_array_equal(model.probas_.to_numpy(), expected)


@pytest.mark.parametrize("model", [Wawa, ZeroBasedSkill])
def test_dask_gives_the_local_bits(model: type[Aggregator], dask_client: object) -> None:
    from labelgate.backends.dask_executor import DaskExecutor

    frame = crowd(13)
    local = fit(model, frame, LocalExecutor())
    remote = fit(model, frame, DaskExecutor(dask_client, 120))
    np.testing.assert_array_equal(remote.skills_, local.skills_)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(remote.probas_.to_numpy(), local.probas_.to_numpy())
