"""guidelines.lock: record each guideline version's content and commit, and enforce the bumps."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from labelgate.config.base import FORMAT_VERSION, is_semver, semver_key
from labelgate.config.guideline import Guideline
from labelgate.config.guideline_lock import GuidelinesLock, LockedVersion
from labelgate.config.yaml_loader import Positions, parse_yaml
from labelgate.errors import ConfigError
from labelgate.guidelines.parser import split_front_matter
from labelgate.io.git import file_history
from labelgate.io.json_io import write_text
from labelgate.problems import Problem
from labelgate.project import layout
from labelgate.project.loader import Document, Project

LOCK_FILE = layout.GUIDELINES_LOCK
HEADER = (
    "# Written by `labelgate guidelines lock`; `labelgate check` keeps it honest.\n"
    "# One entry per released version of each guideline: the SHA-256 of its text and the\n"
    "# commit that introduced it. Never edit a recorded entry: bump the guideline's version.\n"
)
_THEN_LOCK = f"run 'labelgate guidelines lock' and commit {LOCK_FILE}."
_RUN_LOCK = _THEN_LOCK[0].upper() + _THEN_LOCK[1:]


def text_hash(text: str) -> str:
    """SHA-256 of a guideline's text with line ends and trailing spaces normalised."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return hashlib.sha256("\n".join(lines).strip("\n").encode("utf-8")).hexdigest()


def front_version(text: str) -> str | None:
    """The `version` in a guideline's front matter, or None when it cannot be read."""
    try:
        front, _ = split_front_matter(text, "")
        data = parse_yaml(front, "").data
    except ConfigError:
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return str(version) if version is not None else None


@dataclass(frozen=True)
class Snapshot:
    """A guideline as one commit left it."""

    commit: str
    version: str | None
    sha256: str


def history(root: Path, file: str) -> list[Snapshot]:
    """Every committed state of a guideline file, oldest first ([] outside git)."""
    return [
        Snapshot(commit, front_version(text), text_hash(text))
        for commit, text in file_history(root, file)
    ]


def introduced(snapshots: list[Snapshot], entry: LockedVersion) -> str | None:
    """The first commit holding this version (with this content when it is recorded)."""
    for snap in snapshots:
        if snap.version == entry.version and entry.sha256 in (None, snap.sha256):
            return snap.commit
    return None


def _entries(project: Project, name: str) -> list[LockedVersion]:
    lock = project.guidelines_lock
    return lock.model.guidelines.get(name, []) if lock else []


def version_records(project: Project, name: str, file: str) -> dict[str, dict[str, str | None]]:
    """version -> {sha256, commit} from guidelines.lock; a commit not yet recorded is looked up
    in git history ({} when the lock is missing or broken)."""
    entries = _entries(project, name)
    snapshots = history(project.root, file) if any(e.commit is None for e in entries) else []
    return {
        e.version: {"sha256": e.sha256, "commit": e.commit or introduced(snapshots, e)}
        for e in entries
    }


def bump_hint(version: str) -> str:
    """'1.2.1 for a correction, 1.3.0 for a new rule' for version 1.2.0."""
    major, minor, patch = semver_key(version)
    return f"{major}.{minor}.{patch + 1} for a correction, {major}.{minor + 1}.0 for a new rule"


def released_versions(project: Project, name: str, guide: Guideline) -> dict[str, str | None]:
    """version -> SHA-256 of every released version of a guideline (the current one included).

    Falls back to the current version alone when the lock is missing or broken; `labelgate
    check` reports that.
    """
    out = {e.version: e.sha256 for e in _entries(project, name)}
    out.setdefault(guide.front.version, text_hash(guide.text))
    return out


def _entries_problems(name: str, entries: list[LockedVersion], at: Positions) -> list[Problem]:
    problems = []
    seen: set[tuple[int, int, int]] = set()
    previous = (-1, -1, -1)
    hashed = False
    for index, entry in enumerate(entries):
        key = semver_key(entry.version)
        where = ("guidelines", name, index, "version")
        if entry.sha256 is None and hashed:
            problems.append(
                at.problem(
                    (*where[:-1], "sha256"),
                    f"version {entry.version} has no content hash but comes after a recorded one.",
                    "Only versions released before the guideline was kept in git may have "
                    "'sha256: null'; " + _THEN_LOCK,
                )
            )
        hashed = hashed or entry.sha256 is not None
        if key in seen:
            problems.append(at.problem(where, f"version {entry.version} is recorded twice.", ""))
        elif key < previous:
            problems.append(
                at.problem(
                    where,
                    f"version {entry.version} is listed after a newer version.",
                    "Keep versions oldest first (labelgate guidelines lock writes them so).",
                )
            )
        seen.add(key)
        previous = max(previous, key)
    return problems


def check_guideline_lock(
    root: Path, doc: Document[Guideline], entries: list[LockedVersion], at: Positions
) -> list[Problem]:
    """The guideline's current content is the one recorded for its version; nothing goes back."""
    guide, file = doc.model, doc.file
    version, sha = guide.front.version, text_hash(guide.text)
    version_at = doc.positions.problem
    problems = _entries_problems(doc.name, entries, at)
    snapshots = history(root, file)
    newest = max(entries, key=lambda e: semver_key(e.version), default=None)
    if newest is not None and semver_key(newest.version) > semver_key(version):
        problems.append(
            version_at(
                ("version",),
                f"version {version} goes backwards: {LOCK_FILE} already records {newest.version}.",
                f"Set a version above {newest.version}.",
            )
        )
    # The latest commit with this version but other content: history outranks the lock.
    committed = next(
        (s for s in reversed(snapshots) if s.version == version and s.sha256 != sha), None
    )
    if committed is not None:
        problems.append(
            version_at(
                ("version",),
                f"the content differs from commit {committed.commit[:10]}, which already has "
                f"version {version}: the guideline changed but its version was not bumped.",
                f"Bump 'version' ({bump_hint(version)}), then {_THEN_LOCK}",
            )
        )
    entry = next((e for e in entries if e.version == version), None)
    if entry is None:
        problems.append(
            version_at(("version",), f"version {version} is not in {LOCK_FILE}.", _RUN_LOCK)
        )
    elif entry.sha256 is None:
        problems.append(
            version_at(
                ("version",),
                f"{LOCK_FILE} records the current version {version} without its content hash.",
                _RUN_LOCK,
            )
        )
    elif entry.sha256 != sha and committed is None:
        problems.append(
            version_at(
                ("version",),
                f"the content differs from version {version} as recorded in {LOCK_FILE} "
                f"(sha256 {entry.sha256[:12]}…, now {sha[:12]}…): the guideline changed but "
                "its version was not bumped.",
                f"Bump 'version' ({bump_hint(version)}), then run 'labelgate guidelines lock'.",
            )
        )
    problems += _against_history(doc.name, entries, snapshots, at, current=version)
    return problems


def _against_history(
    name: str,
    entries: list[LockedVersion],
    snapshots: list[Snapshot],
    at: Positions,
    current: str,
) -> list[Problem]:
    """Recorded hashes and commits agree with what git history holds."""
    problems = []
    by_commit = {s.commit: s for s in snapshots}
    for index, entry in enumerate(entries):
        where = ("guidelines", name, index)
        committed = [s for s in snapshots if s.version == entry.version]
        if entry.commit is not None and entry.commit in by_commit:
            snap = by_commit[entry.commit]
            if snap.version != entry.version or snap.sha256 != entry.sha256:
                problems.append(
                    at.problem(
                        (*where, "commit"),
                        f"commit {entry.commit[:10]} has version {snap.version} with sha256 "
                        f"{snap.sha256[:12]}…, not what this entry records.",
                        "Do not edit recorded entries; " + _THEN_LOCK,
                    )
                )
            continue
        if entry.version == current or not committed:
            continue  # the current version is checked against the text itself
        if entry.sha256 is None:
            problems.append(
                at.problem(
                    (*where, "sha256"),
                    f"version {entry.version} is in git history (commit "
                    f"{committed[0].commit[:10]}) but its content hash is not recorded.",
                    _RUN_LOCK,
                )
            )
        elif all(s.sha256 != entry.sha256 for s in committed):
            problems.append(
                at.problem(
                    (*where, "sha256"),
                    f"no commit has version {entry.version} with this content; commit "
                    f"{committed[0].commit[:10]} has sha256 {committed[0].sha256[:12]}….",
                    "Do not edit recorded entries; " + _THEN_LOCK,
                )
            )
    return problems


def check_locks(project: Project) -> list[Problem]:
    """Every guideline is recorded in guidelines.lock and honours its recorded versions."""
    if not project.guidelines:
        return []
    if project.guidelines_lock is None:
        if (project.root / LOCK_FILE).is_file():
            return []  # broken: its load problems are already in project.problems
        return [Problem(LOCK_FILE, message="the guidelines lock is missing.", fix=_RUN_LOCK)]
    lock, at = project.guidelines_lock.model, project.guidelines_lock.positions
    problems = []
    for name, doc in project.guidelines.items():
        entries = lock.guidelines.get(name)
        if entries is None:
            problems.append(
                at.problem(("guidelines",), f"guideline '{name}' is not recorded.", _RUN_LOCK)
            )
            continue
        problems += check_guideline_lock(project.root, doc, entries, at)
    return problems


def updated_entries(
    root: Path, doc: Document[Guideline], old: list[LockedVersion]
) -> list[LockedVersion]:
    """The lock entries of one guideline after recording git history and the current text.

    Recorded hashes never change: a changed text under a recorded version, or a version below
    one already released, raises ConfigError (exit 3) asking for a bump.
    """
    guide = doc.model
    version, sha = guide.front.version, text_hash(guide.text)
    snapshots = history(root, doc.file)
    entries = {e.version: e for e in old}
    for snap in snapshots:
        if snap.version is not None and snap.version not in entries and is_semver(snap.version):
            entries[snap.version] = LockedVersion(version=snap.version, sha256=snap.sha256)
    newest = max(entries, key=semver_key, default=None)
    if newest is not None and semver_key(newest) > semver_key(version):
        raise ConfigError(
            [
                doc.positions.problem(
                    ("version",),
                    f"version {version} goes backwards: {newest} is already released.",
                    f"Set a version above {newest}.",
                )
            ]
        )
    recorded = entries.get(version)
    if recorded is not None and recorded.sha256 not in (None, sha):
        raise ConfigError(
            [
                doc.positions.problem(
                    ("version",),
                    f"the content differs from version {version} as recorded: the guideline "
                    "changed but its version was not bumped.",
                    f"Bump 'version' ({bump_hint(version)}) and run this again.",
                )
            ]
        )
    entries[version] = LockedVersion(
        version=version, sha256=sha, commit=recorded.commit if recorded else None
    )
    out = []
    for key in sorted(entries, key=semver_key):
        entry = entries[key]
        if entry.commit is None:
            entry = entry.model_copy(update={"commit": introduced(snapshots, entry)})
        out.append(entry)
    return out


def render_lock(lock: GuidelinesLock) -> str:
    """The lock's exact text: header, then guidelines by name, versions oldest first."""
    data = {
        "kind": "guidelines_lock",
        "format_version": FORMAT_VERSION,
        "guidelines": {
            name: [e.model_dump(mode="json") for e in entries]
            for name, entries in sorted(lock.guidelines.items())
        },
    }
    return HEADER + yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=100)


def write_lock(project: Project) -> tuple[Path, list[str]]:
    """Record every guideline's versions; return the lock path and what changed, one line each."""
    if project.guidelines_lock is None and (project.root / LOCK_FILE).is_file():
        raise ConfigError([p for p in project.problems if p.file == LOCK_FILE])
    old = project.guidelines_lock.model.guidelines if project.guidelines_lock else {}
    guidelines = dict(old)
    problems: list[Problem] = []
    changes: list[str] = []
    for name, doc in sorted(project.guidelines.items()):
        try:
            guidelines[name] = updated_entries(project.root, doc, old.get(name, []))
        except ConfigError as exc:
            problems += exc.problems
            continue
        before = {(e.version, e.sha256, e.commit) for e in old.get(name, [])}
        for entry in guidelines[name]:
            if (entry.version, entry.sha256, entry.commit) not in before:
                commit = entry.commit[:10] if entry.commit else "not committed yet"
                changes.append(
                    f"{name} {entry.version}: sha256 {str(entry.sha256)[:12]}… ({commit})"
                )
    if problems:
        raise ConfigError(problems)
    new = GuidelinesLock(kind="guidelines_lock", format_version=1, guidelines=guidelines)
    path = project.root / LOCK_FILE
    text = render_lock(new)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        write_text(path, text)
    return path, changes
