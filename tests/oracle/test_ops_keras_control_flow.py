"""``keras.ops``' control flow (``cond``, ``switch``, ``while_loop``, ``fori_loop``, ``scan``,
``map``, ``vectorized_map``, ``associative_scan``) running the snippet's own functions,
compared with what Keras computes."""

from __future__ import annotations

import pytest

from oracle import op_cases

X = "x = keras.ops.ones((5, 3))\nv = keras.ops.zeros((3,))\n"

CASES = [
    ("y = keras.ops.cond(True, lambda: x * 2.0, lambda: x)", ["y"]),
    ("y = keras.ops.cond(keras.ops.sum(x) > 1.0, lambda: x * 2.0, lambda: x - 1.0)", ["y"]),
    ("y = keras.ops.switch(1, [lambda t: t + 1.0, lambda t: t * 2.0], x)", ["y"]),
    ("y = keras.ops.switch(keras.ops.argmax(v), [lambda t: t + 1.0, lambda t: t * 2.0], x)", ["y"]),
    ("i, y = keras.ops.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * 2.0), (0, x))", ["y"]),
    ("y = keras.ops.while_loop(lambda s: keras.ops.sum(s) < 100.0, lambda s: s * 2.0, x)", ["y"]),
    ("y = keras.ops.fori_loop(0, 4, lambda i, s: s + 1.0, x)", ["y"]),
    ("a, b = keras.ops.fori_loop(0, 4, lambda i, s: (s[0] + 1.0, s[1] * 2.0), (x, v))", ["a", "b"]),
    ("c, ys = keras.ops.scan(lambda c, r: (c + r, c * r), v, x)", ["c", "ys"]),
    ("c, ys = keras.ops.scan(lambda c, _: (c + 1.0, c * 2.0), v, length=7)", ["c", "ys"]),
    ("y = keras.ops.map(lambda r: keras.ops.sum(r), x)", ["y"]),
    ("y = keras.ops.map(lambda r: keras.ops.stack([r, r]), x)", ["y"]),
    ("y = keras.ops.vectorized_map(lambda r: r * 2.0, x)", ["y"]),
    ("y = keras.ops.associative_scan(lambda a, b: a + b, x)", ["y"]),
    ("y = keras.ops.associative_scan(lambda a, b: keras.ops.maximum(a, b), x, axis=1)", ["y"]),
]


@pytest.mark.parametrize(("line", "names"), CASES)
def test_keras_control_flow_agrees(line: str, names: list[str]) -> None:
    op_cases.agree(X + line + "\n", names)


def test_loop_that_grows_its_variable_is_not_claimed() -> None:
    src = X + "y = keras.ops.while_loop(lambda s: s.shape[0] < 20, lambda s: keras.ops.concatenate([s, s]), x)\n"
    op_cases.agree(src, ["y"], exact=False)


@pytest.mark.parametrize(
    "line",
    [
        "c, ys = keras.ops.scan(lambda c, r: (c + r, keras.ops.sum(r)), v, x)",
        "c, ys = keras.ops.scan(lambda c, _: (c, keras.ops.stack([c, c])), v, length=4)",
    ],
)
def test_scan_output_unlike_its_carry_is_flagged(line: str) -> None:
    op_cases.agree(X + line + "\n", ["c", "ys"], exact=False)
