"""The CI files `labelgate init` writes are valid workflows that install the labelgate version
that wrote them and run real commands; this repository's own CI files are valid too.

Validation uses SchemaStore's schemas for GitHub workflows and GitLab CI as check-jsonschema
vendors them (`--builtin-schema vendor.github-workflows`, `vendor.gitlab-ci`), in process: no
network. The shell lines that decide whether the job goes on run under bash on a stub
`labelgate`; the comment posters run against stand-ins (the GitLab API on localhost, the
github-script globals under node, when node is installed).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from labelgate import __version__
from labelgate.scaffold.init import CI_FILES, VERSION_PLACEHOLDER, render
from tests.conftest import REPO_ROOT, cli

GITHUB = ".github/workflows/labelgate.yml"
GITLAB = ".gitlab-ci.yml"
SCHEMAS = {GITHUB: "vendor.github-workflows", GITLAB: "vendor.gitlab-ci"}
PIN = f"labelgate @ git+https://github.com/labelgate/labelgate@v{__version__}"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scaffold") / "project"
    done = cli("init", str(root), "--no-git", "--no-dvc")
    assert done.returncode == 0, done.stderr
    return root


def _validate(path: Path, schema: str) -> None:
    from check_jsonschema import main
    from click.testing import CliRunner

    extra = ["--data-transform", "gitlab-ci"] if schema == "vendor.gitlab-ci" else []
    result = CliRunner().invoke(main, ["--builtin-schema", schema, *extra, str(path)])
    assert result.exit_code == 0, f"{path}: {result.output}"


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


@pytest.mark.parametrize("name", CI_FILES)
def test_the_generated_ci_files_are_valid(project: Path, name: str) -> None:
    _validate(project / name, SCHEMAS[name])


@pytest.mark.parametrize(
    "path",
    [*sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml")), REPO_ROOT / GITLAB],
    ids=lambda p: p.name,
)
def test_this_repositorys_ci_files_are_valid(path: Path) -> None:
    _validate(path, SCHEMAS[GITLAB] if path.name == GITLAB else SCHEMAS[GITHUB])


def test_the_ci_files_pin_the_version_that_wrote_them(project: Path) -> None:
    for name in CI_FILES:
        text = (project / name).read_text(encoding="utf-8")
        assert f'LABELGATE_REQUIREMENT: "{PIN}"' in text, name
        assert '"$LABELGATE_REQUIREMENT"' in text, name  # and install it
        assert not re.search(r"pip install (-\S+ )*labelgate\b", text), name
    # Only the CI files are rendered, and no placeholder is left anywhere in the project.
    for path in project.rglob("*"):
        if path.is_file():
            assert VERSION_PLACEHOLDER.encode() not in path.read_bytes(), path
    assert render(GITHUB, VERSION_PLACEHOLDER.encode(), "9.9.9") == b"9.9.9"
    assert (
        render("README.md", VERSION_PLACEHOLDER.encode(), "9.9.9") == VERSION_PLACEHOLDER.encode()
    )


def _commands(script: str) -> list[list[str]]:
    """The `labelgate ...` commands of a shell script, as argv, up to `||` or a comment."""
    out = []
    for line in script.splitlines():
        for match in re.finditer(r"(?:^|[;&|]\s*)(labelgate\s[^;&|#]*)", line.strip()):
            out.append(shlex.split(match.group(1)))
    return out


def _parses(argv: list[str]) -> None:
    """`argv` is a real labelgate command line: its options exist."""
    from labelgate.cli.main import build_parser

    assert argv[0] == "labelgate"
    if argv[1:] == ["--version"]:
        return
    build_parser().parse_args(argv[1:])  # exits 2 (SystemExit) on an unknown option


def _github_steps(project: Path) -> list[dict[str, Any]]:
    steps = _load(project / GITHUB)["jobs"]["quality"]["steps"]
    assert isinstance(steps, list)
    return steps


def test_the_github_workflow_checks_runs_gates_comments_and_fails(project: Path) -> None:
    workflow = _load(project / GITHUB)
    steps = _github_steps(project)
    runs = [s.get("run", "") for s in steps]
    commands = [argv for run in runs for argv in _commands(run)]
    for argv in commands:
        _parses(argv)
    names = [argv[1] for argv in commands]
    assert names == ["--version", "check", "compose", "run", "gate"]
    gate = commands[-1]
    assert gate[2:4] == ["--baseline", "origin/$BASE_BRANCH"]
    assert gate[4:] == ["--format", "md", "-o", "labelgate-report.md"]

    by_id = {s["id"]: s for s in steps if "id" in s}
    assert by_id["gate"]["continue-on-error"] is True
    assert "github.base_ref" in by_id["gate"]["env"]["BASE_BRANCH"]
    # Every `steps.ID` an expression names is a step of the job.
    text = (project / GITHUB).read_text(encoding="utf-8")
    assert set(re.findall(r"steps\.([\w-]+)\.", text)) <= set(by_id)

    # The labelgate environment is cached, keyed on the Python version and this file.
    venv = by_id["venv"]
    assert venv["uses"].startswith("actions/cache@")
    key = venv["with"]["key"]
    assert GITHUB in key
    assert "steps.python.outputs.python-version" in key
    install = next(s for s in steps if s.get("name") == "Install labelgate")
    assert install["if"] == "steps.venv.outputs.cache-hit != 'true'"
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers
    assert workflow["permissions"]["pull-requests"] == "write"

    comment = next(s for s in steps if s.get("uses", "").startswith("actions/github-script@"))
    assert "<!-- labelgate-report -->" in comment["with"]["script"]
    assert "updateComment" in comment["with"]["script"]
    assert "labelgate-report.md" in comment["if"]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    assert "labelgate-report.md" in upload["with"]["path"]
    # The last step fails the job when the gate failed.
    assert steps[-1]["if"] == "steps.gate.outcome == 'failure'"
    assert "exit 1" in steps[-1]["run"]


def test_the_gitlab_job_checks_runs_gates_comments_and_fails(project: Path) -> None:
    job = _load(project / GITLAB)["labelgate"]
    script = [*job["before_script"], *job["script"]]
    commands = [argv for line in script for argv in _commands(line)]
    for argv in commands:
        _parses(argv)
    assert [argv[1] for argv in commands] == ["--version", "check", "compose", "run", "gate"]
    assert commands[-1][2:] == [
        "--baseline",
        "origin/$BASE_BRANCH",
        "--format",
        "md",
        "-o",
        "labelgate-report.md",
    ]
    assert job["variables"]["GIT_DEPTH"] == "0"
    assert any(".cache/pip" in c["paths"] for c in job["cache"])
    assert f"labelgate-pip-{__version__}" in [c["key"] for c in job["cache"]]
    assert "<!-- labelgate-report -->" in "\n".join(script)
    assert script[-1] == "exit $STATUS"
    assert job["artifacts"]["when"] == "always"


@pytest.mark.parametrize(("stub_exit", "job_fails"), [(0, False), (1, False), (3, True)])
def test_a_failed_gate_in_labelgate_run_does_not_stop_the_job(
    project: Path, tmp_path: Path, stub_exit: int, job_fails: bool
) -> None:
    """`labelgate run || [ $? -eq 1 ]`: exit 1 (a failed gate) goes on to the baseline gate,
    which decides; exit 3 (a broken project) stops the job. Run as bash with `-e`, as both CI
    systems run it, on a stub `labelgate`."""
    stub = tmp_path / "labelgate"
    stub.write_text(f"#!/bin/sh\nexit {stub_exit}\n", encoding="utf-8")
    stub.chmod(0o755)
    github = next(
        s["run"] for s in _github_steps(project) if s.get("name") == "Rebuild the datasets"
    )
    gitlab = next(line for line in _load(project / GITLAB)["labelgate"]["script"] if "run" in line)
    for line in (github, gitlab):
        done = subprocess.run(
            ["bash", "-e", "-c", f"{line}\necho next-step"],
            env={"PATH": f"{tmp_path}:/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert (done.returncode != 0) == job_fails, (line, done)
        assert ("next-step" in done.stdout) != job_fails


class _GitLab(BaseHTTPRequestHandler):
    """The merge-request notes API, two pages of notes; records the requests it gets."""

    pages: ClassVar[dict[str, list[dict[str, Any]]]] = {}
    requests: ClassVar[list[tuple[str, str, dict[str, Any] | None]]] = []

    def _reply(self, body: Any, next_page: str = "") -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Next-Page", next_page)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        assert self.headers["PRIVATE-TOKEN"] == "secret"
        page = self.path.rpartition("page=")[2]
        self.requests.append(("GET", self.path, None))
        self._reply(self.pages[page], "2" if page == "1" else "")

    def _write(self) -> None:
        length = int(self.headers["Content-Length"])
        self.requests.append((self.command, self.path, json.loads(self.rfile.read(length))))
        self._reply({})

    def do_POST(self) -> None:
        self._write()

    def do_PUT(self) -> None:
        self._write()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gitlab() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GitLab)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    _GitLab.requests = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v4"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("existing", [True, False])
def test_the_gitlab_job_posts_or_updates_its_note(
    project: Path, tmp_path: Path, gitlab: str, existing: bool
) -> None:
    """The job's note poster pages through the notes, updates the one with the marker, or
    posts a new one; here against a stand-in for GitLab's API on localhost."""
    block = next(
        line
        for line in _load(project / GITLAB)["labelgate"]["script"]
        if "LABELGATE_GITLAB_TOKEN" in line
    )
    report = "<!-- labelgate-report -->\n## labelgate: data quality PASS\n"
    (tmp_path / "labelgate-report.md").write_text(report, encoding="utf-8")
    marked = {"id": 7, "body": "<!-- labelgate-report -->\nold"}
    _GitLab.pages = {"1": [{"id": 1, "body": "lgtm"}], "2": [marked] if existing else []}
    done = subprocess.run(
        ["bash", "-e", "-c", block],
        cwd=tmp_path,
        env={
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "LABELGATE_GITLAB_TOKEN": "secret",
            "CI_API_V4_URL": gitlab,
            "CI_PROJECT_ID": "5",
            "CI_MERGE_REQUEST_IID": "9",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    notes = "/api/v4/projects/5/merge_requests/9/notes"
    gets = [r for r in _GitLab.requests if r[0] == "GET"]
    assert [path for _, path, _ in gets] == [f"{notes}?per_page=100&page={p}" for p in "12"]
    writes = [r for r in _GitLab.requests if r[0] != "GET"]
    expected = ("PUT", f"{notes}/7") if existing else ("POST", notes)
    assert writes == [(*expected, {"body": report})]


_GITHUB_SCRIPT_HARNESS = """
const calls = [];
const existing = JSON.parse(process.env.EXISTING);
const github = {
  paginate: async (method, args) => { calls.push(['list', args]); return existing; },
  rest: {issues: {
    listComments: 'listComments',
    updateComment: async (args) => { calls.push(['update', args]); },
    createComment: async (args) => { calls.push(['create', args]); },
  }},
};
const context = {repo: {owner: 'o', repo: 'r'}, issue: {number: 5}};
(async () => {
SCRIPT
})().then(() => console.log(JSON.stringify(calls)));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
@pytest.mark.parametrize("existing", [True, False])
def test_the_github_job_posts_or_updates_its_comment(
    project: Path, tmp_path: Path, existing: bool
) -> None:
    """The github-script step, run by node with stand-ins for `github` and `context`: it
    updates the comment that starts with the marker, or creates one."""
    step = next(
        s for s in _github_steps(project) if s.get("uses", "").startswith("actions/github-script@")
    )
    report = "<!-- labelgate-report -->\n## labelgate: data quality FAIL\n"
    (tmp_path / "labelgate-report.md").write_text(report, encoding="utf-8")
    comments = [{"id": 1, "body": "lgtm"}, {"id": 2, "body": None}]
    if existing:
        comments.append({"id": 3, "body": "<!-- labelgate-report -->\nold"})
    (tmp_path / "step.js").write_text(
        _GITHUB_SCRIPT_HARNESS.replace("SCRIPT", step["with"]["script"]), encoding="utf-8"
    )
    done = subprocess.run(
        [str(shutil.which("node")), "step.js"],
        cwd=tmp_path,
        env={"EXISTING": json.dumps(comments)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    calls = json.loads(done.stdout)
    where = {"owner": "o", "repo": "r"}
    assert calls[0] == ["list", {**where, "issue_number": 5}]
    if existing:
        assert calls[1:] == [["update", {**where, "comment_id": 3, "body": report}]]
    else:
        assert calls[1:] == [["create", {**where, "issue_number": 5, "body": report}]]
