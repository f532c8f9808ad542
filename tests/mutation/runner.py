"""Run corpus mutants under real TensorFlow, keep the verdicts, and score the engine on them.

TF side: long-lived worker processes (``python runner.py --worker``) import TensorFlow once and
execute one mutant at a time as ``__main__`` (``runpy.run_path``) in a fresh namespace, after
resetting Keras' global state (``keras.backend.clear_session()``, floatx, dtype policy, seeds).
The parent feeds each worker one job at a time over a pipe and waits at most
``MUTANT_TIMEOUT`` seconds; a worker that takes longer is killed and replaced (verdict
``timeout``, left out of the statistics), one that dies is replaced too (verdict ``crashed``).
Workers are recycled every ``RECYCLE_AFTER`` mutants to bound memory.

Verdicts: ``accepted`` (the script ran to completion) or ``rejected`` with the exception type,
its message and the line where TF raised -- the deepest traceback frame in the mutant file.
They are cached in ``.oracle-cache/mutation/`` (or ``$SHAPELENS_ORACLE_CACHE/mutation``) under a
hash of the mutant text, the runner version and the installed TF/Keras/numpy versions; the
committed records in ``tests/records/mutants_tf.jsonl`` stand in for a cold cache (see
``oracle/tf_records.py``).

Engine side: ``analyze_source(mutant_text, <path of the original script>)`` in-process, every run
(never cached: the engine is what is being measured).

Scores: a rejected mutant is *flagged* when an error diagnostic starts within ``LINE_SLACK``
lines of the edit or of the line where TF raised. Any error diagnostic on an accepted mutant or
on an original corpus script is a *false alarm*.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: ``python tests/mutation/runner.py --worker``
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from mutation import mutate  # type: ignore[no-redef]
    from oracle import tf_records, tf_worker  # type: ignore[no-redef]
else:
    from oracle import tf_records, tf_worker

    from . import mutate

REPO = Path(__file__).resolve().parents[2]
CACHE_DIR = Path(os.environ.get("SHAPELENS_ORACLE_CACHE") or REPO / ".oracle-cache") / "mutation"
# Bump when the worker's execution semantics change (invalidates every cached verdict).
RUNNER_VERSION = "2"
MUTANT_TIMEOUT = 120.0
RECYCLE_AFTER = 60
LINE_SLACK = 3
ORIGINAL = "original"


# ----------------------------------------------------------------------------------------------
# verdicts


@dataclass
class Verdict:
    status: str  # accepted | rejected | timeout | crashed | excluded (the original fails)
    line: int | None = None  # where TF raised (deepest frame in the mutant file)
    exc_type: str | None = None
    message: str | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @staticmethod
    def from_json(d: dict[str, Any]) -> Verdict:
        return Verdict(
            d["status"], d.get("line"), d.get("exc_type"), d.get("message"), float(d.get("seconds", 0.0))
        )


_VERSIONS: str | None = None


def _versions() -> str:
    global _VERSIONS
    if _VERSIONS is None:
        from importlib import metadata

        found = []
        for dist in ("tensorflow", "tensorflow-cpu", "keras", "numpy"):
            try:
                found.append(f"{dist}={metadata.version(dist)}")
            except metadata.PackageNotFoundError:
                pass
        _VERSIONS = ";".join(found)
    return _VERSIONS


def verdict_key(text: str) -> str:
    h = hashlib.sha256()
    h.update(RUNNER_VERSION.encode())
    h.update(_versions().encode())
    h.update(text.encode("utf-8"))
    return h.hexdigest()[:32]


def cache_file(key: str) -> Path:
    return CACHE_DIR / key[:2] / f"{key}.json"


def load_cached(key: str) -> Verdict | None:
    p = cache_file(key)
    if not p.is_file():
        return None
    try:
        v = Verdict.from_json(json.loads(p.read_text()))
    except (OSError, ValueError, KeyError):
        return None
    return v if v.status in ("accepted", "rejected") else None


RECORDS = tf_records.Records(tf_records.MUTANT_RECORDS)
RECORDED_MESSAGE_CHARS = 600


def record_key(text: str) -> str:
    return tf_records.record_key("mutant", RUNNER_VERSION, text.encode("utf-8"))


def as_record(job: Job, v: Verdict) -> dict[str, Any]:
    """The committed form of one verdict (its timing left out: it differs on every run)."""
    message = None if v.message is None else v.message[:RECORDED_MESSAGE_CHARS]
    return {
        "key": job.record_key,
        "id": job.meta["id"],
        "status": v.status,
        "line": v.line,
        "exc_type": v.exc_type,
        "message": message,
    }


def recorded_verdict(job: Job) -> Verdict | None:
    entry = RECORDS.get(job.record_key)
    if entry is None or entry.get("status") not in ("accepted", "rejected"):
        return None
    return Verdict(entry["status"], entry.get("line"), entry.get("exc_type"), entry.get("message"))


def same_verdict(a: Verdict, b: Verdict) -> bool:
    """The same outcome: status, exception type and the line where TF raised (messages may
    name auto-numbered layers, so they are not compared)."""
    return (a.status, a.exc_type, a.line) == (b.status, b.exc_type, b.line)


def store(key: str, v: Verdict, meta: dict[str, Any]) -> None:
    p = cache_file(key)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps({**v.to_json(), "mutant": meta}, indent=1))
    tmp.replace(p)


# ----------------------------------------------------------------------------------------------
# the worker (imports TensorFlow)


def run_one(path: str, current: list[str | None]) -> Verdict:
    import contextlib
    import io
    import runpy
    import traceback

    tf_worker.reset_state()
    t0 = time.perf_counter()
    sink = io.StringIO()
    old_argv, old_path = sys.argv, list(sys.path)
    sys.argv = [path]
    sys.path.insert(0, os.path.dirname(path))
    current[0] = path
    v = Verdict("accepted")
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            runpy.run_path(path, run_name="__main__")
    except SystemExit as err:
        if err.code not in (None, 0):
            v = Verdict("rejected", None, "SystemExit", str(err.code))
    except BaseException as err:  # any failure is a verdict
        line = None
        for fr in reversed(traceback.extract_tb(err.__traceback__)):
            if fr.filename == path:
                line = fr.lineno
                break
        v = Verdict("rejected", line, type(err).__name__, str(err)[:2000])
    finally:
        sys.argv = old_argv
        sys.path[:] = old_path
        current[0] = None
    v.seconds = round(time.perf_counter() - t0, 2)
    return v


def _worker_main() -> int:
    # The protocol goes over the original stdout; everything else (C++ logs, prints) to devnull.
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    log = os.environ.get("SHAPELENS_MUTATION_WORKER_LOG")
    if log:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 2)
    else:
        os.dup2(devnull, 2)
    tf_worker.configure_tensorflow()
    current: list[str | None] = [None]
    tf_worker.trace_script_functions_as_python(lambda: current[0])
    proto.write(json.dumps({"ready": True}) + "\n")
    for raw in sys.stdin:
        raw = raw.strip()
        if not raw:
            continue
        job = json.loads(raw)
        v = run_one(job["path"], current)
        proto.write(json.dumps(v.to_json()) + "\n")
    return 0


# ----------------------------------------------------------------------------------------------
# the parent side: a pool of workers with a per-mutant time limit


class _Worker:
    def __init__(self, cwd: str, env: dict[str, str]) -> None:
        self.cwd, self.env = cwd, env
        self.proc: subprocess.Popen[str] | None = None
        self.done = 0

    def _start(self) -> None:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker"]
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self.done = 0
        msg = self._read(120.0)
        if msg is None or not msg.get("ready"):
            self.stop()
            raise RuntimeError("mutation worker did not start (TensorFlow import failed?)")

    def _read(self, timeout: float) -> dict[str, Any] | None:
        assert self.proc is not None and self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        if not line:
            return {"eof": True}
        return json.loads(line)

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.proc = None

    def run(self, path: str, timeout: float) -> Verdict:
        if self.proc is None or self.proc.poll() is not None or self.done >= RECYCLE_AFTER:
            self.stop()
            self._start()
        assert self.proc is not None and self.proc.stdin is not None
        t0 = time.perf_counter()
        try:
            self.proc.stdin.write(json.dumps({"path": path}) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            self.stop()
            return Verdict("crashed", message="worker pipe broken")
        msg = self._read(timeout)
        self.done += 1
        if msg is None:
            self.stop()
            return Verdict(
                "timeout",
                message=f"no verdict within {timeout:.0f} s",
                seconds=round(time.perf_counter() - t0, 2),
            )
        if msg.get("eof"):
            code = self.proc.poll()
            self.stop()
            return Verdict(
                "crashed", message=f"worker died (exit {code})", seconds=round(time.perf_counter() - t0, 2)
            )
        return Verdict.from_json(msg)


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["CUDA_VISIBLE_DEVICES"] = ""
    env.setdefault("SHAPELENS_ORACLE_THREADS", "1")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "server"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


@dataclass
class Job:
    key: str
    script: str  # file name of the script (the mutant file gets the same name)
    text: str
    meta: dict[str, Any]

    @property
    def record_key(self) -> str:
        return record_key(self.text)


def run_tf(
    jobs: Sequence[Job],
    workers: int = 2,
    timeout: float = MUTANT_TIMEOUT,
    use_cache: bool = True,
    progress: Callable[[str], None] | None = None,
    use_records: bool = True,
) -> dict[str, Verdict]:
    """TF verdict for each job (from the local cache, else the committed records, else by
    running it); keyed by ``Job.key``."""
    out: dict[str, Verdict] = {}
    todo: dict[str, Job] = {}
    for j in jobs:
        if j.key in out or j.key in todo:
            continue
        cached = load_cached(j.key) if use_cache else None
        if cached is None and use_records:
            cached = recorded_verdict(j)
        if cached is not None:
            out[j.key] = cached
        else:
            todo[j.key] = j
    if not todo:
        return out
    q: queue.Queue[Job] = queue.Queue()
    for j in todo.values():
        q.put(j)
    lock = threading.Lock()
    total, t_start = len(todo), time.monotonic()
    finished = [0]
    errors: list[BaseException] = []
    env = _worker_env()
    with tempfile.TemporaryDirectory(prefix="shapelens-mutants-") as tmp:

        def slot(n: int) -> None:
            w = _Worker(tmp, env)
            try:
                while True:
                    try:
                        j = q.get_nowait()
                    except queue.Empty:
                        return
                    d = Path(tmp) / j.key
                    d.mkdir(exist_ok=True)
                    path = d / j.script
                    path.write_text(j.text, encoding="utf-8")
                    try:
                        v = w.run(str(path), timeout)
                    except RuntimeError as err:
                        errors.append(err)
                        return
                    if v.status in ("accepted", "rejected"):  # a timeout may be load: retried next time
                        store(j.key, v, j.meta)
                    with lock:
                        out[j.key] = v
                        finished[0] += 1
                        if progress is not None:
                            el = time.monotonic() - t_start
                            progress(
                                f"[{finished[0]}/{total} {el:5.0f}s] {j.meta.get('id', j.script)}: "
                                f"{v.status} {v.exc_type or ''} ({v.seconds} s)"
                            )
            finally:
                w.stop()

        threads = [threading.Thread(target=slot, args=(i,), daemon=True) for i in range(max(1, workers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    if errors and not any(k in out for k in todo):
        raise RuntimeError(f"no mutant could be run under TensorFlow: {errors[0]}")
    for j in todo.values():
        out.setdefault(j.key, Verdict("crashed", message="not run (worker failure)"))
    return out


# ----------------------------------------------------------------------------------------------
# the engine side and the scores


@dataclass
class EngineError:
    line: int
    code: str
    message: str


def engine_errors(text: str, script: str) -> tuple[list[EngineError], str | None]:
    from shapelens.core.analysis import analyze_source

    try:
        analysis = analyze_source(text, str(mutate.CORPUS_DIR / script))
    except Exception as err:  # the engine must never raise; reported separately
        return [], f"{type(err).__name__}: {err}"
    return [
        EngineError(i.span.line, i.code, i.message) for i in analysis.issues if i.severity == "error"
    ], None


@dataclass
class Result:
    id: str
    script: str
    operator: str
    line: int  # edit line (0 for originals)
    description: str
    verdict: Verdict
    errors: list[EngineError] = field(default_factory=list)
    engine_crash: str | None = None

    @property
    def rejected(self) -> bool:
        return self.verdict.status == "rejected"

    @property
    def accepted(self) -> bool:
        return self.verdict.status == "accepted"

    def near(self, e: EngineError) -> bool:
        lines = [self.line] if self.line else []
        if self.verdict.line:
            lines.append(self.verdict.line)
        return any(abs(e.line - x) <= LINE_SLACK for x in lines)

    @property
    def flagged(self) -> bool:
        return self.rejected and any(self.near(e) for e in self.errors)

    @property
    def false_alarm(self) -> bool:
        return self.accepted and bool(self.errors)


@dataclass
class Suite:
    results: list[Result]  # mutants
    originals: list[Result]

    def of(self, op: str | None = None) -> list[Result]:
        return [r for r in self.results if op is None or r.operator == op]

    @property
    def rejected(self) -> list[Result]:
        return [r for r in self.results if r.rejected]

    @property
    def flagged(self) -> list[Result]:
        return [r for r in self.results if r.flagged]

    @property
    def missed(self) -> list[Result]:
        return [r for r in self.results if r.rejected and not r.flagged]

    @property
    def detection_pct(self) -> float:
        rej = len(self.rejected)
        return 100.0 * len(self.flagged) / rej if rej else 100.0

    @property
    def false_alarms(self) -> list[Result]:
        """Accepted mutants and originals with an engine error (originals that TF rejects excluded)."""
        return [r for r in self.originals + self.results if r.false_alarm]

    @property
    def broken_originals(self) -> list[Result]:
        return [r for r in self.originals if not r.accepted]

    @property
    def engine_crashes(self) -> list[Result]:
        return [r for r in self.originals + self.results if r.engine_crash]


def build_jobs(mutants: Sequence[mutate.Mutant], scripts: Sequence[Path]) -> tuple[list[Job], list[Job]]:
    originals = []
    for p in scripts:
        text = p.read_text(encoding="utf-8")
        originals.append(Job(verdict_key(text), p.name, text, {"id": f"{p.stem}:original", "script": p.name}))
    muts = [
        Job(
            verdict_key(m.text),
            m.script,
            m.text,
            {
                "id": m.id,
                "script": m.script,
                "operator": m.operator,
                "line": m.line,
                "description": m.description,
            },
        )
        for m in mutants
    ]
    return originals, muts


def original_verdicts(
    jobs: Sequence[Job],
    paths: Sequence[Path],
    workers: int = 2,
    timeout: float = MUTANT_TIMEOUT,
    use_cache: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Verdict]:
    """TF verdicts of the unmodified scripts. They come from this suite's cache, else from the
    corpus oracle (``tests/oracle/corpus_oracle.py``), which runs the same scripts anyway and
    caches them for its own test, else from this runner's workers."""
    out: dict[str, Verdict] = {}
    missing: list[tuple[Job, Path]] = []
    for j, p in zip(jobs, paths):
        cached = load_cached(j.key) if use_cache else None
        if cached is not None:
            out[j.key] = cached
        else:
            missing.append((j, p))
    if missing:
        try:
            from oracle import corpus_oracle as co
        except ImportError:
            co = None
        if co is not None:
            real = co.collect_real(
                [p for _, p in missing], jobs=workers, use_cache=use_cache, use_records=use_cache
            )
            for j, p in missing:
                r = real.get(p) or {}
                err = str(r.get("error") or "")
                if "ok" not in r or err.startswith("worker produced no result"):
                    continue
                if r["ok"]:
                    v = Verdict("accepted", seconds=float(r.get("seconds", 0.0)))
                else:
                    exc, _, msg = err.partition(": ")
                    v = Verdict("rejected", r.get("error_line"), exc, msg, float(r.get("seconds", 0.0)))
                if not r.get("recorded"):  # the local cache holds what ran here only
                    store(j.key, v, j.meta)
                out[j.key] = v
                if progress is not None:
                    progress(f"[original] {p.name}: {v.status} {v.exc_type or ''} (corpus oracle)")
        rest = [j for j, _ in missing if j.key not in out]
        if rest:
            out.update(
                run_tf(rest, workers=workers, timeout=timeout, use_cache=use_cache, progress=progress, use_records=use_cache)
            )
    return out


def run_suite(
    scripts: Sequence[Path] | None = None,
    workers: int = 2,
    use_cache: bool = True,
    timeout: float = MUTANT_TIMEOUT,
    progress: Callable[[str], None] | None = None,
) -> Suite:
    """Generate the mutants, get every TF verdict (cached or run), analyse everything with the
    engine. Mutants of a script that TF rejects unmodified are not run (verdict ``excluded``)."""
    paths = list(scripts) if scripts is not None else mutate.corpus_scripts()
    mutants = mutate.generate(paths)
    orig_jobs, mut_jobs = build_jobs(mutants, paths)
    verdicts = original_verdicts(orig_jobs, paths, workers, timeout, use_cache, progress)
    broken = {j.script for j in orig_jobs if verdicts[j.key].status != "accepted"}
    runnable = [j for j in mut_jobs if j.script not in broken]
    verdicts.update(
        run_tf(
            runnable, workers=workers, timeout=timeout, use_cache=use_cache, progress=progress, use_records=use_cache
        )
    )
    originals = []
    for j in orig_jobs:
        errs, crash = engine_errors(j.text, j.script)
        originals.append(
            Result(j.meta["id"], j.script, ORIGINAL, 0, "unmodified script", verdicts[j.key], errs, crash)
        )
    excluded = Verdict("excluded", message="the unmodified script fails under TF")
    results = []
    for m, j in zip(mutants, mut_jobs):
        v = excluded if m.script in broken else verdicts[j.key]
        errs, crash = engine_errors(m.text, m.script)
        results.append(Result(m.id, m.script, m.operator, m.line, m.description, v, errs, crash))
    return Suite(results, originals)


# ----------------------------------------------------------------------------------------------
# reporting


def format_table(s: Suite) -> str:
    head = (
        f"{'operator':<12} {'mutants':>7} {'TF-rej':>6} {'flagged':>7} {'detect%':>7} "
        f"{'accepted':>8} {'false-al':>8} {'timeout':>7}"
    )
    rows = [head, "-" * len(head)]

    def row(name: str, rs: list[Result]) -> str:
        rej = [r for r in rs if r.rejected]
        fl = [r for r in rej if r.flagged]
        acc = [r for r in rs if r.accepted]
        fa = [r for r in acc if r.false_alarm]
        to = [r for r in rs if r.verdict.status in ("timeout", "crashed")]
        pct = f"{100.0 * len(fl) / len(rej):6.1f}%" if rej else "     -"
        return (
            f"{name:<12} {len(rs):>7} {len(rej):>6} {len(fl):>7} {pct:>7} "
            f"{len(acc):>8} {len(fa):>8} {len(to):>7}"
        )

    for op in mutate.OPERATORS:
        rs = s.of(op)
        if rs:
            rows.append(row(op, rs))
    rows.append("-" * len(head))
    rows.append(row("TOTAL", s.results))
    rows.append(row("originals", s.originals))
    return "\n".join(rows)


def format_summary(s: Suite) -> str:
    rej = len(s.rejected)
    lines = [
        f"mutants: {len(s.results)} ({rej} rejected by TF, "
        f"{sum(1 for r in s.results if r.accepted)} accepted, "
        f"{sum(1 for r in s.results if r.verdict.status in ('timeout', 'crashed'))} timeout/crashed, "
        f"{sum(1 for r in s.results if r.verdict.status == 'excluded')} excluded)",
        f"detection: {len(s.flagged)}/{rej} = {s.detection_pct:.1f}% of TF-rejected mutants flagged "
        f"within {LINE_SLACK} lines of the edit or of TF's raise",
        f"false alarms: {len(s.false_alarms)} (error diagnostics on TF-accepted mutants and originals)",
    ]
    if s.broken_originals:
        lines.append("corpus scripts TF rejects unmodified (their mutants are excluded):")
        for r in s.broken_originals:
            msg = _norm_message(r.verdict.message)[:160]
            lines.append(
                f"    {r.script}: {r.verdict.status} at line {r.verdict.line}: {r.verdict.exc_type}: {msg}"
            )
    if s.engine_crashes:
        lines.append(f"engine crashes: {len(s.engine_crashes)}")
    return "\n".join(lines)


def _norm_message(msg: str | None) -> str:
    """The informative line of TF's message (Keras wraps layer errors in a generic header)."""
    if not msg:
        return ""
    lines = [ln.strip() for ln in re.sub(r"\x1b\[[0-9;]*m", "", msg).splitlines() if ln.strip()]
    if len(lines) > 1 and lines[0].startswith("Exception encountered when calling"):
        return f"{lines[1]} [in {lines[0].split('calling ', 1)[1].rstrip('.')}]"[:300]
    return lines[0][:300] if lines else ""


def _cause(msg: str | None) -> str:
    """A rough grouping key: the first line of TF's message with numbers and names elided."""
    m = _norm_message(msg)
    m = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", m)
    m = re.sub(r"\d+", "N", m)
    return m[:110]


def format_misses(s: Suite, examples: int = 3) -> str:
    groups: dict[tuple[str, str], list[Result]] = {}
    for r in s.missed:
        groups.setdefault((r.verdict.exc_type or "?", _cause(r.verdict.message)), []).append(r)
    out = []
    for (exc, cause), rs in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        ops = ", ".join(sorted({r.operator for r in rs}))
        out.append(f"[{len(rs)}] {exc}: {cause}   (operators: {ops})")
        for r in rs[:examples]:
            near = "" if not r.errors else f"  (engine errors elsewhere: {[e.line for e in r.errors]})"
            out.append(f"    {r.id}  {r.description}; TF raised at line {r.verdict.line}{near}")
            out.append(f"        TF: {_norm_message(r.verdict.message)[:200]}")
        if len(rs) > examples:
            out.append(f"    ... +{len(rs) - examples} more: " + ", ".join(r.id for r in rs[examples:]))
    return "\n".join(out)


def format_false_alarms(s: Suite) -> str:
    out = []
    for r in s.false_alarms:
        out.append(f"{r.id} ({r.script}, edit line {r.line}): {r.description}")
        for e in r.errors:
            out.append(f"    engine error line {e.line} [{e.code}] {e.message}")
    for r in s.engine_crashes:
        out.append(f"{r.id}: ENGINE CRASH {r.engine_crash}")
    return "\n".join(out) if out else "(none)"


def totals_json(s: Suite) -> dict[str, Any]:
    per = {}
    for op in mutate.OPERATORS:
        rs = s.of(op)
        rej = [r for r in rs if r.rejected]
        per[op] = {
            "mutants": len(rs),
            "rejected": len(rej),
            "flagged": sum(1 for r in rej if r.flagged),
            "accepted": sum(1 for r in rs if r.accepted),
            "false_alarms": sum(1 for r in rs if r.false_alarm),
        }
    return {
        "mutants": len(s.results),
        "rejected": len(s.rejected),
        "flagged": len(s.flagged),
        "detection_pct": round(s.detection_pct, 2),
        "accepted": sum(1 for r in s.results if r.accepted),
        "timeouts": sum(1 for r in s.results if r.verdict.status in ("timeout", "crashed")),
        "false_alarms": len(s.false_alarms),
        "originals": len(s.originals),
        "per_operator": per,
    }


def format_report(s: Suite, misses: bool = True) -> str:
    parts = [format_table(s), "", format_summary(s), "", "False alarms:", format_false_alarms(s)]
    if misses:
        parts += ["", "Missed TF-rejected mutants, grouped by TF's message:", format_misses(s)]
    return "\n".join(parts)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        sys.exit(_worker_main())
    sys.path.insert(0, str(REPO / "server"))
    suite = run_suite(progress=lambda m: print(m, file=sys.stderr, flush=True))
    print(format_report(suite))
