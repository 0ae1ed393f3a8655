"""Turn a dict from YAML into a model, mapping pydantic errors onto file:line:column problems."""

from __future__ import annotations

import re
import types
import typing
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from labelgate.config.pipeline import PARAM_ERROR
from labelgate.config.yaml_loader import KeyPath, LoadedYaml, Positions
from labelgate.errors import ConfigError
from labelgate.problems import Problem, did_you_mean

M = TypeVar("M", bound=BaseModel)

_QUOTED = re.compile(r"'([^']*)'")


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types a field annotation can hold (Optional, Annotated and unions opened)."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [t for arg in get_args(annotation) for t in _unwrap(arg)]
    return [annotation]


def _model_at(model: type[BaseModel], loc: KeyPath) -> type[BaseModel] | None:
    """The model class that owns the key at `loc` (best effort; None when unknown)."""
    current: list[Any] = [model]
    for part in loc:
        following: list[Any] = []
        for candidate in current:
            origin = get_origin(candidate)
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                if isinstance(part, str) and part in candidate.model_fields:
                    following += _unwrap(candidate.model_fields[part].annotation)
                elif isinstance(part, str):
                    # A discriminated-union tag names the member: keep the candidate.
                    tag = candidate.model_fields.get("kind") or candidate.model_fields.get("op")
                    if tag is not None and part in get_args(tag.annotation):
                        following.append(candidate)
            elif origin in (list, tuple) and isinstance(part, int):
                following += [t for arg in get_args(candidate)[:1] for t in _unwrap(arg)]
            elif origin is dict and isinstance(part, str):
                following += _unwrap(get_args(candidate)[1])
        current = following
    for candidate in current:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _aliases(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _problem(model: type[BaseModel], error: Any, positions: Positions) -> Problem:
    loc: KeyPath = tuple(error["loc"])
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        fix = did_you_mean(loc[-1], _aliases(owner)) if owner else "Remove the key."
        return positions.problem(loc, f"unknown key '{loc[-1]}'.", fix)
    if kind == "missing":
        return positions.problem(
            loc, f"required key '{loc[-1]}' is missing.", f"Add '{loc[-1]}:' here."
        )
    if kind in ("literal_error", "enum"):
        expected = _QUOTED.findall(str(ctx.get("expected", "")))
        return positions.problem(
            loc, f"'{value}' is not allowed here.", did_you_mean(value, expected)
        )
    discriminator = str(ctx.get("discriminator", "kind")).strip("'")
    if kind == "union_tag_invalid":
        expected = _QUOTED.findall(str(ctx.get("expected_tags", "")))
        tag = ctx.get("tag")
        return positions.problem(
            loc, f"unknown {discriminator} '{tag}'.", did_you_mean(tag, expected)
        )
    if kind == "union_tag_not_found":
        return positions.problem(loc, f"this entry needs a '{discriminator}' key.", "")
    if kind == PARAM_ERROR:
        return positions.problem(loc, str(ctx.get("message", "")), str(ctx.get("fix", "")))
    if kind == "string_type" and isinstance(value, bool):
        return positions.problem(
            loc,
            f"expected a string, but YAML read a boolean ({value}) instead.",
            "YAML reads yes/no/on/off/true/false as booleans: quote the value, e.g. 'yes'.",
        )
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind not in ("value_error", "assertion_error") and not isinstance(value, dict | list):
        message += f", got {value!r} instead"
    if not message.endswith((".", "?", "!")):
        message += "."
    return positions.problem(loc, message, "")


def validate(model: type[M], loaded: LoadedYaml) -> M:
    """Validate a loaded document against `model`, raising every problem at once."""
    data = loaded.data
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ConfigError(
            [
                loaded.positions.problem(
                    (), f"expected a mapping of keys, but got {found} instead.", ""
                )
            ]
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(model, e, loaded.positions) for e in exc.errors()]
        raise ConfigError(sorted(problems)) from None
