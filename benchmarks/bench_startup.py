"""Start-up benchmark: `labelgate` as a person runs it, every measurement a new process.

Usage: .venv-bench/bin/python benchmarks/bench_startup.py [--repeat 3] [--keep DIR]

Seconds are wall clock from starting the process to its exit, the best of --repeat runs.
The interpreter's bin folder comes first on PATH, so `labelgate` and `dvc` are this
environment's. Compared side by side:
  (1) `labelgate --version` and `labelgate --help`, next to `python -c pass` (the interpreter's
      own start-up: a floor no command goes under).
  (2) the pipeline of a fresh `labelgate init DIR` template (one dataset, eight stages), built
      twice: by `labelgate run`, which reproduces it in one process, and by plain `dvc repro`
      as a process, which starts `labelgate stage NAME --dataset D` as a process for each stage
      (the old way). Each first run gets a template of its own; the second, no-op run (nothing
      changed, every stage skipped) is timed right after it.
Targets: (1) each < 0.5 s; (2) the first `labelgate run` <= 10 s. ratio = dvc repro / ours.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

BIN = Path(sys.executable).parent
VERSION_TARGET = 0.5
RUN_TARGET = 10.0


def bench_env() -> dict[str, str]:
    """This environment's bin folder first on PATH, so `labelgate` and `dvc` resolve to it."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def timed(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path | None = None, ok: Sequence[int] = (0,)
) -> float:
    """Wall seconds of one process; its output is captured and shown only when it fails."""
    start = time.perf_counter()
    done = subprocess.run(
        list(argv), cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode not in ok:
        sys.exit(
            f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return seconds


STARTUP_COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "labelgate --version": ["labelgate", "--version"],
    "labelgate --help": ["labelgate", "--help"],
}


def startup(env: Mapping[str, str], repeat: int) -> dict[str, float]:
    """(1): best seconds of the interpreter alone and of `labelgate --version` / `--help`.

    The commands take turns, so a slow spell of the machine does not fall on one of them.
    """
    runs: dict[str, list[float]] = {name: [] for name in STARTUP_COMMANDS}
    for _ in range(repeat):
        for name, argv in STARTUP_COMMANDS.items():
            runs[name].append(timed(argv, env))
    return {name: min(seconds) for name, seconds in runs.items()}


def fresh_template(base: Path, name: str, env: Mapping[str, str]) -> Path:
    """A new `labelgate init` project (with git and dvc initialised), not timed."""
    root = base / name
    timed(["labelgate", "init", str(root)], env)
    return root


def pipeline(
    env: Mapping[str, str], base: Path, repeat: int, commands: Mapping[str, Sequence[str]]
) -> dict[str, tuple[float, float]]:
    """(2): for each way of building, best seconds of the first run and of the no-op rerun."""
    first: dict[str, list[float]] = {way: [] for way in commands}
    again: dict[str, list[float]] = {way: [] for way in commands}
    for i in range(repeat):
        for way, argv in commands.items():  # the ways take turns
            root = fresh_template(base, f"{way.split()[0]}-{i}", env)
            # `labelgate run` exits 1 when a gate fails: the run itself still completed.
            first[way].append(timed(argv, env, cwd=root, ok=(0, 1)))
            again[way].append(timed(argv, env, cwd=root, ok=(0, 1)))
            if not (root / "build/example/gate.json").is_file():
                sys.exit(f"{way} in {root} did not write build/example/gate.json")
    return {way: (min(first[way]), min(again[way])) for way in commands}


PIPELINE_COMMANDS = {
    "labelgate run": ["labelgate", "run"],
    "dvc repro (stages as processes)": ["dvc", "repro"],
}


def verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def print_startup(rows: Mapping[str, float], repeat: int) -> bool:
    floor = rows["python -c pass"]
    print(f"## (1) start-up as a process, best of {repeat} (wall seconds)")
    print(f"{'command':<22} {'seconds':>8} {'x python':>9} {'target':>9} {'result':>7}")
    passed = True
    for name, seconds in rows.items():
        if name == "python -c pass":
            print(f"{name:<22} {seconds:8.3f} {'1.0x':>9} {'':>9} {'':>7}")
            continue
        ok = seconds < VERSION_TARGET
        passed &= ok
        print(
            f"{name:<22} {seconds:8.3f} {seconds / floor:8.1f}x {'< ' + str(VERSION_TARGET) + ' s':>9} {verdict(ok):>7}"
        )
    return passed


def print_pipeline(rows: Mapping[str, tuple[float, float]], repeat: int) -> bool:
    ours = rows["labelgate run"]
    print(
        f"\n## (2) fresh `labelgate init` template (1 dataset, 8 stages), best of {repeat} (wall seconds)"
    )
    print(f"{'build':<32} {'first run':>9} {'ratio':>7} {'no-op run':>9} {'ratio':>7}")
    for way, (first, again) in rows.items():
        print(
            f"{way:<32} {first:9.2f} {first / ours[0]:6.1f}x {again:9.2f} {again / ours[1]:6.1f}x"
        )
    ok = ours[0] <= RUN_TARGET
    print(f"target: first `labelgate run` <= {RUN_TARGET:.0f} s: {ours[0]:.2f} s, {verdict(ok)}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best kept)")
    parser.add_argument("--keep", type=Path, help="build the template projects here and keep them")
    args = parser.parse_args()
    if shutil.which("labelgate", path=str(BIN)) is None:
        sys.exit(
            f"no `labelgate` in {BIN}: run this with the interpreter of an environment that has it"
        )
    env = bench_env()
    base = args.keep or Path(tempfile.mkdtemp(prefix="labelgate-bench-startup-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        ok = print_startup(startup(env, args.repeat), args.repeat)
        ok &= print_pipeline(pipeline(env, base, args.repeat, PIPELINE_COMMANDS), args.repeat)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(f"\nall targets {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
