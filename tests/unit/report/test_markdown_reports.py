"""summary.md, the pull-request comment and the guideline diff show hostile user strings as text:
no HTML, no live @mention, no broken table, code span, fence or <details> block."""

from __future__ import annotations

import re
from typing import Any

from labelgate.analysis.gates import DatasetVerdict
from labelgate.config.guideline import Ruling
from labelgate.guidelines.compare import (
    GuidelineChanges,
    GuidelineDiff,
    Impact,
    LabelMigration,
    RulingChange,
)
from labelgate.guidelines.markdown import guideline_section, markdown
from labelgate.report.escape import ZWJ
from labelgate.report.pr_comment import markdown_report
from labelgate.report.summary_md import OutputFiles, StageSummaries, summary_markdown

IMG = "<img src=x onerror=alert(1)>"
HOSTILE = f"w|{IMG}@octocat</details>```"


CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.*?)(?<!`)\1(?!`)")


def _no_live_html_or_mention(text: str) -> None:
    """Outside code spans (where GitHub renders neither HTML nor mentions): no tag, no
    mention, no closing </details>."""
    prose = CODE_SPAN.sub("", text)
    assert "<img" not in prose
    assert "@octocat" not in prose
    assert "</details>```" not in prose


def _coefficient(value: float) -> dict[str, Any]:
    return {"value": value, "ci_low": None, "ci_high": None}


def _parts(name: str, label: str, annotator: str, message: str) -> StageSummaries:
    agreement = {
        "level": "nominal",
        "weights": "identity",
        "coefficients": {"krippendorff_alpha": _coefficient(0.5)},
        "per_label": {label: {"share": 0.5, "krippendorff_alpha": 0.5, "fleiss_kappa": 0.5}},
        "by_batch": {
            label: {"n_items": 3, "coefficients": {"krippendorff_alpha": _coefficient(0.5)}}
        },
        "diagnostics": [{"message": message, "meaning": "it means little."}],
    }
    return StageSummaries(
        ingest={
            "annotations": {"rows_in": 3, "rows_kept": 3, "rows_quarantined": 0},
            "quarantine_reasons": {},
            "reannotation": {
                "items": 1,
                "annotations": 2,
                "file": f"build/{name}/reannotation.csv",
            },
        },
        validation={"rules": {label: {"violations": 1, "severity": "warn"}}},
        agreement=agreement,
        aggregate={
            "method": "majority_vote",
            "status": {"agreed": 3},
            "annotators_needing_retraining": [annotator],
        },
        audit={"n_sampled": 1, "seed": 7},
    )


def _metrics() -> dict[str, Any]:
    keys = ("n_items", "n_annotations", "n_annotators", "gold_accuracy", "unresolved_rate")
    keys += ("quarantine_rate", "violation_rate", "audit_pass_rate")
    return {"metrics": dict.fromkeys(keys, 1)}


def _summary(name: str, label: str, annotator: str, message: str) -> str:
    files = OutputFiles(
        f"build/{name}/adjudication_queue.csv",
        f"build/{name}/annotators.csv",
        f"build/{name}/audit_sample.csv",
    )
    return summary_markdown(
        name, _parts(name, label, annotator, message), _metrics(), ["krippendorff_alpha"], files
    )


def test_summary_of_plain_names_is_unchanged() -> None:
    text = _summary("tickets", "billing", "w07", "3 annotators share no item.")
    assert text.startswith("## Dataset `tickets`\n")
    assert "| billing | 50.0% | 0.500 | 0.500 |" in text
    assert "| billing | 3 | 0.500 |" in text
    assert "Validation: billing 1 (warn)." in text
    assert (
        "Annotators below the gold-accuracy bar: `w07` (see `build/tickets/annotators.csv`)."
        in text
    )
    assert "> Note: 3 annotators share no item. It means little." in text


def test_summary_escapes_every_user_string() -> None:
    text = _summary("t`x", HOSTILE, "=HYPERLINK(1)`@octocat", f"pairs of {HOSTILE} are few")
    _no_live_html_or_mention(text)
    assert text.startswith("## Dataset ``t`x``\n")
    row = f"| w\\|&lt;img src=x onerror=alert(1)&gt;@{ZWJ}octocat&lt;/details&gt;``` | 50.0% |"
    assert row in text
    assert "``=HYPERLINK(1)`@octocat``" in text  # a code span: no mention, no HTML there
    for line in text.splitlines():
        if line.startswith("|"):
            assert len(re.findall(r"(?<!\\)\|", line)) in (3, 4, 5), line


def _verdict(name: str, gate_id: str, message: str) -> DatasetVerdict:
    check = {
        "id": gate_id,
        "status": "fail",
        "severity": "error",
        "value": 0.4,
        "baseline": None,
        "delta": None,
        "thresholds": {"min": 0.6},
        "message": message,
        "where": f"lowest agreement: {HOSTILE}",
    }
    return DatasetVerdict(name, "fail", [check], {}, None)


def test_pr_comment_escapes_names_ids_and_messages() -> None:
    text = markdown_report(
        [_verdict(f"@octocat{IMG}", f"gate|{IMG}", f"alpha for {HOSTILE} is low")],
        "a" * 40,
        "main`</details>",
    )
    _no_live_html_or_mention(text)
    assert f"### @{ZWJ}octocat&lt;img" in text
    assert "| gate\\|&lt;img src=x onerror=alert(1)&gt; | 0.400 |" in text
    assert "**gate|&lt;img src=x onerror=alert(1)&gt;** (fail): alpha for w|&lt;img" in text
    assert "Compared with ``main`</details>`` (aaaaaaaaaa)." in text


def test_pr_comment_of_plain_names_is_unchanged() -> None:
    text = markdown_report([_verdict("tickets", "alpha_min", "alpha is low.")], None, None)
    assert "### tickets" in text
    assert "| alpha_min | 0.400 | n/a |  | min 0.6 | ❌ fail |" in text
    assert "Full report: `build/tickets/summary.md`; verdict: `build/tickets/gate.json`." in text


def _diff(text: str) -> GuidelineDiff:
    ruling = Ruling(id=f"R-1{IMG}", title="ping @octocat", line=1, labels=("a",))
    changes = GuidelineChanges(
        name="g",
        file="guidelines/g.md",
        version_a="1.0.0",
        version_b="1.1.0",
        labels_redefined={f"x</code>{IMG}": text},
        labels_migrated=(
            LabelMigration("rename", ("a@octocat",), (f"b{IMG}",), "1.1.0", "s.yaml", text),
        ),
        rulings_added=(ruling,),
        rulings_changed=(RulingChange("R-2</summary>", "t", ("text",), ("a",), text),),
    )
    impact = Impact("d|s", True, 1, 2, 1, 2, (("i|1", f"@octocat{IMG}"),), 3)
    return GuidelineDiff(changes, (impact,))


def test_guideline_diffs_are_fenced_past_any_backtick_run_and_escape_their_titles() -> None:
    body = "- old\n+ ````\n+ </details>\n+ @octocat <img onerror=x>"
    lines = guideline_section(_diff(body))
    text = "\n".join(lines)
    # The diff text stays as it is, inside a fence longer than its longest backtick run.
    assert text.count("`````diff\n" + body + "\n`````") == 3
    outside = text.replace(body, "")
    _no_live_html_or_mention(outside)
    assert "<details><summary>Definition of <code>x&lt;/code&gt;&lt;img" in outside
    assert "<details><summary>Text of R-2&lt;/summary&gt;</summary>" in outside
    assert "| d\\|s | 1 of 2 |" in outside
    assert f"| i\\|1 | @{ZWJ}octocat&lt;img" in outside
    assert outside.count("<details>") == outside.count("</details>") == 4


def test_the_whole_guideline_diff_escapes_revision_names() -> None:
    text = markdown({"a": "b" * 40, "a_name": "@octocat", "b": None, "b_name": IMG}, [])
    _no_live_html_or_mention(text)
