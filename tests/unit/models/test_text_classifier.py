"""The built-in text model: out-of-fold by construction, deterministic, robust to odd labels."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from labelgate.errors import ConfigError, InputError
from labelgate.models.text_classifier import (
    PROVIDER,
    OutOfFold,
    TextModelSettings,
    assign_folds,
    fit_predict,
    model_identity,
    out_of_fold_probabilities,
)

CUES = [
    ["good", "great", "excellent", "superb", "lovely"],
    ["bad", "awful", "poor", "terrible", "boring"],
    ["odd", "strange", "weird", "curious", "unusual"],
]
FILLER = ["the", "a", "movie", "film", "plot", "actor", "scene", "story", "music", "ending"]
FAST = TextModelSettings(max_iter=200)


def synthetic(n: int = 200, k: int = 3, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """`n` texts of 2 cue words of their class and 5 filler words; true class codes (n,)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n)
    texts = [" ".join([*rng.choice(CUES[t], 2), *rng.choice(FILLER, 5)]) for t in truth.tolist()]
    return texts, truth


def check_rows(result: OutOfFold, n: int, k: int) -> None:
    p = result.probabilities
    assert p.shape == (n, k)
    assert p.dtype == np.float64
    assert np.isfinite(p).all()
    assert (p >= 0).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_probabilities_are_rows_that_sum_to_one_and_mostly_right() -> None:
    texts, truth = synthetic()
    result = out_of_fold_probabilities(texts, truth, 3, FAST)
    check_rows(result, 200, 3)
    assert (result.probabilities.argmax(axis=1) == truth).mean() > 0.95
    assert result.n_labelled == 200
    assert result.warnings == ()
    assert sorted(np.bincount(result.fold).tolist()) == [40] * 5


def test_each_fold_comes_from_a_model_that_never_saw_it() -> None:
    texts, truth = synthetic()
    result = out_of_fold_probabilities(texts, truth, 3, FAST)
    # The same model rebuilt by hand: vocabulary on all texts, fit without fold 2.
    x = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=200_000, sublinear_tf=True)
    features = x.fit_transform(texts)
    held_out = result.fold == 2
    model = LogisticRegression(C=FAST.C, max_iter=FAST.max_iter)
    model.fit(features[~held_out], truth[~held_out])
    expected = model.predict_proba(features[held_out])
    np.testing.assert_allclose(result.probabilities[held_out], expected, rtol=1e-9, atol=1e-12)
    # ... and a model that did see them gives other (in-sample) numbers.
    in_sample = model.fit(features, truth).predict_proba(features[held_out])
    assert not np.allclose(result.probabilities[held_out], in_sample, atol=1e-6)


def test_same_inputs_give_bit_identical_probabilities() -> None:
    texts, truth = synthetic()
    first = out_of_fold_probabilities(texts, truth, 3, FAST)
    second = out_of_fold_probabilities(texts, truth, 3, FAST)
    assert first.probabilities.tobytes() == second.probabilities.tobytes()
    assert np.array_equal(first.fold, second.fold)
    other_seed = out_of_fold_probabilities(texts, truth, 3, replace(FAST, seed=1))
    assert not np.array_equal(first.fold, other_seed.fold)


def test_unlabelled_items_get_fold_minus_one_and_the_model_of_all_labels() -> None:
    texts, truth = synthetic()
    labels = truth.copy()
    labels[:30] = -1
    result = out_of_fold_probabilities(texts, labels, 3, FAST)
    check_rows(result, 200, 3)
    assert (result.fold[:30] == -1).all()
    assert (result.fold[30:] >= 0).all()
    assert result.n_labelled == 170
    expected = fit_predict(texts[30:], labels[30:], texts[:30], 3, FAST)
    np.testing.assert_allclose(result.probabilities[:30], expected, rtol=1e-9, atol=1e-12)


def test_a_class_without_labels_keeps_its_column_at_zero() -> None:
    texts, truth = synthetic(k=2)
    result = out_of_fold_probabilities(texts, truth, 4, FAST, class_names=["a", "b", "c", "d"])
    check_rows(result, 200, 4)
    assert (result.probabilities[:, 2:] == 0).all()
    assert len(result.warnings) == 2
    assert result.warnings[0].startswith("class 'c' has no labelled items")


def test_a_class_rarer_than_the_folds_warns_and_does_not_crash() -> None:
    texts, truth = synthetic(n=100, k=2)
    labels = truth.copy()
    labels[:2] = 2  # two items of class 2, five folds
    texts[0] += " odd"
    result = out_of_fold_probabilities(texts, labels, 3, FAST, class_names=["pos", "neg", "odd"])
    check_rows(result, 100, 3)
    assert result.fold[0] != result.fold[1]
    (warning,) = result.warnings
    assert "class 'odd' has 2 labelled items, fewer than 5 folds" in warning
    assert "lower folds" in warning


def test_a_fold_that_trains_on_one_class_predicts_it() -> None:
    texts = [f"word{i % 3} common" for i in range(12)]
    labels = np.array([1] + [0] * 11)
    result = out_of_fold_probabilities(texts, labels, 2, replace(FAST, folds=2))
    # Item 0 is the only '1': its fold trained on '0' alone and predicts it with certainty.
    assert result.probabilities[0].tolist() == [1.0, 0.0]
    check_rows(result, 12, 2)
    assert "class '1' has 1 labelled items" in result.warnings[0]


def test_a_fit_that_does_not_converge_is_a_warning() -> None:
    texts, truth = synthetic(n=60)
    labels = truth.copy()
    labels[:3] = -1
    result = out_of_fold_probabilities(texts, labels, 3, replace(FAST, max_iter=1))
    check_rows(result, 60, 3)
    assert result.warnings[0] == (
        "fold 0: logistic regression did not converge in 1 iterations; lower C (model.params.C) or label more items"
    )
    assert result.warnings[-1].startswith("unlabelled items: logistic regression did not")


def test_empty_texts_work() -> None:
    texts, truth = synthetic(n=60)
    texts[:5] = ["", None, float("nan"), "", ""]  # pandas gives NaN for a missing text
    check_rows(out_of_fold_probabilities(texts, truth, 3, FAST), 60, 3)
    labels = np.array([0, 1] * 10)
    result = out_of_fold_probabilities([""] * 20, labels, 2, FAST)
    check_rows(result, 20, 2)
    # No feature at all: each item gets the class frequencies of its training folds.
    np.testing.assert_allclose(result.probabilities, 0.5, atol=1e-3)
    assert "no word or character n-gram occurs in at least 2 texts" in result.warnings[0]


def test_character_ngrams_can_be_added() -> None:
    texts, truth = synthetic(n=80)
    result = out_of_fold_probabilities(texts, truth, 3, replace(FAST, char_ngrams=(2, 4)))
    check_rows(result, 80, 3)
    assert result.identity.params["char_ngrams"] == [2, 4]


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (
            np.zeros(20, dtype=int),
            r"at least 10 labelled items in at least 2 classes for 5 folds; got 20 labelled items in 1 classes\. Label more items",
        ),
        (np.array([0, 1] * 4 + [-1] * 12), r"got 8 labelled items in 2 classes"),
        (np.array([0, 1, 3] + [0] * 17), r"label code 3 is outside 0\.\.2"),
        (np.array([0, 1, -2] + [0] * 17), r"label code -2 is outside"),
        (np.zeros(19, dtype=int), r"labels has shape \(19,\) but there are 20 texts"),
        (np.full(20, 0.5), r"label codes must be integers; got dtype float64"),
    ],
)
def test_bad_labels_are_input_errors(labels: np.ndarray, message: str) -> None:
    with pytest.raises(InputError, match=message):
        out_of_fold_probabilities(["some text"] * 20, labels, 3, FAST)


def test_one_class_is_not_a_classifier() -> None:
    with pytest.raises(InputError, match="n_classes is 1"):
        out_of_fold_probabilities(["a"] * 20, np.zeros(20, dtype=int), 1, FAST)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"folds": 1}, "folds must be at least 2; got 1"),
        ({"word_ngrams": (2, 1)}, r"word_ngrams must be a pair \(low, high\)"),
        ({"char_ngrams": (0, 3)}, r"char_ngrams must be a pair"),
        ({"min_df": 0}, "min_df must be at least 1"),
        ({"max_features": 0}, "max_features must be at least 1 or None"),
        ({"C": 0.0}, "C must be positive"),
        ({"class_weight": "auto"}, "class_weight must be None or 'balanced'; got 'auto'"),
        ({"max_iter": 0}, "max_iter must be at least 1"),
    ],
)
def test_invalid_settings_are_config_errors(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TextModelSettings(**change)


def test_identity_is_stable_and_changes_with_every_setting() -> None:
    base = model_identity(TextModelSettings())
    assert base == model_identity(TextModelSettings())
    assert base.model == PROVIDER
    assert re.fullmatch(r"tfidf_logreg-[0-9a-f]{12}", base.model_version)
    changes: dict[str, Any] = {
        "folds": 3,
        "seed": 1,
        "word_ngrams": (1, 1),
        "char_ngrams": (3, 5),
        "min_df": 1,
        "max_features": None,
        "C": 1.0,
        "class_weight": "balanced",
        "sublinear_tf": False,
        "max_iter": 50,
    }
    assert set(changes) == set(TextModelSettings().as_params())
    versions = {
        model_identity(replace(TextModelSettings(), **{k: v})).model_version
        for k, v in changes.items()
    }
    assert len(versions | {base.model_version}) == len(changes) + 1
    record = base.as_dict()
    assert json.loads(json.dumps(record)) == record
    assert json.dumps(record["params"]) == json.dumps(record["params"], sort_keys=True)


def test_ngram_ranges_may_be_lists() -> None:
    settings = TextModelSettings(word_ngrams=[1, 3], char_ngrams=[2, 4])  # type: ignore[arg-type]
    assert settings == TextModelSettings(word_ngrams=(1, 3), char_ngrams=(2, 4))


def test_out_of_fold_records_the_identity_of_its_settings() -> None:
    texts, truth = synthetic(n=60)
    result = out_of_fold_probabilities(texts, truth, 3, FAST)
    assert result.identity == model_identity(FAST)


def test_fit_predict_prelabels_new_texts() -> None:
    texts, truth = synthetic()
    p = fit_predict(texts[:150], truth[:150], texts[150:], 3, FAST)
    assert p.shape == (50, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    assert (p.argmax(axis=1) == truth[150:]).mean() > 0.95
    assert fit_predict(texts[:150], truth[:150], [], 3, FAST).shape == (0, 3)
    with pytest.raises(InputError, match="needs labelled items in at least 2 classes"):
        fit_predict(texts[:10], np.zeros(10, dtype=int), texts[10:], 3, FAST)


def test_folds_are_stratified_and_balanced() -> None:
    labels = np.array([0] * 23 + [1] * 7 + [2] * 2 + [-1] * 4)
    fold = assign_folds(labels, 5, seed=3)
    assert (fold[labels == -1] == -1).all()
    assert sorted(np.bincount(fold[fold >= 0]).tolist()) == [6, 6, 6, 7, 7]
    for code, size in ((0, 23), (1, 7), (2, 2)):
        per_fold = np.bincount(fold[labels == code], minlength=5)
        assert per_fold.max() - per_fold.min() <= 1
        assert per_fold.sum() == size


def test_importing_the_model_does_not_import_scikit_learn() -> None:
    code = "import sys, labelgate.models.text_classifier, labelgate.models.provided; print('sklearn' in sys.modules, 'scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
