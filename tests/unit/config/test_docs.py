"""README.md documents every key of every YAML kind (so docs cannot fall behind the models)."""

from __future__ import annotations

import typing
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from labelgate.config.json_schema import KINDS
from tests.conftest import REPO_ROOT


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) is typing.Literal:
        return []
    return [m for arg in get_args(annotation) for m in _models(arg)]


def _keys(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    if model in seen:
        return set()
    seen.add(model)
    keys: set[str] = set()
    for name, info in model.model_fields.items():
        keys.add(info.alias or name)
        for inner in _models(info.annotation):
            keys |= _keys(inner, seen)
    return keys


def test_every_key_of_every_kind_is_in_the_readme() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for kind, (model, _) in KINDS.items():
        assert f"### {kind}" in readme, kind
        for key in sorted(_keys(model, set())):
            assert f"`{key}`" in readme or f"`{key} " in readme or f"{key}`" in readme, (kind, key)


def test_every_check_kind_is_in_the_readme() -> None:
    from labelgate.config.qa_rules import Check

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    union = get_args(Check)[0]
    for member in get_args(union):
        kind = get_args(member.model_fields["kind"].annotation)[0]
        assert f"| `{kind}` |" in readme, kind
