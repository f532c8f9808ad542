"""Differential tests of the linear algebra rules (ops/linalg_ops.py) against numpy and TF:
shapes and dtypes of decompositions, solves and diagonals, batches of matrices included, and
the certain errors (a non-square matrix where a square one is needed, mismatched systems)."""

from __future__ import annotations

import pytest

from oracle.op_cases import agree

SQUARE = "np.random.rand(3, 3)"
BATCH = "np.random.rand(2, 4, 4).astype(np.float32)"
WIDE = "np.random.rand(3, 5)"

NUMPY = [
    f"np.linalg.inv({SQUARE})",
    f"np.linalg.inv({BATCH})",
    "np.linalg.inv(np.eye(3, dtype=np.int32))",
    f"np.linalg.inv({WIDE})",  # not square: numpy raises
    f"np.linalg.pinv({WIDE})",
    f"np.linalg.det({BATCH})",
    f"np.linalg.slogdet({SQUARE})[1]",
    f"np.linalg.eigh({BATCH})[0]",
    f"np.linalg.eigh({BATCH})[1]",
    f"np.linalg.eigvalsh({SQUARE})",
    f"np.linalg.svd({WIDE})[0]",
    f"np.linalg.svd({WIDE})[1]",
    f"np.linalg.svd({WIDE})[2]",
    f"np.linalg.svd({WIDE}, full_matrices=False)[2]",
    f"np.linalg.svd({BATCH}, compute_uv=False)",
    f"np.linalg.qr({WIDE}.T)[0]",
    f"np.linalg.qr({WIDE}, mode='complete')[1]",
    "np.linalg.cholesky(np.eye(4) * 2.0)",
    f"np.linalg.solve({SQUARE}, np.ones(3))",
    f"np.linalg.solve({SQUARE}, np.ones((3, 2)))",
    f"np.linalg.solve({BATCH}, np.ones(4, np.float32))",
    f"np.linalg.solve({SQUARE}, np.ones(4))",  # 3x3 against 4 rows: numpy raises
    f"np.linalg.matrix_power({SQUARE}, 3)",
    "np.diag(np.arange(4))",
    "np.diag(np.arange(4.0), k=-2)",
    f"np.diag({WIDE})",
    f"np.diag({WIDE}, 2)",
    f"np.diag({WIDE}, -1)",
    "np.trace(np.ones((3, 3), np.int32))",
    "np.trace(np.ones((3, 3, 5)))",
    f"np.triu({WIDE}, k=1)",
    "np.tril(np.arange(4))",  # a vector becomes a square matrix
    f"np.triu({BATCH} < 0.5)",
]


@pytest.mark.parametrize("expr", NUMPY)
def test_numpy_linalg(expr: str) -> None:
    agree(f"y = {expr}\n", ["y"], oracle="numpy")


@pytest.mark.parametrize("which", [0, 1])
def test_numpy_eig_dtype_depends_on_the_values(which: int) -> None:
    """Real eigenvalues come back float64, complex ones complex128: the shape is known, the
    dtype is not claimed."""
    for matrix in ("[[2.0, 0.0], [0.0, 3.0]]", "[[0.0, 1.0], [-1.0, 0.0]]"):
        agree(f"y = np.linalg.eig(np.array({matrix}))[{which}]\n", ["y"], exact=False, oracle="numpy")


TF = [
    "tf.linalg.inv(tf.eye(3))",
    "tf.linalg.inv(tf.ones((2, 3)))",  # not square: TF raises
    "tf.linalg.det(tf.eye(3, batch_shape=[2]))",
    "tf.linalg.eigh(tf.eye(4))[0]",
    "tf.linalg.eigh(tf.eye(4, dtype=tf.float64))[1]",
    "tf.linalg.eigvalsh(tf.eye(3, batch_shape=[5]))",
    "tf.linalg.svd(tf.ones((4, 6)))[0]",
    "tf.linalg.svd(tf.ones((4, 6)))[1]",
    "tf.linalg.svd(tf.ones((4, 6)))[2]",
    "tf.linalg.svd(tf.ones((4, 6)), full_matrices=True)[2]",
    "tf.linalg.svd(tf.ones((2, 4, 6)), compute_uv=False)",
    "tf.linalg.qr(tf.ones((5, 3)))[0]",
    "tf.linalg.qr(tf.ones((5, 3)), full_matrices=True)[1]",
    "tf.linalg.cholesky(tf.eye(3) * 2.0)",
    "tf.linalg.solve(tf.eye(3), tf.ones((3, 2)))",
    "tf.linalg.solve(tf.eye(3), tf.ones((4, 2)))",  # TF raises
    "tf.linalg.diag(tf.ones((2, 5)))",
    "tf.linalg.diag_part(tf.ones((2, 3, 5)))",
    "tf.linalg.trace(tf.ones((2, 3, 3)))",
    "tf.linalg.matvec(tf.ones((2, 3, 4)), tf.ones((2, 4)))",
    "tf.linalg.matvec(tf.ones((3, 4)), tf.ones((5,)))",  # TF raises
    "tf.linalg.band_part(tf.ones((4, 4)), 1, 0)",
    "tf.linalg.adjoint(tf.ones((2, 3, 5)))",
    "tf.linalg.pinv(tf.ones((3, 5)))",
    "tf.linalg.slogdet(tf.eye(3))[1]",
    "keras.ops.triu(tf.ones((2, 3, 5)), k=1)",
    "keras.ops.tril(np.ones((4, 4), np.int32))",
]


@pytest.mark.parametrize("expr", TF)
def test_tf_linalg(expr: str) -> None:
    agree(f"y = {expr}\n", ["y"])


def test_eigendecomposition_in_a_simulation() -> None:
    """The neural-ODE ground truth: exp(A t) x0 through an eigendecomposition (complex values,
    their real part), stacked over time."""
    agree(
        """
        A = np.array([[-0.1, 2.0], [-2.0, -0.1]])
        evals, evecs = np.linalg.eig(A)
        inv = np.linalg.inv(evecs)
        x0 = np.random.uniform(-2, 2, size=(16, 2))
        out = []
        for t in np.linspace(0.0, 3.0, 10):
            expm = (evecs @ np.diag(np.exp(evals * t)) @ inv).real
            out.append(x0 @ expm.T)
        traj = np.stack(out, axis=1).astype(np.float32)
        """,
        ["traj", "inv"],
        exact=False,
    )


@pytest.mark.parametrize(
    "call",
    ["np.tril_indices(9, k=-1)", "np.tril_indices(4)", "np.triu_indices(5, 1)", "np.triu_indices(3, k=-2, m=6)",
     "np.tril_indices(6, 2, 3)", "np.triu_indices(4, k=7)", "np.tril_indices(0)"],
)
def test_triangle_indices(call: str) -> None:
    """The index pairs of a triangle (DLRM's pairwise feature interactions gather them)."""
    agree(f"rows, cols = {call}\nflat = (rows * 9 + cols).astype('int32')\n", ["rows", "cols", "flat"])
