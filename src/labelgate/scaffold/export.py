"""Write the JSON Schemas of every kind to a folder, and the editor settings that use them."""

from __future__ import annotations

import json
from pathlib import Path

from labelgate.config.json_schema import KINDS, file_name, json_schema


def dump_json(data: object) -> str:
    """Deterministic JSON text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export_json_schemas(folder: Path) -> list[Path]:
    """Write one `labelgate-KIND.schema.json` per kind into `folder`; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KINDS:
        path = folder / file_name(kind)
        path.write_text(dump_json(json_schema(kind)), encoding="utf-8")
        written.append(path)
    return written


def vscode_settings(schema_folder: str) -> dict[str, object]:
    """`.vscode/settings.json` content mapping each kind's files to its schema (YAML extension)."""
    mapping = {
        f"./{schema_folder}/{file_name(kind)}": list(globs)
        for kind, (_, globs) in KINDS.items()
        if globs
    }
    return {"yaml.schemas": mapping}
