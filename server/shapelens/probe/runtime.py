"""Runs INSIDE the user's kernel: instruments a probed cell and records what its values really are.

Standard library only. TensorFlow, Keras, numpy, torch and jax are inspected only when the user's
own code has imported them (looked up in ``sys.modules``, never imported here). The probe host
executes this file's source in the kernel once; instrumented cells reach it through the builtin
name ``__shapelens_probe__``, so nothing is added to the user's namespace.

Protocol with the host: ``begin(...)`` before the cell runs, the cell itself through IPython's
``run_cell`` (so magics, display and stdout behave as in Jupyter), then ``end()`` returns the
observations as JSON text on a side channel (an ``user_expressions`` entry), never on stdout.
"""

from __future__ import annotations

import ast
import builtins
import copy
import json
import sys
from typing import Any

PROBE_NAME = "__shapelens_probe__"
MAX_VARIANTS = 5  # distinct descriptions kept per site
DESCRIBE_EVERY = 4  # the first runs of a site are described, later ones at powers of two only
NONFINITE_LIMIT = 4_000_000  # elements scanned for NaN/Inf per array
MAX_ITEMS = 8  # entries described per list/tuple/dict
MAX_ERROR_VALUES = 8
USER_MODULES = ("tensorflow", "keras", "numpy", "torch", "jax", "jaxlib")


class _State:
    def __init__(self) -> None:
        self.active = False
        self.path = ""
        self.first_line = 1
        self.lines: list[str] = []
        self.roots: list[str] = []
        self.sites: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.models: dict[tuple[Any, ...], Any] = {}
        self.error: BaseException | None = None
        self.hooked: list[tuple[Any, str, Any]] = []
        # every code file a probe compiled -> the document it came from (kept across runs, so a
        # function defined by an earlier probe still maps to its document)
        self.files: dict[str, str] = {}
        self.positions: dict[Any, list[Any]] = {}


_state = _State()


# ----------------------------------------------------------------------------------------------
# the cell's rewrite


class _Instrument(ast.NodeTransformer):
    """Adds observation calls after assignments, around expression statements and at the top of
    loop bodies, at the cell's top level and inside its control flow (never inside function or
    class bodies, which TensorFlow may trace or AutoGraph may convert)."""

    def __init__(self, first_line: int) -> None:
        self.first_line = first_line

    def visit_Module(self, node: ast.Module) -> ast.Module:
        if not _state.active:
            return node
        try:
            return self._instrument(copy.deepcopy(node))
        except Exception:  # IPython drops a transformer that raises; run the cell as written
            if self.first_line > 1:
                ast.increment_lineno(node, self.first_line - 1)
            return node

    def _instrument(self, node: ast.Module) -> ast.Module:
        if self.first_line > 1:
            ast.increment_lineno(node, self.first_line - 1)
        body = self._body(node.body)
        at = 0
        while at < len(body) and _is_preamble(body[at]):
            at += 1
        body.insert(at, _located(_probe_call("mark", []), body[at] if at < len(body) else None))
        node.body = body
        return ast.fix_missing_locations(node)

    def _body(self, stmts: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in stmts:
            out.extend(self._stmt(stmt))
        return out

    def _stmt(self, stmt: ast.stmt) -> list[ast.stmt]:
        if isinstance(stmt, ast.Expr):
            if not isinstance(stmt.value, (ast.Constant, ast.Await, ast.Yield, ast.YieldFrom)) and not _is_magic(stmt.value):
                stmt.value = ast.copy_location(
                    _probe_call("value", [*_where(stmt.value), "expr", stmt.value]), stmt.value
                )
            return [stmt]
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets: list[ast.expr] = list(stmt.targets) if isinstance(stmt, ast.Assign) else [stmt.target]
            if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
                return [stmt]
            return [stmt, *_observe_targets(targets, "assign", stmt)]
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            return [stmt, _located(_probe_call("imported", []), stmt)]
        if isinstance(stmt, (ast.For, ast.AsyncFor)):
            stmt.body = _observe_targets([stmt.target], "loop", stmt) + self._body(stmt.body)
            stmt.orelse = self._body(stmt.orelse)
            return [stmt]
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            named = [item.optional_vars for item in stmt.items if item.optional_vars is not None]
            stmt.body = _observe_targets(named, "assign", stmt) + self._body(stmt.body)
            return [stmt]
        if isinstance(stmt, (ast.While, ast.If)):
            stmt.body = self._body(stmt.body)
            stmt.orelse = self._body(stmt.orelse)
            return [stmt]
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            t: Any = stmt
            t.body = self._body(t.body)
            for handler in t.handlers:
                handler.body = self._body(handler.body)
            t.orelse = self._body(t.orelse)
            t.finalbody = self._body(t.finalbody)
            return [stmt]
        return [stmt]


def _is_magic(node: ast.expr) -> bool:
    """``get_ipython().run_line_magic(...)``: what IPython makes of ``%time x = ...`` lines."""
    func = node.func if isinstance(node, ast.Call) else None
    inner = func.value if isinstance(func, ast.Attribute) else None
    return isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id == "get_ipython"


def _is_preamble(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
        return True
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _probe_call(method: str, args: list[Any]) -> ast.Call:
    return ast.Call(
        func=ast.Attribute(value=ast.Name(id=PROBE_NAME, ctx=ast.Load()), attr=method, ctx=ast.Load()),
        args=[a if isinstance(a, ast.expr) else ast.Constant(value=a) for a in args],
        keywords=[],
    )


def _located(call: ast.Call, like: ast.AST | None) -> ast.stmt:
    """An added statement, placed at column 0 of the last line of ``like``."""
    stmt = ast.Expr(value=call)
    line: Any = (getattr(like, "end_lineno", None) or getattr(like, "lineno", 1)) if like is not None else 1
    for node in ast.walk(stmt):
        if isinstance(node, (ast.expr, ast.stmt)):
            node.lineno = node.end_lineno = line
            node.col_offset = node.end_col_offset = 0
    return stmt


def _where(node: ast.AST) -> list[Any]:
    return [
        node.lineno,  # type: ignore[attr-defined]
        node.col_offset,  # type: ignore[attr-defined]
        node.end_lineno,  # type: ignore[attr-defined]
        node.end_col_offset,  # type: ignore[attr-defined]
        _text(node),
    ]


def _text(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:
        return "?"


def _observable(target: ast.expr) -> list[ast.expr]:
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, ast.Attribute) and _is_name_chain(target):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _observable(elt)]
    if isinstance(target, ast.Starred):
        return _observable(target.value)
    return []


def _is_name_chain(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _load(node: ast.expr) -> ast.expr:
    if isinstance(node, ast.Name):
        return ast.Name(id=node.id, ctx=ast.Load())
    if isinstance(node, ast.Attribute):
        return ast.Attribute(value=_load(node.value), attr=node.attr, ctx=ast.Load())
    raise TypeError(type(node).__name__)


def _observe_targets(targets: list[ast.expr], kind: str, stmt: ast.stmt) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for target in targets:
        for node in _observable(target):
            call = _probe_call("value", [*_where(node), kind, _load(node)])
            out.append(_located(call, stmt if kind == "assign" else target))
    return out


# ----------------------------------------------------------------------------------------------
# called from instrumented code


def mark() -> None:
    """First statement of every probed cell: remembers the code file IPython compiled it as."""
    frame = sys._getframe(1)
    filename = frame.f_code.co_filename
    _state.files[filename] = _state.path
    try:  # tracebacks printed for the user show the right source lines (they are shifted)
        import linecache

        padded = "\n" * (_state.first_line - 1) + "".join(_state.lines)
        linecache.cache[filename] = (len(padded), None, padded.splitlines(True), filename)
    except Exception:
        pass


def imported() -> None:
    if _state.active and not _state.hooked:
        _install_hooks()


def value(line: int, col: int, end_line: int, end_col: int, text: str, kind: str, val: Any) -> Any:
    """Records ``val`` at its source span; returns it unchanged (expression statements)."""
    if not _state.active:
        return val
    key = (line, col, end_line, end_col, text, kind)
    site = _state.sites.get(key)
    if site is None:
        site = _state.sites[key] = {"hits": 0, "values": []}
    site["hits"] += 1
    if _sampled(site["hits"]):
        try:
            _add_variant(site, describe(val))
            if _is_keras_model(val):
                _state.models[key] = val
        except Exception:
            pass
    return val


def _sampled(hits: int) -> bool:
    """Bounded cost in long loops: runs 1-4, then 8, 16, 32... (a NaN that appears late in
    training is still caught at one of them)."""
    return hits <= DESCRIBE_EVERY or hits & (hits - 1) == 0


def _add_variant(site: dict[str, Any], desc: dict[str, Any] | None) -> None:
    if desc is None:
        return
    values: list[dict[str, Any]] = site["values"]
    if desc not in values and len(values) < MAX_VARIANTS:
        values.append(desc)


# ----------------------------------------------------------------------------------------------
# describing values


def describe(val: Any) -> dict[str, Any] | None:
    """Shape, dtype, device and non-finite count of a tensor-like value; None for anything else."""
    t = type(val)
    module = t.__module__ or ""
    root = module.split(".", 1)[0]
    if _is_ndarray(val):
        return _describe_numpy(val)
    if root in ("tensorflow", "keras"):
        return _describe_tf_or_keras(val, t.__name__)
    if root == "torch":
        return _describe_torch(val)
    if root in ("jax", "jaxlib"):
        return _describe_jax(val)
    if t in (list, tuple):
        items = [describe(v) for v in val[:MAX_ITEMS]]
        if not any(items):
            return None
        out: dict[str, Any] = {"type": t.__name__, "items": items}
        if len(val) > MAX_ITEMS:
            out["length"] = len(val)
        return out
    if t is dict:
        entries = {}
        for k in list(val)[:MAX_ITEMS]:
            entries[str(k)] = describe(val[k])
        if not any(entries.values()):
            return None
        return {"type": "dict", "entries": entries}
    return None


def _is_ndarray(val: Any) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(val, np.ndarray)


def _describe_numpy(val: Any) -> dict[str, Any] | None:
    np = sys.modules.get("numpy")
    if np is None or not isinstance(val, np.ndarray):
        return None
    out: dict[str, Any] = {"type": "np.ndarray", "shape": list(val.shape), "dtype": str(val.dtype), "device": "CPU"}
    data, mask = val, None
    if isinstance(val, np.ma.MaskedArray):
        out["type"] = "np.ma.MaskedArray"
        data, mask = np.ma.getdata(val), np.ma.getmaskarray(val)
        out["masked"] = int(mask.sum()) if mask.size <= NONFINITE_LIMIT else None
    if data.dtype.kind in "fc":
        if data.size <= NONFINITE_LIMIT:
            bad = ~np.isfinite(data)
            if mask is not None:
                bad &= ~mask
            out["nonfinite"] = int(np.count_nonzero(bad))
        else:  # bounded cost: scan a prefix and say how much was scanned
            flat = data.reshape(-1) if data.flags.c_contiguous else data.ravel(order="K")
            out["nonfinite"] = int(np.count_nonzero(~np.isfinite(flat[:NONFINITE_LIMIT])))
            out["scanned"] = NONFINITE_LIMIT
    return out


def _tf_shape(shape: Any) -> list[Any] | None:
    try:
        dims = shape.as_list() if hasattr(shape, "as_list") else list(shape)
    except ValueError:  # unknown rank
        return None
    return [d if d is None else int(d) for d in dims]


def _short_device(device: Any) -> str | None:
    text = str(device or "")
    if not text:
        return None
    marker = "device:"
    return text.rsplit(marker, 1)[-1] if marker in text else text


def _describe_tf_or_keras(val: Any, type_name: str) -> dict[str, Any] | None:
    tf = sys.modules.get("tensorflow")
    if type_name == "KerasTensor":
        return {"type": "KerasTensor", "shape": _tf_shape(val.shape), "dtype": str(val.dtype), "symbolic": True}
    if _is_keras_model(val):
        return {"type": "keras.Model", "name": getattr(val, "name", "")}
    if tf is None:
        if hasattr(val, "shape") and hasattr(val, "dtype") and hasattr(val, "value"):  # keras.Variable
            return {"type": "keras.Variable", "shape": _tf_shape(val.shape), "dtype": str(val.dtype)}
        return None
    if isinstance(val, tf.data.Dataset):
        return {"type": "tf.data.Dataset", "element_spec": _describe_spec(val.element_spec, tf)}
    if isinstance(val, tf.RaggedTensor):
        out = {"type": "tf.RaggedTensor", "shape": _tf_shape(val.shape), "dtype": val.dtype.name}
        _tf_nonfinite(out, val.flat_values, tf)
        return out
    if isinstance(val, tf.SparseTensor):
        out = {"type": "tf.SparseTensor", "shape": _tf_shape(val.shape), "dtype": val.dtype.name}
        _tf_nonfinite(out, val.values, tf)
        return out
    if isinstance(val, (tf.Tensor, tf.Variable)):
        out = {
            "type": "tf.Variable" if isinstance(val, tf.Variable) else "tf.Tensor",
            "shape": _tf_shape(val.shape),
            "dtype": val.dtype.name,
        }
        device = _short_device(getattr(val, "device", None)) if tf.executing_eagerly() else None
        if device:
            out["device"] = device
        if type_name == "EagerTensor" or isinstance(val, tf.Variable):
            _tf_nonfinite(out, val, tf)
        else:
            out["symbolic"] = True
        return out
    keras_var = getattr(sys.modules.get("keras"), "Variable", None)
    if keras_var is not None and isinstance(val, keras_var):
        return _describe_tf_or_keras(val.value, type(val.value).__name__)
    return None


def _describe_spec(spec: Any, tf: Any) -> Any:
    if isinstance(spec, (tuple, list)):
        return {"type": type(spec).__name__, "items": [_describe_spec(s, tf) for s in spec]}
    if isinstance(spec, dict):
        return {"type": "dict", "entries": {str(k): _describe_spec(v, tf) for k, v in spec.items()}}
    shape = getattr(spec, "shape", None)
    dtype = getattr(spec, "dtype", None)
    return {
        "type": type(spec).__name__,
        "shape": _tf_shape(shape) if shape is not None else None,
        "dtype": getattr(dtype, "name", str(dtype)),
    }


def _tf_nonfinite(out: dict[str, Any], val: Any, tf: Any) -> None:
    if not tf.executing_eagerly() or not (val.dtype.is_floating or val.dtype.is_complex):
        return
    flat = tf.reshape(val, [-1])
    size = int(flat.shape[0]) if flat.shape[0] is not None else 0
    if size > NONFINITE_LIMIT:
        flat = flat[:NONFINITE_LIMIT]
        out["scanned"] = NONFINITE_LIMIT
    if val.dtype.is_complex:
        flat = tf.abs(flat)
    out["nonfinite"] = int(tf.math.count_nonzero(~tf.math.is_finite(flat)))


def _describe_torch(val: Any) -> dict[str, Any] | None:
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(val, torch.Tensor):
        return None
    out: dict[str, Any] = {
        "type": "torch.Tensor",
        "shape": list(val.shape),
        "dtype": str(val.dtype).replace("torch.", ""),
        "device": str(val.device),
    }
    if val.is_floating_point() or val.is_complex():
        flat = val.detach().reshape(-1)[:NONFINITE_LIMIT]
        out["nonfinite"] = int((~torch.isfinite(flat)).sum().item())
    return out


def _describe_jax(val: Any) -> dict[str, Any] | None:
    if not (hasattr(val, "shape") and hasattr(val, "dtype")):
        return None
    out: dict[str, Any] = {"type": "jax.Array", "shape": list(val.shape), "dtype": str(val.dtype)}
    try:
        out["device"] = str(next(iter(val.devices())))
        jnp = sys.modules["jax.numpy"]
        if jnp.issubdtype(val.dtype, jnp.inexact):
            out["nonfinite"] = int((~jnp.isfinite(val.reshape(-1)[:NONFINITE_LIMIT])).sum())
    except Exception:
        pass
    return out


# ----------------------------------------------------------------------------------------------
# Keras layer hooks (installed only while a probe runs)


def _keras_layer_class() -> Any:
    for name in ("keras.src.layers.layer", "keras.layers"):
        module = sys.modules.get(name)
        layer = getattr(module, "Layer", None)
        if layer is not None:
            return layer
    return None


def _is_keras_model(val: Any) -> bool:
    keras = sys.modules.get("keras")
    model = getattr(keras, "Model", None) if keras is not None else None
    return model is not None and isinstance(val, model)


def _install_hooks() -> None:
    layer = _keras_layer_class()
    if layer is None or "__call__" not in layer.__dict__:
        return
    original_call = layer.__dict__["__call__"]
    original_new = layer.__dict__.get("__new__")

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True  # IPython leaves this frame out of the user's traceback
        out = original_call(self, *args, **kwargs)
        if _state.active:
            try:
                caller = sys._getframe(1)
                # subclasses that override __call__ and delegate here (preprocessing layers)
                while caller.f_code.co_name == "__call__" and caller.f_back is not None:
                    caller = caller.f_back
                _record_layer(self, out, caller)
            except Exception:
                pass
        return out

    def new(cls: Any, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        obj = original_new(cls, *args, **kwargs)
        if _state.active:
            try:
                site = _user_site(sys._getframe(1))
                if site is not None:
                    object.__setattr__(obj, "_shapelens_site", site)
            except Exception:
                pass
        return obj

    _state.hooked.append((layer, "__call__", original_call))
    layer.__call__ = call
    if isinstance(original_new, staticmethod):
        _state.hooked.append((layer, "__new__", original_new))
        layer.__new__ = staticmethod(new)
        original_new = original_new.__func__


def _remove_hooks() -> None:
    while _state.hooked:
        owner, name, original = _state.hooked.pop()
        setattr(owner, name, original)


def _position(frame: Any) -> tuple[int, int, int, int]:
    return _code_position(frame.f_code, frame.f_lasti, frame.f_lineno)


def _code_position(code: Any, lasti: int, line: int) -> tuple[int, int, int, int]:
    """The source span of the instruction at ``lasti`` (Python 3.11+), else the whole line."""
    try:
        positions = _state.positions.get(code)
        if positions is None:
            positions = _state.positions[code] = list(code.co_positions())
        start, end, col, end_col = positions[lasti // 2]
        if start is not None and col is not None:
            return start, col, end or start, end_col if end_col is not None else col
    except Exception:
        pass
    text = _source_line(line)
    indent = len(text) - len(text.lstrip())
    return line, indent, line, len(text.rstrip())


def _source_line(line: int) -> str:
    index = line - _state.first_line
    return _state.lines[index] if 0 <= index < len(_state.lines) else ""


def _user_site(frame: Any, depth: int = 40) -> tuple[int, int, int, int] | None:
    """The nearest frame in the probed document, walking out from ``frame``."""
    while frame is not None and depth > 0:
        if _state.files.get(frame.f_code.co_filename) == _state.path:
            return _position(frame)
        frame, depth = frame.f_back, depth - 1
    return None


def _record_layer(layer: Any, out: Any, caller: Any) -> None:
    site: Any
    if _state.files.get(caller.f_code.co_filename) == _state.path:
        site = _position(caller)
        object.__setattr__(layer, "_shapelens_called_here", True)
    else:
        # Called by Keras itself (inside Sequential, fit, predict...): shown where the layer was
        # made, unless the user's code calls it directly (its output is shown there) or it is a
        # whole model (its output is where the user calls it).
        site = getattr(layer, "_shapelens_site", None)
        if site is None or getattr(layer, "_shapelens_called_here", False) or _is_keras_model(layer):
            return
    key = (*site, type(layer).__name__, "layer")
    entry = _state.sites.get(key)
    if entry is None:
        entry = _state.sites[key] = {"hits": 0, "values": [], "layer": getattr(layer, "name", "")}
    entry["hits"] += 1
    if _sampled(entry["hits"]):
        _add_variant(entry, describe(out))
    object.__setattr__(layer, "_shapelens_last_output", out)


# ----------------------------------------------------------------------------------------------
# model summaries


def _summary(model: Any) -> dict[str, Any]:
    rows = []
    for layer in getattr(model, "layers", [])[:200]:
        row: dict[str, Any] = {"name": layer.name, "class": type(layer).__name__}
        try:
            row["output"] = describe(layer.output)
        except Exception:
            last = getattr(layer, "_shapelens_last_output", None)
            row["output"] = describe(last) if last is not None else None
        try:
            row["params"] = int(layer.count_params()) if layer.built else None
        except Exception:
            row["params"] = None
        rows.append(row)
    out: dict[str, Any] = {"name": getattr(model, "name", ""), "class": type(model).__name__, "layers": rows}
    try:
        out["params"] = int(model.count_params()) if model.built else None
        out["trainable"] = int(sum(int(_size(w)) for w in model.trainable_weights)) if model.built else None
    except Exception:
        out["params"] = None
    return out


def _size(weight: Any) -> int:
    n = 1
    for d in weight.shape:
        n *= int(d)
    return n


# ----------------------------------------------------------------------------------------------
# errors


def _error_report(exc: BaseException) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type(exc).__name__, "message": _message(exc), "frames": []}
    tb = exc.__traceback__
    deepest = None
    while tb is not None:
        path = _state.files.get(tb.tb_frame.f_code.co_filename)
        if path is not None:
            frame_info = {"path": path, "line": tb.tb_lineno}
            out["frames"].append(frame_info)
            if path == _state.path:
                deepest = tb
        tb = tb.tb_next
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        out["line"] = exc.lineno + _state.first_line - 1
        out["column"] = max((exc.offset or 1) - 1, 0)
        out["end_line"] = out["line"]
        text = _source_line(out["line"])
        out["end_column"] = len(text.rstrip())
        if out["column"] >= out["end_column"]:  # past the end: underline the whole line instead
            out["column"] = len(text) - len(text.lstrip())
        return out
    if deepest is None:
        return out
    line, col, end_line, end_col = _code_position(deepest.tb_frame.f_code, deepest.tb_lasti, deepest.tb_lineno)
    out.update({"line": line, "column": col, "end_line": end_line, "end_column": end_col})
    out["values"] = _values_on_line(deepest.tb_frame, line, col, end_line, end_col)
    return out


def _message(exc: BaseException) -> str:
    import re

    if isinstance(exc, SyntaxError) and exc.msg:
        return exc.msg
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", str(exc)).strip() or type(exc).__name__
    return text if len(text) <= 3000 else text[:3000] + " ..."


def _values_on_line(frame: Any, line: int, col: int, end_line: int, end_col: int) -> list[dict[str, Any]]:
    """The shapes of the operands of the expression that raised (evaluated again in its frame,
    only when they are names, attributes, subscripts or calls into tensor libraries)."""
    source = _span_text(line, col, end_line, end_col)
    tree: ast.AST
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError:
        try:
            tree = ast.parse(_source_line(line).strip(), mode="exec")
        except SyntaxError:
            return []
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    namespace = dict(frame.f_globals)
    namespace.update(frame.f_locals)
    for node in _operands(tree):
        text = _text(node)
        if text in seen or len(found) >= MAX_ERROR_VALUES or not _safe(node, namespace):
            continue
        seen.add(text)
        try:
            val = eval(compile(ast.Expression(body=node), "<shapelens>", "eval"), namespace)
            desc = describe(val)
        except Exception:
            continue
        if desc is not None:
            found.append({"expr": text, "value": desc})
    return found


def _span_text(line: int, col: int, end_line: int, end_col: int) -> str:
    rows = [_source_line(n) for n in range(line, end_line + 1)]
    if not rows:
        return ""
    if len(rows) == 1:
        return rows[0][col:end_col]
    rows[0] = rows[0][col:]
    rows[-1] = rows[-1][:end_col]
    return "".join(rows)


def _operands(tree: ast.AST) -> list[ast.expr]:
    """Sub-expressions in the order a reader looks at them: operands before their parts."""
    out: list[ast.expr] = []
    queue: list[ast.AST] = [tree]
    while queue:
        node = queue.pop(0)
        children: list[ast.AST] = []
        if isinstance(node, ast.BinOp):
            children = [node.left, node.right]
        elif isinstance(node, ast.Call):
            children = [*node.args, *(k.value for k in node.keywords)]
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return)):
            children = [node.value] if node.value is not None else []
        elif isinstance(node, ast.Module):
            children = list(node.body)
        elif isinstance(node, (ast.Tuple, ast.List)):
            children = list(node.elts)
        elif isinstance(node, ast.Subscript):
            children = [node.value]
        for child in children:
            if isinstance(child, ast.expr) and not isinstance(child, ast.Constant):
                out.append(child)
            queue.append(child)
    return out


def _safe(node: ast.AST, namespace: dict[str, Any]) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            if not _is_library_function(sub.func, namespace):
                return False
        elif not isinstance(
            sub,
            (ast.Name, ast.Attribute, ast.Subscript, ast.Slice, ast.Constant, ast.Tuple, ast.List,
             ast.UnaryOp, ast.BinOp, ast.keyword, ast.Load, ast.operator, ast.unaryop),
        ):
            return False
    return True


def _is_library_function(func: ast.expr, namespace: dict[str, Any]) -> bool:
    node = func
    while isinstance(node, ast.Attribute):
        node = node.value
    if not isinstance(node, ast.Name):
        return False
    root = namespace.get(node.id, getattr(builtins, node.id, None))
    module = getattr(root, "__name__", "") if isinstance(root, type(sys)) else ""
    return module.split(".", 1)[0] in USER_MODULES


# ----------------------------------------------------------------------------------------------
# the host's entry points


def begin(path: str, first_line: int, text: str) -> None:
    """Arms the instrumentation for the next cell (``path`` names the probed document)."""
    _state.active = True
    _state.path = path
    _state.first_line = first_line
    _state.lines = text.splitlines(True)
    _state.sites = {}
    _state.models = {}
    _state.positions = {}
    _state.error = None
    sys.last_value = None  # type: ignore[attr-defined]
    if hasattr(sys, "last_exc"):
        sys.last_exc = None  # type: ignore[attr-defined]
    shell = _shell()
    if shell is not None:
        shell.ast_transformers[:] = [
            t for t in shell.ast_transformers if not isinstance(t, _Instrument)
        ] + [_Instrument(first_line)]
    _install_hooks()


def end() -> str:
    """Disarms the instrumentation and returns what was observed, as JSON text."""
    _state.active = False
    _remove_hooks()
    shell = _shell()
    if shell is not None:
        shell.ast_transformers[:] = [t for t in shell.ast_transformers if not isinstance(t, _Instrument)]
    observations = []
    for key, site in _state.sites.items():
        line, col, end_line, end_col, text, kind = key
        if not site["values"]:
            continue
        entry: dict[str, Any] = {
            "line": line, "column": col, "end_line": end_line, "end_column": end_col,
            "name": text, "kind": kind, "hits": site["hits"], "values": site["values"],
        }
        if "layer" in site:
            entry["layer"] = site["layer"]
        model = _state.models.get(key)
        if model is not None:
            try:
                entry["summary"] = _summary(model)
            except Exception:
                pass
        observations.append(entry)
    exc = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
    result: dict[str, Any] = {"observations": observations}
    if exc is not None:
        try:
            result["error"] = _error_report(exc)
        except Exception as err:
            result["error"] = {"type": type(exc).__name__, "message": _message(exc), "note": str(err)}
    _state.models = {}
    _state.sites = {}
    return json.dumps(result, default=str)


def environment() -> str:
    """What the kernel runs on (interpreter, libraries already importable, GPUs seen by TF)."""
    import importlib.util

    info: dict[str, Any] = {"python": sys.version.split()[0], "executable": sys.executable}
    for name in ("tensorflow", "keras", "numpy", "torch", "jax"):
        info[name] = importlib.util.find_spec(name) is not None
    return json.dumps(info)


def _shell() -> Any:
    get = getattr(builtins, "get_ipython", None)
    return get() if get is not None else None


def install() -> None:
    builtins.__shapelens_probe__ = sys.modules[__name__]  # type: ignore[attr-defined]
