"""`labelgate import`: one annotation tool's export onto canonical tables in a folder, with a report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from labelgate.errors import InputError
from labelgate.io.importers import FORMATS, import_file
from labelgate.io.importers.base import Imported
from labelgate.io.json_io import prepare_output, write_json
from labelgate.io.readers import infer_format
from labelgate.io.writers import write_csv, write_parquet
from labelgate.problems import Problem

# The tables `labelgate import` writes, by file stem.
TABLES = ("annotations", "items", "gold", "spans", "predictions")
REPORT = "import_report.json"
SKIPPED = "skipped.csv"


def _imported(path: Path, file_format: str | None, control: str | None) -> Imported:
    display = str(path)
    if not path.exists():
        raise InputError([Problem(display, message="file not found.", fix="Check the path.")])
    fmt = infer_format(path, file_format, display)
    if fmt not in FORMATS:
        raise InputError(
            [
                Problem(
                    display,
                    message=f"is not recognised as an annotation tool's export (read as {fmt}).",
                    fix=f"Name the tool with --file-format ({', '.join(FORMATS)}); a plain "
                    "CSV, JSONL or Parquet export needs no import: the file commands and "
                    "dataset sources read it as it is.",
                )
            ]
        )
    return import_file(path, fmt, display, control)


def _skipped_table(imported: Imported) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": pd.array([s.row for s in imported.skipped], dtype="int64"),
            "reason": pd.array([s.reason for s in imported.skipped], dtype="str"),
            "detail": pd.array([s.detail for s in imported.skipped], dtype="str"),
        }
    )


def import_export(
    path: Path,
    out_dir: Path,
    file_format: str | None = None,
    control: str | None = None,
    table_format: str = "parquet",
) -> dict[str, Any]:
    """Write the canonical tables of one tool export to `out_dir` (Parquet or CSV), the
    annotations it left out (skipped.csv, with reasons) and import_report.json; return the
    report."""
    imported = _imported(path, file_format, control)
    prepare_output(out_dir, folder=True)
    files = {}
    for name in TABLES:
        frame: pd.DataFrame = getattr(imported, name)
        target = out_dir / f"{name}.{table_format}"
        if table_format == "csv":
            write_csv(target, frame)
        else:
            write_parquet(target, frame)
        files[name] = target.name
    write_csv(out_dir / SKIPPED, _skipped_table(imported))
    report = {"file": str(path), **imported.report(), "files": {**files, "skipped": SKIPPED}}
    write_json(out_dir / REPORT, report)
    return report


def render_report(report: dict[str, Any]) -> list[str]:
    """The import report for a terminal."""
    lines = [
        f"{report['file']} ({report['file_format']}"
        + (f", field {report['control']}" if report["control"] else "")
        + f"): {report['records']:,} records",
        f"  annotations: {report['annotations_found']:,} found, {report['annotations_kept']:,} "
        f"kept, {report['skipped']:,} left out",
    ]
    for reason, count in report["skipped_by_reason"].items():
        lines.append(f"    {reason}: {count:,}")
    lines.append(
        f"  items {report['items']:,}, annotators {report['annotators']:,}, spans "
        f"{report['spans']:,}, gold {report['gold']:,}, predictions {report['predictions']:,}"
    )
    lines += [f"  note: {note}" for note in report["notes"]]
    return lines
