"""GLAD by item partition: one partition gives the whole-array numbers, several agree with it
to rounding, and the Dask engine gives the local engine's bits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelgate.aggregation.glad import Glad
from labelgate.backends.executor import LocalExecutor
from tests.crowds import synthetic_crowd

LABELS = ["a", "b", "c"]


def crowd(seed: int) -> pd.DataFrame:
    """Items of mixed difficulty with 1-5 annotations from annotators of mixed ability."""
    return synthetic_crowd(seed, LABELS, 500, 20, varied_difficulty=True)[0]


GOLD = pd.Series(["a", "b", "c"], index=["i00000", "i00001", "i00002"])


def fit(executor: object, **params: object) -> Glad:
    model = Glad(labels=LABELS, **params).use_engine(executor)  # type: ignore[arg-type]
    return model.fit(crowd(21), GOLD)  # type: ignore[return-value]


@pytest.mark.parametrize("params", [{}, {"learn_priors": True}, {"clamp_gold": True}])
def test_partitions_agree_with_one_partition_to_rounding(params: dict[str, object]) -> None:
    whole = fit(LocalExecutor(), **params)
    parts = fit(LocalExecutor(150), **params)
    assert parts.n_iter_ == whole.n_iter_
    pd.testing.assert_series_equal(parts.labels_, whole.labels_)
    np.testing.assert_allclose(parts.probas_.to_numpy(), whole.probas_.to_numpy(), atol=1e-9)
    np.testing.assert_allclose(parts.alphas_, whole.alphas_, atol=1e-9)
    np.testing.assert_allclose(parts.betas_, whole.betas_, rtol=1e-9)
    np.testing.assert_allclose(parts.loss_history_, whole.loss_history_, rtol=1e-12)


def test_difficulties_are_learned_per_item() -> None:
    model = fit(LocalExecutor(150))
    assert model.betas_.shape == (500,)
    assert model.alphas_.shape == (20,)
    assert np.ptp(np.log(model.betas_)) > 0.1  # items differ in difficulty


def test_dask_gives_the_local_bits(dask_client: object) -> None:
    from labelgate.backends.dask_executor import DaskExecutor

    # A few iterations: each is seven round trips to the workers.
    local = fit(LocalExecutor(150), learn_priors=True, max_iter=4)
    remote = fit(DaskExecutor(dask_client, 150), learn_priors=True, max_iter=4)
    assert remote.loss_history_ == local.loss_history_
    np.testing.assert_array_equal(remote.probas_.to_numpy(), local.probas_.to_numpy())
    np.testing.assert_array_equal(remote.alphas_, local.alphas_)
    np.testing.assert_array_equal(remote.betas_, local.betas_)
