"""Single-edit mutants of the realistic corpus (``tests/corpus/*.py``).

Each mutant is one small, realistic edit of one script -- the kind of slip that breaks (or does
not break) a Keras program: a number in an ``Input`` shape, the units of a ``Dense`` before a
``Reshape``, a kernel size or stride, ``padding="same"`` <-> ``"valid"``, a concatenation axis,
a deleted ``Flatten``, a swapped loss name, the shape of the numpy training data, a reshape
target, a module-level size constant. Edits never add or remove lines, so every line number of
the original stays valid in the mutant; ``Mutant.line`` is the line of the edit.

Generation is deterministic: the sites are found by walking the AST in source order and the
replacement values are picked by a PRNG seeded with (``SEED``, script, position, operator).
Identical mutant texts are kept once.

    python tests/mutation/mutate.py            # counts per operator
    python tests/mutation/mutate.py --list     # every mutant: id, line, description
    python tests/mutation/mutate.py --all      # before sampling (``CAPS``)
"""

from __future__ import annotations

import ast
import hashlib
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS_DIR = REPO / "tests" / "corpus"
SEED = 20240611
# Bump when the generator changes in a way that should be visible in reports.
GENERATOR_VERSION = "1"

# The operators, in report order.
OPERATORS = (
    "input_shape",
    "units",
    "kernel_size",
    "strides",
    "pool_size",
    "padding",
    "concat_axis",
    "flatten",
    "loss",
    "data_shape",
    "reshape",
    "constant",
)


@dataclass(frozen=True)
class Mutant:
    id: str  # "<script stem>:<line>:<operator>:<n>"
    script: str  # file name in tests/corpus/
    operator: str
    line: int  # line of the edit (1-based, same in the original and the mutant)
    description: str
    text: str
    tier: int = 0  # sampling preference: 0 first (e.g. a batch dim of training data is tier 1)

    @property
    def key(self) -> str:
        """Content hash of the mutant text (the cache key of its TF verdict)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:32]


# ----------------------------------------------------------------------------------------------
# layer vocabularies (last component of the called name, after import aliases are resolved)

CONV = {
    "Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D",
    "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "SeparableConv1D", "SeparableConv2D", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
}  # fmt: skip
DEPTHWISE = {"DepthwiseConv1D", "DepthwiseConv2D"}
UNIT_LAYERS = {"Dense", "LSTM", "GRU", "SimpleRNN"}
POOLS = {
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
}  # fmt: skip
UPSAMPLING = {"UpSampling1D", "UpSampling2D", "UpSampling3D"}
MERGE_HINTS = ("Reshape", "Concatenate", "concatenate", "Add(", "add(", "Multiply", "multiply",
               "Average", "Subtract", "Maximum", "Minimum", "Dot(", "+ ")  # fmt: skip
DATA_FUNCS = {
    "np.random.rand": "pos",
    "np.random.randn": "pos",
    "np.random.randint": "size",
    "np.random.uniform": "size",
    "np.random.normal": "size",
    "np.random.random": "size",
    "np.random.lognormal": "size",
    "np.zeros": "shape",
    "np.ones": "shape",
    "np.empty": "shape",
    "rng.normal": "size",
    "rng.integers": "size",
    "rng.random": "size",
    "tf.ones": "shape",
    "tf.zeros": "shape",
    "tf.random.normal": "shape",
    "tf.random.uniform": "shape",
}
RESHAPE_FUNCS = {"tf.reshape", "ops.reshape", "keras.ops.reshape", "np.reshape"}
CONCAT_FUNCS = {"concatenate", "ops.concatenate", "keras.ops.concatenate", "tf.concat", "np.concatenate"}
LOSS_SWAPS = {
    "sparse_categorical_crossentropy": "categorical_crossentropy",
    "categorical_crossentropy": "sparse_categorical_crossentropy",
    "mse": "binary_crossentropy",
    "mean_squared_error": "binary_crossentropy",
    "binary_crossentropy": "mse",
    "mae": "categorical_crossentropy",
}
LOSS_CLASS_SWAPS = {
    "SparseCategoricalCrossentropy": "CategoricalCrossentropy",
    "CategoricalCrossentropy": "SparseCategoricalCrossentropy",
    "BinaryCrossentropy": "CategoricalCrossentropy",
    "MeanSquaredError": "SparseCategoricalCrossentropy",
}


# ----------------------------------------------------------------------------------------------
# source editing


class Source:
    """A script's text with byte-exact replacement of AST node ranges (lines never change)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines(keepends=True)

    def _offset(self, line: int, col_bytes: int) -> int:
        start = sum(len(s) for s in self.lines[: line - 1])
        prefix = self.lines[line - 1].encode("utf-8")[:col_bytes].decode("utf-8", errors="ignore")
        return start + len(prefix)

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (
            self._offset(node.lineno, node.col_offset),  # type: ignore[attr-defined]
            self._offset(node.end_lineno, node.end_col_offset),  # type: ignore[attr-defined]
        )

    def replace(self, start: int, end: int, new: str) -> str:
        return self.text[:start] + new + self.text[end:]

    def segment(self, node: ast.AST) -> str:
        a, b = self.span(node)
        return self.text[a:b]


def dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def int_value(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) is int
    ):
        return -node.operand.value
    return None


class Generator:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.src = Source(path.read_text(encoding="utf-8"))
        self.tree = ast.parse(self.src.text)
        self.aliases: dict[str, str] = {}  # local name -> imported name (``D`` -> ``Dense``)
        self.consts: dict[str, int] = {}  # module-level int constants
        self.out: list[Mutant] = []
        self.seen: set[str] = {self.src.text}
        self.counter: dict[tuple[int, str], int] = {}
        self.tier = 0
        self._scan_module()

    # -- helpers

    def _scan_module(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom):
                for a in node.names:
                    if a.asname:
                        self.aliases[a.asname] = a.name
        for st in self.tree.body:
            if isinstance(st, ast.Assign):
                for t in st.targets:
                    if isinstance(t, ast.Name) and int_value(st.value) is not None:
                        self.consts[t.id] = int_value(st.value)  # type: ignore[assignment]
                    elif isinstance(t, (ast.Tuple, ast.List)) and isinstance(st.value, (ast.Tuple, ast.List)):
                        for n, v in zip(t.elts, st.value.elts):
                            if isinstance(n, ast.Name) and int_value(v) is not None:
                                self.consts[n.id] = int_value(v)  # type: ignore[assignment]

    def rng(self, node: ast.AST, op: str) -> random.Random:
        key = f"{SEED}:{self.path.name}:{node.lineno}:{node.col_offset}:{op}"  # type: ignore[attr-defined]
        return random.Random(hashlib.sha256(key.encode()).digest())

    def short(self, node: ast.Call) -> str | None:
        """Called name's last component with import aliases resolved (``layers.Dense`` -> ``Dense``)."""
        name = dotted(node.func)
        if name is None:
            # ``layers.Dense(4)(x)``: the layer constructor is the inner call
            return None
        last = name.rsplit(".", 1)[-1]
        return self.aliases.get(last, last)

    def emit(self, node: ast.AST, op: str, new_text: str, description: str, start_end=None) -> None:
        a, b = start_end if start_end is not None else self.src.span(node)
        text = self.src.replace(a, b, new_text)
        if text in self.seen:
            return
        try:
            ast.parse(text)
        except SyntaxError:
            return
        self.seen.add(text)
        line = node.lineno  # type: ignore[attr-defined]
        n = self.counter.get((line, op), 0)
        self.counter[(line, op)] = n + 1
        self.out.append(
            Mutant(
                f"{self.path.stem}:{line}:{op}:{n}", self.path.name, op, line, description, text, self.tier
            )
        )

    def int_alternatives(self, v: int, node: ast.AST, op: str, k: int = 1) -> list[int]:
        if op in ("kernel_size",):
            cands = [v + 1, v + 2, v * 2]
        elif op in ("strides",):
            cands = [2, 3] if v == 1 else [1, v + 1]
        elif op in ("pool_size",):
            cands = [v + 1, 3] if v == 2 else [v + 1, max(1, v - 1)]
        elif op == "concat_axis":
            cands = [x for x in (1, 2, 0, -1, -2) if x != v]
        else:
            cands = [v + 1, v * 2, v - 1, v // 2] if v > 2 else [v + 1, v + 2]
        cands = [c for c in dict.fromkeys(cands) if c != v and (c > 0 or op == "concat_axis")]
        r = self.rng(node, op)
        if op == "concat_axis":
            return cands[:k]
        first, rest = cands[:1], cands[1:]
        r.shuffle(rest)
        # the first candidate (v+1 style, the typical off-by-one) always, then random others
        return (first + rest)[:k]

    def mutate_int_node(self, node: ast.AST, op: str, what: str, k: int = 1) -> None:
        """Replace an int literal (or a module constant's name) by other values."""
        v = int_value(node)
        if v is None and isinstance(node, ast.Name) and node.id in self.consts:
            v = self.consts[node.id]
            label = f"{node.id} (= {v})"
        else:
            label = str(v)
        if v is None or (v == -1 and op != "concat_axis"):
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            return
        for new in self.int_alternatives(v, node, op, k):
            self.emit(node, op, str(new), f"{what}: {label} -> {new}")

    def mutate_ints_in(self, node: ast.AST, op: str, what: str, k: int = 1, names: bool = True) -> None:
        """Every int literal (and constant name) inside a shape-like expression (not inside calls)."""
        if int_value(node) is not None:
            self.mutate_int_node(node, op, what, k)
            return
        if isinstance(node, ast.Name) and names:
            self.mutate_int_node(node, op, what, k)
            return
        if isinstance(node, (ast.Tuple, ast.List)):
            for e in node.elts:
                self.mutate_ints_in(e, op, what, k, names)
        elif isinstance(node, ast.BinOp):
            self.mutate_ints_in(node.left, op, what, k, names=False)
            self.mutate_ints_in(node.right, op, what, k, names=False)
        elif isinstance(node, ast.Starred):
            return

    @staticmethod
    def arg(node: ast.Call, pos: int | None, kw: str) -> ast.AST | None:
        for k in node.keywords:
            if k.arg == kw:
                return k.value
        if (
            pos is not None
            and pos < len(node.args)
            and not any(isinstance(a, ast.Starred) for a in node.args[: pos + 1])
        ):
            return node.args[pos]
        return None

    def context(self, node: ast.AST) -> str:
        """' (before a merge/reshape)' when one of the next lines merges or reshapes."""
        line = node.lineno  # type: ignore[attr-defined]
        following = "".join(self.src.lines[line : line + 3])
        return " (before a merge/reshape)" if any(h in following for h in MERGE_HINTS) else ""

    # -- the operators

    def run(self) -> list[Mutant]:
        # module-level constants first
        for st in self.tree.body:
            if isinstance(st, ast.Assign):
                self.op_constant(st)
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                self.visit_call(node)
        for node in ast.walk(self.tree):
            self.op_flatten(node)
        self.out.sort(key=lambda m: (m.line, OPERATORS.index(m.operator), m.id))
        return self.out

    def op_constant(self, st: ast.Assign) -> None:
        if len(st.targets) != 1:
            return
        t, v = st.targets[0], st.value
        if isinstance(t, ast.Name) and int_value(v) is not None:
            self.mutate_int_node(v, "constant", f"constant {t.id}")
        elif isinstance(t, (ast.Tuple, ast.List)) and isinstance(v, (ast.Tuple, ast.List)):
            for n, e in zip(t.elts, v.elts):
                if isinstance(n, ast.Name) and int_value(e) is not None:
                    self.mutate_int_node(e, "constant", f"constant {n.id}")

    def visit_call(self, node: ast.Call) -> None:
        name = dotted(node.func) or ""
        short = self.short(node) or ""
        # input shapes
        if short in ("Input", "InputLayer"):
            shape = self.arg(node, 0, "shape")
            if shape is not None:
                self.mutate_ints_in(shape, "input_shape", f"{short} shape")
        for k in node.keywords:
            if k.arg == "input_shape":
                self.mutate_ints_in(k.value, "input_shape", f"{short} input_shape")
        if name.endswith(".build") and node.args and isinstance(node.args[0], (ast.Tuple, ast.List)):
            self.mutate_ints_in(node.args[0], "input_shape", "model.build shape")
        # units / filters
        if short in UNIT_LAYERS:
            units = self.arg(node, 0, "units")
            if units is not None:
                ctx = self.context(node)
                self.tier = 0 if ctx else 1
                self.mutate_int_node(units, "units", f"{short} units{ctx}")
                self.tier = 0
        if short in CONV:
            filters = self.arg(node, 0, "filters")
            if filters is not None:
                ctx = self.context(node)
                self.tier = 0 if ctx else 1
                self.mutate_int_node(filters, "units", f"{short} filters{ctx}")
                self.tier = 0
            ks = self.arg(node, 1, "kernel_size")
            if ks is not None:
                self.mutate_ints_in(ks, "kernel_size", f"{short} kernel_size", names=False)
            st = self.arg(node, 2, "strides")
            if st is not None:
                self.mutate_ints_in(st, "strides", f"{short} strides", names=False)
        if short in DEPTHWISE:
            ks = self.arg(node, 0, "kernel_size")
            if ks is not None:
                self.mutate_ints_in(ks, "kernel_size", f"{short} kernel_size", names=False)
            st = self.arg(node, 1, "strides")
            if st is not None:
                self.mutate_ints_in(st, "strides", f"{short} strides", names=False)
        if short in POOLS:
            ps = self.arg(node, 0, "pool_size")
            if ps is not None:
                self.mutate_ints_in(ps, "pool_size", f"{short} pool_size", names=False)
            st = self.arg(node, 1, "strides")
            if st is not None:
                self.mutate_ints_in(st, "strides", f"{short} strides", names=False)
        if short in UPSAMPLING:
            size = self.arg(node, 0, "size")
            if size is not None:
                self.mutate_ints_in(size, "pool_size", f"{short} size", names=False)
        # padding
        for k in node.keywords:
            if (
                k.arg == "padding"
                and isinstance(k.value, ast.Constant)
                and k.value.value in ("same", "valid")
            ):
                new = "valid" if k.value.value == "same" else "same"
                self.emit(k.value, "padding", f'"{new}"', f'{short} padding "{k.value.value}" -> "{new}"')
        # concatenation axis
        if short == "Concatenate" or name in CONCAT_FUNCS or short == "concatenate":
            self.op_concat_axis(node, short or name)
        # loss names
        if name.endswith(".compile"):
            for k in node.keywords:
                if k.arg == "loss":
                    self.op_loss(k.value)
        # data shapes
        fn = self.data_func(name)
        if fn is not None:
            mode = DATA_FUNCS[fn]
            if mode == "pos":
                for i, a in enumerate(node.args):
                    self.tier = int(i == 0)  # the batch dim: usually harmless alone
                    self.mutate_ints_in(a, "data_shape", f"{fn} dim")
            else:
                target = self.arg(node, 0 if mode == "shape" else None, mode)
                if target is None and fn == "np.random.randint":
                    target = self.arg(node, 2, "size")
                if isinstance(target, (ast.Tuple, ast.List)):
                    for i, e in enumerate(target.elts):
                        self.tier = int(i == 0)
                        self.mutate_ints_in(e, "data_shape", f"{fn} {mode}")
                elif target is not None:
                    self.tier = 1
                    self.mutate_ints_in(target, "data_shape", f"{fn} {mode}")
            self.tier = 0
        # reshape targets
        if short == "Reshape":
            target = self.arg(node, 0, "target_shape")
            if target is not None:
                self.mutate_ints_in(target, "reshape", "Reshape target")
        elif name in RESHAPE_FUNCS:
            target = self.arg(node, 1, "shape" if name != "np.reshape" else "newshape")
            if target is not None:
                self.mutate_ints_in(target, "reshape", f"{name} target")
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "reshape" and node.args:
            targets = node.args if len(node.args) > 1 else [node.args[0]]
            for t in targets:
                self.mutate_ints_in(t, "reshape", ".reshape target")

    @staticmethod
    def data_func(name: str) -> str | None:
        for prefix in ("numpy.", "tensorflow."):
            if name.startswith(prefix):
                name = {"numpy.": "np.", "tensorflow.": "tf."}[prefix] + name[len(prefix) :]
        return name if name in DATA_FUNCS else None

    def op_concat_axis(self, node: ast.Call, what: str) -> None:
        axis = self.arg(node, None, "axis")
        if axis is None and what in ("tf.concat", "np.concatenate", "ops.concatenate") and len(node.args) > 1:
            axis = node.args[1]
        if axis is not None:
            v = int_value(axis)
            if v is None:
                return
            for new in self.int_alternatives(v, axis, "concat_axis", k=2):
                self.emit(axis, "concat_axis", str(new), f"{what} axis: {v} -> {new}")
            return
        # no axis given (default -1): add one before the closing parenthesis (on the call's own
        # line only: a mutant is one edited line, reported at that line)
        if node.lineno != node.end_lineno:
            return
        a, b = self.src.span(node)
        inner = self.src.text[a:b]
        if not inner.endswith(")"):
            return
        for new in (1, 2):
            sep = ", " if (node.args or node.keywords) else ""
            self.emit(
                node,
                "concat_axis",
                inner[:-1] + f"{sep}axis={new})",
                f"{what} axis: (default -1) -> {new}",
                (a, b),
            )

    def op_loss(self, value: ast.AST) -> None:
        for n in ast.walk(value):
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in LOSS_SWAPS:
                new = LOSS_SWAPS[n.value]
                self.emit(n, "loss", f'"{new}"', f'loss "{n.value}" -> "{new}"')
            elif isinstance(n, ast.Call):
                nm = dotted(n.func) or ""
                last = nm.rsplit(".", 1)[-1]
                if last in LOSS_CLASS_SWAPS and isinstance(n.func, ast.Attribute):
                    new = LOSS_CLASS_SWAPS[last]
                    a, b = self.src.span(n.func)
                    self.emit(n, "loss", nm.rsplit(".", 1)[0] + "." + new, f"loss {last} -> {new}", (a, b))

    def op_flatten(self, node: ast.AST) -> None:
        """Delete a Flatten layer: from a list, from ``model.add(...)``, or ``y = Flatten()(x)``."""

        def is_flatten_ctor(n: ast.AST) -> bool:
            return isinstance(n, ast.Call) and self.short(n) == "Flatten"

        if isinstance(node, ast.List):
            for e in node.elts:
                if is_flatten_ctor(e):
                    a, b = self.src.span(e)
                    # swallow the following comma (and one space) so the list stays valid
                    rest = self.src.text[b:]
                    stripped = rest.lstrip(" ")
                    if stripped.startswith(","):
                        b += len(rest) - len(stripped) + 1
                        if self.src.text[b : b + 1] == " ":
                            b += 1
                    self.emit(e, "flatten", "", "Flatten() removed from the layer list", (a, b))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value
            if (
                isinstance(call.func, ast.Attribute)
                and call.func.attr == "add"
                and len(call.args) == 1
                and is_flatten_ctor(call.args[0])
            ):
                self.emit(node, "flatten", "pass", "model.add(Flatten()) removed")
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            call = node.value
            if is_flatten_ctor(call.func) and len(call.args) == 1:
                arg = self.src.segment(call.args[0])
                a, b = self.src.span(call)
                self.emit(call, "flatten", arg, f"Flatten() call removed ({arg} passed through)", (a, b))


def mutants_of(path: Path) -> list[Mutant]:
    return Generator(path).run()


def corpus_scripts(directory: Path = CORPUS_DIR) -> list[Path]:
    return sorted(p for p in directory.glob("*.py") if not p.name.startswith("_"))


def _h(s: str) -> str:
    return hashlib.sha256(f"{SEED}:{s}".encode()).hexdigest()


def sample(mutants: list[Mutant], caps: dict[str, int]) -> list[Mutant]:
    """At most ``caps[op]`` mutants per operator, spread over the scripts: round robin over the
    scripts, each script's mutants in (tier, seeded hash) order. Deterministic."""
    keep: list[Mutant] = []
    for op in OPERATORS:
        per: dict[str, list[Mutant]] = {}
        for m in mutants:
            if m.operator == op:
                per.setdefault(m.script, []).append(m)
        ranked = []
        for ms in per.values():
            ms.sort(key=lambda m: (m.tier, _h(m.id)))
            ranked.extend((rank, m.tier, _h(m.id), m) for rank, m in enumerate(ms))
        ranked.sort(key=lambda t: t[:3])
        keep.extend(t[3] for t in ranked[: caps.get(op, len(ranked))])
    keep.sort(key=lambda m: (m.script, m.line, OPERATORS.index(m.operator), m.id))
    return keep


# Per-operator caps: the full set is ~1,600 mutants; ~330 keep a cold TF run near 8 minutes on 2 cores.
CAPS = {
    "input_shape": 36,
    "units": 45,
    "kernel_size": 28,
    "strides": 22,
    "pool_size": 18,
    "padding": 32,
    "concat_axis": 20,
    "flatten": 10,
    "loss": 30,
    "data_shape": 42,
    "reshape": 22,
    "constant": 28,
}


def generate(paths: list[Path] | None = None, caps: dict[str, int] | None = CAPS) -> list[Mutant]:
    """The sampled mutants of the corpus (all of them with ``caps=None``); texts are unique."""
    out: list[Mutant] = []
    for p in paths if paths is not None else corpus_scripts():
        out.extend(mutants_of(p))
    return out if caps is None else sample(out, caps)


def iter_counts(mutants: list[Mutant]) -> Iterator[tuple[str, int]]:
    for op in OPERATORS:
        yield op, sum(1 for m in mutants if m.operator == op)


if __name__ == "__main__":
    ms = generate(caps=None if "--all" in sys.argv else CAPS)
    if "--list" in sys.argv:
        for m in ms:
            print(f"{m.id:<48} {m.description}")
    for op, n in iter_counts(ms):
        print(f"{op:<12} {n:>4}")
    print(f"{'total':<12} {len(ms):>4}")
