"""The built-in text model: TF-IDF n-grams and logistic regression, out-of-fold by item."""

from __future__ import annotations

import warnings as pywarnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

import numpy as np

from labelgate.errors import ConfigError, InputError
from labelgate.models.identity import ModelIdentity, short_hash

if TYPE_CHECKING:  # scipy and scikit-learn load inside the functions: importing this is cheap
    from scipy.sparse import csr_matrix

PROVIDER = "tfidf_logreg"
# Bump when a code change changes the probabilities for the same settings, so that the
# model_version (and lineage) change with it.
PROVIDER_VERSION = 1
CLASS_WEIGHTS = (None, "balanced")


@dataclass(frozen=True)
class TextModelSettings:
    """Settings of the TF-IDF + logistic regression model (benchmarks/results/model_oof.md).

    `word_ngrams`/`char_ngrams`: n-gram ranges of the word and the character (`char_wb`)
    features; `char_ngrams=None` (the default) uses words only: on IMDB character 3-5-grams
    cost 3.7x the time for no accuracy. `min_df`, `max_features`: per vectoriser, counted
    over all texts. `C`: inverse L2 strength (30: TF-IDF rows have unit length, and C 30 had
    the best accuracy from 300 to 25,000 items); `class_weight`: None or "balanced".
    `max_iter`: L-BFGS iterations per fit.
    """

    folds: int = 5
    seed: int = 0
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] | None = None
    min_df: int = 2
    max_features: int | None = 200_000
    C: float = 30.0
    class_weight: str | None = None
    sublinear_tf: bool = True
    max_iter: int = 1000

    def __post_init__(self) -> None:
        for name in ("word_ngrams", "char_ngrams"):  # a list from YAML or JSON is a pair too
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        problems = _settings_problems(self)
        if problems:
            raise ConfigError("; ".join(problems))

    def as_params(self) -> dict[str, object]:
        """The settings as JSON-able data (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def _ngram_problem(name: str, value: object) -> str | None:
    ok = (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(n, int) for n in value)
        and 1 <= value[0] <= value[1]
    )
    return None if ok else f"{name} must be a pair (low, high) with 1 <= low <= high; got {value!r}"


def _settings_problems(s: TextModelSettings) -> list[str]:
    """Every invalid setting, each with what is expected."""
    found = [
        None if s.folds >= 2 else f"folds must be at least 2; got {s.folds}",
        _ngram_problem("word_ngrams", s.word_ngrams),
        None if s.char_ngrams is None else _ngram_problem("char_ngrams", s.char_ngrams),
        None if s.min_df >= 1 else f"min_df must be at least 1; got {s.min_df}",
        None
        if s.max_features is None or s.max_features >= 1
        else f"max_features must be at least 1 or None; got {s.max_features}",
        None if s.C > 0 else f"C must be positive; got {s.C}",
        None
        if s.class_weight in CLASS_WEIGHTS
        else f"class_weight must be None or 'balanced'; got {s.class_weight!r}",
        None if s.max_iter >= 1 else f"max_iter must be at least 1; got {s.max_iter}",
    ]
    return [p for p in found if p]


def _sklearn_version() -> str:
    """scikit-learn's major.minor, read from package metadata without importing it."""
    try:
        return ".".join(version("scikit-learn").split(".")[:2])
    except PackageNotFoundError:  # pragma: no cover - sklearn is a dependency
        return "absent"


def model_identity(settings: TextModelSettings = TextModelSettings()) -> ModelIdentity:
    """The identity of the built-in model under `settings`.

    model_version = "tfidf_logreg-" + 12 hex digits of the SHA-256 of the canonical JSON of
    (PROVIDER_VERSION, scikit-learn major.minor, settings): any setting changes it.
    """
    params = settings.as_params()
    key = {"provider_version": PROVIDER_VERSION, "sklearn": _sklearn_version(), "params": params}
    return ModelIdentity(PROVIDER, f"{PROVIDER}-{short_hash(key)}", params)


@dataclass(frozen=True)
class OutOfFold:
    """Out-of-fold class probabilities of every item.

    probabilities: (n_items, n_classes) float64, rows sum to 1, columns in code order.
    fold: (n_items,) int, the fold an item was held out in; -1 for unlabelled items, which
    the model fit on every labelled item predicts.
    """

    probabilities: np.ndarray
    fold: np.ndarray
    identity: ModelIdentity
    n_labelled: int
    warnings: tuple[str, ...] = field(default=())


def _features(texts: Sequence[str], settings: TextModelSettings) -> tuple[csr_matrix, list[str]]:
    """TF-IDF features of `texts`: (n_texts, n_features) CSR, and notes.

    The vocabulary and IDF are fit once on all texts, labelled or not: they use no label, so
    no label leaks into a held-out fold, and one fit replaces one per fold (the vectoriser
    is about half of the time on 25,000 IMDB reviews; per fold it would double the total).
    """
    from scipy.sparse import csr_matrix, hstack

    texts = [_text(t) for t in texts]
    kinds: list[tuple[str, tuple[int, int]]] = [("word", settings.word_ngrams)]
    if settings.char_ngrams is not None:
        kinds.append(("char_wb", settings.char_ngrams))
    blocks = [_tfidf(texts, analyzer, ngrams, settings) for analyzer, ngrams in kinds]
    blocks = [b for b in blocks if b is not None]
    if not blocks:
        # An intercept-only model: every item gets the class frequencies of its training set.
        note = f"no word or character n-gram occurs in at least {settings.min_df} texts: every item gets the class frequencies; check that the text field is the right one"
        return csr_matrix((len(texts), 1), dtype=np.float64), [note]
    return csr_matrix(hstack(blocks, format="csr", dtype=np.float64)), []


def _text(value: object) -> str:
    """A text as the vectoriser reads it: a missing one (None, NaN from pandas) is empty."""
    if isinstance(value, str):
        return value
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _tfidf(
    texts: Sequence[str], analyzer: str, ngrams: tuple[int, int], settings: TextModelSettings
) -> csr_matrix | None:
    """One vectoriser's (n_texts, n_terms) matrix, or None when no term is frequent enough."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectoriser = TfidfVectorizer(
        analyzer=analyzer,
        ngram_range=ngrams,
        # sklearn refuses min_df above the number of texts; capping it keeps tiny sets working.
        min_df=min(settings.min_df, max(len(texts), 1)),
        max_features=settings.max_features,
        sublinear_tf=settings.sublinear_tf,
        dtype=np.float64,
    )
    try:
        return vectoriser.fit_transform(texts)
    except ValueError as error:  # empty vocabulary: empty texts, or only stop characters
        if "empty vocabulary" in str(error) or "no terms remain" in str(error):
            return None
        raise


def _fit_predict_codes(
    x_train: csr_matrix,
    y_train: np.ndarray,
    x_predict: csr_matrix,
    n_classes: int,
    settings: TextModelSettings,
) -> tuple[np.ndarray, list[str]]:
    """Fit on (x_train, y_train) and predict x_predict: (n_predict, n_classes), and notes.

    A class absent from y_train gets probability 0 in every row: the model has no evidence
    for it, and rows still sum to 1. A training set of one class predicts it with certainty.
    """
    out = np.zeros((x_predict.shape[0], n_classes), dtype=np.float64)
    present = np.unique(y_train)
    if x_predict.shape[0] == 0:  # nothing to predict (sklearn refuses an empty matrix)
        return out, []
    if len(present) == 1:
        out[:, present[0]] = 1.0
        return out, []
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits  # sklearn's dependency

    # L-BFGS (multinomial) has no randomness and runs on one BLAS thread: the same inputs
    # give bit-identical probabilities. One thread is also faster: L-BFGS's BLAS calls are
    # small vector operations, and with 2 threads on a busy 2-core machine each call waited
    # for the other thread (a 200-item fit took 40x longer).
    model = LogisticRegression(
        C=settings.C, class_weight=settings.class_weight, max_iter=settings.max_iter
    )
    with (
        threadpool_limits(limits=1, user_api="blas"),
        pywarnings.catch_warnings(record=True) as caught,
    ):
        pywarnings.simplefilter("always", ConvergenceWarning)
        model.fit(x_train, y_train)
        probabilities = model.predict_proba(x_predict)
    notes = [
        f"logistic regression did not converge in {settings.max_iter} iterations; lower C (model.params.C) or label more items"
        for w in caught
        if issubclass(w.category, ConvergenceWarning)
    ]
    out[:, model.classes_] = probabilities
    return _normalise(out), notes[:1]


def _normalise(p: np.ndarray) -> np.ndarray:
    """Rows divided by their sums (already 1 up to rounding; this makes it exact enough)."""
    normalised: np.ndarray = p / p.sum(axis=1, keepdims=True)
    return normalised


def assign_folds(labels: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Stratified, seeded fold of each item: (n_items,) int, -1 where labels is -1.

    Items of each class, in a seeded random order, are dealt round-robin over the folds,
    continuing where the previous class stopped: fold sizes differ by at most one, each class
    is spread as evenly as it can be, and a class with fewer items than folds still works.
    Written here rather than StratifiedKFold, which raises when every class is smaller than
    the number of folds and may change across scikit-learn versions.
    """
    rng = np.random.default_rng(seed)
    fold = np.full(len(labels), -1, dtype=np.int64)
    position = 0
    for code in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == code)
        members = members[rng.permutation(len(members))]
        fold[members] = (position + np.arange(len(members))) % folds
        position += len(members)
    return fold


def _check_inputs(texts: Sequence[str], labels: np.ndarray, n_classes: int) -> None:
    """Raise InputError when labels do not fit texts or n_classes."""
    if labels.ndim != 1 or len(labels) != len(texts):
        raise InputError(
            f"labels has shape {labels.shape} but there are {len(texts)} texts: pass one label code per text (-1 for none)."
        )
    if n_classes < 2:
        raise InputError(f"n_classes is {n_classes}: a classifier needs at least 2 classes.")
    bad = labels[(labels < -1) | (labels >= n_classes)]
    if len(bad):
        raise InputError(
            f"label code {int(bad[0])} is outside 0..{n_classes - 1}: use codes 0..n_classes-1, or -1 for an unlabelled item."
        )


def _check_enough(counts: np.ndarray, folds: int) -> None:
    """Raise InputError unless there are 2 classes and 2 * folds labelled items."""
    n_labelled, n_present = int(counts.sum()), int((counts > 0).sum())
    if n_present < 2 or n_labelled < 2 * folds:
        raise InputError(
            f"the text model needs at least {2 * folds} labelled items in at least 2 classes for {folds} folds; got {n_labelled} labelled items in {n_present} classes. Label more items, or lower folds (minimum 2)."
        )


def _class_notes(counts: np.ndarray, folds: int, names: Sequence[str]) -> list[str]:
    """Warnings for classes with no labelled item, or fewer labelled items than folds."""
    notes = []
    for code, count in enumerate(counts):
        name = names[code]
        if count == 0:
            notes.append(
                f"class '{name}' has no labelled items: no model can predict it, so its probability is 0 for every item; label some items '{name}'."
            )
        elif count < folds:
            notes.append(
                f"class '{name}' has {count} labelled items, fewer than {folds} folds: when held out, each was predicted by a model that saw at most {count - 1} other '{name}' items, so its out-of-fold probability of '{name}' is low and it may be flagged as a label error; label more '{name}' items or lower folds."
            )
    return notes


def _as_labels(labels: Any) -> np.ndarray:
    """Label codes as an int64 array (1-D checked by the caller)."""
    array = np.asarray(labels)
    if array.dtype.kind not in "iu":
        raise InputError(
            f"label codes must be integers; got dtype {array.dtype}. Map labels to codes 0..n_classes-1 and -1 for none."
        )
    return array.astype(np.int64)


def out_of_fold_probabilities(
    texts: Sequence[str],
    labels: np.ndarray,
    n_classes: int,
    settings: TextModelSettings = TextModelSettings(),
    class_names: Sequence[str] | None = None,
) -> OutOfFold:
    """Out-of-fold probabilities: every labelled item is predicted by a model that did not see it.

    texts: (n_items,) one text per item ("" works). labels: (n_items,) int codes
    0..n_classes-1, -1 = unlabelled (predicted by the model fit on all labelled items, never
    trained on). class_names: (n_classes,) names for the warnings (default: the codes).
    Returns probabilities (n_items, n_classes) and the fold of each item.
    Raises InputError with fewer than 2 classes or 2 * folds labelled items.
    """
    codes = _as_labels(labels)
    _check_inputs(texts, codes, n_classes)
    counts = np.bincount(codes[codes >= 0], minlength=n_classes)
    _check_enough(counts, settings.folds)
    names = list(class_names) if class_names is not None else [str(c) for c in range(n_classes)]
    notes = _class_notes(counts, settings.folds, names)
    x, feature_notes = _features(texts, settings)
    fold = assign_folds(codes, settings.folds, settings.seed)
    probabilities = np.zeros((len(texts), n_classes), dtype=np.float64)
    for k in range(settings.folds):
        train, held_out = (fold >= 0) & (fold != k), fold == k
        probabilities[held_out], fit_notes = _fit_predict_codes(
            x[train], codes[train], x[held_out], n_classes, settings
        )
        notes += [f"fold {k}: {n}" for n in fit_notes]
    unlabelled = fold < 0
    if unlabelled.any():
        probabilities[unlabelled], fit_notes = _fit_predict_codes(
            x[~unlabelled], codes[~unlabelled], x[unlabelled], n_classes, settings
        )
        notes += [f"unlabelled items: {n}" for n in fit_notes]
    return OutOfFold(
        probabilities=probabilities,
        fold=fold,
        identity=model_identity(settings),
        n_labelled=int(counts.sum()),
        warnings=tuple(feature_notes + notes),
    )


def fit_predict(
    train_texts: Sequence[str],
    train_labels: np.ndarray,
    predict_texts: Sequence[str],
    n_classes: int,
    settings: TextModelSettings = TextModelSettings(),
) -> np.ndarray:
    """Fit on the labelled train texts and predict others (pre-labelling): in-sample for none.

    train_labels: (n_train,) codes 0..n_classes-1 (-1 entries are ignored). The vocabulary is
    fit on train and predict texts together (no labels involved). Returns
    (len(predict_texts), n_classes) float64 rows summing to 1; a class without training
    items gets 0. Raises InputError with fewer than 2 labelled classes.
    """
    codes = _as_labels(train_labels)
    _check_inputs(train_texts, codes, n_classes)
    counts = np.bincount(codes[codes >= 0], minlength=n_classes)
    if int((counts > 0).sum()) < 2:
        raise InputError(
            f"the text model needs labelled items in at least 2 classes; got {int(counts.sum())} labelled items in {int((counts > 0).sum())} classes. Label items of another class."
        )
    x, _ = _features([*train_texts, *predict_texts], settings)
    x_train, x_predict = x[: len(train_texts)], x[len(train_texts) :]
    keep = codes >= 0
    probabilities, _ = _fit_predict_codes(
        x_train[keep], codes[keep], x_predict, n_classes, settings
    )
    return probabilities
