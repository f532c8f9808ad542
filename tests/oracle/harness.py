"""Differential testing against real TensorFlow/Keras/numpy.

A test writes a small program (snippet) that binds names; `run_real` executes it under real TF
and reads each name's shape/dtype (or the exception it raised); `run_engine` runs the static
engine on the same text. `compare` applies the project's contract:

- where the engine gives a dim, it must equal the real one; a fully known engine shape must
  equal the real shape exactly, and a known engine dtype must equal the real dtype;
- where TF raised, the engine must not claim a shape for that name;
- an *error* diagnostic from the engine is allowed only when TF really raised.
"""

from __future__ import annotations

import os
import sys
import tempfile
import textwrap
import traceback
import types
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

from shapelens.core.analysis import analyze_source

PREAMBLE = """\
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops
"""


@dataclass
class Observed:
    shape: tuple[Any, ...] | None
    dtype: str | None


@dataclass
class RealResult:
    values: dict[str, Observed] = field(default_factory=dict)
    error: BaseException | None = None
    error_line: int | None = None


def _dtype_name(v: Any) -> str | None:
    dt = getattr(v, "dtype", None)
    if dt is None:
        return None
    name = getattr(dt, "name", None)
    if isinstance(name, str):
        # numpy's unicode/bytes arrays (str96, bytes8...) are what the engine calls "string"
        if name == "string" or (getattr(dt, "kind", None) in ("U", "S") and name.startswith(("str", "bytes"))):
            return "string"
        return name
    s = str(dt)
    return s.replace("tf.", "").replace("<dtype: '", "").replace("'>", "")


def observe(v: Any) -> Observed | None:
    """Shape/dtype of a real value, or None when it is not tensor-like."""
    shape = getattr(v, "shape", None)
    if shape is None:
        return None
    try:
        dims = tuple(None if d is None else int(d) for d in tuple(shape))
    except (TypeError, ValueError):
        return None
    return Observed(dims, _dtype_name(v))


def run_real(source: str, names: list[str] | None = None) -> RealResult:
    """Execute ``PREAMBLE + source`` and observe every tensor-valued global (or ``names``)."""
    code = PREAMBLE + textwrap.dedent(source)
    # a real module, so that code looking itself up in sys.modules (dataclasses) works
    module = types.ModuleType("__snippet__")
    sys.modules["__snippet__"] = module
    ns: dict[str, Any] = module.__dict__
    result = RealResult()
    # run as a script would be: its own file, and no command-line arguments (pytest's are not
    # the snippet's)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "snippet.py")
        with open(path, "w") as f:
            f.write(code)
        ns["__file__"] = path
        saved_argv = sys.argv
        sys.argv = [path]
        try:
            _exec_snippet(code, ns, result)
        finally:
            sys.argv = saved_argv
    for name, v in ns.items():
        if names is not None and name not in names:
            continue
        obs = observe(v)
        if obs is not None:
            result.values[name] = obs
    return result


def _exec_snippet(code: str, ns: dict[str, Any], result: RealResult) -> None:
    try:
        exec(compile(code, "<snippet>", "exec"), ns)
    except BaseException as err:
        result.error = err
        for frame in reversed(traceback.extract_tb(err.__traceback__)):
            if frame.filename == "<snippet>":
                result.error_line = (frame.lineno or 0) - PREAMBLE.count("\n")
                break


@dataclass
class EngineResult:
    values: dict[str, Observed]
    errors: list[str]
    error_lines: list[int]


def run_engine(source: str) -> EngineResult:
    """Analyse ``PREAMBLE + source``; the last assignment fact of each top-level name wins."""
    text = PREAMBLE + textwrap.dedent(source)
    offset = PREAMBLE.count("\n")
    analysis = analyze_source(text)
    top_level = _top_level_targets(text)
    values: dict[str, Observed] = {}
    for f in sorted(analysis.facts, key=lambda f: f.span):
        if f.kind != "assign" or (f.span.line, f.span.column) not in top_level:
            continue
        dims = None if f.shape.dims is None else tuple(f.shape.dims)
        values[f.name] = Observed(dims, f.dtype)
    errors = [i.message for i in analysis.issues if i.severity == "error"]
    lines = [i.span.line - offset for i in analysis.issues if i.severity == "error"]
    return EngineResult(values, errors, lines)


def _top_level_targets(text: str) -> set[tuple[int, int]]:
    """Positions of names bound by module-level statements (not inside functions/classes)."""
    import ast

    try:
        tree = ast.parse(text)
    except SyntaxError:
        return set()
    out: set[tuple[int, int]] = set()

    def visit(stmts: list[ast.stmt]) -> None:
        for st in stmts:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            for node in ast.walk(st):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    out.add((node.lineno, node.col_offset))

    visit(tree.body)
    return out


def dims_agree(engine: tuple[Any, ...] | None, real: tuple[Any, ...] | None) -> bool:
    if engine is None:
        return True
    if real is None:
        return False
    if len(engine) != len(real):
        return False
    return all(not isinstance(e, int) or e == r for e, r in zip(engine, real, strict=True))


def fully_known(dims: tuple[Any, ...] | None) -> bool:
    return dims is not None and all(isinstance(d, int) for d in dims)


@dataclass
class Verdict:
    ok: bool
    exact: bool
    detail: str


def compare(source: str, names: list[str], real: RealResult | None = None) -> Verdict:
    """Compare engine and TF on ``names`` in ``source`` under the contract above."""
    real = real or run_real(source, names)
    engine = run_engine(source)
    problems: list[str] = []
    exact = True
    if engine.errors and real.error is None:
        problems.append(f"false alarm: engine reported {engine.errors} but TF ran fine")
    for name in names:
        e = engine.values.get(name)
        r = real.values.get(name)
        if r is None:
            if (
                real.error is not None
                and e is not None
                and fully_known(e.shape)
                and not engine.errors
            ):
                problems.append(
                    f"{name}: TF raised {type(real.error).__name__}: {str(real.error)[:200]} "
                    f"but engine claims {e.shape} and reports no error"
                )
            continue
        if e is None or e.shape is None:
            exact = False
            continue
        if not dims_agree(e.shape, r.shape):
            problems.append(f"{name}: engine {e.shape} {e.dtype} vs real {r.shape} {r.dtype}")
            continue
        if e.dtype is not None and r.dtype is not None and e.dtype != r.dtype:
            problems.append(f"{name}: dtype engine {e.dtype} vs real {r.dtype} (shape {r.shape})")
            continue
        if tuple(e.shape) != tuple(r.shape) or e.dtype is None:
            exact = False
    return Verdict(not problems, exact and not problems, "; ".join(problems))


def assert_agrees(
    source: str, names: list[str], require_exact: bool = True, tf_raises: bool = False
) -> Verdict:
    """Assert agreement; with ``require_exact`` also that the engine knew every name exactly.
    TF must bind every name to a tensor, or, with ``tf_raises`` (a mistake the engine should
    flag), must raise: a snippet TF stops early would otherwise compare nothing past that line."""
    real = run_real(source, names)
    snippet = f"--- snippet ---\n{textwrap.dedent(source)}"
    if tf_raises:
        assert real.error is not None, f"TF ran the snippet without raising\n{snippet}"
    else:
        missing = [n for n in names if n not in real.values]
        raised = (
            f"TF raised {type(real.error).__name__} at snippet line {real.error_line}: "
            f"{str(real.error)[:300]}"
            if real.error is not None
            else "TF ran to the end"
        )
        assert not missing, f"TF observed no tensor for {missing} ({raised})\n{snippet}"
    v = compare(source, names, real)
    assert v.ok, f"{v.detail}\n--- snippet ---\n{textwrap.dedent(source)}"
    if require_exact:
        assert v.exact, f"engine not exact for {names}\n--- snippet ---\n{textwrap.dedent(source)}\n{run_engine(source).values}"
    return v


def assert_agrees_or_flagged(source: str, names: list[str]) -> Verdict:
    """For generated cases some of which TF rejects: where TF raises, the engine must report an
    error too (and claim no shape TF contradicts); where TF runs, it must agree exactly."""
    real = run_real(source, names)
    if real.error is None:
        return assert_agrees(source, names)
    v = compare(source, names, real)
    assert v.ok, f"{v.detail}\n--- snippet ---\n{textwrap.dedent(source)}"
    assert run_engine(source).errors, (
        f"TF raised {type(real.error).__name__}: {str(real.error)[:300]}\nbut the engine reported "
        f"nothing\n--- snippet ---\n{textwrap.dedent(source)}"
    )
    return v
