"""``keras.ops`` that summarise or compare arrays (``ptp``, ``vdot``, ``trapezoid``,
``cdist``, ``corrcoef``, ``correlate``, ``histogram``, window functions, ``fmax``/``fmin``,
``erfc``) and the value-decided ``unique``/``nonzero``, compared with what Keras computes."""

from __future__ import annotations

import pytest

from oracle import op_cases
from oracle.harness import run_engine

X = "x = keras.ops.ones((2, 5, 3))\nv = keras.ops.ones((6,))\nK = keras.Input((5, 3))\n"

CASES = [
    ("y = keras.ops.ptp(x, axis=1)", ["y"]),
    ("y = keras.ops.ptp(x)", ["y"]),
    ("y = keras.ops.ptp(x, axis=-1, keepdims=True)", ["y"]),
    ("y = keras.ops.vdot(x, x)", ["y"]),
    ("y = keras.ops.trapezoid(x)", ["y"]),
    ("y = keras.ops.trapezoid(x, axis=1)", ["y"]),
    ("y = keras.ops.cdist(keras.ops.ones((4, 3)), keras.ops.ones((5, 3)))", ["y"]),
    ("y = keras.ops.cdist(x, keras.ops.ones((2, 7, 3)))", ["y"]),
    ("y = keras.ops.corrcoef(keras.ops.ones((3, 8)))", ["y"]),
    ("y = keras.ops.correlate(v, keras.ops.ones((3,)))", ["y"]),
    ("y = keras.ops.correlate(v, keras.ops.ones((3,)), mode='full')", ["y"]),
    ("y = keras.ops.correlate(v, keras.ops.ones((3,)), mode='same')", ["y"]),
    ("counts, edges = keras.ops.histogram(v, bins=4)", ["counts", "edges"]),
    ("y = keras.ops.hamming(8)", ["y"]),
    ("y = keras.ops.hanning(5)", ["y"]),
    ("y = keras.ops.bartlett(6)", ["y"]),
    ("y = keras.ops.blackman(7)", ["y"]),
    ("y = keras.ops.kaiser(8, 5.0)", ["y"]),
    ("y = keras.ops.fmax(keras.ops.ones((2, 1)), v)", ["y"]),
    ("y = keras.ops.fmin(K, K)", ["y"]),
    ("y = keras.ops.erfc(x)", ["y"]),
    ("y = keras.ops.unique(keras.ops.array([1, 2, 2, 3]), size=5)", ["y"]),
]


@pytest.mark.parametrize(("line", "names"), CASES)
def test_keras_stats_agree(line: str, names: list[str]) -> None:
    op_cases.agree(X + line + "\n", names)


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("y = keras.ops.unique(keras.ops.array([1, 2, 2, 3]))", ["y"]),
        ("rows, cols = keras.ops.nonzero(keras.ops.eye(3))", ["rows", "cols"]),
    ],
)
def test_value_decided_lengths_stay_unknown(line: str, names: list[str]) -> None:
    op_cases.agree(X + line + "\n", names, exact=False)
    for name in names:
        fact = run_engine(X + line + "\n").values.get(name)
        assert fact is not None and fact.shape == (None,), fact


@pytest.mark.parametrize(
    "line",
    [
        "y = keras.ops.vdot(x, v)",
        "y = keras.ops.cdist(keras.ops.ones((4, 3)), keras.ops.ones((5, 2)))",
    ],
)
def test_mismatched_operands_are_flagged(line: str) -> None:
    op_cases.agree(X + line + "\n", ["y"], exact=False)
