"""Importers: one module per annotation tool's export format, each mapping onto the canonical tables."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labelgate.io.importers.base import Imported

# --file-format / `format:` name -> (module in this package, function). Every function is
# `(path, display, control=None) -> Imported` and raises InputError for a file it cannot read.
FORMATS: dict[str, tuple[str, str]] = {
    "labelstudio": ("labelstudio", "read_json"),
    "labelstudio-min": ("labelstudio", "read_json_min"),
    "labelstudio-csv": ("labelstudio", "read_csv"),
    "prodigy": ("prodigy", "read"),
    "argilla": ("argilla", "read"),
    "doccano": ("doccano", "read"),
}


def import_file(path: Path, file_format: str, display: str, control: str | None = None) -> Imported:
    """Read one tool export (`file_format` a FORMATS key) onto canonical tables."""
    module, function = FORMATS[file_format]
    reader = getattr(import_module(f"{__name__}.{module}"), function)
    imported: Imported = reader(path, display, control)
    return imported
