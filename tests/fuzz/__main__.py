"""`python -m tests.fuzz --configs N --data M --seed S`: run seeded fuzz cases, print counts per
exit code, the slowest cases and the peak RSS, save every failing case for replay, and exit 1
when any case broke an invariant (see harness.py).

Replay one saved case: `python -m tests.fuzz --replay build/fuzz/failures/config-0-123`
(the case is regenerated from its kind, seed and index, and run again)."""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.fuzz import harness


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--configs", type=int, default=1000, help="config cases")
    parser.add_argument("--data", type=int, default=200, help="data-file cases")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0, help="first case index (default 0)")
    parser.add_argument(
        "--run-every",
        type=int,
        default=50,
        help="also `labelgate run` every Nth config case (0: never)",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=harness.TIMEOUT_S)
    parser.add_argument(
        "--failures",
        type=Path,
        default=Path("build/fuzz/failures"),
        help="where failing cases are saved",
    )
    parser.add_argument(
        "--replay", type=Path, nargs="*", default=[], help="saved case folders to run again"
    )
    parser.add_argument(
        "--summarize",
        type=Path,
        help="only print the summary of a results.jsonl (of a finished or interrupted run)",
    )
    args = parser.parse_args(argv)
    if args.summarize:
        rows = [
            json.loads(line) for line in args.summarize.read_text(encoding="utf-8").splitlines()
        ]
        report([result_from_row(row) for row in rows], args.failures, 0.0, replay=True)
        return 1 if any(row["failures"] for row in rows) else 0

    started = time.monotonic()
    harness.warm_up()
    with tempfile.TemporaryDirectory(prefix="labelgate-fuzz-") as tmp:
        workdir = Path(tmp)
        need_dvc = args.run_every > 0 or bool(args.replay)
        bases = harness.make_bases(workdir, with_dvc=need_dvc)
        harness.warm_up(bases["plain"])
        if args.replay:
            cases = [
                json.loads((folder / "case.json").read_text(encoding="utf-8"))
                for folder in args.replay
            ]
        else:
            cases = interleave(
                (
                    c
                    for c in harness.config_cases(
                        args.seed, args.configs + args.start, args.run_every, bases["plain"]
                    )
                    if c["index"] >= args.start
                ),
                (
                    c
                    for c in harness.data_cases(args.seed, args.data + args.start)
                    if c["index"] >= args.start
                ),
                args.configs,
                args.data,
            )
        results = []
        args.failures.mkdir(parents=True, exist_ok=True)
        log = args.failures.parent / "results.jsonl"
        with log.open("w", encoding="utf-8") as stream:
            for r in harness.run_cases(
                cases, bases, workdir, workers=args.workers, timeout=args.timeout, progress=True
            ):
                if r.failures and not args.replay:
                    harness.save_failure(r, args.failures)
                # Keep what the summary needs; the case itself can be large (data rows).
                r.case = {
                    k: v
                    for k, v in r.case.items()
                    if k in ("kind", "seed", "index", "fmt", "method")
                }
                results.append(r)
                row = {
                    "name": r.name,
                    "failures": r.failures,
                    "wall_s": round(r.wall_s, 3),
                    "max_rss": r.max_rss_bytes,
                }
                row["commands"] = [
                    {k: c[k] for k in ("argv", "rc", "time_s", "first_tb_line")} for c in r.commands
                ]
                stream.write(json.dumps(row, default=str) + "\n")
                stream.flush()
    report(results, args.failures, time.monotonic() - started, replay=bool(args.replay))
    return 1 if any(r.failures for r in results) else 0


def result_from_row(row: dict[str, Any]) -> harness.CaseResult:
    kind, seed, index = row["name"].split("-")
    return harness.CaseResult(
        {"kind": kind, "seed": int(seed), "index": int(index)},
        commands=row["commands"],
        failures=row["failures"],
        wall_s=row["wall_s"],
        max_rss_bytes=row["max_rss"],
    )


def interleave(
    configs: Iterator[dict[str, Any]], data: Iterator[dict[str, Any]], n_configs: int, n_data: int
) -> Iterator[dict[str, Any]]:
    """Config and data cases mixed in proportion, so a partial run (see results.jsonl) covers both."""
    ratio = max(1, round(n_configs / n_data)) if n_data else 1
    while True:
        taken = 0
        for case in itertools.islice(configs, ratio):
            taken += 1
            yield case
        nxt = next(data, None)
        if nxt is not None:
            yield nxt
        if not taken and nxt is None:
            return


def report(
    results: list[harness.CaseResult], folder: Path, elapsed: float, replay: bool = False
) -> None:
    by_kind: dict[str, Counter[str]] = {}
    for r in results:
        for cmd in r.commands:
            key = f"{r.case['kind']}: {harness.command_name(cmd['argv'])}"
            by_kind.setdefault(key, Counter())[str(cmd["rc"])] += 1
    n_config = sum(r.case["kind"] == "config" for r in results)
    print(
        f"{len(results)} cases ({n_config} configs, {len(results) - n_config} data files) in {elapsed:.0f}s"
    )
    print("exit codes per command:")
    for key in sorted(by_kind):
        counts = ", ".join(f"{rc}: {n}" for rc, n in sorted(by_kind[key].items()))
        print(f"  {key:<28} {counts}")
    commands = [
        (cmd["time_s"], r.name, harness.command_name(cmd["argv"]))
        for r in results
        for cmd in r.commands
    ]
    print("slowest commands:")
    for t, name, cmd in sorted(commands, reverse=True)[:8]:
        print(f"  {t:7.2f}s  {name}  {cmd}")
    peak = max(results, key=lambda r: r.max_rss_bytes, default=None)
    if peak:
        print(f"max RSS: {peak.max_rss_bytes / 2**20:.0f} MiB ({peak.name})")
    failing = [r for r in results if r.failures]
    timeouts = sum(1 for r in failing for f in r.failures if "over " in f or "time budget" in f)
    print(f"failing cases: {len(failing)} (timeouts: {timeouts})")
    groups: Counter[str] = Counter()
    example: dict[str, str] = {}
    for r in failing:
        for f in r.failures:
            key = f.split(": ", 1)[-1][:160] if "exit 4" not in f else f[:200]
            groups[key] += 1
            example.setdefault(key, r.name)
    for key, n in groups.most_common():
        print(f"  {n:5d} x {key}   (e.g. {example[key]})")
    if failing and not replay:
        print(
            f"failing cases saved to {folder}/ (replay: python -m tests.fuzz --replay {folder}/NAME)"
        )


if __name__ == "__main__":
    sys.exit(main())
