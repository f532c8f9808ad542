"""Differential tests of indexing and slicing (``x[...]``) on numpy arrays, tf tensors and
KerasTensors: ints (negative, out of bounds), slices with steps (negative too), ``...``,
``None`` / ``np.newaxis`` / ``tf.newaxis``, boolean masks, numpy's integer-array indexing, and
``tf.shape(x)[i]``.
"""

from __future__ import annotations

import random

import pytest

from oracle.harness import run_engine
from oracle.op_cases import agree, cases


def rand_slice(rng: random.Random, d: int) -> str:
    def bound() -> str:
        u = rng.random()
        if u < 0.35:
            return ""
        return str(rng.randint(-d - 2, d + 2))

    step = rng.choice(["", "", "", "2", "-1", "3", "-2"])
    lo, hi = bound(), bound()
    return f"{lo}:{hi}:{step}" if step else f"{lo}:{hi}"


def gen_basic(rng: random.Random, i: int) -> tuple[str, list[str]]:
    shape = tuple(rng.randint(1, 6) for _ in range(rng.randint(1, 4)))
    lib = rng.choice(["np", "tf"])
    x = f"np.ones({shape!r})" if lib == "np" else f"tf.ones({shape!r})"
    items: list[str] = []
    axis = 0
    used_ellipsis = False
    while axis < len(shape) and len(items) < 5:
        u = rng.random()
        d = shape[axis]
        if u < 0.3:
            items.append(str(rng.randint(-d, d - 1) if rng.random() < 0.9 else rng.choice([d, -d - 1])))
            axis += 1
        elif u < 0.7:
            items.append(rand_slice(rng, d))
            axis += 1
        elif u < 0.85:
            items.append(rng.choice(["None", "np.newaxis" if lib == "np" else "tf.newaxis"]))
        elif not used_ellipsis:
            items.append("...")
            used_ellipsis = True
            axis = len(shape) - rng.randint(0, len(shape) - axis)
        else:
            break
    if rng.random() < 0.08:
        items.append("0")  # maybe one index too many
        items.append("0")
    if not items:
        items = [":"]
    idx = ", ".join(items)
    if rng.random() < 0.15 and len(items) == 1:
        idx = items[0]
    return f"x = {x}\ny = x[{idx}]\n", ["y"]


@pytest.mark.parametrize("src,names", cases(301, 80, gen_basic))
def test_basic_indexing(src: str, names: list[str]) -> None:
    agree(src, names)


def gen_advanced(rng: random.Random, i: int) -> tuple[str, list[str]]:
    shape = tuple(rng.randint(2, 5) for _ in range(rng.randint(2, 4)))
    r = len(shape)
    items: list[str] = [":"] * r
    k = rng.randint(1, min(2, r))
    positions = rng.sample(range(r), k)
    n = rng.randint(1, 3)
    for p in positions:
        u = rng.random()
        if u < 0.5:
            items[p] = str([rng.randint(0, shape[p] - 1) for _ in range(n)])
        elif u < 0.8:
            items[p] = f"np.array({[rng.randint(0, shape[p] - 1) for _ in range(n)]})"
        else:
            items[p] = str(rng.randint(0, shape[p] - 1))
    if rng.random() < 0.1:
        items[positions[0]] = str([shape[positions[0]]] * n)  # out of bounds: IndexError
    cut = rng.randint(max(positions) + 1, r)
    idx = ", ".join(items[:cut])
    return f"x = np.ones({shape!r})\ny = x[{idx}]\n", ["y"]


@pytest.mark.parametrize("src,names", cases(302, 40, gen_advanced))
def test_numpy_integer_array_indexing(src: str, names: list[str]) -> None:
    agree(src, names)


def test_boolean_masks() -> None:
    agree(
        """
        x = np.random.rand(4, 5)
        a = x[x > 0.5]
        b = x[x[:, 0] > 0.5]
        c = x[:, x[0] > 0.5]
        t = tf.random.normal((4, 5, 6))
        d = t[t[:, 0, 0] > 0]
        e = t[t > 0]
        """,
        ["a", "b", "c", "d", "e"],
        exact=False,
    )
    agree("x = np.ones((4, 5))\ny = x[np.ones(3) > 0]\n", ["y"])


def test_index_array_values_are_not_tracked() -> None:
    # numpy arrays are mutable, so the engine does not use their values: an out-of-bounds
    # index array is not reported (and no shape is claimed wrongly either)
    src = "i = np.array([0, 1])\ni[1] = 7\nx = np.ones((3, 4))\ny = x[i]\n"
    assert not run_engine(src).errors
    src = "s = np.array([2, 3])\ns[0] = 4\ny = np.zeros(s)\n"
    agree(src, ["y"], exact=False)


def test_tf_list_index_is_a_tuple() -> None:
    agree("x = tf.ones((4, 5, 6))\ny = x[[0, 1]]\n", ["y"])


def test_tf_shape_elements() -> None:
    agree(
        """
        x = tf.ones((4, 5, 6))
        s = tf.shape(x)
        a = s[0]
        b = s[-1]
        c = s[1:]
        d = tf.reshape(x, [s[0], -1])
        e = tf.zeros(s[1:])
        f = tf.reshape(x, (s[0] * s[1], s[2]))
        """,
        ["s", "a", "b", "c", "d", "e"],
    )


def test_keras_tensor_slicing() -> None:
    agree(
        """
        x = keras.Input(shape=(5, 6))
        a = x[:, 0]
        b = x[..., None]
        c = x[:, 1:4, ::2]
        d = x[:, -1, :]
        e = x[:, tf.newaxis]
        f = x[[0, 1]]
        """,
        ["x", "a", "b", "c", "d", "e", "f"],
    )
    agree("x = keras.Input(shape=(5, 6))\ny = x[x > 0]\n", ["y"])
    agree("x = keras.Input(shape=(5, 6))\ny = x[:, 7]\n", ["y"])
    agree("x = keras.Input(shape=(5, 6))\ny = x[0, 0, 0, 0]\n", ["y"])


def test_shape_tuple_indexing() -> None:
    agree(
        """
        x = np.ones((3, 4, 5))
        a = np.zeros(x.shape[1:])
        b = np.zeros(x.shape[::-1])
        c = np.zeros((x.shape[0], x.shape[-1]))
        t = tf.ones((2, 7))
        d = tf.zeros(t.shape[1])
        e = tf.zeros(t.shape.as_list())
        f = tf.zeros([t.shape[0], 3])
        """,
        ["a", "b", "c", "d", "e", "f"],
    )


def test_index_errors() -> None:
    agree("x = np.ones((3, 4))\ny = x[3]\n", ["y"])
    agree("x = tf.ones((3, 4))\ny = x[:, -5]\n", ["y"])
    agree("x = tf.ones((3, 4))\ny = x[0, 0, 0]\n", ["y"])
    agree("x = np.ones((3, 4))\ny = x[..., ...]\n", ["y"])
    agree("x = tf.ones((3, 4))\ny = x[1.0]\n", ["y"])
    agree("x = np.ones((3, 4))\ny = x[[0, 1], [0, 1, 2]]\n", ["y"])


def test_elements_of_string_arrays_are_python_strings() -> None:
    """Iterating or indexing a numpy string array gives ``np.str_`` scalars, which index like
    any Python str; a numeric element is a numpy scalar and does not index."""
    agree(
        """
        apps = np.array(["com.a.001", "com.b.002"])
        picked = np.random.default_rng(0).choice(["x1", "y2"], 4)
        last = [a[-1] for a in apps]
        pairs = [a[0] == b[0] for a, b in zip(picked, apps[[0, 1, 0, 1]])]
        first = apps[0][:3]
        """,
        [],
    )
    agree("x = np.ones(3)\ny = [v[0] for v in x]\n", [])
    agree("x = tf.constant(['ab', 'cd'])\ny = x[0][0]\n", ["y"])
