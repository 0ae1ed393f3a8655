"""The HTML renderers: every user string escaped, the same bytes on every render, the demo's
scale well under 1 MB, and nothing about annotators or items on the customer page."""

from __future__ import annotations

import re
from typing import Any

from labelgate.report.html_index import IndexEntry, render_index
from labelgate.report.html_report import Extras, ReportData, render_progress, render_report
from labelgate.report.summary_md import StageSummaries

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
ITEM_TEXT = "my order <b>never</b> came"


def _coefficient(value: float) -> dict[str, Any]:
    return {"value": value, "ci_low": value - 0.05, "ci_high": value + 0.05, "ci_method": "bca"}


def _data(n_annotators: int = 3, n_labels: int = 3, **changes: Any) -> ReportData:
    labels = [IMG, *(f"l{i}" for i in range(1, n_labels))]
    annotators = [SCRIPT, *(f"a{i:03d}" for i in range(1, n_annotators))]
    coefficients = {"krippendorff_alpha": _coefficient(0.71), "fleiss_kappa": _coefficient(0.7)}
    group = {"n_items": 50, "coefficients": coefficients}
    agreement = {
        "level": "nominal",
        "weights": "identity",
        "bootstrap": {"confidence": 0.95, "resamples": 1000, "interval": "bca", "seed": 1},
        "coefficients": coefficients,
        "diagnostics": [{"code": "sparse", "message": f"label {IMG} is rare.", "meaning": "m"}],
        "per_label": {
            label: {
                "share": 1 / n_labels,
                "n_annotations": 10,
                "krippendorff_alpha": 0.5,
                "fleiss_kappa": 0.5,
                "percent_agreement": 0.8,
            }
            for label in labels
        },
        "per_annotator": {a: {"mean_cohen_kappa": 0.6} for a in annotators},
        "by_batch": {"b1": group, IMG: group},
    }
    summaries = StageSummaries(
        ingest={
            "annotations": {"rows_in": 10, "rows_kept": 10, "rows_quarantined": 0},
            "quarantine_reasons": {},
        },
        validation={
            "rules": {IMG: {"kind": "allowed_labels", "severity": "error", "violations": 1}}
        },
        agreement=agreement,
        aggregate={
            "n_items": 100,
            "method": "majority_vote",
            "status": {"agreed": 90, "unresolved": 10},
        },
        audit={
            "n_sampled": 5,
            "n_frame": 100,
            "fraction": 0.05,
            "seed": 3,
            "frame_hash": "ab" * 32,
            "results": None,
        },
    )
    metrics = {
        "metrics": {
            "n_items": 100,
            "n_annotations": 300,
            "n_annotators": n_annotators,
            "mean_annotations_per_item": 3.0,
            "gold_accuracy": 0.9,
            "unresolved_rate": 0.1,
            "quarantine_rate": 0.0,
            "violation_rate": 0.01,
            "duplicate_item_rate": 0.0,
            "krippendorff_alpha": 0.71,
        },
        "intervals": {"krippendorff_alpha": {"ci_low": 0.66, "ci_high": 0.76}},
        "sample_sizes": {"agreement": 100},
    }
    check = {
        "id": IMG,
        "metric": "krippendorff_alpha",
        "severity": "error",
        "status": "pass",
        "value": 0.71,
        "interval": {"ci_low": 0.66, "ci_high": 0.76},
        "thresholds": {"min_lower_bound": 0.6, "min_items": 50},
        "message": f"{SCRIPT} ok",
    }
    row = {
        "n_annotations": "100",
        "n_gold": "10",
        "gold_accuracy": "0.9",
        "agreement_with_consensus": "0.8",
        "median_duration_s": "",
        "needs_retraining": "False",
        "excluded": "False",
    }
    base = ReportData(
        name="shop",
        summaries=summaries,
        metrics=metrics,
        gate={"status": "pass", "checks": [check]},
        shown=["krippendorff_alpha", "fleiss_kappa"],
        annotators=[{"annotator_id": a, **row} for a in annotators],
        queue=[
            {
                "item_id": "i1",
                "candidate_label": IMG,
                "confidence": "0.4",
                "annotations": f"{SCRIPT}={IMG}",
                "text": ITEM_TEXT,
            }
        ],
        confusion={"labels": labels, "counts": [[5] * n_labels for _ in labels]},
        lineage={"guideline": {}, "rows": [("rules hash", SCRIPT)]},
    )
    return ReportData(**{**base.__dict__, **changes})


def _markup(html: str) -> str:
    """The page without its own script and style, where `<` is legitimate."""
    return re.sub(r"<(script|style)>.*?</\1>", "", html, flags=re.S)


def test_user_strings_are_escaped_everywhere() -> None:
    html = _markup(render_report(_data()))
    assert "<script>alert" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html or "&quot;&gt;&lt;img" in html


def test_pages_are_deterministic_and_small() -> None:
    data = _data(n_annotators=60, n_labels=12)
    first = render_report(data)
    assert first == render_report(_data(n_annotators=60, n_labels=12))
    assert len(first.encode()) < 1_000_000
    assert render_progress(data) == render_progress(data)


def test_progress_shows_no_annotator_and_item_text_only_when_allowed() -> None:
    hidden = render_progress(_data())
    assert "alert(1)&lt;/script" not in hidden
    assert SCRIPT not in _markup(hidden)
    assert "never" not in hidden
    shown = render_progress(_data(show_item_text=True))
    assert "my order &lt;b&gt;never&lt;/b&gt; came" in shown
    assert "alert(1)&lt;/script" not in shown  # the annotations column stays out


def test_optional_sections_appear_when_their_data_exists() -> None:
    assert 'id="label-issues"' not in render_report(_data())
    extras = Extras(
        label_issues={"n_label_issues": 4, "label_issue_rate": 0.04},
        review_queue=[
            {"item_id": "i1", "given": IMG, "rank": "1"},
            {"item_id": "i2", "given": "", "rank": "2"},
        ],
        ops={"eta_days": 3.5},
    )
    html = render_report(_data(extras=extras))
    assert 'id="label-issues"' in html
    assert 'id="ops"' in html
    assert "4.0%" in html
    assert "3.500" in render_progress(_data(extras=extras))


def test_gate_margins_say_by_how_much_a_threshold_is_met() -> None:
    html = render_report(_data())
    assert "ci_low 0.660" in html
    assert "+0.06" in html
    assert "+50" in html  # 100 pairable items - min_items 50


def test_index_links_each_dataset_with_its_status() -> None:
    entry = IndexEntry(
        name="shop",
        metrics={"metrics": {"n_items": 3, "unresolved_rate": 0.0, "krippendorff_alpha": 0.5}},
        gate={"status": "fail", "checks": [{"id": IMG, "status": "fail"}]},
        headline="krippendorff_alpha",
        has_report=True,
        has_progress=False,
    )
    html = render_index([entry])
    assert 'href="shop/report.html"' in html
    assert "progress.html" not in html
    assert "krippendorff_alpha 0.500" in html
    assert "&lt;img" in html
    assert html == render_index([entry])


def test_what_changed_compares_the_last_two_guideline_versions_in_version_order() -> None:
    data = _data()
    group = data.summaries.agreement["by_batch"]["b1"]
    later = {**group, "coefficients": {"krippendorff_alpha": _coefficient(0.81)}}
    versions = {"1.10.0": later, "1.9.0": group, "1.2.0": group}  # as JSON sorts them
    agreement = {**data.summaries.agreement, "by_guideline_version": versions}
    summaries = StageSummaries(**{**data.summaries.__dict__, "agreement": agreement})
    html = render_progress(_data(summaries=summaries))
    assert "<td>1.9.0</td><td>1.10.0</td><td>0.710 -> 0.810</td>" in html
