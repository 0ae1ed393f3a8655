"""feedback/*.md: guideline suggestions for the guideline's owners and a page for each annotator.

Plain dicts in (from analysis.confusion_pairs and analysis.annotator_feedback), Markdown out.
Every user string (dataset, ids, labels, item text, guideline text, reasons) is escaped with
the helpers of `report/escape.py`; proposals are shown in a fence, as text to copy.
"""

from __future__ import annotations

from typing import Any

# The helpers of report/escape.py, from where they live (as summary_md.py does).
from labelgate.guidelines.markdown import md_cell, md_code, md_fence, md_text


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _level(confidence: Any) -> str:
    return f"{float(confidence):.0%}" if confidence is not None else "95%"


def _share(p: dict[str, Any], level: str) -> str:
    """'12.0% (3 of 25; 95% CI 4.2%–30.0%)', or 'n/a (none counted)'."""
    if not p["n"]:
        return "n/a (none counted)"
    return (
        f"{_pct(p['rate'])} ({p['count']} of {p['n']}; {level} CI "
        f"{_pct(p['ci_low'])}–{_pct(p['ci_high'])})"
    )


def _cell_share(p: dict[str, Any]) -> str:
    if not p["n"]:
        return "–"
    return f"{p['count']}/{p['n']} = {_pct(p['rate'])} [{_pct(p['ci_low'])}, {_pct(p['ci_high'])}]"


def _quote(text: str) -> list[str]:
    """Guideline text as a block quote, line by line (escaped, so it stays inside the quote)."""
    return [f"> {md_text(line)}" if line.strip() else ">" for line in text.splitlines()] or [">"]


def _pair_name(pair: dict[str, Any]) -> str:
    a, b = pair["labels"]
    return f"{md_code(a)} versus {md_code(b)}"


def _trend(pair: dict[str, Any]) -> str:
    change = pair.get("change")
    return "–" if not change else md_cell(change["verdict"])


# --- guideline suggestions -----------------------------------------------------------------


def _pair_section(pair: dict[str, Any], level: str) -> list[str]:
    top, other = pair["directions"]
    lines = [
        "",
        f"## {pair['rank']}. {_pair_name(pair)}",
        "",
        f"- Disagreement with the consensus: {_share(pair['consensus'], level)} of the "
        "annotations on items whose consensus is one of the two.",
        f"- Annotator pairs that split the two: {_share(pair['pairwise'], level)} of the "
        "annotator pairs on items where one of them chose either label.",
        (
            f"- Most frequent error: {md_code(top['given'])} where the consensus is "
            f"{md_code(top['expected'])} ({top['count']} annotations; the reverse: "
            f"{other['count']})."
            if top["count"]
            else "- No annotation contradicts a settled consensus: annotators split between "
            "the two on items settled otherwise or not at all."
        ),
    ]
    change = pair.get("change")
    if change:
        by = {v["version"]: v["consensus"] for v in pair["by_version"]}
        lines.append(
            f"- Guideline {md_text(change['from'])} → {md_text(change['to'])}: "
            f"**{md_text(change['verdict'])}** ({_pct(by[change['from']]['rate'])} → "
            f"{_pct(by[change['to']]['rate'])} disagreement with the consensus)."
        )
    lines += ["", "### What the guideline says", ""]
    if pair["rulings"]:
        for r in pair["rulings"]:
            lines += [f"Ruling {md_text(r['id'])}: {md_text(r['title'])} (line {r['line']}):", ""]
            lines += [*_quote(r["text"]), ""]
    else:
        note = str(pair["coverage_note"])
        lines += [f"**{md_text(note[:1].upper() + note[1:])}.** The label definitions:", ""]
        for s in pair["sections"]:
            lines += [f"{md_code(s['label'])} (line {s['line']}):", "", *_quote(s["text"]), ""]
    if pair["examples"]:
        lines += [
            "### Examples",
            "",
            "| item | text | labels given | consensus |",
            "|---|---|---|---|",
        ]
        for e in pair["examples"]:
            votes = ", ".join(f"{v['label']} × {v['count']}" for v in e["votes"])
            final = e["final_label"] if e["final_label"] is not None else "unresolved"
            lines.append(
                f"| {md_cell(e['item_id'])} | {md_cell(e['text'] or '')} | {md_cell(votes)} "
                f"| {md_cell(final)} |"
            )
        lines.append("")
    proposal = pair.get("proposal")
    if proposal:
        what = (
            f"Sharpen {md_text(proposal['ruling_id'])}"
            if proposal["kind"] == "sharpen"
            else "Add a ruling"
        )
        lines += [f"### Proposed: {what}", "", *md_fence(proposal["markdown"], "markdown")]
    return lines


def guideline_suggestions_md(
    dataset: str, guideline_version: str, pairs_dict: dict[str, Any]
) -> str:
    """guideline_suggestions.md: the most confused label pairs, what the guideline says about
    each, examples, a proposed ruling, and the change across the last guideline version."""
    if pairs_dict.get("skipped"):
        return (
            f"# Guideline suggestions: {md_text(dataset)}\n\n"
            f"Guideline version {md_text(guideline_version)}. No suggestions: "
            f"{md_text(pairs_dict['skipped'])}.\n"
        )
    level = _level(pairs_dict.get("confidence"))
    pairs = pairs_dict["pairs"]
    lines = [
        f"# Guideline suggestions: {md_text(dataset)}",
        "",
        f"Guideline version {md_text(guideline_version)}; {pairs_dict['n_items']} items. "
        f"Pairs are ranked by {md_text(pairs_dict['ranked_by'])}.",
    ]
    change = pairs_dict.get("version_change")
    if change:
        lines += [
            "",
            f"Change from guideline {md_text(change['from'])} to {md_text(change['to'])}: "
            f"{md_text(pairs_dict['change_test'])}.",
        ]
    if not pairs:
        return "\n".join([*lines, "", "No two labels were confused."]) + "\n"
    suggested = [p for p in pairs if p["suggest"]]
    lines += [
        "",
        "| # | pair | disagreement with consensus | pairs that split | guideline | change |",
        "|---|---|---|---|---|---|",
    ]
    for p in suggested:
        lines.append(
            f"| {p['rank']} | {md_cell(p['labels'][0])} / {md_cell(p['labels'][1])} "
            f"| {_cell_share(p['consensus'])} | {_cell_share(p['pairwise'])} "
            f"| {md_cell(p['coverage_note'])} | {_trend(p)} |"
        )
    for p in suggested:
        lines += _pair_section(p, level)
    rest = [p for p in pairs if not p["suggest"]]
    if rest:
        lines += [
            "",
            "## Other confused pairs",
            "",
            "| # | pair | disagreement with consensus | pairs that split | change |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {p['rank']} | {md_cell(p['labels'][0])} / {md_cell(p['labels'][1])} "
            f"| {_cell_share(p['consensus'])} | {_cell_share(p['pairwise'])} | {_trend(p)} |"
            for p in rest
        ]
    return "\n".join(lines) + "\n"


# --- one annotator's page ------------------------------------------------------------------


def _confusion_table(confusion: dict[str, Any]) -> list[str]:
    """Rows: your label; columns: the consensus. Only labels that occur, to stay readable."""
    labels, matrix = confusion["labels"], confusion["matrix"]
    used = [i for i in range(len(labels)) if any(matrix[i]) or any(row[i] for row in matrix)]
    if not used:
        return ["No annotation of yours is on an item with a settled consensus yet."]
    head = "| your label ↓ / consensus → | " + " | ".join(md_cell(labels[j]) for j in used) + " |"
    lines = [head, "|---|" + "---|" * len(used)]
    for i in used:
        cells = " | ".join(f"**{matrix[i][j]}**" if i == j else str(matrix[i][j]) for j in used)
        lines.append(f"| {md_cell(labels[i])} | {cells} |")
    return lines


def _speed(speed: dict[str, Any]) -> str:
    median, ratio = speed["median_duration_s"], speed["ratio"]
    if median is None:
        return "No durations were recorded for your annotations."
    text = f"Your median time per annotation is {median:.1f} s"
    if ratio is None:
        return text + "."
    return (
        f"{text}, {ratio:.2f} × the median of all annotators "
        f"({speed['all_annotators_median_s']:.1f} s)."
    )


def _reviews(reviews: dict[str, Any], level: str) -> list[str]:
    if not reviews["n"]:
        return ["None of your annotations has been reviewed yet."]
    lines = [f"Reviewers rejected {_share(reviews, level)} of your reviewed annotations."]
    if reviews["top_reasons"]:
        lines += ["", "Most frequent reasons:", ""]
        lines += [f"- {md_text(r['reason'])} ({r['count']})" for r in reviews["top_reasons"]]
    return lines


def _qualification(q: dict[str, Any] | None, level: str) -> list[str]:
    if not q:
        return []
    score = "n/a" if q.get("score") is None else _pct(q["score"])
    line = f"Qualification test: {score} ({q.get('n_correct')} of {q.get('n_questions')} correct"
    if q.get("ci_low") is not None and q.get("ci_high") is not None:
        line += f"; {level} CI {_pct(q['ci_low'])}–{_pct(q['ci_high'])}"
    passed = q.get("passed")
    line += ")" + ("" if passed is None else (": passed" if passed else ": not passed")) + "."
    return ["", "## Qualification", "", line]


def _example(e: dict[str, Any]) -> list[str]:
    source = "gold label" if e["source"] == "gold" else "consensus"
    lines = [
        "",
        f"### Item {md_code(e['item_id'])}",
        "",
        f"You chose {md_code(e['your_label'])}; the {source} is {md_code(e['expected_label'])}.",
    ]
    if e.get("text"):
        lines += ["", f"> {md_text(e['text'])}"]
    g = e.get("guidance")
    if g and g["kind"] == "ruling":
        lines += ["", f"The ruling that applies, {md_text(g['id'])}: {md_text(g['title'])}:", ""]
        lines += _quote(g["text"])
    elif g:
        lines += [
            "",
            f"The guideline's definition of {md_code(g['label'])}:",
            "",
            *_quote(g["text"]),
        ]
    return lines


def annotator_feedback_md(dataset: str, annotator_id: str, entry: dict[str, Any]) -> str:
    """One annotator's feedback page, addressed to them; it names no other annotator."""
    level = _level(entry.get("confidence"))
    lines = [
        f"# Your labelling feedback: {md_text(dataset)}",
        "",
        f"For annotator {md_code(annotator_id)}: {entry['n_annotations']} annotations.",
        "",
        "## Accuracy",
        "",
    ]
    gold, cons = entry["gold"], entry["consensus"]
    lines.append(
        f"Your accuracy on gold items is {_share(gold, level)}."
        if gold["n"]
        else "You have not labelled any gold item yet."
    )
    lines += [
        "",
        "Your agreement with the consensus, on items with a settled consensus and at least "
        f"two annotations, is {_share(cons, level)}."
        if cons["n"]
        else "None of your items has a settled consensus yet.",
        "",
        "## Your labels against the consensus",
        "",
        *_confusion_table(entry["confusion"]),
        "",
        "## Speed",
        "",
        _speed(entry["speed"]),
        "",
        "## Reviews",
        "",
        *_reviews(entry["reviews"], level),
    ]
    lines += _qualification(entry.get("qualification"), level)
    if entry.get("retraining"):
        lines += ["", "## Retraining", "", "Retraining is suggested because:", ""]
        lines += [f"- {md_text(reason)}" for reason in entry["retraining"]]
    lines += ["", "## Examples to look at again"]
    if entry["examples"]:
        for e in entry["examples"]:
            lines += _example(e)
    else:
        lines += ["", "None: no gold item or confident consensus disagrees with you."]
    return "\n".join(lines) + "\n"
