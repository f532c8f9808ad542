"""Differential tests of tensor/array attributes and methods: ``.shape``, ``.dtype`` (flowing
into ``tf.cast``/``np.zeros(dtype=...)``), ``.ndim``, ``.T``, ``.size``, ndarray methods,
``.numpy()``, ``.get_shape()``, ``tf.Variable.assign``, TensorShape helpers, KerasTensors.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from oracle.op_cases import agree, cases

MAKERS = {
    "np": "np.ones({s}, dtype=np.{d})",
    "tf": "tf.ones({s}, dtype=tf.{d})",
    "var": "tf.Variable(tf.ones({s}, dtype=tf.{d}))",
}


def gen_attributes(rng: random.Random, i: int) -> tuple[str, list[str]]:
    shape = tuple(rng.randint(1, 5) for _ in range(rng.randint(1, 3)))
    lib = rng.choice(list(MAKERS))
    dt = rng.choice(["float32", "float64", "int32", "int64"])
    x = MAKERS[lib].format(s=shape, d=dt)
    use = rng.randrange(8)
    if use == 0:
        line = "y = tf.zeros(x.shape)" if lib != "np" else "y = np.zeros(x.shape)"
    elif use == 1:
        line = "y = tf.cast(tf.ones((2,)), x.dtype)"
    elif use == 2:
        line = "y = np.zeros(3, dtype=x.dtype)" if lib == "np" else "y = tf.zeros((3,), dtype=x.dtype)"
    elif use == 3:
        line = "y = np.zeros((x.ndim, len(x)))"
    elif use == 4:
        line = "y = tf.zeros(x.shape[1:]) if True else None" if lib != "np" else "y = np.zeros(x.shape[-1])"
    elif use == 5:
        line = "y = x.numpy()" if lib != "np" else "y = x.T"
    elif use == 6:
        line = "y = tf.zeros(x.get_shape())" if lib != "np" else "y = np.zeros(x.size)"
    else:
        line = "y = tf.reshape(x, [-1, x.shape[-1]])"
    return f"x = {x}\n{line}\n", ["x", "y"]


@pytest.mark.parametrize("src,names", cases(401, 40, gen_attributes))
def test_attributes(src: str, names: list[str]) -> None:
    agree(src, names)


def test_tensor_shape_helpers() -> None:
    agree(
        """
        x = tf.ones((2, 3, 4))
        a = tf.zeros(x.shape.as_list()[1:])
        b = tf.zeros((x.shape.rank, x.shape.ndims))
        c = tf.zeros(x.shape.num_elements())
        d = np.zeros(x.numpy().shape)
        e = x.numpy().reshape(6, 4)
        f = x.numpy().astype(np.int64)
        """,
        ["a", "b", "c", "d", "e", "f"],
    )


def test_ndarray_methods() -> None:
    agree(
        """
        x = np.ones((2, 3, 4), dtype=np.float32)
        a = x.reshape(-1)
        b = x.reshape((4, 6))
        c = x.transpose()
        d = x.transpose(1, 0, 2)
        e = x.transpose((2, 0, 1))
        f = x.swapaxes(0, 2)
        g = x.astype(int)
        h = x.flatten()
        k = x[:, :1].squeeze(axis=1)
        m = x.sum(axis=1)
        n = x.mean()
        p = x.std(axis=0)
        q = x.argmax(axis=-1)
        r = x.min(axis=(0, 1), keepdims=True)
        s = x.cumsum(axis=0)
        t = x.copy()
        u = x.prod()
        v = x.any(axis=2)
        w = x.dot(np.ones((4, 5)))
        """,
        ["a", "b", "c", "d", "e", "f", "g", "h", "k", "m", "n", "p", "q", "r", "s", "t", "u", "v", "w"],
    )
    agree("x = np.ones((2, 3))\ny = x.reshape(4, 2)\n", ["y"])
    agree("x = np.ones((2, 3))\ny = x.squeeze(axis=1)\n", ["y"])
    agree("x = np.ones((2, 3))\ny = x.transpose(0, 0)\n", ["y"])
    agree("x = np.ones((2, 3))\ny = x.sum(axis=2)\n", ["y"])


def test_dtype_values() -> None:
    agree(
        """
        x = tf.ones((2,), dtype=tf.int64)
        a = tf.zeros((3,), dtype=x.dtype)
        k = keras.Input(shape=(3,), dtype="float16")
        b = tf.zeros((2,), dtype=k.dtype)
        n = np.ones(2, dtype=np.uint8)
        c = np.zeros(4, dtype=n.dtype)
        d = tf.cast(n, x.dtype)
        e = tf.constant([1, 2], dtype=x.dtype)
        """,
        ["a", "b", "c", "d", "e"],
    )


def test_keras_tensor_attributes() -> None:
    agree(
        """
        x = keras.Input(shape=(5, 6))
        a = keras.Input(shape=x.shape[1:])
        b = np.zeros((x.ndim, x.shape[-1]))
        c = keras.Input(shape=(x.shape[2],), dtype=x.dtype)
        d = ops.reshape(x, (-1, x.shape[1] * x.shape[2]))
        e = x.reshape((-1, 30))
        f = x.reshape((-1, 3, 10))
        """,
        ["a", "b", "c", "d", "e", "f"],
    )
    agree("x = keras.Input(shape=(5,))\ny = x.numpy()\n", ["y"])


def test_variable_methods() -> None:
    agree(
        """
        v = tf.Variable(tf.zeros((3, 4)))
        a = v.assign(tf.ones((3, 4)))
        b = v.assign_add(tf.ones((3, 4)))
        c = v.assign_sub(np.ones((3, 4), dtype=np.float32))
        d = v.read_value()
        e = v + 1.0
        f = v.numpy()
        g = tf.matmul(v, tf.ones((4, 2)))
        """,
        ["v", "a", "b", "c", "d", "e", "f", "g"],
    )
    agree("v = tf.Variable(tf.zeros((3, 4)))\na = v.assign(tf.ones((4, 3)))\n", ["a"])
    agree("v = tf.Variable(tf.zeros((3, 4)))\na = v.assign_add(tf.ones((4,)))\n", ["a"])
    agree("v = tf.Variable(tf.zeros((3,)))\na = v.assign(tf.ones((3,), dtype=tf.int32))\n", ["a"])
    agree("v = tf.Variable([1, 2])\na = v.assign([0.5, 1.5])\n", ["a"])
    agree("v = tf.Variable(tf.zeros((3, 4)))\na = v.assign(np.ones((3, 4)))\n", ["a"])


def test_set_shape() -> None:
    agree(
        """
        x = tf.ones((2, 3))
        x.set_shape((2, 3))
        y = x
        """,
        ["y"],
    )
    agree("x = tf.ones((2, 3))\nx.set_shape((3, 3))\ny = x\n", ["y"])


# ---------------------------------------------------------------------------------------------
# robustness: no op rule may crash on odd arguments (only ShapeError / Unknowable are allowed)


def test_rules_never_crash() -> None:
    import ast

    from shapelens.core import registry, subscripts
    from shapelens.core.interpreter import Interpreter
    from shapelens.core.ops import elementwise
    from shapelens.core.shapes import Shape, ShapeError, Unknowable
    from shapelens.core.values import Const, DictVal, LibRef, Seq, SliceVal, Tensor, Unknown, Value

    mine = {f"shapelens.core.ops.{m}" for m in ("tf_ops", "numpy_ops", "keras_ops", "methods", "shape_ops")}
    rng = random.Random(7)
    shapes = [(), (3,), (2, 3), (None, 4), (2, None, 5), None, (1,), (0,), (1, 1, 3), ("n", 3)]
    dtypes = ["float32", "int32", "bool", None, "float64", "complex64", "string", "uint8"]

    def tensor() -> Tensor:
        s = rng.choice(shapes)
        return Tensor(Shape(s), rng.choice(dtypes), rng.choice(["tf", "np", "keras", "var", "spec"]))

    def value(depth: int = 0) -> Value:
        u = rng.random()
        if u < 0.3:
            return Const(rng.choice([0, 1, -1, 3, -5, 1.5, True, None, "ij,jk->ik", "same", Ellipsis, 2**40]))
        if u < 0.6:
            return tensor()
        if u < 0.8 and depth < 2:
            if rng.random() < 0.2:
                return Seq(None, "list", value(depth + 1), rng.choice([None, 3, 300]))
            return Seq([value(depth + 1) for _ in range(rng.randint(0, 4))], rng.choice(["list", "tuple"]))
        return rng.choice([Unknown(), Unknown("n"), LibRef("tf.float32"), LibRef("np.nan"), DictVal({}),
                           SliceVal(Const(1), Unknown(), Const(-1)), SliceVal(Const(0), Const(3), Const(0))])

    interp = Interpreter([])
    node = ast.parse("f(x)").body[0].value  # type: ignore[attr-defined]
    cnode = ast.parse("a < b").body[0].value  # type: ignore[attr-defined]
    fns = sorted((n, f) for n, f in registry.FUNCTIONS.items() if f.__module__ in mine)
    meths = sorted(((k, f) for k, f in registry.METHODS.items() if f.__module__ in mine), key=lambda kv: kv[0])
    names = ["axis", "dtype", "keepdims", "shape", "perm", "size", "num", "batch_dims", "depth", "k", "axes"]
    crashes: list[str] = []

    def run(desc: str, fn: Callable[..., object], *args: object) -> None:
        try:
            fn(*args)
        except (ShapeError, Unknowable):
            pass
        except Exception as err:
            crashes.append(f"{desc}: {type(err).__name__}: {err}")

    for _ in range(4000):
        name, fn = rng.choice(fns)
        args = [value() for _ in range(rng.randint(0, 4))]
        kwargs = {k: value() for k in rng.sample(names, rng.randint(0, 2))}
        run(name, fn, registry.Call(args, kwargs, node, interp, None, name))
        (kind, mname), m = rng.choice(meths)
        recv: Value = tensor() if kind != "tuple" else Seq([Const(2), Unknown()], "tuple")
        run(mname, m, registry.Call(args, kwargs, node, interp, recv, mname))
        left, right = tensor(), value()
        op = rng.choice([ast.Add, ast.Sub, ast.Div, ast.MatMult, ast.Pow])
        run(f"binop {op.__name__}", elementwise.tensor_binop, interp, op, left, right, node)
        run("compare", elementwise.tensor_compare, interp, right, left, cnode)
        run("subscript", subscripts.subscript, interp, left, value(), node)
    assert not crashes, "\n".join(crashes[:20])
