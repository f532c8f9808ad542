"""``keras.ops``' linear algebra (``qr``, ``svd``, ``eig``/``eigh``, ``solve``,
``solve_triangular``, ``lstsq``, ``pinv``, ``slogdet``, ``logdet``, ``matrix_rank``,
``cholesky_inverse``) and the ``keras.ops.linalg``/``numpy``/``nn`` spellings, compared with
what Keras computes; mismatched operands are flagged where Keras refuses them."""

from __future__ import annotations

import pytest

from oracle import op_cases

X = (
    "a = keras.ops.ones((2, 5, 3))\n"
    "sq = keras.ops.eye(4) * 2.0 + keras.ops.zeros((2, 4, 4))\n"
    "m = keras.ops.eye(3) * 3.0\n"
    "K = keras.Input((4, 4))\n"
)

CASES = [
    ("q, r = keras.ops.qr(a)", ["q", "r"]),
    ("q, r = keras.ops.qr(a, mode='complete')", ["q", "r"]),
    ("q, r = keras.ops.linalg.qr(keras.ops.ones((3, 5)))", ["q", "r"]),
    ("u, s, v = keras.ops.svd(a)", ["u", "s", "v"]),
    ("u, s, v = keras.ops.svd(a, full_matrices=False)", ["u", "s", "v"]),
    ("s = keras.ops.svd(a, compute_uv=False)", ["s"]),
    ("w, v = keras.ops.eigh(sq)", ["w", "v"]),
    ("w, v = keras.ops.eig(m)", ["w", "v"]),
    ("y = keras.ops.solve(sq, keras.ops.ones((2, 4, 3)))", ["y"]),
    ("y = keras.ops.linalg.solve(m, keras.ops.ones((3, 1)))", ["y"]),
    ("y = keras.ops.solve_triangular(sq, keras.ops.ones((2, 4, 3)), lower=True)", ["y"]),
    ("y = keras.ops.solve_triangular(m, keras.ops.ones((3,)))", ["y"]),
    ("y = keras.ops.lstsq(keras.ops.ones((5, 3)), keras.ops.ones((5, 2)))", ["y"]),
    ("y = keras.ops.lstsq(keras.ops.ones((5, 3)), keras.ops.ones((5,)))", ["y"]),
    ("y = keras.ops.pinv(a)", ["y"]),
    ("sign, logdet = keras.ops.slogdet(sq)", ["sign", "logdet"]),
    ("y = keras.ops.logdet(sq)", ["y"]),
    ("y = keras.ops.matrix_rank(a)", ["y"]),
    ("y = keras.ops.cholesky_inverse(m)", ["y"]),
    ("y = keras.ops.inv(K)", ["y"]),
    ("y = keras.ops.numpy.matmul(a, keras.ops.ones((3, 2)))", ["y"]),
    ("y = keras.ops.nn.relu(keras.ops.numpy.zeros((2, 3)))", ["y"]),
]


@pytest.mark.parametrize(("line", "names"), CASES)
def test_keras_linalg_agrees(line: str, names: list[str]) -> None:
    op_cases.agree(X + line + "\n", names)


@pytest.mark.parametrize(
    "line",
    [
        "y = keras.ops.solve(m, keras.ops.ones((4, 2)))",
        "y = keras.ops.lstsq(keras.ops.ones((5, 3)), keras.ops.ones((4, 2)))",
        "y = keras.ops.solve_triangular(m, keras.ops.ones((5, 2)))",
        "y, v = keras.ops.eigh(keras.ops.ones((3, 4)))",
    ],
)
def test_mismatched_operands_are_flagged(line: str) -> None:
    op_cases.agree(X + line + "\n", ["y"], exact=False)
