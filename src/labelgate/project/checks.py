"""Cross-reference and consistency checks across the files of a project (`labelgate check`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

from labelgate.config.base import semver_key
from labelgate.config.dataset import Dataset, SourceFile
from labelgate.config.guideline import Guideline, Ruling
from labelgate.config.pipeline import Pipeline
from labelgate.config.qa_rules import (
    DuplicateItems,
    NearDuplicateItems,
    QaRules,
    Spans,
    TextLength,
)
from labelgate.config.schema import MergeMigration, Schema
from labelgate.config.tasks import TASK_METHODS, TASK_PARAMS
from labelgate.config.yaml_loader import load_yaml
from labelgate.errors import ConfigError
from labelgate.guidelines.lock import check_locks, released_versions
from labelgate.problems import Problem, did_you_mean
from labelgate.project import layout
from labelgate.project.compose import compose_conf, dataset_files, render_params, stale_against
from labelgate.project.loader import Document, Project
from labelgate.project.paths import EscapesProject, resolve_inside
from labelgate.project.roster import load_roster

_NUMERIC_LEVELS = ("ordinal", "interval", "ratio")
_BEGINNING = datetime.min.replace(tzinfo=UTC)


def _duplicates(values: Iterable[str]) -> list[tuple[int, str, int]]:
    """(index, value, first index) for each repeated value."""
    first: dict[str, int] = {}
    out = []
    for index, value in enumerate(values):
        if value in first:
            out.append((index, value, first[value]))
        else:
            first[value] = index
    return out


def check_schema(doc: Document[Schema]) -> list[Problem]:
    """Unique label ids and values, numeric values where the level needs them, sane migrations."""
    schema, at = doc.model, doc.positions
    problems = [
        at.problem(
            ("labels", i, "id"),
            f"duplicate label id '{value}' (first declared at labels[{first}]).",
            "Give every label a distinct id.",
        )
        for i, value, first in _duplicates(schema.label_ids)
    ]
    if schema.level in _NUMERIC_LEVELS:
        for i, label in enumerate(schema.labels):
            if label.value is None:
                problems.append(
                    at.problem(
                        ("labels", i),
                        f"label '{label.id}' has no 'value', which a {schema.level} schema needs.",
                        "Add 'value: <number>' giving its place on the scale.",
                    )
                )
        values = [str(label.value) for label in schema.labels if label.value is not None]
        problems += [
            at.problem(("labels", i, "value"), f"value {v} is used by two labels.", "")
            for i, v, _ in _duplicates(values)
        ]
    for group in ("item_fields", "annotation_fields"):
        names = [f.name for f in getattr(schema, group)]
        problems += [
            at.problem((group, i, "name"), f"field '{v}' is declared twice.", "")
            for i, v, _ in _duplicates(names)
        ]
    return problems + _migration_problems(doc)


def _migration_problems(doc: Document[Schema]) -> list[Problem]:
    """Migration targets are labels, migrated-away labels are gone, `since` is not in the future."""
    schema, at = doc.model, doc.positions
    problems = []
    ids = set(schema.label_ids)
    for i, migration in enumerate(schema.migrations):
        targets = [migration.to] if isinstance(migration.to, str) else migration.to
        for target in targets:
            if target not in ids:
                problems.append(
                    at.problem(
                        ("migrations", i, "to"),
                        f"migration target '{target}' is not a label of this schema.",
                        did_you_mean(target, ids),
                    )
                )
        sources = migration.from_ if isinstance(migration, MergeMigration) else [migration.from_]
        for source in sources:
            if source in ids and migration.op != "split":
                problems.append(
                    at.problem(
                        ("migrations", i, "from"),
                        f"'{source}' is migrated away but is still a label of this schema.",
                        "Remove it from 'labels' or drop the migration.",
                    )
                )
        if semver_key(migration.since) > semver_key(schema.version):
            problems.append(
                at.problem(
                    ("migrations", i, "since"),
                    f"since {migration.since} is after the schema version {schema.version}.",
                    "Bump the schema version or correct 'since'.",
                )
            )
    return problems


def check_guideline(
    doc: Document[Guideline], schemas: dict[str, Document[Schema]], broken: set[str]
) -> list[Problem]:
    """The guideline's schema exists; label sections match its labels; rulings are unique."""
    guide, at, file = doc.model, doc.positions, doc.file
    problems = [
        Problem(
            file,
            r.line,
            1,
            "",
            f"ruling id '{r.id}' is used twice (first on line {first}).",
            "Give each ruling its own id; never reuse a withdrawn one.",
        )
        for r, first in _repeated_rulings(guide)
    ]
    schema_doc = schemas.get(guide.front.schema_)
    if schema_doc is None and guide.front.schema_ in broken:
        return problems  # the schema's own problems are already reported
    if schema_doc is None:
        problems.append(
            at.problem(
                ("schema",),
                f"schema '{guide.front.schema_}' does not exist in schemas/.",
                did_you_mean(guide.front.schema_, [*schemas, *broken]),
            )
        )
        return problems
    return problems + _section_problems(doc, schema_doc) + _ruling_problems(doc, schema_doc)


def _section_problems(doc: Document[Guideline], schema_doc: Document[Schema]) -> list[Problem]:
    """One section per label of the schema, and none for a label it lacks."""
    guide, at, file = doc.model, doc.positions, doc.file
    problems: list[Problem] = []
    labels = schema_doc.model.label_ids
    seen: dict[str, int] = {}
    for section in guide.sections:
        if section.label not in labels:
            problems.append(
                Problem(
                    file,
                    section.line,
                    1,
                    "",
                    f"section for label '{section.label}', which schema "
                    f"'{schema_doc.name}' does not define.",
                    did_you_mean(section.label, labels),
                )
            )
        elif section.label in seen:
            problems.append(
                Problem(
                    file,
                    section.line,
                    1,
                    "",
                    f"second section for label '{section.label}' (first on line "
                    f"{seen[section.label]}).",
                    "Merge the two sections.",
                )
            )
        seen.setdefault(section.label, section.line)
    for index, label in enumerate(labels):
        if label not in seen:
            line, _ = schema_doc.positions.locate(("labels", index))
            problems.append(
                Problem(
                    file,
                    at.locate(("schema",))[0],
                    1,
                    "schema",
                    f"label '{label}' ({schema_doc.file}:{line}) has no section.",
                    f"Add a section '## Label: {label}'.",
                )
            )
    return problems


def _ruling_problems(doc: Document[Guideline], schema_doc: Document[Schema]) -> list[Problem]:
    """Every label a ruling applies to is a label of the schema."""
    labels = schema_doc.model.label_ids
    problems = []
    for ruling in doc.model.rulings:
        for name in ruling.labels:
            if name not in labels:
                problems.append(
                    Problem(
                        doc.file,
                        ruling.applies_to_line or ruling.line,
                        1,
                        "",
                        f"ruling {ruling.id} applies to unknown label '{name}'.",
                        did_you_mean(name, labels),
                    )
                )
    return problems


def _repeated_rulings(guide: Guideline) -> list[tuple[Ruling, int]]:
    first: dict[str, int] = {}
    out: list[tuple[Ruling, int]] = []
    for ruling in guide.rulings:
        if ruling.id in first:
            out.append((ruling, first[ruling.id]))
        first.setdefault(ruling.id, ruling.line)
    return out


def check_qa_rules(doc: Document[QaRules]) -> list[Problem]:
    """Check and gate ids are unique within the file."""
    rules, at = doc.model, doc.positions
    problems = [
        at.problem(("checks", i), f"check id '{v}' is used twice.", "Give each check an 'id:'.")
        for i, v, _ in _duplicates(c.id or c.kind for c in rules.checks)
    ]
    problems += [
        at.problem(("gates", i), f"gate id '{v}' is used twice.", "Give each gate an 'id:'.")
        for i, v, _ in _duplicates(g.gate_id for g in rules.gates)
    ]
    return problems


def check_source(root: Path, doc: Document[Dataset], key: str, source: SourceFile) -> list[Problem]:
    """A source path stays inside the project and exists (or is optional, or tracked by DVC)."""
    base = (root / doc.file).parent
    path_key = (*_key_tuple(key), "path")
    try:
        target = resolve_inside(root, base, source.path)
    except EscapesProject as exc:
        return [doc.positions.problem(path_key, f"{exc}.", "Keep data files inside the project.")]
    if target.exists() or source.optional or target.with_name(target.name + ".dvc").exists():
        return []
    return [
        doc.positions.problem(
            path_key,
            f"file '{source.path}' does not exist (looked for {target}).",
            "Fix the path, run 'dvc pull', or mark the source 'optional: true'.",
        )
    ]


def _key_tuple(key: str) -> tuple[str | int, ...]:
    out: list[str | int] = []
    for part in key.replace("]", "").split("."):
        name, _, index = part.partition("[")
        out.append(name)
        if index:
            out.append(int(index))
    return tuple(out)


def check_dataset(project: Project, doc: Document[Dataset]) -> list[Problem]:
    """The dataset's references resolve, agree with each other, and its files are in place."""
    data, at = doc.model, doc.positions
    problems: list[Problem] = []
    refs = (
        ("schema", data.schema_, project.schemas, "schemas"),
        ("guideline", data.guideline, project.guidelines, "guidelines"),
        ("qa_rules", data.qa_rules, project.qa_rules, "qa_rules"),
        ("pipeline", data.pipeline, project.pipelines, "pipelines"),
    )
    for key, name, pool, folder in refs:
        broken = project.broken.get(folder, set())
        if name not in pool and name not in broken:
            problems.append(
                at.problem(
                    (key,),
                    f"{key} '{name}' does not exist in {folder}/.",
                    did_you_mean(name, [*pool, *broken]),
                )
            )
    guide = project.guidelines.get(data.guideline)
    if guide is not None and guide.model.front.schema_ != data.schema_:
        problems.append(
            at.problem(
                ("guideline",),
                f"guideline '{data.guideline}' is written for schema "
                f"'{guide.model.front.schema_}', but this dataset uses schema '{data.schema_}'.",
                "Point both at the same schema.",
            )
        )
    schema = project.schemas.get(data.schema_)
    rules = project.qa_rules.get(data.qa_rules)
    if schema is not None and rules is not None:
        fields = {f.name for f in schema.model.item_fields}
        for i, check in enumerate(rules.model.checks):
            if (
                isinstance(check, TextLength | DuplicateItems | NearDuplicateItems)
                and check.field not in fields
            ):
                problems.append(
                    rules.positions.problem(
                        ("checks", i, "field"),
                        f"field '{check.field}' is not an item field of schema "
                        f"'{data.schema_}' (used by dataset '{doc.name}').",
                        did_you_mean(check.field, fields),
                    )
                )
    if schema is not None and rules is not None:
        problems += _task_problems(doc, schema.model, rules, project.pipelines.get(data.pipeline))
    pipeline_doc = project.pipelines.get(data.pipeline)
    if schema is not None and pipeline_doc is not None:
        problems += _model_problems(doc, schema.model, pipeline_doc)
    problems += _qualification_problems(doc, schema.model if schema else None, rules)
    for key, source in data.sources.files():
        problems += check_source(project.root, doc, key, source)
    if guide is not None:
        released = released_versions(project, data.guideline, guide.model)
        problems += check_version_mappings(doc, released)
    problems += check_roster(project.root, doc)
    arrival = data.ops.arrival_field
    if schema is not None and arrival is not None:
        fields = {f.name for f in schema.model.item_fields}
        if arrival not in fields:
            problems.append(
                at.problem(
                    ("ops", "arrival_field"),
                    f"'{arrival}' is not an item field of schema '{data.schema_}'.",
                    f"Add `{{name: {arrival}, type: timestamp}}` to its item_fields. "
                    + did_you_mean(arrival, fields),
                )
            )
    return problems


def _qualification_problems(
    doc: Document[Dataset], schema: Schema | None, rules: Document[QaRules] | None
) -> list[Problem]:
    """A qualification test has answers and a key, on a single-label task; a pass mark has a
    test to apply to.

    A pass mark without a test is an error, not a warning: `labelgate check` has no warnings,
    and a bar that assesses nobody would let a gate on retraining flags pass unnoticed."""
    sources, at, name = doc.model.sources, doc.positions, doc.name
    problems = []
    pairs = (("qualification", "qualification_key"), ("qualification_key", "qualification"))
    for present, absent in pairs:
        if getattr(sources, present) is not None and getattr(sources, absent) is None:
            problems.append(
                at.problem(
                    ("sources", present),
                    f"dataset '{name}' declares sources.{present} but no sources.{absent}: "
                    "the test's answers are scored against its key, so each needs the other.",
                    f"Add sources.{absent} ("
                    + (
                        "item_id: the question, label: its right answer"
                        if absent == "qualification_key"
                        else "annotator_id, item_id: the question, label: the answer"
                    )
                    + f"), or remove sources.{present}.",
                )
            )
    if sources.qualification is not None and schema is not None and schema.task != "single_label":
        problems.append(
            at.problem(
                ("sources", "qualification"),
                f"a qualification test is scored on single-label tasks; dataset '{name}' is "
                f"{schema.task.replace('_', '-')} (schema '{doc.model.schema_}').",
                "Remove sources.qualification and sources.qualification_key.",
            )
        )
    bar = rules.model.annotator_qualification if rules is not None else None
    if (
        rules is not None
        and bar is not None
        and bar.qualification_pass_mark is not None
        and sources.qualification is None
    ):
        problems.append(
            rules.positions.problem(
                ("annotator_qualification", "qualification_pass_mark"),
                f"qualification_pass_mark is set, but dataset '{name}' ({doc.file}) declares no "
                "sources.qualification, so nobody would be assessed against it.",
                f"Add sources.qualification and sources.qualification_key to {doc.file} "
                "(optional: true until the test has been taken), or remove "
                "qualification_pass_mark.",
            )
        )
    return problems


def check_roster(root: Path, doc: Document[Dataset]) -> list[Problem]:
    """The roster `ops.roster` names stays inside the dataset folder, exists and is valid."""
    name = doc.model.ops.roster
    if name is None:
        return []
    base = (root / doc.file).parent
    key = ("ops", "roster")
    try:
        target = resolve_inside(base, base, name)
    except EscapesProject as exc:
        return [
            doc.positions.problem(
                key,
                f"{exc}.",
                "Keep the roster in the dataset folder (the ops stage's dvc dep).",
            )
        ]
    if not target.is_file():
        return [
            doc.positions.problem(
                key, f"roster '{name}' does not exist (looked for {target}).", "Fix the path."
            )
        ]
    try:
        load_roster(target, layout.relative(root, target))
    except ConfigError as exc:
        return list(exc.problems)
    return []


def _model_problems(
    doc: Document[Dataset], schema: Schema, pipeline: Document[Pipeline]
) -> list[Problem]:
    """A pipeline's model fits the dataset: a single-label task, item fields that exist, and
    a predictions source exactly when the provider is `predictions`."""
    model = pipeline.model.model
    name, where = doc.name, f"pipeline '{doc.model.pipeline}'"
    has_source = doc.model.sources.predictions is not None
    if model is None:
        if has_source:
            return [
                doc.positions.problem(
                    ("sources", "predictions"),
                    f"dataset '{name}' declares predictions, but {where} has no model.",
                    "Add `model: {provider: predictions}` to the pipeline, or remove the source.",
                )
            ]
        return []
    problems = []
    if schema.task != "single_label":
        problems.append(
            pipeline.positions.problem(
                ("model",),
                f"model-assisted QA works on single-label datasets; dataset '{name}' is "
                f"{schema.task.replace('_', '-')} (schema '{doc.model.schema_}').",
                "Give the dataset a pipeline without `model:`.",
            )
        )
    if model.provider == "predictions" and not has_source:
        problems.append(
            pipeline.positions.problem(
                ("model", "provider"),
                f"{where} takes the dataset's predictions, but dataset '{name}' declares none.",
                "Add `sources.predictions` to the dataset, or use provider tfidf_logreg.",
            )
        )
    if model.provider == "tfidf_logreg" and has_source:
        problems.append(
            doc.positions.problem(
                ("sources", "predictions"),
                f"dataset '{name}' declares predictions, but {where} trains its own model "
                "(provider tfidf_logreg), so they would be ignored.",
                "Set `model.provider: predictions`, or remove the source.",
            )
        )
    reserved = sorted({"item_id", "model", "model_version", "fold"} & set(schema.label_ids))
    if reserved:
        problems.append(
            pipeline.positions.problem(
                ("model",),
                f"label id '{reserved[0]}' of schema '{doc.model.schema_}' is also a column of "
                "the predictions table (item_id, model, model_version, fold, one per label).",
                "Rename the label (a rename migration keeps old annotations).",
            )
        )
    fields = {f.name for f in schema.item_fields}
    for i, field in enumerate(model.fields):
        if fields and field not in fields:
            problems.append(
                pipeline.positions.problem(
                    ("model", "fields", i),
                    f"field '{field}' is not an item field of schema '{doc.model.schema_}' "
                    f"(used by dataset '{name}').",
                    did_you_mean(field, fields),
                )
            )
    return problems


def _task_problems(
    doc: Document[Dataset],
    schema: Schema,
    rules: Document[QaRules],
    pipeline: Document[Pipeline] | None,
) -> list[Problem]:
    """A `spans` check needs a span schema; a multi-label or span dataset aggregates with a
    method that decides label by label or span by span."""
    problems = []
    for i, check in enumerate(rules.model.checks):
        if isinstance(check, Spans) and schema.task != "spans":
            problems.append(
                rules.positions.problem(
                    ("checks", i, "kind"),
                    f"the spans check needs a schema with 'task: spans'; dataset '{doc.name}' "
                    f"uses schema '{doc.model.schema_}' (task {schema.task}).",
                    "Remove the check, or use it in the qa rules of a span dataset.",
                )
            )
    methods = TASK_METHODS.get(schema.task)
    if methods is not None and pipeline is not None:
        method = pipeline.model.aggregate.method
        if method not in methods:
            problems.append(
                pipeline.positions.problem(
                    ("aggregate", "method"),
                    f"dataset '{doc.name}' is {schema.task.replace('_', '-')} (schema "
                    f"'{doc.model.schema_}'), which aggregates with {' or '.join(methods)}, "
                    f"not '{method}'.",
                    f"Give the dataset a pipeline whose aggregate.method is {methods[0]}.",
                )
            )
        else:
            known = TASK_PARAMS[schema.task][method]
            for name in pipeline.model.aggregate.params:
                if name not in known:
                    problems.append(
                        pipeline.positions.problem(
                            ("aggregate", "params", name),
                            f"'{name}' is not a parameter of {method} for a "
                            f"{schema.task.replace('_', '-')} dataset ('{doc.name}'); it "
                            f"takes {', '.join(known)}.",
                            did_you_mean(name, known),
                        )
                    )
    return problems


def check_version_mappings(
    doc: Document[Dataset], released: dict[str, str | None]
) -> list[Problem]:
    """`guideline_versions`: released versions, no batch twice, time ranges without gaps or
    overlaps and with versions that never go backwards, every mapped-by-batch source covered."""
    data, at = doc.model, doc.positions
    mappings = data.guideline_versions
    problems: list[Problem] = []
    known = {semver_key(v) for v in released}
    for i, m in enumerate(mappings):
        if semver_key(m.version) not in known:
            problems.append(
                at.problem(
                    ("guideline_versions", i, "version"),
                    f"version {m.version} of guideline '{data.guideline}' was never released.",
                    "Released versions (guidelines/guidelines.lock): " + ", ".join(released) + ".",
                )
            )
    owner: dict[str, int] = {}
    for i, m in enumerate(mappings):
        for j, batch in enumerate(m.batches):
            if batch in owner:
                problems.append(
                    at.problem(
                        ("guideline_versions", i, "batches", j),
                        f"batch '{batch}' overlaps: guideline_versions[{owner[batch]}] maps it "
                        f"to {mappings[owner[batch]].version} already.",
                        "Map each batch to one version.",
                    )
                )
            owner.setdefault(batch, i)
    problems += _range_problems(doc)
    ranged = any(m.from_ or m.until for m in mappings)
    if owner and not ranged:
        for i, source in enumerate(data.sources.annotations):
            if source.batch and not source.guideline_version and source.batch not in owner:
                problems.append(
                    at.problem(
                        ("sources", "annotations", i, "batch"),
                        f"batch '{source.batch}' has no guideline version: it is not in "
                        "guideline_versions and the source sets none (a gap).",
                        "Add it to a guideline_versions entry or set 'guideline_version' on "
                        "the source.",
                    )
                )
    return problems


def _when(moment: datetime | None, open_text: str) -> str:
    return moment.isoformat().replace("+00:00", "Z") if moment else open_text


def _range_problems(doc: Document[Dataset]) -> list[Problem]:
    at = doc.positions
    ranges = [(i, m) for i, m in enumerate(doc.model.guideline_versions) if m.from_ or m.until]
    ranges.sort(key=lambda pair: (pair[1].from_ or _BEGINNING, pair[0]))
    problems = []
    for (i, a), (j, b) in pairwise(ranges):
        here = ("guideline_versions", j, "from")
        if a.until is None or b.from_ is None or a.until > b.from_:
            problems.append(
                at.problem(
                    here,
                    f"time ranges overlap: guideline_versions[{i}] ({a.version}) runs until "
                    f"{_when(a.until, 'open end')}, guideline_versions[{j}] ({b.version}) "
                    f"starts {_when(b.from_, 'at the beginning')}.",
                    f"Set guideline_versions[{i}].until equal to guideline_versions[{j}].from.",
                )
            )
        elif a.until < b.from_:
            problems.append(
                at.problem(
                    here,
                    f"gap between time ranges: nothing maps annotations made from "
                    f"{_when(a.until, '')} until {_when(b.from_, '')} (between "
                    f"guideline_versions[{i}] and [{j}]).",
                    f"Set guideline_versions[{i}].until equal to guideline_versions[{j}].from.",
                )
            )
        if semver_key(b.version) < semver_key(a.version):
            problems.append(
                at.problem(
                    ("guideline_versions", j, "version"),
                    f"version {b.version} follows {a.version} in time: versions go backwards.",
                    "Order the versions as they were released.",
                )
            )
    return problems


def check_project(project: Project) -> list[Problem]:
    """Every problem of a loaded project: load errors, consistency and cross-references."""
    problems = list(project.problems)
    for schema_doc in project.schemas.values():
        problems += check_schema(schema_doc)
    for guide_doc in project.guidelines.values():
        broken = project.broken.get(layout.SCHEMAS, set())
        problems += check_guideline(guide_doc, project.schemas, broken)
    for rules_doc in project.qa_rules.values():
        problems += check_qa_rules(rules_doc)
    for dataset_doc in project.datasets.values():
        problems += check_dataset(project, dataset_doc)
    problems += check_locks(project)
    problems += check_conf(project)
    # Stable order: by file, then position, so output is reproducible.
    return sorted(set(problems))


def check_conf(project: Project) -> list[Problem]:
    """conf/ composes, names existing datasets, and params.yaml is up to date."""
    try:
        params = compose_conf(project.root)
    except ConfigError as exc:
        return exc.problems
    source = load_yaml(project.root / layout.CONF_FILE, layout.CONF_FILE)
    problems = [
        source.positions.problem(
            ("datasets", i),
            f"dataset '{name}' does not exist in datasets/.",
            did_you_mean(name, project.datasets),
        )
        for i, name in enumerate(params.datasets)
        if name not in project.datasets and name not in project.broken.get(layout.DATASETS, set())
    ]
    # Compose once and reuse the loaded project: params.yaml is what these should render to.
    expected = render_params(params, dataset_files(project.root, params, project))
    stale = stale_against(project.root, expected)
    return problems + ([stale] if stale else [])
