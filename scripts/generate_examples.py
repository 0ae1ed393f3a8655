"""Generate the example datasets (tickets, toxicity, emotions, entities) byte for byte from a seed.

Usage: python scripts/generate_examples.py [--root DIR] [--seed N]

The files are raw exports as a team receives them from an annotation tool, with the flaws
real exports have (see each generator's docstring). The same seed gives the same bytes;
tests/func/test_examples.py checks that the committed files match.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

SEED = 20261124
ROOT = Path(__file__).resolve().parents[1]

TICKET_LABELS = [
    "billing",
    "technical_issue",
    "account_access",
    "shipping",
    "refund_request",
    "other",
]
PRODUCTS = [
    "Aria headphones",
    "Nimbus router",
    "Pulse watch",
    "Orbit speaker",
    "Atlas laptop",
    "Echo camera",
]
TICKET_TEMPLATES = {
    "billing": [
        "I was charged {amount} twice for order {order}. Please fix the invoice.",
        "Why does my statement show a charge of {amount} from you this month?",
        "My card was billed {amount} but the plan should cost less. Can you check?",
        "The invoice for order {order} has the wrong VAT number on it.",
        "I need a copy of the invoice for my {product} purchase for my accountant.",
        "You charged me {amount} after I cancelled the subscription last week.",
    ],
    "technical_issue": [
        "My {product} keeps disconnecting every few minutes since the update.",
        "The {product} will not turn on anymore, the light just blinks red.",
        "After installing firmware 2.3 my {product} is stuck on the logo screen.",
        "The app crashes whenever I try to pair my {product}.",
        "Sound from the {product} crackles at high volume. Is it defective?",
        "The {product} overheats after ten minutes of use.",
    ],
    "account_access": [
        "I can't log in, the password reset email never arrives.",
        "My account is locked after too many attempts, please unlock it.",
        "Two-factor codes are not accepted when I sign in.",
        "I changed my phone and lost access to the authenticator for my account.",
        "The login page says my email is not registered but I have ordered before.",
    ],
    "shipping": [
        "Order {order} still hasn't arrived, tracking has not moved for 5 days.",
        "The courier left my {product} at the wrong address.",
        "Can I change the delivery address for order {order}?",
        "My package arrived damaged, the box was crushed.",
        "When will order {order} ship? It says processing since Monday.",
    ],
    "refund_request": [
        "I want my money back for the {product}, it is not what I expected.",
        "Please refund the {amount} for order {order}, I returned it already.",
        "I returned the {product} two weeks ago and still have no refund.",
        "The {product} was charged but never delivered, I'd like a refund of {amount}.",
        "Can I get a refund for the duplicate charge of {amount}? I don't want store credit.",
        "I cancelled order {order} before it shipped, please give me my {amount} back.",
    ],
    "other": [
        "Do you have a store in Lisbon?",
        "Great service last time, thanks to your team!",
        "Are you hiring support agents for the summer?",
        "What colours does the {product} come in?",
        "Is there a student discount?",
    ],
}
CHANNELS = ["email", "chat", "web"]
TICKET_WEIGHTS = np.array([0.22, 0.24, 0.14, 0.16, 0.14, 0.10])
GREETINGS = ["Hi,", "Hello,", "Hey there,", "Good morning,", "Dear support,", "Hi team,", "", ""]
SIGN_OFFS = ["Thanks", "Regards", "Cheers", "Thank you in advance", "Best", ""]
NAMES = [
    "Ana",
    "Ben",
    "Chloe",
    "Dev",
    "Emma",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kemal",
    "Lena",
    "Marta",
    "Nils",
    "Olga",
    "Priya",
    "Quentin",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wen",
    "Yusuf",
    "Zoe",
]


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _jsonl_text(records: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _ticket_text(rng: np.random.Generator, label: str) -> str:
    templates = TICKET_TEMPLATES[label]
    template = templates[int(rng.integers(len(templates)))]
    body = template.format(
        amount=f"${int(rng.integers(5, 400))}.{int(rng.integers(0, 100)):02d}",
        order=f"#{int(rng.integers(100000, 999999))}",
        product=PRODUCTS[int(rng.integers(len(PRODUCTS)))],
    )
    greeting = GREETINGS[int(rng.integers(len(GREETINGS)))]
    sign_off = SIGN_OFFS[int(rng.integers(len(SIGN_OFFS)))]
    name = NAMES[int(rng.integers(len(NAMES)))]
    ending = f" {sign_off}, {name}" if sign_off else f" - {name}"
    return f"{greeting} {body}{ending}".strip()


def tickets(rng: np.random.Generator, n_items: int = 3000) -> tuple[dict[str, str], np.ndarray]:
    """Support-ticket intent (nominal, 6 labels), 3 annotators per item from a pool of 30.

    Flaws on purpose: annotator w07 is careless (mostly 'other', very fast), w13 answers at
    random; 30 exact and 20 near-duplicate tickets; malformed CSV rows, empty and misspelt
    labels, a bad duration and broken JSON lines. Batch b1 (CSV, guideline 1.0.0, schema
    1.0.0 label 'login_problem') and batch b2 (JSONL, guideline 1.1.0, whose ruling R-004
    settles refund_request vs billing, so b2 confuses them far less). Returns the files and
    each ticket's true label (code), which the feedback data is drawn from.
    """
    truth = rng.choice(len(TICKET_LABELS), size=n_items, p=TICKET_WEIGHTS)
    texts = [_ticket_text(rng, TICKET_LABELS[t]) for t in truth]
    ids = [f"T{i:05d}" for i in range(n_items)]
    # Exact duplicates (a re-submitted ticket) and near duplicates (case and spacing changed).
    for k, i in enumerate(rng.choice(np.arange(100, n_items), size=50, replace=False)):
        source = int(rng.integers(0, 100))
        truth[i] = truth[source]
        texts[i] = texts[source] if k < 30 else "  " + texts[source].upper().replace(" ", "  ")
    channels = rng.choice(CHANNELS, size=n_items)
    items = _jsonl_text(
        [
            {"ticket_id": ids[i], "text": texts[i], "channel": str(channels[i])}
            for i in range(n_items)
        ]
    )

    workers = [f"w{i:02d}" for i in range(1, 31)]
    skill = np.clip(rng.normal(0.91, 0.04, len(workers)), 0.8, 0.98)
    careless, random_worker = workers.index("w07"), workers.index("w13")
    k = len(TICKET_LABELS)
    refund, billing = TICKET_LABELS.index("refund_request"), TICKET_LABELS.index("billing")
    start = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
    b1_rows: list[list[str]] = []
    b2_records: list[dict[str, object]] = []
    for i in range(n_items):
        batch = 1 if i < n_items // 2 else 2
        for w in rng.choice(len(workers), size=3, replace=False):
            t = int(truth[i])
            if w == careless:
                label = TICKET_LABELS.index("other") if rng.random() < 0.7 else int(rng.integers(k))
                seconds = rng.uniform(1.5, 4.0)
            elif w == random_worker:
                label = int(rng.integers(k))
                seconds = rng.lognormal(np.log(14), 0.35)
            else:
                confusion = 0.40 if batch == 1 else 0.06
                if t == refund and rng.random() < confusion:
                    label = billing
                elif rng.random() < skill[w]:
                    label = t
                else:
                    label = int(rng.integers(k))
                seconds = rng.lognormal(np.log(14), 0.35)
            when = start + timedelta(
                days=(batch - 1) * 14, minutes=int(i * 3 + rng.integers(0, 600))
            )
            name = TICKET_LABELS[label]
            if batch == 1:
                name = "login_problem" if name == "account_access" else name
                b1_rows.append(
                    [
                        ids[i],
                        workers[w],
                        name,
                        f"{seconds:.1f}",
                        when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    ]
                )
            else:
                b2_records.append(
                    {
                        "item": ids[i],
                        "annotator": workers[w],
                        "label": name,
                        "duration": round(float(seconds), 1),
                        "created_at": when.isoformat().replace("+00:00", "Z"),
                        "guideline_version": "1.1.0",
                    }
                )
    # Export flaws: empty and misspelt labels, a bad duration, then rows that break the CSV.
    for j in rng.choice(len(b1_rows), size=6, replace=False)[:3]:
        b1_rows[j][2] = ""
    for j in rng.choice(len(b1_rows), size=2, replace=False):
        b1_rows[j][2] = "refnd_request"
    b1_rows[int(rng.integers(len(b1_rows)))][3] = "n/a"
    header = ["ticket_id", "worker_id", "answer", "seconds", "submitted_at"]
    text = _csv_text(header, b1_rows)
    lines = text.splitlines(keepends=True)
    for j in sorted(rng.choice(np.arange(1, len(lines)), size=3, replace=False), reverse=True):
        lines.insert(
            int(j),
            f"{ids[int(rng.integers(n_items))]},w03,billing,12.0,2026-10-06T10:00:00Z,extra,fields\n",
        )
    b2 = _jsonl_text(b2_records).splitlines(keepends=True)
    b2.insert(len(b2) // 3, '{"item": "T02000", "annotator": "w05", "label": "shipping", \n')
    b2.insert(
        2 * len(b2) // 3, '{"item": "T02100", "annotator": "", "label": "other", "duration": 9.0}\n'
    )

    gold_ids = rng.choice(n_items, size=200, replace=False)
    gold = _csv_text(
        ["ticket_id", "label"], [[ids[i], TICKET_LABELS[int(truth[i])]] for i in sorted(gold_ids)]
    )
    # Three-way splits cannot be settled by majority vote: a lead adjudicated a few.
    by_item: dict[str, set[str]] = {}
    for row in b1_rows:
        by_item.setdefault(row[0], set()).add(row[2])
    tied = [
        item
        for item, labels in by_item.items()
        if len(labels) == 3 and "" not in labels and "refnd_request" not in labels
    ][:6]
    decisions = [
        [
            item,
            TICKET_LABELS[int(truth[ids.index(item)])],
            "lead01",
            "R-004"
            if TICKET_LABELS[int(truth[ids.index(item)])] in ("refund_request", "billing")
            else "",
            "three different answers; read the whole ticket",
        ]
        for item in tied
    ]
    adjudications = _csv_text(
        ["item_id", "label", "adjudicator_id", "ruling_id", "note"], decisions
    )
    files = {
        "raw/items.jsonl": items,
        "raw/batch1_annotations.csv": "".join(lines),
        "raw/batch2_annotations.jsonl": "".join(b2),
        "raw/gold.csv": gold,
        "adjudications.csv": adjudications,
    }
    return files, truth


TOXIC_WORDS = ["idiot", "clown", "trash", "pathetic", "moron", "loser"]
NEUTRAL = [
    "I think the article misses the point about housing costs.",
    "Thanks for sharing, this was useful.",
    "Does anyone know when the next update ships?",
    "The referee made the right call in the end.",
    "I disagree with the author, but it is a fair argument.",
    "Lovely photos, where was this taken?",
]


def _comment(rng: np.random.Generator, severity: int) -> str:
    base = NEUTRAL[int(rng.integers(len(NEUTRAL)))]
    word = TOXIC_WORDS[int(rng.integers(len(TOXIC_WORDS)))]
    if severity == 0:
        return base
    if severity == 1:
        return f"{base} Honestly, what a silly take."
    if severity == 2:
        return f"Only a {word} would write this. {base}"
    if severity == 3:
        return f"You are a complete {word}, nobody wants you here."
    return f"People like you are {word}s and should be hurt. Get out."


def toxicity(rng: np.random.Generator, n_items: int = 1500) -> dict[str, str]:
    """Toxicity severity (ordinal 0-4), 3 to 7 annotators per item from a pool of 20.

    Flaws on purpose: uneven overlap, about 2% skipped ratings (empty severity), rater r17
    who is suspiciously fast and barely reads; raters differ in strictness (a bias on the
    scale), so agreement is real but below a strict 0.80 bar: this dataset's gate fails.
    """
    truth = rng.choice(5, size=n_items, p=[0.45, 0.22, 0.16, 0.11, 0.06])
    ids = [f"C{i:05d}" for i in range(n_items)]
    comments = _csv_text(
        ["comment_id", "text"], [[ids[i], _comment(rng, int(truth[i]))] for i in range(n_items)]
    )
    raters = [f"r{i:02d}" for i in range(1, 21)]
    bias = rng.normal(0.0, 0.35, len(raters))
    fast = raters.index("r17")
    load = rng.dirichlet(np.full(len(raters), 2.0))
    start = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    records: list[dict[str, object]] = []
    for i in range(n_items):
        n = int(rng.choice([3, 4, 5, 6, 7], p=[0.15, 0.2, 0.35, 0.2, 0.1]))
        for r in rng.choice(len(raters), size=n, replace=False, p=load):
            if r == fast:
                score = int(np.clip(round(truth[i] * 0.3 + rng.normal(1.0, 1.2)), 0, 4))
                seconds = rng.uniform(0.8, 2.0)
            else:
                score = int(np.clip(round(truth[i] + bias[r] + rng.normal(0, 0.62)), 0, 4))
                seconds = rng.lognormal(np.log(9), 0.4)
            when = start + timedelta(minutes=int(i * 2 + rng.integers(0, 300)))
            severity: object = score if rng.random() > 0.02 else None
            records.append(
                {
                    "comment_id": ids[i],
                    "rater": raters[r],
                    "severity": severity,
                    "time_spent_s": round(float(seconds), 2),
                    "ts": when.isoformat().replace("+00:00", "Z"),
                }
            )
    gold_ids = sorted(rng.choice(n_items, size=150, replace=False))
    gold = _csv_text(["comment_id", "severity"], [[ids[i], str(int(truth[i]))] for i in gold_ids])
    return {
        "raw/comments.csv": comments,
        "raw/ratings.jsonl": _jsonl_text(records),
        "raw/gold.csv": gold,
    }


EMOTIONS = ["joy", "sadness", "anger", "fear", "surprise", "love"]
EMOTION_PHRASES = {
    "joy": ["I finally got the job", "what a great day at the beach", "we won the final"],
    "sadness": ["I miss my grandmother", "the shop I loved closed down", "nobody came"],
    "anger": ["they cancelled my flight again", "he lied to my face", "the fine was unfair"],
    "fear": ["the storm is getting closer", "I heard steps in the dark", "the test is tomorrow"],
    "surprise": ["I did not expect that at all", "out of nowhere a letter came", "wait, what"],
    "love": ["my kids made me breakfast", "I adore this little town", "she said yes"],
}


def emotions(rng: np.random.Generator, n_items: int = 800) -> dict[str, str]:
    """Emotions in short messages, multi-label (a set of 0 to 2 of 6 emotions), 3 to 5
    annotators per message from a pool of 12, exported as JSONL with a list per answer.

    Flaws on purpose: annotators differ in recall and in false alarms per emotion; annotator
    e05 ticks only one emotion even when two are there; about 2% of answers are malformed (a
    label string outside the schema, an empty cell); `surprise` and `fear` are confused.
    """
    ids = [f"M{i:04d}" for i in range(n_items)]
    truth: list[list[int]] = []
    for _ in range(n_items):
        size = int(rng.choice([0, 1, 2], p=[0.1, 0.6, 0.3]))
        truth.append(sorted(int(v) for v in rng.choice(len(EMOTIONS), size=size, replace=False)))
    texts = []
    for labels in truth:
        parts = [EMOTION_PHRASES[EMOTIONS[k]][int(rng.integers(3))] for k in labels] or [
            "the bus was on time"
        ]
        texts.append(", and ".join(parts) + ".")
    items = _jsonl_text([{"msg_id": i, "text": t} for i, t in zip(ids, texts, strict=True)])
    annotators = [f"e{i:02d}" for i in range(1, 13)]
    recall = rng.uniform(0.7, 0.95, len(annotators))
    false_alarm = rng.uniform(0.01, 0.06, len(annotators))
    single = annotators.index("e05")
    records: list[dict[str, object]] = []
    for i in range(n_items):
        for a in rng.choice(len(annotators), size=int(rng.integers(3, 6)), replace=False):
            chosen = [k for k in truth[i] if rng.random() < recall[a]]
            chosen += [
                k
                for k in range(len(EMOTIONS))
                if k not in truth[i] and rng.random() < false_alarm[a]
            ]
            fear, surprise = EMOTIONS.index("fear"), EMOTIONS.index("surprise")
            if fear in chosen and rng.random() < 0.25:
                chosen = [surprise if k == fear else k for k in chosen]
            if a == single and len(chosen) > 1:
                chosen = chosen[:1]
            answer: object = [EMOTIONS[k] for k in sorted(set(chosen))]
            roll = rng.random()
            if roll < 0.01:
                answer = ["joyful"]
            elif roll < 0.02:
                answer = ""
            records.append({"msg_id": ids[i], "annotator": annotators[a], "emotions": answer})
    gold_ids = sorted(rng.choice(n_items, size=120, replace=False))
    gold = _jsonl_text(
        [{"msg_id": ids[i], "emotions": [EMOTIONS[k] for k in truth[i]]} for i in gold_ids]
    )
    return {
        "raw/items.jsonl": items,
        "raw/answers.jsonl": _jsonl_text(records),
        "raw/gold.jsonl": gold,
    }


PEOPLE = ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov"]
ORGS = ["Acme Corp", "Globex", "Initech", "Umbrella Labs", "Stark Industries"]
PLACES = ["Paris", "Lagos", "Osaka", "Lima", "Oslo"]
ENTITY_TEMPLATES = [
    "{PER} joined {ORG} in {LOC} last spring.",
    "{ORG} opened an office in {LOC}.",
    "In {LOC}, {PER} met the board of {ORG}.",
    "{PER} left {ORG}.",
    "The weather in {LOC} was mild.",
]


def entities(rng: np.random.Generator, n_items: int = 400) -> dict[str, str]:
    """Named entities (PER, ORG, LOC spans) in sentences, 3 annotators per sentence from a pool
    of 8, exported from Label Studio (its full JSON export: tasks with every annotation).

    Flaws on purpose: annotators miss spans, cut a name short (boundary errors), and mix up
    ORG and LOC; annotator n04 often skips tasks (cancelled annotations); one annotation
    marks a label outside the schema (MISC).
    """
    annotators = [{"id": 100 + k, "email": f"n{k:02d}@example.com"} for k in range(1, 9)]
    miss = rng.uniform(0.03, 0.15, len(annotators))
    short = rng.uniform(0.0, 0.08, len(annotators))
    swap = rng.uniform(0.0, 0.08, len(annotators))
    skipper = 3  # n04
    tasks: list[dict[str, object]] = []
    annotation_id = 1
    for i in range(n_items):
        template = ENTITY_TEMPLATES[int(rng.integers(len(ENTITY_TEMPLATES)))]
        fills = {
            "PER": PEOPLE[int(rng.integers(len(PEOPLE)))],
            "ORG": ORGS[int(rng.integers(len(ORGS)))],
            "LOC": PLACES[int(rng.integers(len(PLACES)))],
        }
        text, spans = "", []
        rest = template
        while "{" in rest:
            before, after = rest.split("{", 1)
            tag, rest = after.split("}", 1)
            text += before
            spans.append((len(text), len(text) + len(fills[tag]), tag))
            text += fills[tag]
        text += rest
        results = []
        for a in rng.choice(len(annotators), size=3, replace=False):
            who = annotators[int(a)]
            cancelled = int(a) == skipper and rng.random() < 0.3
            marks = []
            for start, end, tag in spans:
                if rng.random() < miss[a]:
                    continue
                stop = end
                if rng.random() < short[a] and " " in text[start:end]:
                    stop = start + text[start:end].index(" ")
                label = tag
                if tag in ("ORG", "LOC") and rng.random() < swap[a]:
                    label = "LOC" if tag == "ORG" else "ORG"
                if i == 7 and int(a) == 0:
                    label = "MISC"
                marks.append(
                    {
                        "from_name": "label",
                        "to_name": "text",
                        "type": "labels",
                        "value": {
                            "start": start,
                            "end": stop,
                            "text": text[start:stop],
                            "labels": [label],
                        },
                    }
                )
            when = datetime(2026, 10, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=i * 3 + int(a))
            results.append(
                {
                    "id": annotation_id,
                    "completed_by": who,
                    "created_at": when.isoformat().replace("+00:00", "Z"),
                    "lead_time": round(float(rng.lognormal(np.log(12), 0.3)), 2),
                    "was_cancelled": cancelled,
                    "ground_truth": False,
                    "result": [] if cancelled else marks,
                }
            )
            annotation_id += 1
        tasks.append({"id": i + 1, "data": {"text": text}, "annotations": results})
    return {"raw/project-7-at-2026-10-15.json": json.dumps(tasks, ensure_ascii=False) + "\n"}


def tickets_ops(rng: np.random.Generator, files: dict[str, str]) -> dict[str, str]:
    """Operations data for tickets, from its own stream (the other files' values are kept):
    each ticket's arrival time (up to 90 minutes before the earliest time its annotations
    can carry) and a roster of the team (w29 and w30 left out, w31 on it without work)."""
    start = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
    lines = files["raw/items.jsonl"].splitlines()
    n_items = len(lines)
    records = []
    for i, line in enumerate(lines):
        batch = 1 if i < n_items // 2 else 2
        before = int(rng.integers(5, 90))
        arrived = start + timedelta(days=(batch - 1) * 14, minutes=i * 3 - before)
        record = json.loads(line)
        record["arrived_at"] = arrived.strftime("%Y-%m-%dT%H:%M:%SZ")
        records.append(record)
    roster = [
        "# The ticket team: capacity per assignment plan, pay and the hours each can give a day.",
        "kind: roster",
        "format_version: 1",
        "currency: USD",
        "annotators:",
    ]
    for w in range(1, 32):
        if w in (29, 30):
            continue
        per_item = w % 7 == 0  # a few are paid per annotation
        pay = (
            f"rate_per_item: {rng.choice([0.06, 0.07, 0.08]):.2f}"
            if per_item
            else f"rate_per_hour: {rng.choice(np.arange(14.0, 24.5, 0.5)):.1f}"
        )
        hours = rng.choice([0.25, 0.5, 0.75])
        skill = TICKET_LABELS[int(rng.integers(len(TICKET_LABELS)))]
        roster.append(
            f"  - {{annotator_id: w{w:02d}, capacity: {int(rng.integers(3, 9)) * 50}, {pay}, "
            f"hours_per_day: {hours}, skills: [{skill}]}}"
        )
    return {"raw/items.jsonl": _jsonl_text(records), "roster.yaml": "\n".join(roster) + "\n"}


DRIFTING = "w21"  # careful in batch 1, sloppy in batch 2
PRELABELLED_FROM = 2250  # tickets from T02250 on were shown a model's suggestion
REVIEW_REASONS = {
    "refund_as_billing": "asks for money back, so refund_request (R-004)",
    "other": "the ticket states an intent; 'other' is for none of the labels",
    "wrong": "wrong intent: read the whole ticket before choosing",
}


def _annotation_rows(files: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """(item, annotator, label, time) of every readable annotation in both batches."""
    rows = []
    for row in list(csv.reader(io.StringIO(files["raw/batch1_annotations.csv"])))[1:]:
        if len(row) == 5:
            rows.append((row[0], row[1], row[2], row[4]))
    for line in files["raw/batch2_annotations.jsonl"].splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "created_at" in record and record["annotator"]:
            rows.append(
                (record["item"], record["annotator"], record["label"], record["created_at"])
            )
    return rows


def tickets_feedback(
    rng: np.random.Generator, files: dict[str, str], truth: np.ndarray
) -> dict[str, str]:
    """Feedback data for tickets, from its own stream: annotator w21 drifts (wrong on 45% of
    batch 2), the second half of batch 2 carries a model's suggestions that annotators
    sometimes take over when wrong, 250 calibration items with known answers join the gold,
    two reviewers judge a 12% sample of the annotations with reasons (a verdict
    'maybe' and a review of an annotation that does not exist show quarantine), and a
    20-question qualification test the 30 annotators and 3 candidates who never started took."""
    ids = {f"T{i:05d}": int(t) for i, t in enumerate(truth)}
    k = len(TICKET_LABELS)
    b2 = []
    for line in files["raw/batch2_annotations.jsonl"].splitlines(keepends=True):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            b2.append(line)
            continue
        t = ids[record["item"]]
        changed = False
        if int(record["item"][1:]) >= PRELABELLED_FROM:
            # The tool showed a model's suggestion: right 90% of the time. A right one puts
            # half of the annotators who would have erred back on track; a wrong one is taken
            # over 40% of the time (automation bias).
            right = rng.random() < 0.9
            suggestion = t if right else (t + 1 + int(rng.integers(k - 1))) % k
            score = rng.uniform(0.75, 0.98) if right else rng.uniform(0.5, 0.9)
            taken = rng.random() < (0.5 if right else 0.4)
            # Malformed labels stay as they are: they are the export's flaws, not choices.
            if taken and record["label"] in TICKET_LABELS:
                record["label"] = TICKET_LABELS[suggestion]
            record["suggested_label"] = TICKET_LABELS[suggestion]
            record["suggestion_score"] = round(float(score), 3)
            record["model_version"] = "intent-clf-2026.10"
            changed = True
        # The drifting annotator errs whatever the tool suggests.
        if record["annotator"] == DRIFTING and rng.random() < 0.45:
            record["label"] = TICKET_LABELS[(t + 1 + int(rng.integers(k - 1))) % k]
            changed = True
        if changed:
            line = json.dumps(record, ensure_ascii=False) + "\n"
        b2.append(line)
    made = {"raw/batch2_annotations.jsonl": "".join(b2)}
    reviews = []
    for item, annotator, label, when in _annotation_rows({**files, **made}):
        if rng.random() >= 0.12:
            continue
        true = TICKET_LABELS[ids[item]] if item in ids else ""
        given = "account_access" if label == "login_problem" else label
        wrong = given != true
        # Reviewers miss a few errors and reject a few right answers.
        reject = rng.random() < 0.9 if wrong else rng.random() < 0.03
        reason = ""
        if reject and rng.random() > 0.05:
            if true == "refund_request" and given == "billing":
                reason = REVIEW_REASONS["refund_as_billing"]
            elif given == "other" and wrong:
                reason = REVIEW_REASONS["other"]
            else:
                reason = REVIEW_REASONS["wrong"]
        at = datetime.fromisoformat(when.replace("Z", "+00:00")) + timedelta(
            hours=int(rng.integers(12, 72))
        )
        reviews.append(
            [
                item,
                annotator,
                f"rev0{int(rng.integers(1, 3))}",
                "reject" if reject else "accept",
                reason,
                at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            ]
        )
    reviews.append(
        ["T00001", "w99", "rev01", "reject", "no such annotation", "2026-10-20T09:00:00Z"]
    )
    reviews.append([reviews[0][0], reviews[0][1], "rev02", "maybe", "", "2026-10-20T09:05:00Z"])
    made["raw/reviews.csv"] = _csv_text(
        ["ticket_id", "worker_id", "reviewer", "verdict", "reason", "reviewed_at"], reviews
    )
    questions = [f"Q{q:02d}" for q in range(1, 21)]
    key = rng.integers(k, size=len(questions))
    made["raw/qualification_key.csv"] = _csv_text(
        ["question", "answer"],
        [[q, TICKET_LABELS[int(a)]] for q, a in zip(questions, key, strict=True)],
    )
    takers = {f"w{w:02d}": 0.92 for w in range(1, 31)}
    takers.update({"w07": 0.55, "w13": 1 / k, "c01": 0.5, "c02": 0.6, "c03": 0.95})
    answers = []
    for person, skill in takers.items():
        for q, a in zip(questions, key, strict=True):
            right = rng.random() < skill
            given = int(a) if right else (int(a) + 1 + int(rng.integers(k - 1))) % k
            answers.append([person, q, TICKET_LABELS[given]])
    made["raw/qualification.csv"] = _csv_text(["worker_id", "question", "answer"], answers)
    # Calibration items: 250 batch-2 tickets with a known answer, mixed into the work so that
    # gold accuracy can be followed per batch (the gold file lists them after the others).
    known = {line.split(",")[0] for line in files["raw/gold.csv"].splitlines()[1:]}
    later = [i for i in range(len(truth) // 2, len(truth)) if f"T{i:05d}" not in known]
    calibration = sorted(int(i) for i in rng.choice(later, size=250, replace=False))
    made["raw/gold.csv"] = files["raw/gold.csv"] + "".join(
        f"T{i:05d},{TICKET_LABELS[int(truth[i])]}\n" for i in calibration
    )
    return made


def tickets_pool(
    rng: np.random.Generator, files: dict[str, str], n_new: int = 600
) -> dict[str, str]:
    """Tickets that arrived after batch 2 and nobody has annotated yet, from their own stream:
    the pool the dataset's next_batch: rules choose from."""
    records = [json.loads(line) for line in files["raw/items.jsonl"].splitlines()]
    start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    first = len(records)
    for n in range(n_new):
        label = TICKET_LABELS[int(rng.choice(len(TICKET_LABELS), p=TICKET_WEIGHTS))]
        arrived = start + timedelta(minutes=n * 4 + int(rng.integers(0, 4)))
        records.append(
            {
                "ticket_id": f"T{first + n:05d}",
                "text": _ticket_text(rng, label),
                "channel": str(rng.choice(CHANNELS)),
                "arrived_at": arrived.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
    return {"raw/items.jsonl": _jsonl_text(records)}


def generate(seed: int = SEED) -> dict[str, str]:
    """Every generated file, path (relative to the project root) -> text."""
    rng = np.random.default_rng(seed)
    made, truth = tickets(rng)
    # Operations and feedback data come from their own streams, so the values above keep
    # their bytes.
    made.update(tickets_ops(np.random.default_rng([seed, 3]), made))
    made.update(tickets_feedback(np.random.default_rng([seed, 4]), made, truth))
    made.update(tickets_pool(np.random.default_rng([seed, 5]), made))
    files = {f"datasets/tickets/{k}": v for k, v in made.items()}
    files.update({f"datasets/toxicity/{k}": v for k, v in toxicity(rng).items()})
    # Their own streams, so adding a dataset never changes the bytes of another.
    for number, (name, make) in enumerate((("emotions", emotions), ("entities", entities)), 1):
        stream = np.random.default_rng([seed, number])
        files.update({f"datasets/{name}/{k}": v for k, v in make(stream).items()})
    return files


def main() -> None:
    """Write the example datasets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    for name, text in generate(args.seed).items():
        path = args.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        print(f"wrote {name} ({len(text.encode('utf-8')):,} bytes)")


if __name__ == "__main__":
    main()
