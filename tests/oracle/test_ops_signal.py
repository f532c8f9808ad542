"""``tf.signal``'s inverse STFT, overlap-add, DCT, fftshift and 2-D FFTs, and the extra
elementwise math (``atan2``, ``xlogy``, ``erfinv``...), compared with what TF computes."""

from __future__ import annotations

import pytest

from oracle import op_cases

X = "s = tf.random.normal((2, 1000))\nst = tf.signal.stft(s, 256, 128)\n"

CASES = [
    "y = tf.signal.inverse_stft(st, 256, 128)",
    "y = tf.signal.inverse_stft(st, 256, 128, window_fn=tf.signal.inverse_stft_window_fn(128))",
    "y = tf.signal.inverse_stft(tf.signal.stft(tf.zeros((3, 4, 800)), 200, 80, 256), 200, 80, 256)",
    "y = tf.signal.overlap_and_add(tf.signal.frame(s, 64, 32), 32)",
    "y = tf.signal.overlap_and_add(tf.zeros((5, 10, 16)), 8)",
    "y = tf.signal.dct(s)",
    "y = tf.signal.dct(s, type=2, n=500, norm='ortho')",
    "y = tf.signal.idct(tf.zeros((4, 32)), norm='ortho')",
    "y = tf.signal.fftshift(st)",
    "y = tf.signal.ifftshift(tf.zeros((4, 9)))",
    "y = tf.signal.rfft2d(tf.zeros((2, 16, 16)))",
    "y = tf.signal.rfft2d(tf.zeros((2, 16, 15)), fft_length=[16, 20])",
    "y = tf.signal.irfft2d(tf.signal.rfft2d(tf.zeros((2, 16, 16))))",
    "y = tf.signal.irfft2d(tf.zeros((3, 8, 5), tf.complex64), fft_length=[8, 9])",
    "y = tf.signal.fft2d(tf.zeros((3, 8, 8), tf.complex64))",
    "y = tf.signal.ifft2d(tf.signal.fft2d(tf.zeros((8, 8), tf.complex128)))",
    "y = tf.math.atan2(tf.zeros((3, 4)), tf.ones((4,)))",
    "y = tf.math.xlogy(tf.zeros((3, 1)), tf.ones((3, 4)))",
    "y = tf.math.xdivy(tf.zeros((3, 4)), 2.0)",
    "y = tf.math.erfinv(tf.zeros((3, 4)))",
    "y = tf.math.ndtri(tf.fill((5,), 0.3))",
    "y = tf.math.rint(tf.zeros((3,)))",
    "y = tf.math.reciprocal_no_nan(tf.zeros((2, 2)))",
    "y = tf.math.bessel_i0e(tf.zeros((3,)))",
    "y = tf.nn.local_response_normalization(tf.zeros((1, 8, 8, 4)))",
    "y = tf.realdiv(tf.zeros((3, 4)), tf.ones((3, 4)))",
]


@pytest.mark.parametrize("line", CASES)
def test_signal_ops_agree(line: str) -> None:
    op_cases.agree(X + line + "\n", ["y"])


@pytest.mark.parametrize(
    "line",
    [
        "y = tf.slice(tf.zeros((4, 6, 3)), [1, 0, 0], [2, -1, 3])",
        "y = tf.slice(tf.zeros((4, 6)), [0, 2], [-1, -1])",
        "y = tf.linalg.normalize(tf.zeros((4, 6)), axis=-1)[0]",
        "y = tf.linalg.normalize(tf.ones((4, 6)), axis=-1)[1]",
        "y = tf.linalg.normalize(tf.ones((4, 6)))[1]",
        "y = tf.linalg.global_norm([tf.zeros((3, 4)), tf.zeros((5,))])",
        "y = tf.linalg.cross(tf.zeros((5, 3)), tf.ones((5, 3)))",
        "y = tf.linalg.triangular_solve(tf.eye(3, batch_shape=[2]), tf.ones((2, 3, 4)))",
        "y = tf.linalg.cholesky_solve(tf.linalg.cholesky(tf.eye(4)), tf.ones((4, 2)))",
    ],
)
def test_slice_and_linalg_extras_agree(line: str) -> None:
    op_cases.agree(X + line + "\n", ["y"])


def test_slice_past_the_end_is_refused() -> None:
    op_cases.agree(X + "y = tf.slice(tf.zeros((4, 6)), [2, 0], [3, 6])\n", ["y"], exact=False)


def test_triangular_solve_of_mismatched_rows_is_flagged() -> None:
    op_cases.agree(X + "y = tf.linalg.triangular_solve(tf.eye(3), tf.ones((4, 2)))\n", ["y"], exact=False)
