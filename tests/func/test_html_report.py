"""report.html, progress.html and build/index.html rendered in headless Chromium: the numbers
shown are metrics.json's, the gate status is gate.json's, the console stays clean, nothing is
fetched, and hostile annotator ids and labels render as text.

The browser is Debian's chromium (`.ci/run` installs it when it can), driven over the DevTools
protocol by the playwright package (never its own browser download). One browser per module.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from labelgate.project import build_files
from labelgate.scaffold.init import init_project
from tests.conftest import ALL_STAGES, cli, run_stages

HOSTILE_ID = "<script>alert(1)</script>"
HOSTILE_LABEL = '"><img src=x onerror=alert(1)>'
CHROMIUM = os.environ.get("LABELGATE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template project with annotator w1 renamed to a script tag, built, and indexed; a
    hostile.html beside its pages has a label made of an attribute break and an img tag."""
    from labelgate.app.report import write_index
    from labelgate.project.context import dataset_context
    from labelgate.report.html_report import render_report
    from labelgate.stages.report import read_summaries, report_data

    root = tmp_path_factory.mktemp("html") / "proj"
    init_project(root, git=False, dvc=False)
    annotations = root / "datasets/example/raw/annotations.csv"
    annotations.write_text(annotations.read_text().replace(",w1,", f",{HOSTILE_ID},"))
    run_stages(root, "example", ALL_STAGES)
    write_index(root)
    ctx = dataset_context(root, "example")
    out = ctx.out
    metrics = json.loads((out / build_files.METRICS_JSON).read_text())
    data = report_data(ctx, read_summaries(ctx), metrics, ["krippendorff_alpha"], None)
    (out / "hostile.html").write_text(render_report(_with_label(data, HOSTILE_LABEL)))
    return root


def _with_label(data: Any, label: str) -> Any:
    """`data` with the label `positive` renamed everywhere the report shows labels."""
    agreement = dict(data.summaries.agreement)
    per_label = {(label if k == "positive" else k): v for k, v in agreement["per_label"].items()}
    summaries = dataclasses.replace(data.summaries, agreement={**agreement, "per_label": per_label})
    confusion = dict(data.confusion)
    confusion["labels"] = [label if x == "positive" else x for x in confusion["labels"]]
    return dataclasses.replace(data, summaries=summaries, confusion=confusion)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed (dev extra)"
    )
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"no chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium, "
            "as .ci/run does) or set LABELGATE_CHROMIUM to a Chromium binary"
        )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@dataclasses.dataclass
class Loaded:
    """A page as the browser rendered it, with what it logged, fetched and tried to pop up."""

    page: Any
    console: list[str]
    requests: list[str]
    dialogs: list[str]


@pytest.fixture
def load(browser: Any) -> Iterator[Any]:
    pages = []

    def open_page(path: Path) -> Loaded:
        page = browser.new_page()
        pages.append(page)
        seen = Loaded(page, [], [], [])
        page.on("console", lambda m: seen.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: seen.console.append(f"pageerror: {e}"))
        page.on("request", lambda r: seen.requests.append(r.url))
        page.on("dialog", lambda d: _dismiss(d, seen.dialogs))
        page.goto(path.as_uri())
        return seen

    yield open_page
    for page in pages:
        page.close()


def _dismiss(dialog: Any, seen: list[str]) -> None:
    seen.append(dialog.message)
    dialog.dismiss()


def _clean(seen: Loaded, path: Path) -> None:
    assert seen.console == []
    assert seen.requests == [path.as_uri()]  # the page itself, and nothing else
    assert seen.dialogs == []


def _report_page(out: Path, load: Any) -> None:
    """The coefficient shown is metrics.json's, the gate verdicts gate.json's; tables sort."""
    metrics = json.loads((out / build_files.METRICS_JSON).read_text())
    gate = json.loads((out / build_files.GATE_JSON).read_text())
    path = out / build_files.REPORT_HTML
    seen = load(path)
    page = seen.page
    alpha = metrics["metrics"]["krippendorff_alpha"]
    assert page.text_content("#headline-value") == f"{alpha:.3f}"
    assert float(page.get_attribute("#headline-value", "data-value")) == alpha
    assert page.get_attribute("#gate-status", "data-status") == gate["status"]
    shown = [e.get_attribute("data-status") for e in page.query_selector_all("td.gate-check")]
    assert shown == [c["status"] for c in gate["checks"]]
    assert page.query_selector_all("#confusion svg"), "the heatmap is drawn"
    header = page.query_selector("#per-annotator th:nth-child(2)")
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    counts = page.eval_on_selector_all(
        "#per-annotator tbody td:nth-child(2)", "cells => cells.map(c => c.dataset.sort)"
    )
    assert [float(c) for c in counts] == sorted(float(c) for c in counts)
    _clean(seen, path)


def _progress_page(out: Path, load: Any) -> None:
    """The customer view: the same headline, no annotator id, ETA not measured yet."""
    metrics = json.loads((out / build_files.METRICS_JSON).read_text())
    path = out / build_files.PROGRESS_HTML
    seen = load(path)
    alpha = metrics["metrics"]["krippendorff_alpha"]
    assert seen.page.text_content("#headline-value") == f"{alpha:.3f}"
    assert (
        seen.page.get_attribute("#gate-status", "data-status")
        == json.loads((out / build_files.GATE_JSON).read_text())["status"]
    )
    text = seen.page.text_content("body")
    for annotator in ("w2", "w3", HOSTILE_ID):
        assert annotator not in text
    # The ops stage measured progress: the customer sees it, never costs or annotators.
    assert "Not measured yet" not in text
    assert "progress" in text.lower()
    assert "cost" not in text.lower()
    _clean(seen, path)


def _index_page(out: Path, load: Any) -> None:
    index = out.parent / build_files.INDEX_HTML
    seen = load(index)
    links = seen.page.eval_on_selector_all("#datasets a", "links => links.map(a => a.href)")
    assert links == [
        (out / name).as_uri() for name in (build_files.REPORT_HTML, build_files.PROGRESS_HTML)
    ]
    gate = json.loads((out / build_files.GATE_JSON).read_text())
    assert seen.page.get_attribute("#datasets td.gate-check", "data-status") == gate["status"]
    _clean(seen, index)


def _hostile_page(out: Path, load: Any) -> None:
    """An annotator id that is a script tag and a label that breaks out of an attribute into
    an img tag are text: no img, no second script, no dialog, no console error."""
    path = out / "hostile.html"
    seen = load(path)
    page = seen.page
    text = page.text_content("body")
    assert HOSTILE_ID in text
    assert HOSTILE_LABEL in text
    assert page.eval_on_selector_all("img", "e => e.length") == 0
    assert page.eval_on_selector_all("script", "e => e.length") == 1  # the sorting script
    _clean(seen, path)


def test_pages_render_in_chromium(load: Any, project: Path) -> None:
    # One test for the four pages, so a parallel run builds the project and starts the browser
    # once; `load` first, so a missing browser skips before the project is built.
    out = project / "build" / "example"
    _report_page(out, load)
    _progress_page(out, load)
    _index_page(out, load)
    _hostile_page(out, load)


def test_pages_are_byte_identical_when_rebuilt(project: Path) -> None:
    out = project / "build" / "example"
    before = {
        p: (out / p).read_bytes() for p in (build_files.REPORT_HTML, build_files.PROGRESS_HTML)
    }
    run_stages(project, "example", ("report",))
    assert {p: (out / p).read_bytes() for p in before} == before


def _fake_build(root: Path) -> Path:
    """A project whose build holds one dataset's metrics.json and gate.json, nothing else."""
    init_project(root, git=False, dvc=False)
    out = root / "build" / "example"
    out.mkdir(parents=True)
    metrics = {"metrics": {"n_items": 12, "unresolved_rate": 0.0, "krippendorff_alpha": 0.5}}
    (out / build_files.METRICS_JSON).write_text(json.dumps(metrics))
    (out / build_files.GATE_JSON).write_text(json.dumps({"status": "pass", "checks": []}))
    return root


def test_report_command_writes_and_opens_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _fake_build(tmp_path / "proj")
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url))
    done = cli("report", "--open", "-C", project)
    assert done.returncode == 0, done.stderr
    index = project / "build" / build_files.INDEX_HTML
    assert done.stdout.strip() == str(index)
    assert opened == [index.resolve().as_uri()]
    first = index.read_bytes()
    assert b"krippendorff_alpha 0.500" in first
    assert cli("report", "-C", project).returncode == 0
    assert index.read_bytes() == first


def test_report_command_without_a_build_is_exit_3(tmp_path: Path) -> None:
    init_project(tmp_path / "empty", git=False, dvc=False)
    done = cli("report", "-C", tmp_path / "empty")
    assert done.returncode == 3
    assert "labelgate run" in done.stderr


@pytest.fixture(scope="module")
def feedback_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The feedback tests' project (two batches, reviews, a qualification test), built."""
    from tests.func.test_feedback import build_feedback_project

    root = build_feedback_project(tmp_path_factory.mktemp("html-feedback") / "proj")
    run_stages(root, "example", ("config", *ALL_STAGES))
    return root


def test_feedback_and_drift_sections_render_feedback_json(
    load: Any, feedback_project: Path
) -> None:
    out = feedback_project / "build" / "example"
    feedback = json.loads((out / "feedback.json").read_text())
    path = out / build_files.REPORT_HTML
    seen = load(path)
    page = seen.page
    # Drift: a row per window, the pair's AUC as feedback.json has it, and the chart drawn.
    windows = page.eval_on_selector_all(
        "#drift-windows tbody td:first-child", "cells => cells.map(c => c.textContent)"
    )
    assert windows == [w["window"] for w in feedback["drift"]["windows"]]
    auc = page.eval_on_selector("#drift-pairs tbody td:nth-child(3)", "c => c.dataset.sort")
    assert float(auc) == pytest.approx(feedback["item_drift_auc"])
    assert page.query_selector_all("#drift svg"), "the drift chart is drawn"
    # Feedback: the top confused pair, the rejection count, the flagged annotators.
    top = page.text_content("#confused-pairs tbody tr:first-child td:first-child")
    assert top == " / ".join(feedback["confused_pairs"][0]["labels"])
    reviews = feedback["reviews"]
    assert f"({reviews['n_rejected']} of {reviews['n_reviews']})" in page.text_content(
        "#review-summary"
    )
    flagged = page.text_content("#retraining")
    assert all(annotator in flagged for annotator in feedback["retraining"])
    _clean(seen, path)
