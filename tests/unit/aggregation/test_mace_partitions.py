"""MACE by item partition: one partition is the whole-data EM to the bit, several agree with it
to rounding, and the Dask engine equals the local engine bit for bit on the same partitions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from labelgate.aggregation.base import Codes, normalize_log_joint
from labelgate.aggregation.mace import Mace
from labelgate.aggregation.majority_vote import vote_shares
from labelgate.backends.executor import Executor, LocalExecutor
from labelgate.backends.partitions import by_item
from labelgate.metrics.counts import FloatArray
from tests.crowds import synthetic_crowd

LABELS = ["a", "b", "c", "d"]
ONE_PARTITION = 10**9
ROWS = 300  # annotations per partition: about ten partitions of `crowd()`


def crowd(seed: int, n_items: int = 1000) -> tuple[pd.DataFrame, pd.Series]:
    """Imbalanced classes, 1-5 annotations per item, a few spammers; and gold on 20 items."""
    shares = [0.55, 0.25, 0.15, 0.05]
    frame, truth = synthetic_crowd(seed, LABELS, n_items, 25, class_shares=shares)
    gold = pd.Series([LABELS[t] for t in truth[:20]], index=[f"i{i:05d}" for i in range(20)])
    return frame, gold


def whole_data_mace(codes: Codes, model: Mace) -> tuple[FloatArray, list[float]]:
    """MACE's EM on all the codes at once (no partitions): posteriors and loss history."""
    n, a, k = codes.shape

    def m_step(post: FloatArray, theta: FloatArray, xi: FloatArray) -> tuple[FloatArray, ...]:
        th = theta[codes.annotators]
        x = xi[codes.annotators, codes.labels]
        competent = post[codes.items, codes.labels] * th / (th + (1.0 - th) * x)
        seen = np.bincount(codes.annotators, minlength=a)
        hits = np.bincount(codes.annotators, weights=competent, minlength=a)
        theta = (hits + model.alpha) / (seen + model.alpha + model.beta)
        spam = np.bincount(
            codes.annotators * k + codes.labels, weights=1.0 - competent, minlength=a * k
        )
        smoothed = spam.reshape(a, k) + model.smoothing
        counts = post.sum(axis=0) + 1.0
        priors = counts / counts.sum() if model.learn_priors else np.full(k, 1.0 / k)
        return theta, smoothed / smoothed.sum(axis=1, keepdims=True), priors

    def e_step(theta: FloatArray, xi: FloatArray, priors: FloatArray) -> tuple[FloatArray, float]:
        th = theta[codes.annotators]
        spam = (1.0 - th) * xi[codes.annotators, codes.labels]
        bonus = np.log(th + spam) - np.log(spam)
        joint = np.bincount(codes.items, weights=np.log(spam), minlength=n)[:, None]
        at_label = np.bincount(codes.items * k + codes.labels, weights=bonus, minlength=n * k)
        joint = joint + at_label.reshape(n, k)
        joint += np.log(priors)
        return normalize_log_joint(joint)

    post = vote_shares(codes)
    theta, xi, priors = m_step(post, np.full(a, 0.8), np.full((a, k), 1.0 / k))
    history: list[float] = []
    for _ in range(model.max_iter):
        post, loglik = e_step(theta, xi, priors)
        history.append(-loglik / n)
        if len(history) > 1 and abs(history[-2] - history[-1]) < model.tol:
            break
        theta, xi, priors = m_step(post, theta, xi)
    return post, history


def fit(frame: pd.DataFrame, gold: pd.Series | None, executor: Executor, **params: Any) -> Mace:
    """Mace on `LABELS` with `params`, its EM run on `executor`'s partitions."""
    model = Mace(labels=LABELS, **params)
    model.use_engine(executor).fit(frame, gold)
    return model


@pytest.mark.parametrize("learn_priors", [True, False])
def test_one_partition_is_the_whole_data_em_to_the_bit(learn_priors: bool) -> None:
    frame, _ = crowd(1)
    model = fit(frame, None, LocalExecutor(ONE_PARTITION), learn_priors=learn_priors)
    posteriors, history = whole_data_mace(model.codes_, model)
    assert model.converged_
    assert model.n_iter_ == len(history)
    assert model.loss_history_ == history
    np.testing.assert_array_equal(model.probas_.to_numpy(), posteriors)


@pytest.mark.parametrize("learn_priors", [True, False])
@pytest.mark.parametrize("with_gold", [False, True])
def test_several_partitions_agree_with_one(learn_priors: bool, with_gold: bool) -> None:
    frame, gold = crowd(2)
    known = gold if with_gold else None
    whole = fit(frame, known, LocalExecutor(ONE_PARTITION), learn_priors=learn_priors)
    parts = fit(frame, known, LocalExecutor(ROWS), learn_priors=learn_priors)
    assert len(by_item(whole.codes_.items, len(whole.codes_.item_ids), ROWS)) > 5
    assert (parts.n_iter_, parts.converged_) == (whole.n_iter_, whole.converged_)
    pd.testing.assert_series_equal(parts.labels_, whole.labels_)
    np.testing.assert_allclose(parts.probas_.to_numpy(), whole.probas_.to_numpy(), atol=1e-9)
    np.testing.assert_allclose(parts.competence_, whole.competence_, atol=1e-9)
    np.testing.assert_allclose(parts.spam_, whole.spam_, atol=1e-9)
    np.testing.assert_allclose(parts.loss_history_, whole.loss_history_, rtol=1e-12)


def test_no_iteration_keeps_the_vote_shares_on_several_partitions() -> None:
    frame, _ = crowd(3, n_items=200)
    whole = fit(frame, None, LocalExecutor(ONE_PARTITION), max_iter=0)
    parts = fit(frame, None, LocalExecutor(100), max_iter=0)
    np.testing.assert_array_equal(parts.probas_.to_numpy(), vote_shares(whole.codes_))
    assert parts.loss_history_ == []
    assert not parts.converged_
    np.testing.assert_allclose(parts.competence_, whole.competence_, atol=1e-12)


def test_dask_mace_is_bit_identical_to_local(dask_client: object) -> None:
    from labelgate.backends.dask_executor import DaskExecutor

    frame, gold = crowd(4, n_items=400)
    local = fit(frame, gold, LocalExecutor(ROWS))
    remote = fit(frame, gold, DaskExecutor(dask_client, ROWS))
    assert remote.loss_history_ == local.loss_history_
    np.testing.assert_array_equal(remote.probas_.to_numpy(), local.probas_.to_numpy())
    np.testing.assert_array_equal(remote.competence_, local.competence_)
    np.testing.assert_array_equal(remote.spam_, local.spam_)
