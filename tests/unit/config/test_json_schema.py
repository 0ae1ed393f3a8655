"""The exported JSON Schemas accept the files editors map them to, in this repo and the template."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from labelgate.config.json_schema import KINDS, file_name, json_schema
from labelgate.scaffold.export import vscode_settings
from tests.conftest import REPO_ROOT

TEMPLATE = REPO_ROOT / "src/labelgate/scaffold/template"


@pytest.mark.parametrize("root", [REPO_ROOT, TEMPLATE], ids=["repo", "template"])
@pytest.mark.parametrize("kind", [k for k, (_, globs) in KINDS.items() if globs])
def test_every_mapped_file_validates_against_its_schema(root: Path, kind: str) -> None:
    _, globs = KINDS[kind]
    files = [f for pattern in globs for f in sorted(root.glob(pattern))]
    assert files or kind == "guidelines_lock", (kind, root)
    for path in files:
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), json_schema(kind))


def test_editors_map_conf_to_the_hydra_root_people_edit_not_generated_params() -> None:
    mapping = vscode_settings(".labelgate/json-schema")["yaml.schemas"]
    assert isinstance(mapping, dict)
    conf = mapping[f"./.labelgate/json-schema/{file_name('conf')}"]
    assert conf == ["conf/config.yaml"]
    assert not any("params.yaml" in g for globs in mapping.values() for g in globs)


def test_a_typo_in_conf_is_flagged() -> None:
    doc = yaml.safe_load((TEMPLATE / "conf/config.yaml").read_text(encoding="utf-8"))
    doc["dataset"] = doc.pop("datasets")
    with pytest.raises(jsonschema.ValidationError, match="dataset"):
        jsonschema.validate(doc, json_schema("conf"))
