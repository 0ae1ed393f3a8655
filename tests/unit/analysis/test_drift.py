"""Drift between windows: planted text drift, a hand-worked label shift, alpha drop against the
krippendorff package, skipped pairs with reasons, and byte-identical reruns."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from typing import Any, Literal

import krippendorff
import numpy as np
import pandas as pd
import pytest

from labelgate.analysis.drift import drift_report
from labelgate.analysis.windows import assign_windows

LABELS = ["a", "b", "c"]
Level = Literal["nominal", "ordinal", "interval", "ratio"]
VOCAB_A = [f"apple{i}" for i in range(60)]
VOCAB_B = [f"brick{i}" for i in range(60)]


def _work(
    sizes: Sequence[int],
    *,
    accuracy: Sequence[float] | None = None,
    vocab: Sequence[list[str]] | None = None,
    seed: int = 0,
    labels: Sequence[str] = LABELS,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Batches b1, b2, ... of `sizes` items, each labelled by 3 of 6 annotators who give the
    true label with probability accuracy[w] (else another one); texts of 12 words from
    vocab[w]. Final labels are the true labels, all agreed."""
    rng = np.random.default_rng(seed)
    annotations, items, final = [], [], []
    for w, n in enumerate(sizes):
        acc = accuracy[w] if accuracy else 0.8
        words = vocab[w] if vocab else VOCAB_A
        for i in range(n):
            item = f"w{w}i{i:04d}"
            truth = int(rng.integers(len(labels)))
            for annotator in rng.choice(6, 3, replace=False):
                given = truth
                if rng.random() > acc:
                    given = (truth + int(rng.integers(1, len(labels)))) % len(labels)
                at = pd.Timestamp("2026-03-02", tz="UTC") + pd.Timedelta(days=w, minutes=i)
                annotations.append((item, f"ann{annotator}", labels[given], at, f"b{w + 1}"))
            items.append((item, " ".join(rng.choice(words, 12))))
            final.append((item, labels[truth], "agreed"))
    return (
        pd.DataFrame(
            annotations, columns=["item_id", "annotator_id", "label", "annotated_at", "batch"]
        ),
        pd.DataFrame(items, columns=["item_id", "text"]),
        pd.DataFrame(final, columns=["item_id", "label", "status"]),
    )


def _report(
    annotations: pd.DataFrame,
    items: pd.DataFrame,
    final: pd.DataFrame,
    kind: str = "batch",
    **options: Any,
) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "labels": LABELS,
        "level": "nominal",
        "text_fields": ["text"],
        "feature_fields": [],
        "resamples": 100,
        **options,
    }
    return drift_report(annotations, items, final, assign_windows(annotations, kind), **settings)  # type: ignore[arg-type]


def test_texts_from_another_vocabulary_are_told_apart() -> None:
    report = _report(*_work([100, 100], vocab=[VOCAB_A, VOCAB_B]))
    (pair,) = report["pairs"]
    assert pair["item_drift_auc"] > 0.99
    assert report["item_drift_auc"] == pair["item_drift_auc"]
    low, high = pair["item_drift_auc_ci"]
    assert low <= pair["item_drift_auc"] <= high <= 1.0


def test_texts_from_one_distribution_give_chance_auc() -> None:
    report = _report(*_work([150, 150, 150], seed=4))
    for pair in report["pairs"]:
        low, high = pair["item_drift_auc_ci"]
        assert low <= 0.5 <= high
        assert abs(pair["item_drift_auc"] - 0.5) < 0.1
    assert report["item_drift_auc"] == max(p["item_drift_auc"] for p in report["pairs"])


def test_item_drift_from_feature_columns() -> None:
    annotations, items, final = _work([80, 80], seed=2)
    rng = np.random.default_rng(0)
    first = items["item_id"].str.startswith("w0")
    # A categorical field whose mix changes, and a numeric one that does not change.
    items["channel"] = np.where(first, "chat", "email")
    items.loc[rng.random(len(items)) < 0.1, "channel"] = None
    items["length"] = rng.normal(100, 10, len(items)).round(1).astype(str)
    text_free = items.drop(columns="text")
    changed = _report(annotations, text_free, final, feature_fields=["channel", "length"])
    assert changed["item_drift_auc"] > 0.85
    same = _report(annotations, text_free, final, feature_fields=["length"])
    low, high = same["pairs"][0]["item_drift_auc_ci"]
    assert low <= 0.5 <= high
    # Text fields come first when the items have them.
    texts = _report(annotations, items, final, feature_fields=["channel"])
    assert abs(texts["item_drift_auc"] - 0.5) < 0.15


def test_no_text_or_feature_field_gives_a_reason() -> None:
    report = _report(*_work([40, 40]), text_fields=["body"], feature_fields=[])
    assert report["item_drift_auc"] is None
    assert report["pairs"][0]["item_drift_auc"] is None
    assert "no text or feature fields" in report["reasons"]["item_drift_auc"]
    assert report["label_shift_jsd"] is not None
    assert report["agreement_drop"] is not None
    assert set(report["reasons"]) == {"item_drift_auc"}


def _planted_shift() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    # Window 1: 60 'a' and 60 'b'; window 2: 30 'a' and 90 'b'; 'c' in neither. Unresolved
    # items and empty labels in window 2 would move the shares if they were counted.
    annotations, items, final = _work([120, 140])
    second = final["item_id"].str.startswith("w1")
    first_labels = ["a"] * 60 + ["b"] * 60
    second_labels = ["a"] * 30 + ["b"] * 90 + ["a"] * 15 + [""] * 5
    final["label"] = first_labels + second_labels
    final.loc[second & (np.arange(len(final)) >= 120 + 120), "status"] = "unresolved"
    final.loc[final.index[-5:], "status"] = "aggregated"  # empty labels, settled: still out
    return annotations, items, final


def test_planted_label_shift_gives_the_hand_computed_divergence() -> None:
    report = _report(*_planted_shift())
    # P = (1/2, 1/2, 0), Q = (1/4, 3/4, 0), M = (3/8, 5/8, 0):
    # H(M) = 3/8 log2(8/3) + 5/8 log2(8/5) = 0.9544340
    # H(P) = 1, H(Q) = 1/4 log2(4) + 3/4 log2(4/3) = 0.8112781
    # JSD = 0.9544340 - (1 + 0.8112781) / 2 = 0.0487949
    hand = (
        3 / 8 * math.log2(8 / 3)
        + 5 / 8 * math.log2(8 / 5)
        - (1 + 0.5 + 0.75 * math.log2(4 / 3)) / 2
    )
    assert hand == pytest.approx(0.0487949, abs=1e-7)
    (pair,) = report["pairs"]
    assert pair["label_shift_jsd"] == pytest.approx(hand, abs=1e-12)
    assert report["label_shift_jsd"] == pair["label_shift_jsd"]
    assert report["windows"][0]["label_distribution"] == {"a": 0.5, "b": 0.5, "c": 0.0}
    assert report["windows"][1]["label_distribution"] == {"a": 0.25, "b": 0.75, "c": 0.0}
    # a and b moved by 1/4 each (label order breaks the tie); c did not move and is left out.
    assert pair["shifted_labels"] == [
        {"label": "a", "from_share": 0.5, "to_share": 0.25},
        {"label": "b", "from_share": 0.5, "to_share": 0.75},
    ]
    assert [w["n_items"] for w in report["windows"]] == [120, 140]


def _reference_alpha(part: pd.DataFrame, codes: dict[str, float], level: Level) -> float:
    """krippendorff.alpha of one window: annotators x items, the first of repeats kept."""
    first = part.drop_duplicates(["item_id", "annotator_id"])
    table = first.assign(v=first["label"].map(codes)).pivot(
        index="annotator_id", columns="item_id", values="v"
    )
    return float(
        krippendorff.alpha(
            reliability_data=table.to_numpy(dtype=float),
            value_domain=sorted(codes.values()),
            level_of_measurement=level,
        )
    )


@pytest.mark.parametrize(
    ("level", "values"), [("nominal", None), ("ordinal", None), ("interval", [0.0, 1.0, 5.0])]
)
def test_agreement_drop_is_the_difference_of_window_alphas(
    level: Level, values: list[float] | None
) -> None:
    annotations, items, final = _work([120, 120, 120], accuracy=[0.95, 0.6, 0.6], seed=3)
    # Annotations not counted in their item's window: a late one, a repeat, an unknown label.
    extra = annotations.iloc[[0, 5, 10]].copy()
    extra["batch"] = ["b2", "b1", "b3"]
    extra.loc[extra.index[1], "label"] = "b"
    extra.loc[extra.index[2], "label"] = "zzz"
    annotations = pd.concat([annotations, extra], ignore_index=True)
    report = _report(annotations, items, final, level=level, values=values, text_fields=[])
    codes = dict(zip(LABELS, values or [0.0, 1.0, 2.0], strict=True))
    alphas = [
        _reference_alpha(annotations[annotations["batch"] == b], codes, level)
        for b in ("b1", "b2", "b3")
    ]
    assert [w["alpha"] for w in report["windows"]] == pytest.approx(alphas, abs=1e-12)
    for pair, (before, after) in zip(report["pairs"], itertools.pairwise(alphas), strict=True):
        assert pair["agreement_drop"] == pytest.approx(before - after, abs=1e-12)
        low, high = pair["agreement_drop_ci"]
        assert low <= pair["agreement_drop"] <= high
    assert [w["n_annotations"] for w in report["windows"]] == [361, 361, 361]
    # The planted fall from 95 % to 60 % accuracy: the largest drop, and its CI excludes 0.
    assert report["agreement_drop"] == report["pairs"][0]["agreement_drop"]
    assert report["agreement_drop_ci"] == report["pairs"][0]["agreement_drop_ci"]
    assert report["agreement_drop_ci"][0] > 0
    for window in report["windows"]:
        assert window["alpha_ci"][0] <= window["alpha"] <= window["alpha_ci"][1]


def test_small_windows_are_skipped_with_a_reason() -> None:
    report = _report(*_work([60, 10, 60]), min_window_items=30)
    assert [p["skipped"] for p in report["pairs"]] == [
        "fewer than 30 items: window 'b2' has 10",
        "fewer than 30 items: window 'b2' has 10",
    ]
    for pair in report["pairs"]:
        assert pair["label_shift_jsd"] is None
        assert pair["item_drift_auc"] is None
        assert pair["agreement_drop"] is None
        assert pair["agreement_drop_ci"] is None
    for metric in ("label_shift_jsd", "item_drift_auc", "agreement_drop"):
        assert report[metric] is None
        assert report["reasons"][metric].startswith("every pair of consecutive windows")
    # The small window is still described.
    assert report["windows"][1]["n_items"] == 10
    assert report["windows"][1]["alpha"] is not None


def test_windows_without_settled_labels_or_items_rows_give_reasons() -> None:
    annotations, items, final = _work([40, 40])
    unresolved = final.assign(status="unresolved")
    report = _report(annotations, items.iloc[:41], unresolved, min_window_items=1)
    assert [w["label_distribution"] for w in report["windows"]] == [{}, {}]
    assert report["reasons"] == {
        "label_shift_jsd": "no settled final labels in the windows compared",
        "item_drift_auc": "fewer than 2 items with an items row in a window compared",
    }
    assert report["agreement_drop"] is not None


def test_one_window_and_no_window() -> None:
    annotations, items, final = _work([50])
    report = _report(annotations, items, final)
    assert report["pairs"] == []
    assert report["reasons"] == dict.fromkeys(
        ("label_shift_jsd", "item_drift_auc", "agreement_drop"), "one window"
    )
    assert report["agreement_drop_ci"] is None
    undated = annotations.drop(columns=["batch"]).assign(
        annotated_at=pd.Series(pd.NaT, index=annotations.index)
    )
    none = _report(undated, items, final, kind="day")
    assert none["windows"] == []
    assert none["n_annotations_without_window"] == len(undated)
    assert none["reasons"]["label_shift_jsd"] == "no annotation has a timestamp"


def test_day_windows_and_annotations_without_one() -> None:
    annotations, items, final = _work([40, 40, 40])
    annotations.loc[annotations.index[:4], "annotated_at"] = pd.NaT
    report = _report(annotations, items, final, kind="day", text_fields=[])
    assert [w["window"] for w in report["windows"]] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert report["n_annotations_without_window"] == 4
    assert [(p["from"], p["to"]) for p in report["pairs"]] == [
        ("2026-03-02", "2026-03-03"),
        ("2026-03-03", "2026-03-04"),
    ]


def test_same_inputs_give_identical_reports_and_the_seed_is_used() -> None:
    data = _work([90, 90], accuracy=[0.9, 0.7], vocab=[VOCAB_A, VOCAB_A[:55] + VOCAB_B[:5]])
    options: dict[str, Any] = {"max_items_per_window": 60, "seed": 7}
    first = json.dumps(_report(*data, **options))
    assert json.dumps(_report(*data, **options)) == first
    assert "NaN" not in first
    assert "Infinity" not in first
    other = json.loads(json.dumps(_report(*data, max_items_per_window=60, seed=8)))
    again = json.loads(first)
    assert other["pairs"][0]["agreement_drop"] == again["pairs"][0]["agreement_drop"]
    assert other["pairs"][0]["agreement_drop_ci"] != again["pairs"][0]["agreement_drop_ci"]
    assert other["pairs"][0]["item_drift_auc"] != again["pairs"][0]["item_drift_auc"]
    assert list(again) == [
        "window",
        "n_annotations_without_window",
        "windows",
        "pairs",
        "label_shift_jsd",
        "item_drift_auc",
        "item_drift_auc_ci",
        "agreement_drop",
        "agreement_drop_ci",
        "reasons",
    ]


def test_appearance_codes_match_factorizing_the_ids() -> None:
    from labelgate.analysis.drift import _appearance
    from labelgate.analysis.windows import sorted_codes

    ids = pd.Series(["q", "b", None, "q", "a", "b", None, "z"], dtype="str")
    sorted_ids, _ = sorted_codes(ids)
    codes, n = _appearance(sorted_ids)
    expected, distinct = pd.factorize(ids)
    assert codes.tolist() == expected.tolist()
    assert n == len(distinct)
