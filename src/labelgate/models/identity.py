"""A model's recorded identity: its name, a version that changes with any setting, its settings."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field


def canonical_json(value: object) -> str:
    """JSON with sorted keys and no spaces: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def short_hash(value: object, length: int = 12) -> str:
    """The first `length` hex digits of the SHA-256 of `value`'s canonical JSON."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()[:length]


@dataclass(frozen=True)
class ModelIdentity:
    """Which model produced a set of probabilities, for lineage.

    `model` names the provider (`tfidf_logreg`, or the name a predictions table gives);
    `model_version` changes whenever anything that changes the probabilities changes;
    `params` are the settings, JSON-able.
    """

    model: str
    model_version: str
    params: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """`{"model", "model_version", "params"}`, with params' keys sorted (JSON-able)."""
        params = json.loads(canonical_json(self.params))
        return {"model": self.model, "model_version": self.model_version, "params": params}
