"""`labelgate trace DATASET ITEM_ID`: how one final label came to be."""

from __future__ import annotations

import argparse
from typing import Any

from labelgate.cli.options import add_project_option
from labelgate.project.layout import find_root


def register(sub: Any) -> None:
    """Add the `trace` subcommand."""
    parser = sub.add_parser(
        "trace",
        help="the full story of one final label",
        description="The story of one final label, from the current build: label, status, "
        "confidence and posterior; schema, rules and pipeline hashes and the aggregator; each "
        "guideline version with its content hash and commit; every raw annotation with its "
        "file and row; adjudication, audit verdicts, rulings, and the dvc.lock hashes of the "
        "inputs, with a warning when the working tree differs from what the build used. "
        "Exit 3 for an unknown dataset or item, or a missing build.",
        epilog="examples:\n  labelgate trace tickets T00042\n"
        "  labelgate trace example r02 --format json",
    )
    parser.add_argument("dataset", metavar="DATASET", help="the dataset")
    parser.add_argument("item_id", metavar="ITEM_ID", help="the item whose final label to trace")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text or json")
    add_project_option(parser)
    parser.set_defaults(handler=run)


def rulings_source(t: dict[str, Any]) -> str:
    """'working tree guidelines/g.md 1.1.0', with what sets it apart from the label's versions."""
    source = t["rulings_from"]
    text = f"{source['source']} {source['guideline']} {source['version']}"
    if not source["released"]:
        text += ", edited since its release"
    versions = sorted(t["lineage"]["guideline_versions"])
    if versions and source["version"] not in versions:
        text += f"; the annotations were made under {', '.join(versions)}"
    return text


def render(t: dict[str, Any]) -> list[str]:
    """The trace for a terminal."""
    f, lin = t["final"], t["lineage"]
    lines = [
        f"{t['dataset']} / {t['item_id']}: {f['label']} ({f['status']}, confidence {f['confidence']:.3f}, {f['method']}, {f['n_annotations']} annotations)",
        f"  posterior: {f['posterior']}",
        f"  schema {lin['schema']} v{lin['schema_version']}; rules {lin['rules_hash']}; pipeline {lin['pipeline_hash']}",
        f"  aggregator: {lin['aggregator']['method']} {lin['aggregator']['params'] or ''}".rstrip(),
    ]
    lines[1:1] = [f"  WARNING: {w['message']}" for w in t.get("warnings", [])]
    for version, record in lin["guideline_versions"].items():
        sha = f"sha256 {record['sha256'][:12]}…" if record.get("sha256") else "content not recorded"
        commit = f", commit {record['commit'][:10]}" if record.get("commit") else ""
        lines.append(f"  guideline {lin['guideline']} {version}: {sha}{commit}")
    if lin["migrations_applied"]:
        lines.append("  migrations: " + "; ".join(lin["migrations_applied"]))
    lines.append("annotations:")
    for a in t["annotations"]:
        commit = f" (commit {a['guideline_commit'][:10]})" if a.get("guideline_commit") else ""
        when = f" at {a['annotated_at']}" if a.get("annotated_at") else ""
        lines.append(
            f"  {a['annotator_id']}: {a['label']}{when}, guideline {a['guideline_version'] or '?'}{commit}, from {a['source']}"
        )
    if t["adjudication"]:
        adj = t["adjudication"]
        lines.append(
            f"adjudicated by {adj['adjudicator_id']} citing {adj['ruling_id'] or 'no ruling'}: {adj['note']}"
        )
    for v in t["audit"]:
        lines.append(
            f"audit: {v.get('verdict')} by {v.get('auditor_id')} {v.get('reason') or ''}".rstrip()
        )
    check = t.get("model_check")
    if check:
        verdict = "flagged as a likely label error" if check["is_issue"] else "not flagged"
        lines.append(
            f"model check ({check['model_version']}): label quality "
            f"{check['label_quality']:.3f}, rank {check['rank']}, suggests "
            f"{check['suggested_label']}; {verdict}"
            + (f": {check['reason']}" if check["reason"] else "")
        )
    if t["rulings"]:
        lines.append(
            f"rulings for this label ({rulings_source(t)}): "
            + "; ".join(f"{r['id']} {r['title']}" for r in t["rulings"])
        )
    if t["inputs"]:
        lines.append("inputs (dvc.lock md5):")
        for stage in ("config", "ingest", "aggregate"):
            for path, md5 in sorted(t["inputs"].get(stage, {}).items()):
                if not path.startswith("src/"):
                    lines.append(f"  {stage}: {path} {md5}")
    return lines


def run(args: argparse.Namespace) -> int:
    """Print the trace."""
    from labelgate.app.trace import trace_item
    from labelgate.io.json_io import json_text

    traced = trace_item(find_root(args.project), args.dataset, args.item_id)
    if args.format == "json":
        print(json_text(traced, sort_keys=False), end="")
    else:
        print("\n".join(render(traced)))
    return 0
