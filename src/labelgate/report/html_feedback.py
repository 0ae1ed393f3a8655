"""report.html's feedback sections: drift, confused label pairs, reviews, qualification and
retraining, and automation bias, from feedback.json and aggregate.json as plain dicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labelgate.report import charts
from labelgate.report.html import Cell, Table, fmt, num_cell, pct, text_cell
from labelgate.report.html_sections import chart


def _interval(ci: list[float] | None, form: Callable[[Any], str] = fmt) -> str:
    return f"[{form(ci[0])}, {form(ci[1])}]" if ci else ""


def _value_with_ci(value: Any, ci: list[float] | None) -> Cell:
    cell = num_cell(value)
    return Cell(f"{cell.text} {_interval(ci)}".strip(), cell.sort)


def drift_section(drift: dict[str, Any] | None) -> dict[str, Any] | None:
    """Per window (items, alpha) and per consecutive pair (JSD, AUC, alpha drop), with a
    chart of alpha across windows and of each pair's divergence and AUC."""
    if not drift or drift.get("skipped"):
        return {"note": drift["skipped"], "window": drift.get("window", "batch")} if drift else None
    windows = drift.get("windows") or []
    pairs = drift.get("pairs") or []
    window_table = Table(
        ["window", "items", "annotations", "alpha"],
        [
            [
                text_cell(w["window"]),
                num_cell(w["n_items"]),
                num_cell(w["n_annotations"]),
                _value_with_ci(w.get("alpha"), w.get("alpha_ci")),
            ]
            for w in windows
        ],
        {1, 2, 3},
    )
    pair_rows = []
    for p in pairs:
        shifted = ", ".join(
            f"{s['label']} {pct(s['from_share'])} → {pct(s['to_share'])}"
            for s in p.get("shifted_labels") or []
        )
        pair_rows.append(
            [
                text_cell(f"{p['from']} → {p['to']}"),
                num_cell(p.get("label_shift_jsd")),
                _value_with_ci(p.get("item_drift_auc"), p.get("item_drift_auc_ci")),
                _value_with_ci(p.get("agreement_drop"), p.get("agreement_drop_ci")),
                text_cell(p.get("skipped") or shifted),
            ]
        )
    pair_table = Table(
        ["windows", "label shift (JSD)", "item drift AUC", "alpha drop", "labels that moved most"],
        pair_rows,
        {1, 2, 3},
    )
    order = [w["window"] for w in windows]
    values = [
        {"group": w["window"], "name": "alpha", "value": w["alpha"]}
        for w in windows
        if w.get("alpha") is not None
    ]
    for p in pairs:
        for key, name in (("label_shift_jsd", "label shift JSD"), ("item_drift_auc", "item AUC")):
            if p.get(key) is not None:
                values.append({"group": p["to"], "name": f"{name} (vs previous)", "value": p[key]})
    figure = (
        chart(
            charts.trend_chart(values, order, f"window ({drift.get('window', 'batch')})"), "drift"
        )
        if len(order) > 1 and values
        else None
    )
    return {
        "window": drift.get("window", "batch"),
        "windows": window_table,
        "pairs": pair_table if pair_rows else None,
        "chart": figure,
        "reasons": sorted((drift.get("reasons") or {}).items()),
        "note": None,
    }


def suggestion_section(bias: dict[str, Any] | None) -> dict[str, Any] | None:
    """Automation bias: how often suggestions were accepted (wrong ones on gold too), and gold
    accuracy and speed with and without a suggestion; None when no annotation had one."""
    if not bias or not bias.get("n_with_suggestion"):
        return None
    rows = [
        (
            "annotations with a suggestion",
            f"{bias['n_with_suggestion']} of {bias['n_annotations']}",
        ),
        ("accepted", pct(bias.get("acceptance_rate"))),
        (
            "wrong suggestions on gold accepted",
            f"{pct(bias.get('wrong_suggestion_acceptance_rate'))} "
            f"{_interval(bias.get('wrong_suggestion_acceptance_interval'), pct)} "
            f"({bias.get('n_wrong_suggestions_accepted', 0)} of "
            f"{bias.get('n_wrong_suggestions_on_gold', 0)})",
        ),
    ]
    compare = Table(
        ["", "annotations", "gold items", "gold accuracy", "median seconds"],
        [
            [
                text_cell(title),
                num_cell(part.get("n_annotations")),
                num_cell(part.get("n_gold")),
                _value_with_ci(part.get("gold_accuracy"), part.get("gold_accuracy_interval")),
                num_cell(part.get("median_duration_s"), 1),
            ]
            for title, part in (
                ("with a suggestion", bias.get("with_suggestion") or {}),
                ("without", bias.get("without_suggestion") or {}),
            )
        ],
        {1, 2, 3, 4},
    )
    people = bias.get("annotators") or []
    wanted = (
        "annotator_id",
        "n_with_suggestion",
        "acceptance_rate",
        "n_wrong_suggestions_on_gold",
        "wrong_suggestion_acceptance_rate",
    )
    columns = [k for k in wanted if people and k in people[0]]
    titles = {
        "annotator_id": "annotator",
        "n_with_suggestion": "annotations with a suggestion",
        "acceptance_rate": "accepted",
        "n_wrong_suggestions_on_gold": "wrong suggestions on gold",
        "wrong_suggestion_acceptance_rate": "wrong ones accepted",
    }
    annotators = (
        Table(
            [titles[c] for c in columns],
            [
                [text_cell(a[c]) if c == "annotator_id" else num_cell(a[c]) for c in columns]
                for a in people
            ],
            set(range(1, len(columns))),
        )
        if columns
        else None
    )
    return {"rows": rows, "compare": compare, "annotators": annotators}


def _rate_cell(part: dict[str, Any] | None) -> Cell:
    """'12.3% [10.1%, 14.8%] (45 of 366)' for a {count, n, rate, ci_low, ci_high} dict."""
    part = part or {}
    rate = part.get("rate")
    if rate is None:
        return Cell("n/a", -1e300)
    text = f"{pct(rate)} [{pct(part.get('ci_low'))}, {pct(part.get('ci_high'))}] ({part.get('count')} of {part.get('n')})"
    return Cell(text, float(rate))


def _pairs_table(pairs: list[dict[str, Any]], top_n: int) -> Table | None:
    rows = []
    for p in pairs[:top_n]:
        change = p.get("change") or {}
        rows.append(
            [
                text_cell(" / ".join(p["labels"])),
                _rate_cell(p.get("consensus")),
                _rate_cell(p.get("pairwise")),
                text_cell(
                    ", ".join(
                        f"{d['expected']} → {d['given']} {d['count']}"
                        for d in p.get("directions", [])
                    )
                ),
                text_cell(p.get("coverage_note", "")),
                text_cell(
                    f"{change['verdict']} ({change['from']} → {change['to']})" if change else ""
                ),
            ]
        )
    columns = [
        "labels",
        "against consensus",
        "between annotators",
        "direction (expected → given)",
        "guideline",
        "after the version change",
    ]
    return Table(columns, rows, {1, 2}) if rows else None


def _review_part(entry: dict[str, Any]) -> Cell:
    return _rate_cell(
        {
            "rate": entry.get("rejection_rate"),
            "ci_low": entry.get("ci_low"),
            "ci_high": entry.get("ci_high"),
            "count": entry.get("n_rejected"),
            "n": entry.get("n_reviews"),
        }
    )


def _top_reason(entry: dict[str, Any]) -> str:
    reasons = entry.get("reasons") or []
    return f"{reasons[0]['reason']} ({reasons[0]['count']})" if reasons else ""


def _reviews(reviews: dict[str, Any], top_n: int) -> dict[str, Any] | None:
    """Rejection rates overall, per annotator (worst first) and per label, and the reasons."""
    if not reviews or not reviews.get("n_reviews"):
        return None
    rows = [
        ("reviews", f"{reviews['n_reviews']} by {reviews.get('n_reviewers', 'n/a')} reviewers"),
        ("rejected", _review_part(reviews).text),
    ]
    reasons = Table(
        ["rejection reason", "count"],
        [[text_cell(r["reason"]), num_cell(r["count"])] for r in reviews.get("reasons") or []],
        {1},
    )

    def breakdown(key: str, title: str) -> Table | None:
        entries = sorted(
            (reviews.get(key) or {}).items(),
            key=lambda kv: (-(kv[1].get("rejection_rate") or 0.0), kv[0]),
        )
        table_rows = [
            [text_cell(k), _review_part(v), text_cell(_top_reason(v))] for k, v in entries[:top_n]
        ]
        return (
            Table([title, "rejected", "most given reason"], table_rows, {1}) if table_rows else None
        )

    return {
        "rows": rows,
        "reasons": reasons if reasons.rows else None,
        "annotators": breakdown("by_annotator", "annotator"),
        "labels": breakdown("by_label", "label"),
    }


def _people(feedback: dict[str, Any]) -> Table | None:
    """Everyone flagged for retraining or who took the qualification test and failed it."""
    qualification = feedback.get("qualification") or {}
    retraining = feedback.get("retraining") or {}
    ids = sorted(
        set(retraining) | {a for a, q in qualification.items() if q.get("passed") is False}
    )
    rows = []
    for a in ids:
        q = qualification.get(a) or {}
        score = (
            f"{q['n_correct']} of {q['n_questions']} ({pct(q['score'])})"
            if q.get("score") is not None
            else "not taken"
        )
        passed = {True: "passed", False: "failed"}.get(bool(q.get("passed")), "")
        if q.get("passed") is None:
            passed = "not assessed"
        rows.append(
            [
                text_cell(a),
                Cell(score, float(q["score"]) if q.get("score") is not None else -1.0),
                text_cell(passed),
                text_cell("; ".join(retraining.get(a) or [])),
            ]
        )
    return (
        Table(["annotator", "qualification test", "", "flagged for retraining because"], rows, {1})
        if rows
        else None
    )


def feedback_section(feedback: dict[str, Any] | None, top_n: int) -> dict[str, Any] | None:
    """Confused label pairs, reviews, and qualification and retraining, from feedback.json."""
    if feedback is None:
        return None
    return {
        "pairs": _pairs_table(feedback.get("confused_pairs") or [], top_n),
        "reviews": _reviews(feedback.get("reviews") or {}, top_n),
        "people": _people(feedback),
    }
