"""`labelgate agreement FILE`: the agreement report for any CSV, JSONL or Parquet export."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from labelgate.cli.options import (
    add_column_options,
    add_engine_option,
    add_file_format_options,
    add_task_option,
    file_engine,
)
from labelgate.config.catalogue import WEIGHTS


def register(sub: Any) -> None:  # long: one argparse declaration per option
    """Add the `agreement` subcommand."""
    parser = sub.add_parser(
        "agreement",
        help="inter-annotator agreement of an annotation export",
        description="The agreement report of any CSV, JSONL or Parquet file with one row per "
        "annotation, in or outside a project: every coefficient with its bootstrap "
        "interval, per label, per annotator, every annotator pair, and notes on how far to "
        "trust them. Rows with an empty id or label are skipped and counted. Outside a "
        "project, labels are the distinct values of the label column; any level but "
        "nominal needs numeric labels. Python: labelgate.agreement(df).",
        epilog="examples:\n"
        "  labelgate agreement export.csv --item-col review_id --annotator-col worker "
        "--label-col answer\n"
        "  labelgate agreement ratings.jsonl --level ordinal --bootstrap 0\n"
        "  labelgate agreement ratings.jsonl --schema toxicity_severity --format json > "
        "agreement.json",
    )
    parser.add_argument(
        "file",
        type=Path,
        metavar="FILE",
        help="CSV, JSONL or Parquet, one row per annotation, or a Label Studio, Prodigy, "
        "Argilla or doccano export",
    )
    add_column_options(parser)
    parser.add_argument(
        "--format",
        dest="output",
        choices=("table", "json"),
        default="table",
        help="table for a terminal, json for the full report",
    )
    parser.add_argument(
        "--level",
        choices=("nominal", "ordinal", "interval", "ratio"),
        help="the scale (default: the schema's level, else nominal)",
    )
    parser.add_argument(
        "--schema",
        metavar="NAME",
        help="take labels and level from schemas/NAME.yaml of the project around FILE "
        "(default: none)",
    )
    parser.add_argument(
        "--weights",
        choices=("auto", *WEIGHTS),
        default="auto",
        help="disagreement weights; auto: identity for nominal, quadratic otherwise",
    )
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=1000,
        metavar="N",
        help="resamples for the intervals; 0: none",
    )
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="bootstrap seed")
    parser.add_argument(
        "--confidence",
        type=float,
        default=0.95,
        metavar="P",
        help="interval confidence, between 0.5 and 1",
    )
    parser.add_argument(
        "--interval",
        choices=("percentile", "bca", "analytic"),
        default="bca",
        help="how intervals are made: bca (bias-corrected and accelerated bootstrap), "
        "percentile bootstrap, or analytic (Gwet's standard errors; jackknife for alpha)",
    )
    parser.add_argument(
        "--min-pair-items",
        type=int,
        default=10,
        metavar="N",
        help="annotator pairs sharing fewer items are left out of the mean Cohen's kappa",
    )
    add_file_format_options(parser)
    add_task_option(parser)
    add_engine_option(parser)
    parser.set_defaults(handler=run)


METHOD_NAMES = {
    "bca": "bca (bias-corrected and accelerated bootstrap over items)",
    "percentile": "percentile bootstrap over items",
    "analytic": "analytic (Gwet's standard errors; item jackknife for alpha), +/- t(n-1) se",
}


def _num(value: float | None) -> str:
    return (
        "undefined"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:.3f}"
    )


def _table(rows: list[list[Any]], headers: list[str]) -> list[str]:
    """A plain-text table: the first column left-aligned, numbers right-aligned."""
    from tabulate import tabulate

    align = ("left", *("right",) * (len(headers) - 1))
    text = tabulate(rows, headers=headers, tablefmt="simple", colalign=align, disable_numparse=True)
    return str(text).split("\n")


def _heading(report: dict[str, Any]) -> list[str]:
    lines = [
        f"{report['source']}: {report['n_items']} items ({report['n_pairable_items']} with 2+ annotations), "
        f"{report['n_annotators']} annotators, {report['n_annotations']} annotations; level {report['level']}, weights {report['weights']}",
    ]
    if report["n_rows_skipped"]:
        lines.append(
            f"skipped rows: {report['n_rows_skipped']} ("
            + ", ".join(f"{k} {v}" for k, v in report["skipped_reasons"].items())
            + ")"
        )
    return lines


def _coefficients(report: dict[str, Any]) -> list[str]:
    boot = report["bootstrap"]
    method = boot.get("interval", "percentile") if boot else ""
    if not boot:
        head = "interval"
    elif method == "analytic":
        head = f"{int(boot['confidence'] * 100)}% interval (analytic)"
    else:
        head = f"{int(boot['confidence'] * 100)}% interval ({boot['resamples']} resamples, seed {boot['seed']})"

    def bounds(entry: dict[str, Any]) -> str:
        if entry["ci_low"] is None:
            return "-"
        text = f"[{_num(entry['ci_low'])}, {_num(entry['ci_high'])}]"
        made = entry.get("ci_method") or method
        # Name the method only where it is not the one asked for (a BCa fallback).
        return text if made.startswith(method) else f"{text} {made}"

    rows = [
        [name, _num(entry["value"]), bounds(entry)]
        for name, entry in report["coefficients"].items()
    ]
    lines = _table(rows, ["coefficient", "value", head])
    if boot:
        lines.append(f"intervals: {METHOD_NAMES.get(method, method)}")
    return lines


def _labels(report: dict[str, Any]) -> list[str]:
    rows = [
        [
            label,
            f"{entry['share']:.1%}",
            _num(entry["krippendorff_alpha"]),
            _num(entry["fleiss_kappa"]),
        ]
        for label, entry in report["per_label"].items()
    ]
    return _table(rows, ["label (one-vs-rest)", "share", "alpha", "kappa"])


def _annotators(report: dict[str, Any], top: int) -> list[str]:
    ranked = sorted(
        report["per_annotator"].items(),
        key=lambda kv: (
            kv[1]["percent_agreement_with_others"] is None,
            kv[1]["percent_agreement_with_others"] or 0.0,
        ),
    )
    rows = [
        [
            name,
            str(entry["n_annotations"]),
            _num(entry["percent_agreement_with_others"]),
            _num(entry["mean_cohen_kappa"]),
            _num(entry["krippendorff_alpha_without"]),
        ]
        for name, entry in ranked[:top]
    ]
    return _table(rows, ["annotator (lowest first)", "n", "agree", "kappa", "alpha w/o"])


def _pairs(report: dict[str, Any], top: int) -> list[str]:
    usable = [
        p
        for p in report["pairs"]
        if p["cohen_kappa"] is not None and p["n_items"] >= report["min_pair_items"]
    ]
    lines = [
        f"{len(report['pairs'])} annotator pairs; lowest Cohen's kappa among the {len(usable)} sharing {report['min_pair_items']}+ items:",
    ]
    for p in sorted(usable, key=lambda p: p["cohen_kappa"])[:top]:
        lines.append(
            f"  {p['annotator_a']} x {p['annotator_b']}: {p['cohen_kappa']:.3f} on {p['n_items']} items"
        )
    return lines


def _task_table(report: dict[str, Any], top: int) -> list[str]:
    """A multi-label or span report for a terminal: coefficients, labels, weakest pairs."""
    lines = [
        f"{report['source']}: {report['task'].replace('_', '-')}, {report['n_items']} items "
        f"({report['n_pairable_items']} with 2+ annotations), {report['n_annotators']} "
        f"annotators, {report['n_annotations']} annotations"
        + (f", {report['n_spans']} spans" if "n_spans" in report else ""),
    ]
    if report["n_rows_skipped"]:
        lines.append(
            f"skipped rows: {report['n_rows_skipped']} ("
            + ", ".join(f"{k} {v}" for k, v in report["skipped_reasons"].items())
            + ")"
        )
    lines += ["", *_coefficients(report), ""]
    if report["task"] == "multi_label":
        rows = [[e["label"], _num(e["prevalence"]), _num(e["alpha"])] for e in report["per_label"]]
        lines += _table(rows, ["label (present/absent)", "share", "alpha"])
    else:
        rows = [
            [e["label"], str(e["spans"]), _num(e["span_f1_strict"]), _num(e["span_f1_overlap"])]
            for e in report["per_label"]
        ]
        lines += _table(rows, ["label", "spans", "F1 strict", "F1 overlap"])
        pairs = sorted(
            (p for p in report["pairs"] if p["span_f1_strict"] is not None),
            key=lambda p: p["span_f1_strict"],
        )
        lines += ["", f"{len(report['pairs'])} annotator pairs; lowest strict span F1:"]
        lines += [
            f"  {p['annotator_a']} x {p['annotator_b']}: {p['span_f1_strict']:.3f} on "
            f"{p['shared_items']} items"
            for p in pairs[:top]
        ]
    if report["diagnostics"]:
        lines += ["", "notes:", *(f"  - {d['message']}" for d in report["diagnostics"])]
    return lines


def render_table(report: dict[str, Any], top: int = 10) -> list[str]:
    """The report for a terminal: coefficients, labels, weakest annotators and pairs, notes."""
    if "task" in report:
        return _task_table(report, top)
    lines = _heading(report)
    for block in (
        _coefficients(report),
        _labels(report),
        _annotators(report, top),
        _pairs(report, top),
    ):
        lines += ["", *block]
    if report["diagnostics"]:
        lines += ["", "notes:"]
        lines += [f"  - {d['message']} {d['meaning'].capitalize()}" for d in report["diagnostics"]]
    return lines


def run(args: argparse.Namespace) -> int:
    """Print the report as a table or JSON."""
    from labelgate.app.agreement import agreement_for_file
    from labelgate.io.json_io import json_text

    report = agreement_for_file(
        args.file,
        columns={
            "item_id": args.item_col,
            "annotator_id": args.annotator_col,
            "label": args.label_col,
        },
        level=args.level,
        schema_name=args.schema,
        weights=args.weights,
        resamples=args.bootstrap,
        seed=args.seed,
        confidence=args.confidence,
        min_pair_items=args.min_pair_items,
        file_format=args.file_format,
        control=args.field,
        task=args.task,
        interval=args.interval,
        engine=file_engine(args.engine),
    )
    if args.output == "json":
        print(json_text(report, sort_keys=False), end="")
    else:
        print("\n".join(render_table(json.loads(json_text(report, sort_keys=False)))))
    return 0
