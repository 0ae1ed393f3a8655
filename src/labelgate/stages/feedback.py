"""feedback: guideline suggestions, a page per annotator, reviews, qualification and drift."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from labelgate.analysis.agreement import schema_values
from labelgate.analysis.annotator_feedback import (
    SUMMARY_COLUMNS,
    annotator_feedback,
    feedback_summary_rows,
)
from labelgate.analysis.confusion_pairs import Encoded, confusion_pairs
from labelgate.analysis.drift import drift_report
from labelgate.analysis.model_inputs import NUMERIC_FIELD_TYPES, numeric_fields
from labelgate.analysis.qualification import (
    gold_accuracy_by_window,
    qualification_scores,
    retraining_flags,
)
from labelgate.analysis.reviews import review_summary, worst_annotator
from labelgate.analysis.windows import assign_windows, id_codes
from labelgate.config import columns as col
from labelgate.config.qa_rules import AnnotatorQualification
from labelgate.io.json_io import read_json, write_json, write_text
from labelgate.io.writers import read_parquet, write_csv
from labelgate.project import build_files
from labelgate.project.context import DatasetContext
from labelgate.report.feedback_md import annotator_feedback_md, guideline_suggestions_md
from labelgate.stages import base

# The columns compute reads; a table's others stay on disk.
ANNOTATION_COLUMNS = [
    col.ITEM_ID,
    col.ANNOTATOR_ID,
    col.LABEL,
    "labels",
    "annotated_at",
    "duration_s",
    "batch",
    "guideline_version",
]
FINAL_COLUMNS = [col.ITEM_ID, col.LABEL, "status", "confidence"]
REVIEW_COLUMNS = [col.ITEM_ID, col.ANNOTATOR_ID, "reviewer_id", "verdict", "reason"]
ANSWER_COLUMNS = [col.ANNOTATOR_ID, col.ITEM_ID, col.LABEL]

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Names Windows refuses as file names, whatever the suffix.
_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}


def page_names(annotator_ids: Iterable[str]) -> dict[str, str]:
    """Annotator id -> the file name of their page: the id itself when it is a safe, portable
    name unique without regard to case; else a slug with a hash of the id."""
    ids = sorted(set(annotator_ids))
    lowered: dict[str, int] = {}
    for a in ids:
        lowered[a.lower()] = lowered.get(a.lower(), 0) + 1
    names = {}
    for a in ids:
        plain = (
            _SAFE_NAME.fullmatch(a) is not None
            and a.split(".")[0].lower() not in _RESERVED
            and lowered[a.lower()] == 1
        )
        if plain:
            names[a] = f"{a}.md"
        else:
            slug = re.sub(r"[^A-Za-z0-9._-]+", "_", a)[:40].strip("._") or "annotator"
            digest = hashlib.sha256(a.encode("utf-8")).hexdigest()[:10]
            names[a] = f"{slug}-{digest}.md"
    return names


def _text_fields(ctx: DatasetContext, items: pd.DataFrame) -> list[str]:
    return [f.name for f in ctx.schema.item_fields if f.type == "string" and f.name in items]


def _feature_fields(ctx: DatasetContext, items: pd.DataFrame) -> list[str]:
    kinds = (*NUMERIC_FIELD_TYPES, "category")
    return [f.name for f in ctx.schema.item_fields if f.type in kinds and f.name in items]


def _typed_items(ctx: DatasetContext, items: pd.DataFrame) -> pd.DataFrame:
    """Items with their numeric and boolean fields as numbers, for the drift classifier."""
    numeric = numeric_fields(items, ctx.schema)
    return items.assign(**{name: numeric[name] for name in numeric.columns})


def _retraining(
    rules: AnnotatorQualification | None,
    qualification: dict[str, Any],
    by_window: dict[str, Any],
    aggregate: dict[str, Any],
) -> dict[str, list[str]]:
    """Reasons to retrain, per annotator: the qualification test, gold accuracy over time, and
    the aggregate stage's bar on overall gold accuracy."""
    flags: dict[str, list[str]] = {}
    if rules is not None:
        flags = retraining_flags(
            qualification,
            by_window,
            min_gold_accuracy=rules.min_gold_accuracy,
            min_gold_items=rules.min_gold_items_per_window,
            max_drop=rules.max_gold_accuracy_drop,
            significance=0.05,
        )
        for annotator in aggregate.get("annotators_needing_retraining", []):
            bar = f"gold accuracy over all your work is below the bar of {rules.min_gold_accuracy:.2f}"
            reasons = flags.setdefault(str(annotator), [])
            if bar not in reasons:
                reasons.append(bar)
    return {a: r for a, r in sorted(flags.items()) if r}


def compute(ctx: DatasetContext) -> dict[str, Any]:
    """Every feedback figure and document, without writing them."""
    out = ctx.out
    settings = ctx.pipeline.feedback
    rules = ctx.qa_rules.annotator_qualification
    # Only the columns used: the annotations' other columns are most of a large table.
    annotations = read_parquet(out / build_files.ANNOTATIONS, columns=ANNOTATION_COLUMNS)
    items = read_parquet(
        out / build_files.ITEMS, columns=[col.ITEM_ID, *(f.name for f in ctx.schema.item_fields)]
    )
    final = read_parquet(out / build_files.FINAL_LABELS, columns=FINAL_COLUMNS)
    gold = read_parquet(out / build_files.GOLD, columns=[col.ITEM_ID, col.LABEL])
    reviews = read_parquet(out / build_files.REVIEWS, columns=REVIEW_COLUMNS)
    aggregate = read_json(out / build_files.AGGREGATE_JSON)
    labels = list(ctx.schema.label_ids)
    texts = _text_fields(ctx, items)
    text_field = texts[0] if texts else None
    single = ctx.schema.task == "single_label"

    # Item and annotator ids factorised once, for windows, drift and the encoded votes.
    ids = id_codes(annotations)
    windows = assign_windows(annotations, settings.window, ids)
    reviewed = review_summary(reviews, annotations)
    qualification = (
        qualification_scores(
            read_parquet(out / build_files.QUALIFICATION, columns=ANSWER_COLUMNS),
            read_parquet(out / build_files.QUALIFICATION_KEY, columns=[col.ITEM_ID, col.LABEL]),
            pass_mark=rules.qualification_pass_mark if rules else None,
            min_questions=rules.min_qualification_questions if rules else 10,
            confidence=0.95,
        )
        if single
        else {}
    )
    by_window = gold_accuracy_by_window(annotations, gold, windows) if single else {}
    retraining = _retraining(rules, qualification, by_window, aggregate)

    result: dict[str, Any] = {
        "task": ctx.schema.task,
        "window": settings.window,
        "min_annotator_reviews": settings.min_annotator_reviews,
        "reviews": reviewed,
        "qualification": qualification,
        "gold_accuracy_by_window": by_window,
        "retraining": retraining,
    }
    if not single:
        reason = (
            f"drift and confusion pairs are measured for single-label tasks, not {ctx.schema.task}"
        )
        result["drift"] = {"skipped": reason, "window": settings.window}
        result["confusion"] = {"skipped": reason}
        result["annotators"] = {}
        return result

    ranks = None
    issues_path = out / build_files.LABEL_ISSUES
    if issues_path.exists():
        table = read_parquet(issues_path, columns=[col.ITEM_ID, "rank"])
        if len(table) and "rank" in table:
            ranks = table[[col.ITEM_ID, "rank"]]
    result["drift"] = drift_report(
        annotations,
        _typed_items(ctx, items),
        final,
        windows,
        labels=labels,
        level=ctx.schema.level,
        text_fields=texts,
        feature_fields=_feature_fields(ctx, items),
        min_window_items=settings.min_window_items,
        seed=settings.seed,
        folds=settings.folds,
        max_items_per_window=settings.max_items_per_window,
        resamples=settings.resamples,
        values=list(schema_values(ctx.schema.level, [lab.value for lab in ctx.schema.labels])),
    )
    # One encoding of the votes serves both analyses; the raw table is no longer needed.
    encoded = Encoded(annotations, final, labels, ids)
    del windows, ids
    result["confusion"] = confusion_pairs(
        annotations,
        final,
        labels,
        ctx.guideline,
        items,
        text_field=text_field,
        top_n=settings.top_pairs,
        examples=settings.pair_examples,
        label_issue_ranks=ranks,
        encoded=encoded,
    )
    result["annotators"] = annotator_feedback(
        annotations,
        final,
        gold,
        labels,
        ctx.guideline,
        items,
        reviews,
        qualification,
        retraining,
        text_field=text_field,
        examples=settings.annotator_examples,
        encoded=encoded,
    )
    return result


def summary_of(result: dict[str, Any]) -> dict[str, Any]:
    """feedback.json: the figures gates and the report read (documents are written beside)."""
    drift = result["drift"]
    reviews = result["reviews"]
    qualification = result["qualification"]
    assessed = [q for q in qualification.values() if q.get("passed") is not None]
    worst = worst_annotator(reviews.get("by_annotator") or {}, result["min_annotator_reviews"])
    pairs = (result["confusion"] or {}).get("pairs") or []
    return {
        "task": result["task"],
        "window": result["window"],
        "label_shift_jsd": drift.get("label_shift_jsd"),
        "item_drift_auc": drift.get("item_drift_auc"),
        "agreement_drop": drift.get("agreement_drop"),
        "review_rejection_rate": reviews.get("rejection_rate"),
        "annotator_rejection_rate_max": worst["rejection_rate"] if worst else None,
        "annotator_rejection_rate_max_reviews": worst["n_reviews"] if worst else 0,
        "qualification_assessed": len(assessed),
        "qualification_pass_rate": (
            sum(bool(q["passed"]) for q in assessed) / len(assessed) if assessed else None
        ),
        "annotators_flagged_for_retraining": len(result["retraining"]),
        "retraining": result["retraining"],
        "drift": drift,
        "reviews": reviews,
        "qualification": qualification,
        "gold_accuracy_by_window": result["gold_accuracy_by_window"],
        "confused_pairs": pairs,
        "version_change": (result["confusion"] or {}).get("version_change"),
    }


PLOT_COLUMNS = (
    "window",
    "n_items",
    "alpha",
    "label_shift_jsd",
    "item_drift_auc",
    "agreement_drop",
)


def drift_plot(drift: dict[str, Any]) -> pd.DataFrame:
    """plots/drift_by_window.csv: each window's alpha and its drift from the previous window
    (for `dvc plots`)."""
    after = {p["to"]: p for p in drift.get("pairs") or []}
    rows = [
        {
            "window": w["window"],
            "n_items": w["n_items"],
            "alpha": w.get("alpha"),
            **{k: after.get(w["window"], {}).get(k) for k in PLOT_COLUMNS[3:]},
        }
        for w in drift.get("windows") or []
    ]
    return pd.DataFrame(rows, columns=list(PLOT_COLUMNS))


def _clear_stale_pages(folder: Path, keep: set[str]) -> None:
    """Pages of annotators no longer in the data go: a page is sent to a person."""
    if folder.is_dir():
        for page in folder.glob("*.md"):
            if page.name not in keep:
                page.unlink()


def summary_lines(summary: dict[str, Any], n_pages: int) -> list[str]:
    """What the person running the stage sees."""

    def fmt(value: float | None, spec: str = ".3f") -> str:
        return "n/a" if value is None else format(value, spec)

    lines = [
        f"drift by {summary['window']}: label shift JSD {fmt(summary['label_shift_jsd'])}, "
        f"item drift AUC {fmt(summary['item_drift_auc'])}, alpha drop "
        f"{fmt(summary['agreement_drop'])}",
        f"reviews: rejection rate {fmt(summary['review_rejection_rate'], '.1%')}; "
        f"qualification pass rate {fmt(summary['qualification_pass_rate'], '.1%')}; "
        f"{summary['annotators_flagged_for_retraining']} annotators flagged for retraining",
    ]
    if summary["confused_pairs"]:
        top = summary["confused_pairs"][0]
        lines.append(
            f"most confused pair: {' / '.join(top['labels'])}; {n_pages} annotator pages written"
        )
    return lines


def run(ctx: DatasetContext) -> base.StageResult:
    """Write feedback.json, feedback/guideline_suggestions.{md,json}, feedback/annotators.csv
    and a page per annotator."""
    result = compute(ctx)
    summary = summary_of(result)
    out = ctx.out
    folder = out / build_files.FEEDBACK_DIR
    pages = folder / "annotators"
    outputs = [
        write_json(out / build_files.FEEDBACK_JSON, summary),
        write_csv(out / build_files.PLOTS / "drift_by_window.csv", drift_plot(result["drift"])),
    ]
    confusion = result["confusion"]
    outputs.append(write_json(folder / "guideline_suggestions.json", confusion))
    outputs.append(
        write_text(
            folder / "guideline_suggestions.md",
            guideline_suggestions_md(ctx.name, ctx.guideline.front.version, confusion),
        )
    )
    feedback = result["annotators"]
    names = page_names(feedback) if ctx.pipeline.feedback.annotator_pages else {}
    rows = feedback_summary_rows(feedback)
    for row in rows:
        row["page"] = f"annotators/{names[row[col.ANNOTATOR_ID]]}" if names else ""
    outputs.append(
        write_csv(folder / "annotators.csv", pd.DataFrame(rows, columns=[*SUMMARY_COLUMNS, "page"]))
    )
    _clear_stale_pages(pages, set(names.values()))
    pages.mkdir(parents=True, exist_ok=True)
    for annotator, entry in feedback.items():
        if annotator in names:
            outputs.append(
                write_text(
                    pages / names[annotator], annotator_feedback_md(ctx.name, annotator, entry)
                )
            )
    return base.StageResult(
        "feedback", ctx.name, outputs, summary, summary_lines(summary, len(names))
    )
