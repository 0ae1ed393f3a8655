"""`labelgate report`: write build/index.html, every built dataset with a one-line status and
links to its report.html and progress.html (`labelgate run` writes it too)."""

from __future__ import annotations

from pathlib import Path

from labelgate.errors import InputError
from labelgate.io.json_io import read_json, write_text
from labelgate.problems import Problem
from labelgate.project import build_files, layout
from labelgate.report.html_index import IndexEntry, render_index

# The number an index line shows: the first of these a dataset's metrics have (single-label,
# multi-label, span datasets).
HEADLINES = ("krippendorff_alpha", "masi_alpha", "span_f1_strict")


def _entry(folder: Path) -> IndexEntry:
    metrics = read_json(folder / build_files.METRICS_JSON)
    gate_file = folder / build_files.GATE_JSON
    values = metrics.get("metrics", {})
    return IndexEntry(
        name=folder.name,
        metrics=metrics,
        gate=read_json(gate_file) if gate_file.exists() else None,
        headline=next((h for h in HEADLINES if values.get(h) is not None), None),
        has_report=(folder / build_files.REPORT_HTML).exists(),
        has_progress=(folder / build_files.PROGRESS_HTML).exists(),
    )


def index_entries(root: Path) -> list[IndexEntry]:
    """Every folder of build/ with a metrics.json, by name."""
    build = root / layout.BUILD
    if not build.is_dir():
        return []
    folders = sorted(p for p in build.iterdir() if (p / build_files.METRICS_JSON).is_file())
    return [_entry(p) for p in folders]


def write_index(root: Path) -> Path:
    """Write build/index.html from what is built; InputError (exit 3) when nothing is."""
    entries = index_entries(root)
    if not entries:
        raise InputError(
            [
                Problem(
                    f"{layout.BUILD}/",
                    message="no dataset has been built yet, so there is nothing to index.",
                    fix="Run 'labelgate run' first.",
                )
            ]
        )
    return write_text(root / layout.BUILD / build_files.INDEX_HTML, render_index(entries))
