"""`labelgate gate` end to end in a temporary git project, with a committed baseline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import cli, init_repo, sh

if TYPE_CHECKING:
    from labelgate.app.run import DatasetOutcome


def commit(root: Path, message: str) -> None:
    assert sh("git", "add", "-A", cwd=root).returncode == 0
    done = sh(
        "git",
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.org",
        "commit",
        "-qm",
        message,
        cwd=root,
    )
    assert done.returncode == 0, done.stderr


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = init_repo(tmp_path_factory.mktemp("gate") / "proj")
    commit(root, "project without a build")
    assert cli("run", cwd=root).returncode == 0
    assert (root / "build/example/metrics.json").is_file()
    commit(root, "baseline build")
    return root


def test_clean_build_passes_against_itself(project: Path) -> None:
    done = cli("gate", "--baseline", "HEAD", "--format", "md", "-C", project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("<!-- labelgate-report -->\n## ✅ labelgate: data quality PASS")
    row = next(
        line for line in done.stdout.splitlines() if line.startswith("| krippendorff_alpha |")
    )
    assert row.startswith("| krippendorff_alpha | 0.510 [")  # value with its bootstrap interval
    assert row.endswith("| 0.510 | +0.000 | min 0.4 | ✅ pass |")


def test_lower_agreement_fails_with_the_cause_and_a_regression_rule(project: Path) -> None:
    rules = project / "qa_rules/review_sentiment.yaml"
    answers = project / "datasets/example/raw/annotations.csv"
    original_rules, original_answers = (
        rules.read_text(encoding="utf-8"),
        answers.read_text(encoding="utf-8"),
    )
    try:
        replace(
            rules,
            "  - metric: gold_accuracy",
            "  - metric: percent_agreement\n    id: no_regression\n    max_drop: 0.05\n  - metric: gold_accuracy",
        )
        # w2 starts answering 'neutral' to everything: agreement falls.
        lines = [
            line
            if ",w2," not in line
            else ",".join([*line.split(",")[:2], "neutral", line.split(",")[3]])
            for line in original_answers.splitlines()
        ]
        answers.write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert cli("run", cwd=project).returncode == 1
        done = cli("gate", "--baseline", "HEAD", "-C", project)
        assert done.returncode == 1
        assert "example: gate FAIL" in done.stdout
        assert "FAIL  krippendorff_alpha: krippendorff_alpha = " in done.stdout
        assert "is below min 0.4" in done.stdout
        assert "FAIL  no_regression: percent_agreement fell from" in done.stdout
        assert "lowest agreement with others: w2" in done.stdout
        report = json.loads(
            cli("gate", "--baseline", "HEAD", "--format", "json", "-C", project).stdout
        )
        check = next(c for c in report["datasets"][0]["checks"] if c["id"] == "no_regression")
        assert check["delta"] < -0.05
    finally:
        rules.write_text(original_rules, encoding="utf-8")
        answers.write_text(original_answers, encoding="utf-8")
        assert cli("run", cwd=project).returncode == 0


def test_warn_only_exits_0_and_says_so_unless_warn_as_error(project: Path) -> None:
    rules = project / "qa_rules/review_sentiment.yaml"
    original = rules.read_text(encoding="utf-8")
    try:
        replace(rules, "    min: 0.4\n    severity: error", "    min: 0.9\n    severity: warn")
        assert cli("run", cwd=project).returncode == 0
        done = cli("gate", "-C", project)
        assert done.returncode == 0
        assert "example: gate WARN" in done.stdout
        assert "WARN  krippendorff_alpha" in done.stdout
        assert cli("gate", "--warn-as-error", "-C", project).returncode == 1
    finally:
        rules.write_text(original, encoding="utf-8")


def test_a_metric_that_was_not_computed_is_an_error(project: Path) -> None:
    rules = project / "qa_rules/review_sentiment.yaml"
    original = rules.read_text(encoding="utf-8")
    try:
        replace(
            rules,
            "  - metric: gold_accuracy",
            "  - metric: audit_pass_rate\n    min: 0.9\n  - metric: gold_accuracy",
        )
        assert cli("run", cwd=project).returncode == 1
        done = cli("gate", "-C", project)
        assert done.returncode == 1
        assert (
            "ERROR audit_pass_rate: audit_pass_rate could not be computed for this dataset"
            in done.stdout
        )
    finally:
        rules.write_text(original, encoding="utf-8")


def test_bad_baselines_exit_3(project: Path) -> None:
    missing = cli("gate", "--baseline", "no-such-branch", "-C", project)
    assert missing.returncode == 3
    assert "revision 'no-such-branch' does not exist" in missing.stderr
    empty = cli("gate", "--baseline", "HEAD~1", "-C", project)
    assert empty.returncode == 3
    assert "has no metrics for dataset 'example'" in empty.stderr


REGRESSION_GATE = "  - metric: percent_agreement\n    id: no_regression\n    max_drop: 0.05\n"


def test_a_regression_gate_without_a_baseline_fails_and_says_how_to_check_it(
    project: Path,
) -> None:
    rules = project / "qa_rules/review_sentiment.yaml"
    original = rules.read_text(encoding="utf-8")
    try:
        replace(rules, "  - metric: gold_accuracy", REGRESSION_GATE + "  - metric: gold_accuracy")
        run = cli("run", "-C", project)
        assert run.returncode == 1, run.stdout + run.stderr
        assert "== example: gate FAIL" in run.stdout
        assert "   NO_BASELINE no_regression: percent_agreement = " in run.stdout
        assert run.stdout.rstrip().splitlines()[-1] == (
            "quality gate FAILED for: example (no baseline for no_regression); 'labelgate run' "
            "has no baseline: run 'labelgate gate --baseline REV', or set "
            "on_missing_baseline: warn on those gates"
        )
        # The gate stage records the verdict and exits 0; gate.json says what to do.
        assert cli("stage", "gate", "--dataset", "example", "-C", project).returncode == 0
        verdict = json.loads((project / "build/example/gate.json").read_text(encoding="utf-8"))
        assert verdict["status"] == "fail"
        check = next(c for c in verdict["checks"] if c["id"] == "no_regression")
        assert (check["status"], check["on_missing_baseline"]) == ("no_baseline", "error")
        assert "'labelgate gate --baseline REV'" in check["message"]
        assert "on_missing_baseline: warn" in check["message"]
        others = [c for c in verdict["checks"] if c["id"] != "no_regression"]
        assert [c["status"] for c in others] == ["pass", "pass"]
        assert all("on_missing_baseline" not in c for c in others)

        text = cli("gate", "-C", project)
        assert text.returncode == 1
        assert "example: gate FAIL" in text.stdout
        assert "  NO_BASELINE no_regression: percent_agreement = " in text.stdout
        md = cli("gate", "--format", "md", "-C", project)
        assert md.returncode == 1
        assert "## ❌ labelgate: data quality FAIL" in md.stdout
        assert "No baseline was given" in md.stdout
        assert "| max_drop 0.05 | ❌ no_baseline |" in md.stdout

        # With a baseline the regression is checked, and the pass says what it compared.
        compared = cli("gate", "--baseline", "HEAD", "-C", project)
        assert compared.returncode == 0, compared.stdout
        assert "example: gate PASS" in compared.stdout
        assert (
            "PASS  no_regression: percent_agreement = 0.667 is within max_drop 0.05 of the "
            "baseline 0.667 (delta +0.000)." in compared.stdout
        )
        assert "meets ." not in compared.stdout
    finally:
        rules.write_text(original, encoding="utf-8")
        assert cli("run", "-C", project).returncode == 0


def test_on_missing_baseline_warn_lets_the_run_pass_with_a_warning(project: Path) -> None:
    rules = project / "qa_rules/review_sentiment.yaml"
    original = rules.read_text(encoding="utf-8")
    try:
        replace(
            rules,
            "  - metric: gold_accuracy",
            REGRESSION_GATE + "    on_missing_baseline: warn\n  - metric: gold_accuracy",
        )
        run = cli("run", "-C", project)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "== example: gate WARN" in run.stdout
        assert "this counts as a warning (on_missing_baseline: warn)" in run.stdout
        assert run.stdout.rstrip().splitlines()[-1] == (
            "all quality gates passed, with warnings for: example (no baseline for "
            "no_regression); 'labelgate run' has no baseline: run 'labelgate gate --baseline "
            "REV' to check those gates"
        )
        assert cli("gate", "-C", project).returncode == 0
        assert cli("gate", "--warn-as-error", "-C", project).returncode == 1
        md = cli("gate", "--format", "md", "-C", project).stdout
        assert "## ⚠️ labelgate: data quality WARN" in md
        assert "| ⚠️ no_baseline |" in md
        assert cli("gate", "--baseline", "HEAD", "-C", project).returncode == 0
    finally:
        rules.write_text(original, encoding="utf-8")
        assert cli("run", "-C", project).returncode == 0


def test_on_missing_baseline_needs_max_drop(project: Path) -> None:
    rules = project / "qa_rules/review_sentiment.yaml"
    original = rules.read_text(encoding="utf-8")
    try:
        replace(rules, "    min: 0.4\n", "    min: 0.4\n    on_missing_baseline: warn\n")
        done = cli("check", project)
        assert done.returncode == 3
        assert "on_missing_baseline applies to regression gates only" in done.stdout + done.stderr
    finally:
        rules.write_text(original, encoding="utf-8")


def _outcome(name: str, *checks: dict[str, Any]) -> DatasetOutcome:
    from labelgate.analysis.gates import overall_status
    from labelgate.app.run import DatasetOutcome

    status = overall_status(list(checks))
    return DatasetOutcome(name, {"status": status, "checks": list(checks)}, {"metrics": {}})


def test_the_final_line_of_run_names_what_failed_and_what_was_not_checked() -> None:
    from labelgate.cli.run_cmd import final_line

    ok: dict[str, Any] = {"id": "alpha", "status": "pass"}
    warn = {"id": "gold", "status": "warn"}
    fail = {"id": "alpha", "status": "fail"}
    strict = {"id": "no_drop", "status": "no_baseline", "on_missing_baseline": "error"}
    lenient = {"id": "no_drop", "status": "no_baseline", "on_missing_baseline": "warn"}
    assert final_line([_outcome("a", ok)]) == "all quality gates passed"
    assert (
        final_line([_outcome("a", ok), _outcome("b", warn)])
        == "all quality gates passed, with warnings for: b"
    )
    assert final_line([_outcome("a", fail), _outcome("b", warn)]) == "quality gate FAILED for: a"
    assert final_line([_outcome("a", fail), _outcome("b", ok, strict)]) == (
        "quality gate FAILED for: a, b (no baseline for no_drop); 'labelgate run' has no "
        "baseline: run 'labelgate gate --baseline REV', or set on_missing_baseline: warn on "
        "those gates"
    )
    assert final_line([_outcome("b", ok, lenient)]) == (
        "all quality gates passed, with warnings for: b (no baseline for no_drop); 'labelgate "
        "run' has no baseline: run 'labelgate gate --baseline REV' to check those gates"
    )
