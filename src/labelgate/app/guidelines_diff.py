"""`labelgate guidelines diff`: what changed in the guidelines, and which labels it puts in doubt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from labelgate.analysis.audit import priority
from labelgate.config import columns as col
from labelgate.config.guideline import Guideline
from labelgate.config.schema import Migration, Schema
from labelgate.config.validation import validate
from labelgate.config.yaml_loader import parse_yaml
from labelgate.errors import ConfigError
from labelgate.guidelines.compare import GuidelineChanges, GuidelineDiff, Impact, compare
from labelgate.guidelines.lock import text_hash
from labelgate.guidelines.parser import parse_guideline
from labelgate.io.git import file_at, resolve_revision, run_git
from labelgate.io.writers import read_parquet, write_csv
from labelgate.problems import Problem
from labelgate.project import build_files, layout
from labelgate.project.loader import load_project

MAIN_BRANCHES = ("origin/main", "main", "origin/master", "master")


def merge_base(root: Path) -> tuple[str, str]:
    """(name, commit) of the merge base of HEAD with the main branch."""
    for branch in MAIN_BRANCHES:
        done = run_git(root, "merge-base", "HEAD", branch)
        if done.returncode == 0 and done.stdout.strip():
            return f"merge-base with {branch}", done.stdout.strip()
    raise ConfigError(
        [
            Problem(
                "REV_A",
                message="no main branch to compare with (tried " + ", ".join(MAIN_BRANCHES) + ").",
                fix="Name the revision to compare with: labelgate guidelines diff REV_A.",
            )
        ]
    )


def _texts_at(root: Path, commit: str | None) -> dict[str, tuple[str, str]]:
    """name -> (file, text) of every guideline at `commit` (None: the working tree)."""
    if commit is None:
        folder = root / layout.GUIDELINES
        files = sorted(folder.glob("*.md")) if folder.is_dir() else []
        return {p.stem: (layout.relative(root, p), p.read_text(encoding="utf-8")) for p in files}
    listed = run_git(root, "ls-tree", "--name-only", commit, f"{layout.GUIDELINES}/")
    out = {}
    for path in sorted(listed.stdout.split()):
        name = Path(path).name
        if not name.endswith(".md"):
            continue
        file = f"{layout.GUIDELINES}/{name}"
        text = file_at(root, commit, file)
        if text is not None:
            out[Path(name).stem] = (file, text)
    return out


def _parse(text: str | None, display: str) -> Guideline | None:
    return None if text is None else parse_guideline(text, display)[0]


def schema_migrations(
    root: Path, commit: str | None, guide: Guideline | None, display: str
) -> tuple[str, list[Migration]]:
    """(file, migrations) of the schema a guideline names, at `commit` (None: the working
    tree); ("", []) when it is missing, and no migrations when it does not load (`labelgate
    check` reports that)."""
    if guide is None:
        return "", []
    for suffix in (".yaml", ".yml"):
        file = f"{layout.SCHEMAS}/{guide.front.schema_}{suffix}"
        if commit is None:
            path = root / file
            text = path.read_text(encoding="utf-8") if path.is_file() else None
        else:
            text = file_at(root, commit, file)
        if text is None:
            continue
        try:
            return file, list(validate(Schema, parse_yaml(text, f"{display}:{file}")).migrations)
        except ConfigError:
            return file, []
    return "", []


def allocate(sizes: pd.Series, total: int) -> pd.Series:
    """Per stratum, how many to draw: one each first when `total` allows, the rest in
    proportion to size (largest remainder)."""
    total = min(total, int(sizes.sum()))
    base_count = np.minimum(sizes.to_numpy(), 1 if total >= len(sizes) else 0)
    rest = total - int(base_count.sum())
    room = sizes.to_numpy() - base_count
    if rest <= 0 or room.sum() == 0:
        return pd.Series(base_count, index=sizes.index)
    share = room * rest / room.sum()
    extra = np.floor(share).astype(int)
    order = np.lexsort((np.arange(len(share)), -(share - extra)))
    for position in order[: rest - int(extra.sum())]:
        extra[position] += 1
    return pd.Series(base_count + np.minimum(extra, room), index=sizes.index)


def stratified_sample(frame: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    """`size` items stratified by label, each stratum taking its lowest hash priorities."""
    if frame.empty or size <= 0:
        return frame.iloc[:0]
    ranked = frame.assign(_priority=priority(frame[col.ITEM_ID], seed)).sort_values(
        [col.LABEL, "_priority", col.ITEM_ID], kind="stable"
    )
    quota = allocate(ranked.groupby(col.LABEL).size(), size)
    rank = ranked.groupby(col.LABEL).cumcount()
    chosen = ranked[rank.to_numpy() < ranked[col.LABEL].map(quota).to_numpy()]
    return chosen.drop(columns="_priority").reset_index(drop=True)


def impact(root: Path, dataset: str, changes: GuidelineChanges, size: int, seed: int) -> Impact:
    """Annotations and final labels made under the old version for the affected labels."""
    out = root / layout.BUILD / dataset
    if (
        not (out / build_files.FINAL_LABELS).is_file()
        or not (out / build_files.ANNOTATIONS).is_file()
    ):
        return Impact(dataset, built=False, seed=seed)
    affected = list(changes.affected_labels)
    old = changes.version_a or ""
    annotations = read_parquet(out / build_files.ANNOTATIONS)
    under_old = annotations[annotations["guideline_version"] == old]
    hit = under_old[under_old[col.LABEL].isin(affected)]
    final = read_parquet(out / build_files.FINAL_LABELS)
    old_items = pd.Index(under_old[col.ITEM_ID].unique())
    doubted = final[final[col.LABEL].isin(affected) & final[col.ITEM_ID].isin(old_items)]
    sample = stratified_sample(doubted[[col.ITEM_ID, col.LABEL]], size, seed)
    return Impact(
        dataset,
        built=True,
        annotations=len(hit),
        annotations_total=len(annotations),
        final_labels=len(doubted),
        final_total=len(final),
        sample=tuple(zip(sample[col.ITEM_ID], sample[col.LABEL], strict=True)),
        seed=seed,
    )


def diff_guidelines(
    root: Path,
    rev_a: str | None = None,
    rev_b: str | None = None,
    sample_size: int = 50,
    seed: int | None = None,
) -> tuple[dict[str, str | None], list[GuidelineDiff]]:
    """The changed guidelines between two revisions (defaults: merge base, working tree)."""
    if rev_a is None:
        name_a, commit_a = merge_base(root)
    else:
        name_a, commit_a = rev_a, resolve_revision(root, rev_a, "REV_A")
    commit_b = resolve_revision(root, rev_b, "REV_B") if rev_b else None
    texts_a, texts_b = _texts_at(root, commit_a), _texts_at(root, commit_b)
    project = load_project(root)
    diffs = []
    for name in sorted(texts_a.keys() | texts_b.keys()):
        file_a, text_a = texts_a.get(name, ("", None))
        file_b, text_b = texts_b.get(name, ("", None))
        if text_a is not None and text_b is not None and text_hash(text_a) == text_hash(text_b):
            continue
        guide_b = _parse(text_b, f"{rev_b or 'working tree'}:{file_b}")
        # The migrations of the schema B's guideline names, as B has it.
        schema, migrations = schema_migrations(root, commit_b, guide_b, rev_b or "working tree")
        changes = compare(
            name,
            file_b or file_a,
            _parse(text_a, f"{name_a[:20]}:{file_a}"),
            guide_b,
            migrations,
            schema,
        )
        impacts = []
        if changes.version_a is not None and changes.affected_labels:
            for dataset, doc in sorted(project.datasets.items()):
                if doc.model.guideline != name:
                    continue
                rules = project.qa_rules.get(doc.model.qa_rules)
                audit = rules.model.audit if rules else None
                chosen = seed if seed is not None else (audit.seed if audit else 0)
                impacts.append(impact(root, dataset, changes, sample_size, chosen))
        diffs.append(GuidelineDiff(changes, tuple(impacts)))
    revisions = {"a": commit_a, "a_name": name_a, "b": commit_b, "b_name": rev_b or "working tree"}
    return revisions, diffs


def _labels_json(c: GuidelineChanges) -> dict[str, Any]:
    return {
        "added": list(c.labels_added),
        "removed": list(c.labels_removed),
        "redefined": sorted(c.labels_redefined),
        "migrated": [
            {
                "op": m.op,
                "from": list(m.old),
                "to": list(m.new),
                "since": m.since,
                "schema": m.schema,
                "diff": m.diff,
            }
            for m in c.labels_migrated
        ],
    }


def _rulings_json(c: GuidelineChanges) -> dict[str, Any]:
    return {
        "added": [
            {"id": r.id, "title": r.title, "labels": list(r.labels)} for r in c.rulings_added
        ],
        "changed": [
            {"id": r.id, "title": r.title, "changed": list(r.changed), "labels": list(r.labels)}
            for r in c.rulings_changed
        ],
        "withdrawn": [
            {"id": r.id, "title": r.title, "labels": list(r.labels)} for r in c.rulings_withdrawn
        ],
    }


def _impact_json(i: Impact) -> dict[str, Any]:
    return {
        "dataset": i.dataset,
        "built": i.built,
        "annotations_under_old_version": i.annotations,
        "annotations_total": i.annotations_total,
        "final_labels_affected": i.final_labels,
        "final_labels_total": i.final_total,
        "reannotation_sample": {
            "seed": i.seed,
            "stratified_by": "label",
            "items": [{"item_id": a, "label": b} for a, b in i.sample],
        },
    }


def to_json(revisions: dict[str, str | None], diffs: list[GuidelineDiff]) -> dict[str, Any]:
    """The diff as plain data for `--format json`."""
    out = [
        {
            "guideline": d.changes.name,
            "file": d.changes.file,
            "version_a": d.changes.version_a,
            "version_b": d.changes.version_b,
            "version_bumped": d.changes.version_bumped,
            "labels": _labels_json(d.changes),
            "rulings": _rulings_json(d.changes),
            "affected_labels": list(d.changes.affected_labels),
            "impact": [_impact_json(i) for i in d.impact],
        }
        for d in diffs
    ]
    return {"revisions": revisions, "guidelines": out}


def write_samples(folder: Path, diffs: list[GuidelineDiff]) -> list[Path]:
    """One `DATASET.reannotation_sample.csv` per dataset with a sample (item_id, label, guideline)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for d in diffs:
        for i in d.impact:
            if not i.sample:
                continue
            frame = pd.DataFrame(list(i.sample), columns=[col.ITEM_ID, "current_label"])
            frame["guideline"] = d.changes.name
            frame["old_version"] = d.changes.version_a
            frame["new_version"] = d.changes.version_b
            frame["seed"] = i.seed
            path = folder / f"{i.dataset}.reannotation_sample.csv"
            write_csv(path, frame)
            written.append(path)
    return written
