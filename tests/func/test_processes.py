"""The only tests that start `labelgate` or `dvc` as processes; every other functional test calls
`main(argv)` in process (tests/conftest.py `cli`).

Kept as processes because a process is what they are about: the installed entry points, what
importing the command line costs a fresh interpreter, and plain `dvc repro` (each stage a
`labelgate stage` process) building the very bytes the in-process `labelgate run` builds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import cli, init_repo, labelgate, sh

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
HEAVY = ("pandas", "pyarrow", "hydra", "dvc")


def test_console_script_and_python_dash_m_start() -> None:
    from labelgate import __version__

    version = sh(str(BIN / "labelgate"), "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"labelgate {__version__}"
    helped = labelgate("--help")
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("usage: labelgate")


def test_the_command_line_imports_no_heavy_dependency() -> None:
    """`labelgate --help` and a typo's usage error stay fast: the heavy libraries load only
    inside the command that needs them."""
    code = textwrap.dedent(
        f"""
        import json, sys
        def loaded():
            return sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))
        import labelgate.cli.main
        imported = loaded()
        labelgate.cli.main.build_parser()
        print(json.dumps({{"import": imported, "build_parser": loaded()}}))
        """
    )
    done = sh(sys.executable, "-c", code)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"import": [], "build_parser": []}


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_dvc_repro_as_a_process_builds_what_labelgate_run_builds(tmp_path: Path) -> None:
    # Two fresh projects at different paths: nothing in dvc.lock or build/ may name the path.
    by_dvc = tmp_path / "by-dvc" / "proj"
    in_process = tmp_path / "in-process" / "elsewhere"
    created = cli("init", by_dvc)  # the real `labelgate init`: `git init` and `dvc init` run
    assert created.returncode == 0, created.stderr

    env = dict(os.environ, DVC_NO_ANALYTICS="1")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # so dvc.yaml's `labelgate` resolves
    with subprocess.Popen(
        [str(BIN / "dvc"), "repro"],
        cwd=by_dvc,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as repro:
        # Meanwhile (the machine has a second core), the same pipeline in this process.
        init_repo(in_process)
        ran = cli("run", cwd=in_process)
        log, _ = repro.communicate(timeout=600)
    assert repro.returncode == 0, log
    assert "Running stage 'gate@example'" in log
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "== example: gate PASS" in ran.stdout

    built, expected = _files(by_dvc / "build"), _files(in_process / "build")
    assert "example/gate.json" in built
    # `labelgate run` also writes the index of every dataset's pages (not a DVC output).
    assert sorted(built) == sorted(name for name in expected if name != "index.html")
    # File by file first, so a difference names the file and shows it.
    for name, content in built.items():
        if content != expected[name] and name.endswith((".html", ".json", ".md", ".csv")):
            assert content.decode("utf-8") == expected[name].decode("utf-8"), name
        assert content == expected[name], name
    lock = (by_dvc / "dvc.lock").read_text(encoding="utf-8")
    assert lock == (in_process / "dvc.lock").read_text(encoding="utf-8")

    # What `dvc repro` built is up to date for `labelgate run`: nothing runs again.
    again = cli("run", cwd=by_dvc)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "didn't change, skipping" in again.stdout
    assert "Running stage" not in again.stdout + again.stderr
    assert (by_dvc / "dvc.lock").read_text(encoding="utf-8") == lock
