"""Run fuzz cases and check the invariants of "Hardening: hostile configs and data".

Each case runs in a forked child of this process (labelgate and its heavy imports are loaded
once, before forking): the child applies the case to a fresh copy of a project made by
`labelgate init`, runs the commands in process through `labelgate.cli.main.main(argv)` with
stdout and stderr captured, and writes a JSON result. The child runs under `RLIMIT_AS`
(its address space at fork + `mem_limit`, 4 GB), so a runaway allocation ends as a MemoryError (exit
4) instead of taking the machine; the parent kills it after its time budget, and reads its peak
RSS from `os.wait4`. At most `workers` children run at once.

Invariants (a violation is a failure):
- no exit 4 (internal error), and only documented exit codes (0, 1, 2, 3);
- no command over `timeout` seconds (10);
- no child over 1 GB peak RSS;
- ingest: rows in = kept + quarantined, for the annotations and every source (ingest.json);
- ingest: no kept item_id / annotator_id / label containing a newline (annotations.parquet).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fuzz import generators

TIMEOUT_S = 10.0
MAX_RSS_BYTES = 1 << 30
ADDRESS_SPACE_HEADROOM = 4 << 30
ALLOWED_EXITS = {0, 1, 2, 3}
DATA_COLUMNS = ["--item-col", "review_id", "--annotator-col", "worker", "--label-col", "answer"]


class CommandTimeout(BaseException):
    """Raised in a child by SIGALRM: not an `Exception`, so `main` does not turn it into 4."""


@dataclass
class CaseResult:
    case: dict[str, Any]
    commands: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    max_rss_bytes: int = 0

    @property
    def name(self) -> str:
        return f"{self.case['kind']}-{self.case['seed']}-{self.case['index']}"


# ---------------------------------------------------------------------------------------------
# Bases: projects made once by `labelgate init`, copied for every case.


def make_bases(workdir: Path, with_dvc: bool) -> dict[str, Path]:
    from labelgate.scaffold.init import init_project

    bases = {"plain": workdir / "base"}
    init_project(bases["plain"], git=False, dvc=False)
    if with_dvc:
        bases["dvc"] = workdir / "base-dvc"
        with _captured():
            init_project(bases["dvc"], git=False, dvc=True)
    return bases


@contextlib.contextmanager
def _captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


def warm_up(base: Path | None = None) -> None:
    """Import what the commands import, in the parent, so forked children start warm; with
    `base`, also check it once (Hydra's first compose loads its plugins)."""
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import labelgate.cli.main  # noqa: F401

    for mod in (
        "labelgate.app",
        "labelgate.stages",
        "labelgate.project",
        "labelgate.io",
        "labelgate.aggregation",
        "labelgate.analysis",
        "labelgate.metrics",
        "hydra",
        "omegaconf",
    ):
        with contextlib.suppress(ImportError):
            __import__(mod)
    if base is not None:
        run_cli(["check", str(base)], 60)


# ---------------------------------------------------------------------------------------------
# In the child


def _on_alarm(signum: int, frame: Any) -> None:
    raise CommandTimeout()


def run_cli(argv: list[str], timeout: float) -> dict[str, Any]:
    """`labelgate ARGV` in this process: exit code, time, stdout/stderr tails."""
    from labelgate.cli.main import main

    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    start = time.perf_counter()
    cpu_start = _cpu_seconds()
    timed_out = False
    with _captured() as (_out, err):
        try:
            rc = main(argv)
        except CommandTimeout:
            rc, timed_out = -1, True
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            rc = -2
            traceback.print_exc(file=sys.stderr)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    elapsed = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu_start
    stderr = err.getvalue()
    return {
        "argv": argv,
        "rc": rc,
        "time_s": round(elapsed, 3),
        "cpu_s": round(cpu, 3),
        "timed_out": timed_out,
        "stderr_tail": stderr[-4000:],
        "first_tb_line": _traceback_summary(stderr) if rc in (4, -2) else None,
    }


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its reaped children (git, dvc)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _traceback_summary(stderr: str) -> str:
    """The exception line of the (last) traceback, and the innermost labelgate frame."""
    lines = stderr.splitlines()
    frame = ""
    exc = ""
    for i, line in enumerate(lines):
        if line.strip().startswith("File ") and "labelgate" in line and "/cli/main.py" not in line:
            frame = line.strip()
        if line.startswith("Traceback"):
            exc = ""
        if (
            line
            and not line.startswith(" ")
            and not line.startswith("Traceback")
            and i > 0
            and not exc
            and ("Error" in line or "Exception" in line or ":" in line)
        ):
            exc = line.strip()
    return f"{exc} @ {frame}" if frame else exc


def apply_config_case(case: dict[str, Any], project: Path) -> None:
    for rel, text in case["files"].items():
        path = project / rel
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(text.encode("utf-8", "surrogatepass"))


def run_config_case(
    case: dict[str, Any], bases: dict[str, Path], scratch: Path, timeout: float
) -> CaseResult:
    result = CaseResult(case)
    use_run = case.get("run", False) and "dvc" in bases
    project = scratch / "p"
    shutil.copytree(bases["dvc" if use_run else "plain"], project, symlinks=True)
    apply_config_case(case, project)
    result.commands.append(run_cli(["check", str(project), "--limit", "0"], timeout))
    if use_run:
        result.commands.append(run_cli(["run", "-C", str(project)], timeout))
    return result


def data_file_name(case: dict[str, Any]) -> str:
    return f"annotations.{case['fmt']}"


def run_data_case(
    case: dict[str, Any], bases: dict[str, Path], scratch: Path, timeout: float
) -> CaseResult:
    result = CaseResult(case)
    payload = case["payload"] if "payload" in case else generators.render_data(case)
    loose = scratch / data_file_name(case)
    loose.write_bytes(payload)
    agreement = ["agreement", str(loose), *DATA_COLUMNS, "--bootstrap", "20", "--format", "json"]
    if case.get("level"):
        agreement += ["--level", case["level"]]
    result.commands.append(run_cli(agreement, timeout))
    result.commands.append(
        run_cli(
            [
                "aggregate",
                str(loose),
                *DATA_COLUMNS,
                "--method",
                case["method"],
                "-o",
                str(scratch / "labels.csv"),
            ],
            timeout,
        )
    )
    # The pipeline's ingest, with the file as the example dataset's annotations export.
    project = scratch / "p"
    shutil.copytree(bases["plain"], project, symlinks=True)
    raw = project / "datasets/example/raw"
    (raw / "annotations.csv").unlink()
    (raw / data_file_name(case)).write_bytes(payload)
    manifest = project / "datasets/example/dataset.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace(
            "raw/annotations.csv", f"raw/{data_file_name(case)}"
        ),
        encoding="utf-8",
    )
    config = run_cli(["stage", "config", "--dataset", "example", "-C", str(project)], timeout)
    result.commands.append(config)
    if config["rc"] == 0:
        ingest = run_cli(["stage", "ingest", "--dataset", "example", "-C", str(project)], timeout)
        result.commands.append(ingest)
        if ingest["rc"] == 0:
            result.failures.extend(check_ingest(project / "build/example"))
    return result


def check_ingest(build: Path) -> list[str]:
    failures: list[str] = []
    try:
        report = json.loads((build / "ingest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"ingest exited 0 without a readable ingest.json: {exc}"]
    parts = [("annotations", report.get("annotations", {}))]
    parts += [(f"source {s.get('file')}", s) for s in report.get("sources", [])]
    for name, part in parts:
        try:
            rows_in, kept, quarantined = (
                part["rows_in"],
                part["rows_kept"],
                part["rows_quarantined"],
            )
        except (KeyError, TypeError):
            failures.append(f"ingest.json: {name} lacks rows_in/rows_kept/rows_quarantined")
            continue
        if rows_in != kept + quarantined:
            failures.append(
                f"ingest.json: {name}: rows_in {rows_in} != kept {kept} + quarantined {quarantined}"
            )
    try:
        import pandas as pd

        df = pd.read_parquet(build / "annotations.parquet")
    except Exception as exc:
        return [*failures, f"annotations.parquet unreadable: {exc!r}"]
    annotations = report.get("annotations", {})
    if isinstance(annotations, dict) and annotations.get("rows_kept") not in (None, len(df)):
        failures.append(
            f"annotations.parquet has {len(df)} rows, ingest.json says kept {annotations.get('rows_kept')}"
        )
    for col in ("item_id", "annotator_id", "label"):
        if col not in df.columns:
            failures.append(f"annotations.parquet has no column {col}")
            continue
        bad = [
            v
            for v in df[col].tolist()
            if isinstance(v, str) and any(c in v for c in "\n\r\u2028\u2029\x85")
        ]
        if bad:
            failures.append(f"kept {col} contains a line break: {bad[0]!r}")
    return failures


def _child(
    case: dict[str, Any],
    bases: dict[str, Path],
    scratch: Path,
    timeout: float,
    mem_limit: int,
    out: Path,
) -> None:
    if case["kind"] == "data":
        case = {**case, "payload": generators.render_data(case)}  # before the limit
    vm = _vm_size()
    if mem_limit and vm:
        # A guard, not the measure: pyarrow's allocator and thread stacks reserve address
        # space they never touch, so the limit is generous and the 1 GB invariant is checked
        # on the peak RSS that `os.wait4` reports.
        limit = vm + mem_limit
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    runner = run_config_case if case["kind"] == "config" else run_data_case
    try:
        result = runner(case, bases, scratch, timeout)
        payload = {"commands": result.commands, "failures": result.failures}
    except BaseException:
        payload = {"commands": [], "failures": ["harness error: " + traceback.format_exc()[-2000:]]}
    out.write_text(json.dumps(payload, default=str), encoding="utf-8")


def _vm_size() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# ---------------------------------------------------------------------------------------------
# In the parent


def case_budget(case: dict[str, Any], timeout: float) -> float:
    n = 2 if case["kind"] == "config" else 4
    return n * timeout + 5


def run_cases(
    cases: Iterable[dict[str, Any]],
    bases: dict[str, Path],
    workdir: Path,
    *,
    workers: int = 2,
    timeout: float = TIMEOUT_S,
    mem_limit: int = ADDRESS_SPACE_HEADROOM,
    progress: bool = False,
) -> Iterator[CaseResult]:
    """Run every case in a forked child, `workers` at a time; yield results as they end."""
    pending = iter(cases)
    running: dict[int, tuple[dict[str, Any], Path, float]] = {}
    done = 0
    exhausted = False
    while running or not exhausted:
        while not exhausted and len(running) < workers:
            try:
                case = next(pending)
            except StopIteration:
                exhausted = True
                break
            scratch = Path(tempfile.mkdtemp(prefix="case-", dir=workdir))
            out = scratch / "result.json"
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # child
                code = 0
                try:
                    os.chdir(scratch)
                    _child(case, bases, scratch, timeout, mem_limit, out)
                except BaseException:
                    code = 70
                finally:
                    os._exit(code)
            running[pid] = (case, scratch, time.monotonic())
        pid, status, usage = os.wait4(-1, os.WNOHANG)
        if pid == 0:
            now = time.monotonic()
            for cpid, (case, _scratch, started) in list(running.items()):
                if now - started > case_budget(case, timeout):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(cpid, signal.SIGKILL)
            time.sleep(0.002)
            continue
        if pid not in running:
            continue
        case, scratch, started = running.pop(pid)
        result = CaseResult(
            case, wall_s=time.monotonic() - started, max_rss_bytes=usage.ru_maxrss * 1024
        )
        out = scratch / "result.json"
        if out.exists():
            payload = json.loads(out.read_text(encoding="utf-8"))
            result.commands = payload["commands"]
            result.failures = payload["failures"]
        else:
            sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
            result.failures.append(
                f"child ended without a result (status {status}, signal {sig}, {result.wall_s:.1f}s): killed after the time budget or crashed"
            )
        result.failures.extend(invariant_failures(result, timeout))
        shutil.rmtree(scratch, ignore_errors=True)
        done += 1
        if progress and done % 200 == 0:
            print(f"  {done} cases", file=sys.stderr, flush=True)
        yield result


def command_name(argv: list[str]) -> str:
    """`check`, `agreement`, `stage ingest`: the command without its paths."""
    return " ".join(argv[:2]) if argv and argv[0] == "stage" else (argv[0] if argv else "?")


def _cpu_note(cmd: dict[str, Any], timeout: float) -> str:
    """Wall time is the invariant; the CPU time says whether the machine's load explains it."""
    cpu = cmd.get("cpu_s")
    if cpu is None:
        return ""
    return f" (cpu {cpu:.1f}s{', so mostly waiting: machine load?' if cpu < timeout / 2 else ''})"


def invariant_failures(result: CaseResult, timeout: float) -> list[str]:
    failures = []
    for cmd in result.commands:
        name = command_name(cmd["argv"])
        if cmd["rc"] == 4:
            failures.append(f"{name}: exit 4 (internal error): {cmd['first_tb_line']}")
        elif cmd["timed_out"]:
            failures.append(f"{name}: over {timeout:.0f}s{_cpu_note(cmd, timeout)}")
        elif cmd["rc"] not in ALLOWED_EXITS:
            failures.append(f"{name}: undocumented exit {cmd['rc']}: {cmd['first_tb_line']}")
        elif cmd["time_s"] > timeout:
            failures.append(
                f"{name}: took {cmd['time_s']:.1f}s (> {timeout:.0f}s){_cpu_note(cmd, timeout)}"
            )
    if result.max_rss_bytes > MAX_RSS_BYTES:
        failures.append(f"peak RSS {result.max_rss_bytes / 2**20:.0f} MiB > 1 GiB")
    return failures


def save_failure(result: CaseResult, folder: Path) -> Path:
    """Write a failing case for replay: case.json (generator output), result.json, and the
    files it writes (config files, or the data file)."""
    target = folder / result.name
    target.mkdir(parents=True, exist_ok=True)
    (target / "case.json").write_text(
        json.dumps(result.case, default=str, indent=1), encoding="utf-8"
    )
    (target / "result.json").write_text(
        json.dumps(
            {
                "failures": result.failures,
                "commands": result.commands,
                "max_rss_bytes": result.max_rss_bytes,
            },
            default=str,
            indent=1,
        ),
        encoding="utf-8",
    )
    files = target / "files"
    files.mkdir(exist_ok=True)
    if result.case["kind"] == "config":
        for rel, text in result.case["files"].items():
            dest = files / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            if text is None:
                (dest.parent / (dest.name + ".DELETED")).write_text("", encoding="utf-8")
            else:
                dest.write_bytes(text.encode("utf-8", "surrogatepass"))
    else:
        (files / data_file_name(result.case)).write_bytes(generators.render_data(result.case))
    return target


def config_cases(seed: int, n: int, run_every: int, base: Path) -> Iterator[dict[str, Any]]:
    template = generators.template_texts(base)
    for i in range(n):
        case = generators.config_case(seed, i, template)
        case["run"] = bool(run_every) and i % run_every == run_every - 1
        yield case


def data_cases(seed: int, n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield generators.data_case(seed, i)
