"""Corpus oracle: every Keras layer output of realistic scripts, real TF versus the engine.

Real side (a worker subprocess that imports TensorFlow; ``python corpus_oracle.py --worker``)
executes each script of ``tests/corpus/`` as ``__main__`` with two hooks on Keras 3's
``Layer``:

- ``Layer.__init__`` remembers the line of the script where each layer object was
  *constructed* (the frame that called the constructor, past the ``__init__``/``super()``
  chain of the object itself; only when that frame is in the script file);
- ``Layer.__call__`` records the output shape/dtype (first tensor of the output, in order) of
  every call:

  * a call made *directly from the script file* (including from functions, methods and the
    ``call`` of user layers defined there) is recorded at the start line of the call
    expression (from the instruction's position, ``co_positions``; the engine records
    ``Span.line`` of the ``ast.Call``);
  * a call made by one of Keras' functional merge helpers (``layers.concatenate([...])``,
    ``layers.add``, ...) called from the script is recorded at the helper's call;
  * a call made *inside Keras* on behalf of a ``Sequential``/functional model (the nearest
    enclosing layer on the stack is a ``keras.Model``) is recorded at the line where the layer
    was constructed -- but only for layers that are never called directly from the script
    (a functional model replaying its graph during ``fit`` adds nothing new) and never for
    models themselves (their layers are recorded instead). Calls of sublayers inside built-in
    wrappers (``Bidirectional``, ``TimeDistributed``, ``MultiHeadAttention``...) are not
    recorded.

  All observations at one line are joined: dims that differ become ``None``, different ranks
  give an unknown shape, different dtypes an unknown dtype.

  AutoGraph is switched off for functions defined in the script (``tf.function`` train steps,
  ``Dataset.map`` functions): they are traced as plain Python so that their layer calls keep
  their real source lines. Corpus scripts therefore use no Python control flow on tensors.

  After the script ran, every module-level global that is an ndarray / tf.Tensor / KerasTensor
  / Variable is observed as well (final values; an extra metric).

Engine side: ``analyze_file`` in-process (no TF); facts of kind ``layer`` joined per line the
same way; for globals, the last top-level (column 0) ``assign`` fact of the name.

Verdict per observed line: ``exact`` (identical; a symbolic engine dim counts as ``None``),
``covered`` (known rank, every int dim the engine claims is right; includes exact), ``wrong``
(different rank or a claimed int dim differs), ``unknown`` (no fact or unknown rank). Lines
where TF itself saw outputs of different ranks (several layers on one line) are ``ambiguous``
and not counted. Engine error diagnostics on these scripts (which all run) are false alarms.

Observations are cached per script content in ``.oracle-cache/corpus/`` (or under
``$SHAPELENS_ORACLE_CACHE``); the committed records in ``tests/records/corpus_tf.jsonl`` stand
in for a cold cache (see ``tf_records.py``: a script whose text changed runs live, and a daily
sample of the records is re-checked against live TF).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: ``python tests/oracle/corpus_oracle.py --worker``
    import tf_records  # type: ignore[import-not-found,no-redef]
    import tf_worker  # type: ignore[import-not-found,no-redef]
else:
    from . import tf_records, tf_worker

REPO = Path(__file__).resolve().parents[2]
CORPUS_DIR = REPO / "tests" / "corpus"
CACHE_DIR = Path(os.environ.get("SHAPELENS_ORACLE_CACHE") or REPO / ".oracle-cache") / "corpus"
# Bump when the recording logic (the worker part of this file) changes.
RECORDER_VERSION = "5"

Dims = tuple[Any, ...] | None  # None = unknown rank; a dim is int | None (| str on the engine side)


# ----------------------------------------------------------------------------------------------
# observations and joins (shared by both sides)


@dataclass
class Obs:
    shape: Dims
    dtype: str | None
    count: int = 1
    names: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "shape": None if self.shape is None else list(self.shape),
            "dtype": self.dtype,
            "count": self.count,
            "names": list(self.names),
        }

    @staticmethod
    def from_json(d: dict[str, Any]) -> Obs:
        shape = d.get("shape")
        return Obs(
            None if shape is None else tuple(shape),
            d.get("dtype"),
            int(d.get("count", 1)),
            tuple(d.get("names", ())),
        )


def join_dims(a: Dims, b: Dims) -> Dims:
    if a is None or b is None or len(a) != len(b):
        return None
    return tuple(x if x == y else None for x, y in zip(a, b))


def join_obs(a: Obs | None, b: Obs) -> Obs:
    if a is None:
        return b
    names = tuple(dict.fromkeys(a.names + b.names))
    return Obs(
        join_dims(a.shape, b.shape),
        a.dtype if a.dtype == b.dtype else None,
        a.count + b.count,
        names,
    )


# ----------------------------------------------------------------------------------------------
# the real side (runs in a worker process that imports TensorFlow)


def content_key(path: Path) -> str:
    """Cache key: the script's bytes, the recorder version and the installed TF/Keras versions."""
    from importlib import metadata

    versions = []
    for dist in ("tensorflow", "tensorflow-cpu", "keras", "numpy"):
        try:
            versions.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            pass
    h = hashlib.sha256()
    h.update(RECORDER_VERSION.encode())
    h.update(";".join(versions).encode())
    h.update(path.read_bytes())
    return h.hexdigest()[:32]


def cache_path(path: Path) -> Path:
    return CACHE_DIR / f"{path.stem}-{content_key(path)}.json"


RECORDS = tf_records.Records(tf_records.CORPUS_RECORDS)
# What a record keeps of a worker's result (not its timing, which differs on every run).
RECORDED_FIELDS = ("ok", "error", "error_line", "layers", "globals", "models", "hook_errors")


def record_key(path: Path) -> str:
    return tf_records.record_key("corpus", RECORDER_VERSION, path.read_bytes())


def as_record(path: Path, result: dict[str, Any]) -> dict[str, Any]:
    """The committed form of one script's observations."""
    return {"key": record_key(path), "script": path.name, **{k: result.get(k) for k in RECORDED_FIELDS}}


def recorded(path: Path) -> dict[str, Any] | None:
    """The committed observations of exactly this text of the script, if there are any."""
    entry = RECORDS.get(record_key(path))
    if entry is None:
        return None
    return {"script": path.name, "seconds": 0.0, "recorded": True, **{k: entry.get(k) for k in RECORDED_FIELDS}}


def record_mismatch(record: dict[str, Any], live: dict[str, Any]) -> list[str]:
    """What the oracle judges by that a committed record and a live TF run of the same script
    disagree on (empty: they agree): whether it ran, and each shape, dtype and parameter count."""

    def judged(result: dict[str, Any]) -> dict[str, Any]:
        def shapes(observed: dict[str, Any] | None) -> dict[str, Any]:
            return {k: (v.get("shape"), v.get("dtype")) for k, v in (observed or {}).items()}

        return {
            "ok": bool(result.get("ok")),
            "layers": shapes(result.get("layers")),
            "globals": shapes(result.get("globals")),
            "models": result.get("models") or {},
        }

    a, b = judged(record), judged(live)
    diffs = [k for k in a if a[k] != b[k]]
    for kind in ("layers", "globals"):
        if kind in diffs:
            keys = sorted(set(a[kind]) | set(b[kind]))
            shown = [f"{k}: {a[kind].get(k)} -> {b[kind].get(k)}" for k in keys if a[kind].get(k) != b[kind].get(k)]
            diffs[diffs.index(kind)] = f"{kind} ({'; '.join(shown[:5])})"
    return diffs


class _Recorder:
    """Per-script state of the hooks (installed once per worker)."""

    def __init__(self) -> None:
        self.script: str | None = None
        self.direct: dict[int, Obs] = {}
        self.internal: dict[int, dict[int, Obs]] = {}  # id(layer) -> line -> obs
        self.directly_called: set[int] = set()
        self.ctor_line: dict[int, int | None] = {}
        self.keep: list[Any] = []  # keeps layers alive so that ids stay unique
        self.positions: dict[Any, list[Any]] = {}
        self.hook_errors: list[str] = []
        self.layer_cls: Any = None
        self.model_cls: Any = None

    def reset(self, script: str | None) -> None:
        self.script = script
        self.direct = {}
        self.internal = {}
        self.directly_called = set()
        self.ctor_line = {}
        self.keep = []
        self.positions = {}
        self.hook_errors = []

    # -- helpers

    def line_of(self, frame: Any) -> int:
        code = frame.f_code
        pos = self.positions.get(code)
        if pos is None:
            # co_positions (3.11+): the start line of the call expression being executed.
            pos = list(code.co_positions()) if hasattr(code, "co_positions") else []
            self.positions[code] = pos
        i = frame.f_lasti // 2
        if 0 <= i < len(pos) and pos[i][0] is not None:
            return int(pos[i][0])
        return int(frame.f_lineno)

    @staticmethod
    def _skip_own(frame: Any, obj: Any, names: tuple[str, ...]) -> Any:
        while frame is not None and frame.f_code.co_name in names and frame.f_locals.get("self") is obj:
            frame = frame.f_back
        return frame

    # -- hooks

    def on_init(self, layer: Any, frame: Any) -> None:
        key = id(layer)
        if key in self.ctor_line:
            return
        self.keep.append(layer)
        frame = self._skip_own(frame, layer, ("__init__", "__new__"))
        line = None
        if frame is not None and frame.f_code.co_filename == self.script:
            line = self.line_of(frame)
        self.ctor_line[key] = line

    def on_call(self, layer: Any, frame: Any, out: Any) -> None:
        obs = _observe_output(out, type(layer).__name__)
        frame = self._skip_own(frame, layer, ("__call__",))
        if frame is None:
            return
        key = id(layer)
        back = frame.f_back
        if _is_functional_helper(frame) and back is not None and back.f_code.co_filename == self.script:
            # layers.concatenate([...]) / layers.add([...]): the helper builds and calls the layer
            # for the script; the output belongs to the helper's call in the script.
            frame = back
        if frame.f_code.co_filename == self.script:
            self.directly_called.add(key)
            self.keep.append(layer)
            if obs is not None:
                line = self.line_of(frame)
                self.direct[line] = join_obs(self.direct.get(line), obs)
            return
        if obs is None or isinstance(layer, self.model_cls):
            return
        ctor = self.ctor_line.get(key)
        if ctor is None:
            return
        parent = None
        f = frame
        for _ in range(80):
            if f is None or f.f_code.co_filename == self.script:
                break
            s = f.f_locals.get("self")
            if s is not None and s is not layer and isinstance(s, self.layer_cls):
                parent = s
                break
            f = f.f_back
        if parent is None or not isinstance(parent, self.model_cls):
            return
        per = self.internal.setdefault(key, {})
        per[ctor] = join_obs(per.get(ctor), obs)

    def layer_lines(self) -> dict[int, Obs]:
        lines = dict(self.direct)
        for key, per in self.internal.items():
            if key in self.directly_called:
                continue
            for line, obs in per.items():
                lines[line] = join_obs(lines.get(line), obs)
        return lines


_MERGE_HELPERS = {"add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"}


def _is_functional_helper(frame: Any) -> bool:
    """A module-level function of keras' merging layers (``keras.layers.concatenate`` ...)."""
    code = frame.f_code
    path = code.co_filename.replace(os.sep, "/")
    return code.co_name in _MERGE_HELPERS and "/keras/src/layers/merging/" in path


def _first_tensor(v: Any, depth: int = 0) -> Any:
    if depth > 6:
        return None
    if isinstance(v, (list, tuple)):
        for item in v:
            t = _first_tensor(item, depth + 1)
            if t is not None:
                return t
        return None
    if isinstance(v, dict):
        for item in v.values():
            t = _first_tensor(item, depth + 1)
            if t is not None:
                return t
        return None
    if hasattr(v, "shape") and hasattr(v, "dtype"):
        return v
    return None


def _dtype_name(v: Any) -> str | None:
    dt = getattr(v, "dtype", None)
    if dt is None:
        return None
    name = getattr(dt, "name", None)
    if isinstance(name, str):
        return name
    s = str(dt)
    return s.replace("tf.", "").replace("<dtype: '", "").replace("'>", "")


def _observe_value(v: Any, name: str = "") -> Obs | None:
    shape = getattr(v, "shape", None)
    if shape is None:
        return None
    try:
        if getattr(shape, "rank", 0) is None:  # tf.TensorShape of unknown rank
            dims: Dims = None
        else:
            dims = tuple(None if d is None else int(d) for d in tuple(shape))
    except (TypeError, ValueError):
        return None
    return Obs(dims, _dtype_name(v), 1, (name,) if name else ())


def _observe_output(out: Any, name: str) -> Obs | None:
    t = _first_tensor(out)
    if t is None:
        return None
    return _observe_value(t, name)


def _install_hooks(rec: _Recorder) -> None:
    from keras.src.layers.layer import Layer
    from keras.src.models.model import Model

    rec.layer_cls, rec.model_cls = Layer, Model
    orig_init = Layer.__init__
    orig_call = Layer.__call__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if rec.script is not None:
            try:
                rec.on_init(self, sys._getframe(1))
            except Exception as err:
                rec.hook_errors.append(f"init: {err!r}")
        orig_init(self, *args, **kwargs)

    def __call__(self: Any, *args: Any, **kwargs: Any) -> Any:
        out = orig_call(self, *args, **kwargs)
        if rec.script is not None:
            try:
                rec.on_call(self, sys._getframe(1), out)
            except Exception as err:
                rec.hook_errors.append(f"call: {err!r}")
        return out

    Layer.__init__ = __init__  # type: ignore[method-assign]
    Layer.__call__ = __call__  # type: ignore[method-assign]

    tf_worker.trace_script_functions_as_python(lambda: rec.script)


def _observe_globals(ns: dict[str, Any]) -> dict[str, Obs]:
    import numpy as np
    import tensorflow as tf
    from keras import KerasTensor

    out: dict[str, Obs] = {}
    for name, v in ns.items():
        if name.startswith("__"):
            continue
        if isinstance(v, (np.ndarray, tf.Tensor, tf.Variable, KerasTensor)):
            obs = _observe_value(v)
            if obs is not None:
                out[name] = obs
    return out


def run_script_real(rec: _Recorder, path: Path) -> dict[str, Any]:
    """Execute one script under the hooks; the JSON record the cache keeps."""
    import contextlib
    import io
    import runpy
    import traceback

    script = str(path.resolve())
    tf_worker.reset_state()
    rec.reset(script)
    result: dict[str, Any] = {"script": path.name, "ok": True, "error": None, "error_line": None}
    t0 = time.perf_counter()
    ns: dict[str, Any] = {}
    sink = io.StringIO()
    old_argv = sys.argv
    sys.argv = [script]
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            ns = runpy.run_path(script, run_name="__main__")
    except SystemExit as err:
        if err.code not in (None, 0):
            result["ok"] = False
            result["error"] = f"SystemExit: {err.code}"
    except BaseException as err:  # any failure is a verdict
        result["ok"] = False
        result["error"] = f"{type(err).__name__}: {str(err)[:500]}"
        for fr in reversed(traceback.extract_tb(err.__traceback__)):
            if fr.filename == script:
                result["error_line"] = fr.lineno
                break
    finally:
        sys.argv = old_argv
        rec.script = None
    result["seconds"] = round(time.perf_counter() - t0, 2)
    result["layers"] = {str(k): v.to_json() for k, v in sorted(rec.layer_lines().items())}
    try:
        result["globals"] = {k: v.to_json() for k, v in sorted(_observe_globals(ns).items())}
    except Exception as err:
        result["globals"] = {}
        rec.hook_errors.append(f"globals: {err!r}")
    try:
        result["models"] = _observe_models(ns)
    except Exception as err:
        result["models"] = {}
        rec.hook_errors.append(f"models: {err!r}")
    result["hook_errors"] = rec.hook_errors[:20]
    return result


def _observe_models(ns: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Parameter counts of every built module-level Keras model."""
    import keras
    import numpy as np

    out: dict[str, dict[str, int]] = {}
    for name, v in ns.items():
        if name.startswith("__") or not isinstance(v, keras.Model) or not v.built:
            continue
        trainable = sum(int(np.prod(w.shape)) for w in v.trainable_weights)
        out[name] = {"params": int(v.count_params()), "trainable": trainable}
    return out


def _worker_main(paths: Sequence[str]) -> int:
    tf_worker.configure_tensorflow()
    rec = _Recorder()
    _install_hooks(rec)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    for p in paths:
        path = Path(p)
        result = run_script_real(rec, path)
        target = cache_path(path)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(result, indent=1))
        tmp.replace(target)
        print(f"{path.name}: {'ok' if result['ok'] else result['error']} ({result['seconds']} s)", flush=True)
    return 0


def prune_cache(paths: Sequence[Path]) -> None:
    """Forget cached observations of older versions of these scripts."""
    import re

    for p in paths:
        keep = cache_path(p).name
        pattern = re.compile(re.escape(p.stem) + r"-[0-9a-f]{32}\.json")
        for old in CACHE_DIR.glob(f"{p.stem}-*.json"):
            if old.name != keep and pattern.fullmatch(old.name):
                old.unlink(missing_ok=True)


SECONDS_PER_SCRIPT_LIMIT = 60  # a worker's deadline allows this much per script it runs
SCRIPTS_PER_WORKER = 40  # then a fresh process: one long-lived TF process grew past 10 GB


def collect_real(
    paths: Sequence[Path],
    jobs: int = 2,
    use_cache: bool = True,
    timeout: float | None = None,
    use_records: bool = True,
) -> dict[Path, dict[str, Any]]:
    """TF observations for each script (from the local cache, else from the committed records,
    else by running workers). ``timeout`` (by default a minute per script a worker runs, at
    least 15 minutes) only stops a worker that hangs: on a busy machine one script can take
    half a minute."""
    results: dict[Path, dict[str, Any]] = {}
    todo: list[Path] = []
    for p in paths:
        cp = cache_path(p)
        if use_cache and cp.is_file():
            try:
                results[p] = json.loads(cp.read_text())
                continue
            except (OSError, json.JSONDecodeError):
                pass
        found = recorded(p) if use_records else None
        if found is not None:
            results[p] = found
            continue
        todo.append(p)
    if todo:
        jobs = max(1, min(jobs, len(todo)))
        # Slowest (by size) first; each worker process runs at most SCRIPTS_PER_WORKER scripts,
        # so the memory TF and Keras keep from one script to the next stays bounded.
        ordered = sorted(todo, key=lambda p: -p.stat().st_size)
        n_chunks = max(jobs, -(-len(ordered) // SCRIPTS_PER_WORKER))
        pending = [ordered[i::n_chunks] for i in range(n_chunks)]
        env = dict(os.environ)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        env["CUDA_VISIBLE_DEVICES"] = ""
        env["PYTHONPATH"] = os.pathsep.join([str(REPO / "server"), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
        logs: list[str] = []
        with tempfile.TemporaryDirectory(prefix="shapelens-corpus-") as tmp:
            # (process, its log file, its deadline); logs go to files so no pipe ever fills
            running: list[tuple[subprocess.Popen[bytes], Path, float]] = []

            def start(chunk: list[Path]) -> None:
                log = Path(tmp) / f"worker-{len(logs) + len(running)}.log"
                cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", *map(str, chunk)]
                with log.open("wb") as sink:
                    proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=sink, stderr=subprocess.STDOUT)
                limit = timeout if timeout is not None else max(900.0, SECONDS_PER_SCRIPT_LIMIT * len(chunk))
                running.append((proc, log, time.monotonic() + limit))

            while pending or running:
                while pending and len(running) < jobs:
                    start(pending.pop(0))
                for entry in list(running):
                    proc, log, deadline = entry
                    if proc.poll() is None and time.monotonic() > deadline:
                        proc.kill()
                    if proc.poll() is not None or time.monotonic() > deadline:
                        proc.wait()
                        running.remove(entry)
                        logs.append(log.read_text(errors="replace"))
                time.sleep(0.2)
        for p in todo:
            cp = cache_path(p)
            if cp.is_file():
                results[p] = json.loads(cp.read_text())
            else:
                results[p] = {
                    "script": p.name,
                    "ok": False,
                    "error": "worker produced no result:\n" + "\n".join(log[-2000:] for log in logs),
                    "layers": {},
                    "globals": {},
                }
        prune_cache(todo)
    return results


# ----------------------------------------------------------------------------------------------
# the engine side


@dataclass
class EngineView:
    layers: dict[int, Obs]
    globals: dict[str, Obs]
    errors: list[str]
    warnings: int
    crashed: str | None = None
    # (total, trainable) parameter counts of module-level models, None where not known
    models: dict[str, tuple[int, int] | None] = field(default_factory=dict)


def _engine_dims(shape: Any) -> Dims:
    dims = getattr(shape, "dims", None)
    return None if dims is None else tuple(dims)


def last_module_bindings(path: Path) -> dict[str, tuple[int, int]]:
    """Where each module-level name is bound last in the source (line, column of the target).

    Only module scope (not inside functions or classes); assignments, annotated/augmented
    assignments, ``for`` targets and ``with ... as`` names, unpacking included."""
    import ast

    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, OSError, UnicodeDecodeError):
        return {}
    found: dict[str, tuple[int, int]] = {}

    def targets(node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            pos = (node.lineno, node.col_offset)
            if pos >= found.get(node.id, (0, 0)):
                found[node.id] = pos
        elif isinstance(node, (ast.Tuple, ast.List)):
            for elt in node.elts:
                targets(elt)
        elif isinstance(node, ast.Starred):
            targets(node.value)

    def visit(stmts: list[ast.stmt]) -> None:
        for st in stmts:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            if isinstance(st, ast.Assign):
                for t in st.targets:
                    targets(t)
            elif isinstance(st, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
                targets(st.target)
            elif isinstance(st, (ast.With, ast.AsyncWith)):
                for item in st.items:
                    if item.optional_vars is not None:
                        targets(item.optional_vars)
            for attr in ("body", "orelse", "finalbody"):
                visit(getattr(st, attr, []) or [])
            for h in getattr(st, "handlers", []) or []:
                visit(h.body)

    visit(tree.body)
    return found


def run_engine(path: Path) -> EngineView:
    from shapelens.core.analysis import analyze_file

    try:
        analysis = analyze_file(path)
    except Exception as err:
        return EngineView({}, {}, [f"engine crashed: {type(err).__name__}: {err}"], 0, repr(err))
    layers: dict[int, Obs] = {}
    assigns: dict[tuple[int, int, str], Obs] = {}
    model_facts: dict[tuple[int, int, str], tuple[int, int] | None] = {}
    for f in sorted(analysis.facts, key=lambda f: f.span):
        if f.kind == "model":
            t = f.model_table()
            known = t is not None and t.total is not None and t.trainable is not None
            model_facts[(f.span.line, f.span.column, f.name)] = (t.total, t.trainable) if known else None  # type: ignore[union-attr]
            continue
        obs = Obs(_engine_dims(f.shape), f.dtype, 1, (f.name,))
        if f.kind == "layer":
            layers[f.span.line] = join_obs(layers.get(f.span.line), obs)
        elif f.kind == "assign":
            assigns[(f.span.line, f.span.column, f.name)] = obs
    glob: dict[str, Obs] = {}
    models: dict[str, tuple[int, int] | None] = {}
    for name, (line, col) in last_module_bindings(path).items():
        found = assigns.get((line, col, name))
        if found is not None:
            glob[name] = found
        if (line, col, name) in model_facts:
            models[name] = model_facts[(line, col, name)]
    errors = [f"{i.span.line}: [{i.code}] {i.message}" for i in analysis.issues if i.severity == "error"]
    warnings = sum(1 for i in analysis.issues if i.severity == "warning")
    return EngineView(layers, glob, errors, warnings, models=models)


# ----------------------------------------------------------------------------------------------
# comparison


def verdict(engine: Obs | None, real: Obs) -> str:
    """exact | covered | wrong | unknown | ambiguous (see the module docstring)."""
    if real.shape is None:
        # Outputs of different ranks at one line (e.g. a one-line Sequential): nothing to compare.
        return "ambiguous"
    if engine is None or engine.shape is None:
        return "unknown"
    e, r = engine.shape, real.shape
    if len(e) != len(r):
        return "wrong"
    for ed, rd in zip(e, r):
        if isinstance(ed, int) and not isinstance(ed, bool) and ed != rd:
            return "wrong"
    norm = tuple(d if isinstance(d, int) else None for d in e)
    return "exact" if norm == r else "covered"


@dataclass
class LineResult:
    line: int
    real: Obs
    engine: Obs | None
    verdict: str
    dtype_mismatch: bool = False


@dataclass
class ScriptReport:
    name: str
    ran: bool
    error: str | None
    lines: list[LineResult] = field(default_factory=list)
    engine_errors: list[str] = field(default_factory=list)
    engine_warnings: int = 0
    engine_only: list[int] = field(default_factory=list)  # engine layer facts TF never saw
    globals: list[tuple[str, Obs, Obs | None, str]] = field(default_factory=list)
    seconds: float = 0.0
    hook_errors: list[str] = field(default_factory=list)
    # per module-level model: (name, real (total, trainable), engine's or None)
    models: list[tuple[str, tuple[int, int], tuple[int, int] | None]] = field(default_factory=list)

    def count(self, v: str) -> int:
        if v == "covered":
            return sum(1 for r in self.lines if r.verdict in ("exact", "covered"))
        return sum(1 for r in self.lines if r.verdict == v)

    @property
    def observed(self) -> int:
        return sum(1 for r in self.lines if r.verdict != "ambiguous")

    @property
    def dtype_mismatches(self) -> int:
        return sum(1 for r in self.lines if r.dtype_mismatch)


def compare_script(path: Path, real: dict[str, Any]) -> ScriptReport:
    eng = run_engine(path)
    rep = ScriptReport(
        path.name,
        bool(real.get("ok")),
        real.get("error"),
        engine_errors=eng.errors,
        engine_warnings=eng.warnings,
        seconds=float(real.get("seconds", 0.0)),
        hook_errors=list(real.get("hook_errors", [])),
    )
    real_lines = {int(k): Obs.from_json(v) for k, v in real.get("layers", {}).items()}
    for line, robs in sorted(real_lines.items()):
        eobs = eng.layers.get(line)
        v = verdict(eobs, robs)
        dm = bool(
            eobs is not None
            and eobs.dtype is not None
            and robs.dtype is not None
            and eobs.dtype != robs.dtype
        )
        rep.lines.append(LineResult(line, robs, eobs, v, dm))
    rep.engine_only = sorted(set(eng.layers) - set(real_lines))
    for name, gj in sorted(real.get("globals", {}).items()):
        robs = Obs.from_json(gj)
        eobs = eng.globals.get(name)
        rep.globals.append((name, robs, eobs, verdict(eobs, robs)))
    for name, counts in sorted(real.get("models", {}).items()):
        rep.models.append((name, (counts["params"], counts["trainable"]), eng.models.get(name)))
    return rep


def corpus_scripts(directory: Path = CORPUS_DIR) -> list[Path]:
    return sorted(p for p in directory.glob("*.py") if not p.name.startswith("_"))


def run_oracle(
    paths: Iterable[Path] | None = None, jobs: int = 2, use_cache: bool = True
) -> list[ScriptReport]:
    scripts = list(paths) if paths is not None else corpus_scripts()
    real = collect_real(scripts, jobs=jobs, use_cache=use_cache, use_records=use_cache)
    return [compare_script(p, real[p]) for p in scripts]


# ----------------------------------------------------------------------------------------------
# reporting


@dataclass
class Totals:
    scripts: int
    ran: int
    observed: int
    exact: int
    covered: int
    wrong: int
    unknown: int
    engine_errors: int
    dtype_mismatches: int
    globals_observed: int
    globals_exact: int
    globals_wrong: int

    def pct(self, n: int, of: int | None = None) -> float:
        d = self.observed if of is None else of
        return 100.0 * n / d if d else 100.0

    @property
    def exact_pct(self) -> float:
        return self.pct(self.exact)

    @property
    def covered_pct(self) -> float:
        return self.pct(self.covered)

    @property
    def wrong_pct(self) -> float:
        return self.pct(self.wrong)


def totals(reports: Sequence[ScriptReport]) -> Totals:
    g = [x for r in reports for x in r.globals]
    return Totals(
        scripts=len(reports),
        ran=sum(1 for r in reports if r.ran),
        observed=sum(r.observed for r in reports),
        exact=sum(r.count("exact") for r in reports),
        covered=sum(r.count("covered") for r in reports),
        wrong=sum(r.count("wrong") for r in reports),
        unknown=sum(r.count("unknown") for r in reports),
        engine_errors=sum(len(r.engine_errors) for r in reports),
        dtype_mismatches=sum(r.dtype_mismatches for r in reports),
        globals_observed=len(g),
        globals_exact=sum(1 for x in g if x[3] == "exact"),
        globals_wrong=sum(1 for x in g if x[3] == "wrong"),
    )


def _fmt_dims(o: Obs | None) -> str:
    if o is None:
        return "-"
    if o.shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in o.shape) + ")"


def format_table(reports: Sequence[ScriptReport]) -> str:
    head = f"{'script':<34} {'run':>4} {'obs':>4} {'exact':>5} {'cov':>4} {'wrong':>5} {'unk':>4} {'err':>4} {'exact%':>7}"
    rows = [head, "-" * len(head)]
    for r in reports:
        pct = 100.0 * r.count("exact") / r.observed if r.observed else 100.0
        rows.append(
            f"{r.name:<34} {'ok' if r.ran else 'FAIL':>4} {r.observed:>4} {r.count('exact'):>5} "
            f"{r.count('covered'):>4} {r.count('wrong'):>5} {r.count('unknown'):>4} "
            f"{len(r.engine_errors):>4} {pct:>6.1f}%"
        )
    t = totals(reports)
    rows.append("-" * len(head))
    rows.append(
        f"{'TOTAL (' + str(t.scripts) + ' scripts)':<34} {t.ran:>4} {t.observed:>4} {t.exact:>5} "
        f"{t.covered:>4} {t.wrong:>5} {t.unknown:>4} {t.engine_errors:>4} {t.exact_pct:>6.1f}%"
    )
    return "\n".join(rows)


def format_summary(reports: Sequence[ScriptReport]) -> str:
    t = totals(reports)
    gpct = 100.0 * t.globals_exact / t.globals_observed if t.globals_observed else 100.0
    return (
        f"layer outputs observed by TF: {t.observed} in {t.ran}/{t.scripts} scripts\n"
        f"exact:   {t.exact:>5}  {t.exact_pct:6.1f}%\n"
        f"covered: {t.covered:>5}  {t.covered_pct:6.1f}%  (right rank, every claimed dim right)\n"
        f"wrong:   {t.wrong:>5}  {t.wrong_pct:6.1f}%\n"
        f"unknown: {t.unknown:>5}  {t.pct(t.unknown):6.1f}%\n"
        f"dtype mismatches: {t.dtype_mismatches}\n"
        f"engine error diagnostics (false alarms): {t.engine_errors}\n"
        f"module-level arrays/tensors: {t.globals_observed} observed, {t.globals_exact} exact "
        f"({gpct:.1f}%), {t.globals_wrong} wrong\n"
        + format_model_counts(reports)
    )


def model_count_verdicts(reports: Sequence[ScriptReport]) -> dict[str, list[str]]:
    """Module-level models by verdict on their parameter counts: exact, wrong, unknown."""
    out: dict[str, list[str]] = {"exact": [], "wrong": [], "unknown": []}
    for r in reports:
        for name, real, engine in r.models:
            where = f"{r.name}:{name}"
            if engine is None:
                out["unknown"].append(where)
            elif engine == real:
                out["exact"].append(where)
            else:
                out["wrong"].append(f"{where} engine {engine} vs TF {real} (total, trainable)")
    return out


def format_model_counts(reports: Sequence[ScriptReport]) -> str:
    v = model_count_verdicts(reports)
    n = sum(len(x) for x in v.values())
    pct = 100.0 * len(v["exact"]) / n if n else 100.0
    return (
        f"model parameter counts: {n} built models, {len(v['exact'])} exact ({pct:.1f}%), "
        f"{len(v['wrong'])} wrong, {len(v['unknown'])} unknown"
    )


def format_details(
    reports: Sequence[ScriptReport], show: Iterable[str] = ("wrong", "unknown", "covered")
) -> str:
    show = set(show)
    out: list[str] = []
    for r in reports:
        items = []
        if not r.ran:
            items.append(f"  TF FAILED: {r.error}")
        for e in r.engine_errors:
            items.append(f"  engine error: {e}")
        for h in r.hook_errors:
            items.append(f"  hook error: {h}")
        for lr in r.lines:
            if lr.verdict in show or lr.dtype_mismatch:
                names = ",".join(lr.real.names)
                dt = ""
                if lr.dtype_mismatch and lr.engine is not None:
                    dt = f"  dtype engine {lr.engine.dtype} vs real {lr.real.dtype}"
                items.append(
                    f"  {lr.verdict:<8} line {lr.line:>4} {names:<28} real {_fmt_dims(lr.real):<24} "
                    f"engine {_fmt_dims(lr.engine)}{dt}"
                )
        if "globals" in show:
            for name, robs, eobs, v in r.globals:
                if v != "exact":
                    items.append(
                        f"  global {v:<8} {name:<20} real {_fmt_dims(robs):<24} engine {_fmt_dims(eobs)}"
                    )
        if items:
            out.append(f"{r.name}:")
            out.extend(items)
    return "\n".join(out)


def format_misses(reports: Sequence[ScriptReport], examples: int = 4) -> str:
    """Non-exact lines grouped by verdict and by the layer class(es) TF saw there."""
    groups: dict[tuple[str, str], list[str]] = {}
    for r in reports:
        for lr in r.lines:
            if lr.verdict in ("exact", "ambiguous"):
                continue
            v = "inexact" if lr.verdict == "covered" else lr.verdict
            key = (v, ",".join(lr.real.names) or "?")
            groups.setdefault(key, []).append(f"{r.name}:{lr.line}")
    order = {"wrong": 0, "unknown": 1, "inexact": 2}
    out = []
    for (v, names), where in sorted(groups.items(), key=lambda kv: (order[kv[0][0]], -len(kv[1]), kv[0][1])):
        more = f" (+{len(where) - examples} more)" if len(where) > examples else ""
        out.append(f"{v:<8} {len(where):>3}  {names:<32} {', '.join(where[:examples])}{more}")
    return "\n".join(out)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        sys.exit(_worker_main(sys.argv[2:]))
    sys.path.insert(0, str(REPO / "server"))
    reps = run_oracle()
    print(format_table(reps))
    print()
    print(format_summary(reps))
