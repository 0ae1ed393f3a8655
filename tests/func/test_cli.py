"""The `labelgate` command: init, check, compose, schema export and the exit codes."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from labelgate.cli import main as cli_main
from tests.conftest import REPO_ROOT, ProjectFactory
from tests.conftest import cli as run


def test_init_then_check_exits_0_with_git_and_dvc(tmp_path: Path) -> None:
    target = tmp_path / "new"
    done = run("init", str(target))
    assert done.returncode == 0, done.stderr
    for name in (
        "schemas",
        "guidelines",
        "qa_rules",
        "datasets",
        "pipelines",
        "conf",
        "dvc.yaml",
        "params.yaml",
        ".git",
        ".dvc",
        ".labelgate/json-schema",
        ".vscode/settings.json",
    ):
        assert (target / name).exists(), name
    checked = run("check", target)
    assert checked.returncode == 0, checked.stderr
    assert "ok (1 schemas" in checked.stdout
    assert run("compose", "--check", "-C", target).returncode == 0


def test_init_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    done = run("init", str(tmp_path), "--no-git", "--no-dvc")
    assert done.returncode == 2
    assert "is not empty; choose a new folder or pass --force" in done.stderr
    forced = run("init", str(tmp_path), "--no-git", "--no-dvc", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_check_reports_every_problem_and_exits_3(make_project: ProjectFactory) -> None:
    root = make_project(
        {
            "pipelines/default.yaml": """
            kind: pipeline
            format_version: 1
            aggregate:
              method: dawid_skeen
            """,
            "qa_rules/review_sentiment.yaml": """
            kind: qa_rules
            format_version: 1
            gates:
              - metric: krippendorff_alpha
                min: 0.9
                max: 0.8
            """,
        }
    )
    done = run("check", str(root))
    assert done.returncode == 3
    assert "2 problem(s) in" in done.stderr
    assert (
        "pipelines/default.yaml:4:3: aggregate.method: unknown aggregator 'dawid_skeen'."
        in done.stderr
    )
    assert "qa_rules/review_sentiment.yaml:4:5: gates[0]: contradictory thresholds" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_json_output(make_project: ProjectFactory) -> None:
    root = make_project(
        {"schemas/review_sentiment.yaml": "kind: schema\nfoo: !!python/object:os.system x\n"}
    )
    done = run("check", str(root), "--format", "json")
    assert done.returncode == 3
    report = json.loads(done.stdout)
    assert report["ok"] is False
    assert report["problems"][0]["file"] == "schemas/review_sentiment.yaml"
    assert report["problems"][0]["line"] == 2
    assert "is not allowed" in report["problems"][0]["message"]


def test_check_outside_a_project(tmp_path: Path) -> None:
    done = run("check", str(tmp_path))
    assert done.returncode == 3
    assert "not inside a labelgate project (no conf/config.yaml here or above)" in done.stderr


def test_output_is_bounded(make_project: ProjectFactory) -> None:
    labels = "\n".join("  - id: same\n" for _ in range(8))
    root = make_project(
        {
            "schemas/review_sentiment.yaml": f'kind: schema\nformat_version: 1\nversion: "1.0.0"\nlabels:\n{labels}'
        }
    )
    done = run("check", str(root), "--limit", "3")
    assert done.returncode == 3
    assert "... and " in done.stderr
    assert "more problems" in done.stderr


def test_compose_writes_params_and_check_detects_staleness(make_project: ProjectFactory) -> None:
    root = make_project()
    manifest = (root / "datasets/example/dataset.yaml").read_text(encoding="utf-8")
    (root / "datasets/other").mkdir()
    (root / "datasets/other/dataset.yaml").write_text(manifest, encoding="utf-8")
    both = "datasets=[example,other]"
    assert run("compose", both, "-C", root).returncode == 0
    assert "- other" in (root / "params.yaml").read_text(encoding="utf-8")
    stale = run("compose", "--check", "-C", root)
    assert stale.returncode == 3
    assert "params.yaml is stale" in stale.stderr
    assert run("compose", "--check", both, "-C", root).returncode == 0


def test_schema_export_writes_one_json_schema_per_kind(tmp_path: Path) -> None:
    done = run("schema", "export", str(tmp_path / "js"))
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "js").iterdir())
    assert names == sorted(
        f"labelgate-{k}.schema.json"
        for k in (
            "schema",
            "guideline",
            "guidelines_lock",
            "qa_rules",
            "dataset",
            "pipeline",
            "roster",
            "conf",
        )
    )
    qa = json.loads((tmp_path / "js/labelgate-qa_rules.schema.json").read_text(encoding="utf-8"))
    assert qa["additionalProperties"] is False
    assert "checks" in qa["properties"]


def test_usage_error_exits_2() -> None:
    done = run("check", "--format", "xml")
    assert done.returncode == 2
    assert "invalid choice: 'xml'" in done.stderr


def _parsers(
    parser: argparse.ArgumentParser, prog: str = "labelgate"
) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(prog, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _parsers(sub, f"{prog} {name}")
    return found


def _anchors(markdown: str) -> set[str]:
    return {
        re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in markdown.splitlines()
        if line.startswith("## ")
    }


def test_every_help_gives_defaults_examples_and_its_docs_section() -> None:
    anchors = _anchors((REPO_ROOT / "docs/cli.md").read_text(encoding="utf-8"))
    for prog, parser in _parsers(cli_main.build_parser()):
        text = parser.format_help()
        link = re.search(r"^docs: (\S+)$", text, re.M)
        assert link, prog
        url, _, anchor = link.group(1).partition("#")
        assert url == cli_main.DOCS_URL
        group = any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)
        if group or prog == "labelgate":
            assert not anchor, prog
        else:
            assert anchor in anchors, (prog, anchor)
        assert "\nexamples:\n  labelgate " in text, prog
        formatter = parser._get_formatter()
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            assert action.help, (prog, action.dest)
            described = formatter._get_help_string(action) or ""
            if action.default not in (None, False, [], argparse.SUPPRESS):
                assert "default" in described, (prog, action.dest)


def test_help_shows_each_default_once() -> None:
    text = cli_main.build_parser()._subparsers._group_actions[0].choices["agreement"].format_help()  # type: ignore[union-attr]
    flat = " ".join(text.split())
    assert "--bootstrap N resamples for the intervals; 0: none (default: 1000)" in flat
    assert "the scale (default: the schema's level, else nominal)" in flat
    assert "(default: None)" not in flat
    done = run("agreement", "--help")
    assert done.returncode == 0
    assert done.stdout == text


def test_internal_error_exits_4_and_says_where_to_report(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(_args: object) -> int:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(cli_main.check_cmd, "run", boom)
    done = run("check")
    assert done.returncode == 4
    err = done.stderr
    assert "internal error (a bug in labelgate" in err
    assert "github.com/labelgate/labelgate/issues" in err


def test_this_repository_is_a_clean_labelgate_project() -> None:
    done = run("check", str(REPO_ROOT))
    assert done.returncode == 0, done.stderr
    assert run("compose", "--check", "-C", REPO_ROOT).returncode == 0


def test_ci_files_call_real_commands(tmp_path: Path) -> None:
    """The shipped workflows only call labelgate subcommands that exist."""
    import re

    import yaml

    target = tmp_path / "ci"
    assert run("init", str(target), "--no-git", "--no-dvc").returncode == 0
    for name in (".github/workflows/labelgate.yml", ".gitlab-ci.yml"):
        text = (target / name).read_text(encoding="utf-8")
        yaml.safe_load(text)
        for command in sorted(set(re.findall(r"labelgate (check|compose|gate|run|init)\b", text))):
            assert run(command, "--help").returncode == 0, (name, command)
        assert "labelgate gate --baseline" in text
        assert "<!-- labelgate-report -->" in text
    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {h["id"] for h in hooks} == {"labelgate-check", "labelgate-compose-check"}
