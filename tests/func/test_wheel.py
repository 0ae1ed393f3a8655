"""The wheel carries everything `labelgate init` and `labelgate run` need, and works installed
outside this checkout.

The wheel is built offline from a copy of the sources (`--no-build-isolation --no-index`: the
dev extra installs the build backend), so the build never writes into this checkout; it is then
installed with `--target` and run with PYTHONPATH, its dependencies coming from this venv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from labelgate import __version__
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow  # three processes: pip wheel, pip install, python -m labelgate

TEMPLATE = REPO_ROOT / "src" / "labelgate" / "scaffold" / "template"


def _pip(*args: str | Path, cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO_ROOT / name, source / name)
    shutil.copytree(
        REPO_ROOT / "src" / "labelgate",
        source / "src" / "labelgate",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    dist = tmp_path_factory.mktemp("dist")
    _pip("wheel", ".", "--no-deps", "--no-build-isolation", "--no-index", "-w", dist, cwd=source)
    (built,) = dist.glob("labelgate-*.whl")
    return built


def test_the_wheel_has_the_template_the_types_and_the_command(wheel: Path) -> None:
    assert wheel.name == f"labelgate-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = f"labelgate-{__version__}.dist-info"
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
        metadata = archive.read(f"{info}/METADATA").decode()
    template = {
        f"labelgate/scaffold/template/{p.relative_to(TEMPLATE).as_posix()}"
        for p in TEMPLATE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    for dotfile in (".github/workflows/labelgate.yml", ".gitlab-ci.yml", ".gitignore"):
        assert f"labelgate/scaffold/template/{dotfile}" in template
    assert template <= names, sorted(template - names)
    assert "labelgate/py.typed" in names
    assert "labelgate/report/templates/report.html" in names  # the HTML report's templates
    assert "labelgate/__main__.py" in names
    assert "[console_scripts]\nlabelgate = labelgate.cli.main:entry_point" in entry_points
    for line in (
        "License-Expression: Apache-2.0",
        "Requires-Python: >=3.11",
        "Project-URL: Homepage, https://github.com/labelgate/labelgate",
        "Project-URL: Issues, https://github.com/labelgate/labelgate/issues",
        "Description-Content-Type: text/markdown",
    ):
        assert line in metadata.splitlines(), line


def test_the_installed_wheel_creates_a_project(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    _pip("install", "--no-deps", "--no-index", "--target", target, wheel, cwd=tmp_path)
    env = {**os.environ, "PYTHONPATH": str(target)}

    def python(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    # The installed copy is the one imported, not this checkout's editable install.
    assert python("-c", "import labelgate; print(labelgate.__file__)").startswith(str(target))
    out = python("-m", "labelgate", "init", "project", "--no-git", "--no-dvc")
    assert "Created a labelgate project in project" in out
    project = tmp_path / "project"
    for name in ("dvc.yaml", "params.yaml", ".gitignore", "conf/config.yaml", ".gitlab-ci.yml"):
        assert (project / name).is_file(), name
    workflow = (project / ".github" / "workflows" / "labelgate.yml").read_text(encoding="utf-8")
    assert f"labelgate@v{__version__}" in workflow
    assert "ok" in python("-m", "labelgate", "check", "project")
