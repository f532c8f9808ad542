"""Counting, searching and detection ops (``tf.unique``, ``tf.math.bincount``,
``tf.searchsorted``, non-max suppression...) and named results read by field
(``tf.math.top_k(x, 2).values``, ``np.linalg.svd(a).S``), each compared with TF/numpy."""

from __future__ import annotations

import pytest

from oracle import op_cases
from oracle.harness import run_engine

X = "x = tf.constant([3, 1, 3, 7, 1])\nb = tf.random.uniform((10, 4))\ns = tf.random.uniform((10,))\n"

EXACT = [
    "y = tf.unique(x).idx",
    "y = tf.unique(x, out_idx=tf.int64)[1]",
    "y = tf.unique_with_counts(x).idx",
    "y = tf.searchsorted(tf.constant([1.0, 2.0, 3.0]), tf.constant([0.5, 2.5]))",
    "y = tf.searchsorted(tf.zeros((4, 6)), tf.zeros((4, 3)), side='right', out_type=tf.int64)",
    "y = tf.math.bincount(x, minlength=8, maxlength=8)",
    "y = tf.math.bincount(tf.zeros((3, 5), tf.int32), minlength=4, maxlength=4, axis=-1)",
    "y = tf.math.bincount(x, weights=tf.ones(5), minlength=9, maxlength=9)",
    "y = tf.math.bincount(x, minlength=9, maxlength=9, dtype=tf.float32)",
    "y = tf.histogram_fixed_width(tf.zeros(10), [0.0, 1.0], nbins=7)",
    "y = tf.histogram_fixed_width(tf.zeros((4, 10)), [0.0, 1.0])",
    "y = tf.reverse_sequence(tf.zeros((2, 5, 3)), [3, 4], seq_axis=1, batch_axis=0)",
    "y = tf.nn.batch_normalization(tf.zeros((4, 3)), tf.zeros(3), tf.ones(3), None, None, 1e-3)",
    "y = tf.nn.batch_normalization(tf.zeros((2, 4, 3)), tf.zeros((1, 1, 3)), tf.ones(3), tf.zeros(3), tf.ones(3), 1e-3)",
    "y = tf.image.non_max_suppression_padded(b, s, 5, pad_to_max_output_size=True)[0]",
    "y = tf.image.non_max_suppression_padded(b, s, 5, pad_to_max_output_size=True)[1]",
    "y = tf.image.non_max_suppression_padded(tf.zeros((2, 10, 4)), tf.zeros((2, 10)), 5, pad_to_max_output_size=True)[0]",
    "y = tf.image.combined_non_max_suppression(tf.zeros((2, 10, 1, 4)), tf.zeros((2, 10, 3)), 4, 6).nmsed_boxes",
    "y = tf.image.combined_non_max_suppression(tf.zeros((2, 10, 1, 4)), tf.zeros((2, 10, 3)), 4, 6).nmsed_classes",
    "y = tf.image.combined_non_max_suppression(tf.zeros((2, 10, 1, 4)), tf.zeros((2, 10, 3)), 4, 6)[3]",
    "y = tf.image.combined_non_max_suppression(tf.zeros((2, 10, 3, 4)), tf.zeros((2, 10, 3)), 1, 6, pad_per_class=True).nmsed_scores",
    "boxes, scores, classes, valid = tf.image.combined_non_max_suppression(tf.zeros((1, 8, 1, 4)), tf.zeros((1, 8, 2)), 3, 5)\ny = boxes",
    # named results
    "y = tf.math.top_k(tf.zeros((3, 5)), k=2).values",
    "y = tf.math.top_k(tf.zeros((3, 5)), k=2).indices",
    "y = tf.nn.top_k(tf.zeros((3, 5))).indices",
    "y = np.linalg.svd(np.zeros((4, 3))).S",
    "y = np.linalg.svd(np.zeros((4, 3), np.float32)).Vh",
    "y = np.linalg.qr(np.zeros((4, 3))).R",
    "y = tf.linalg.qr(tf.zeros((4, 3))).q",
    "y = np.linalg.eigh(np.eye(3)).eigenvectors",
    "y = np.linalg.slogdet(np.eye(3)).logabsdet",
    "y = tf.linalg.slogdet(tf.eye(3)).log_abs_determinant",
]


@pytest.mark.parametrize("line", EXACT)
def test_counting_ops_agree(line: str) -> None:
    op_cases.agree(X + line + "\n", ["y"])


# the output length is set by the data's values: the engine claims the rank and dtype only
DATA_SIZED = [
    "y = tf.unique(x).y",
    "y, idx = tf.unique(x)",
    "y = tf.unique_with_counts(x).count",
    "y = tf.math.bincount(x)",
    "y = tf.math.bincount(x, weights=tf.ones(5))",
    "y = tf.math.bincount(tf.zeros((3, 5), tf.int32), axis=-1)",
    "y = tf.image.non_max_suppression(b, s, 5)",
    "y = tf.image.non_max_suppression(b, s, 5, iou_threshold=0.3, score_threshold=0.1)",
    "y = tf.image.non_max_suppression_with_scores(b, s, 5)[1]",
    "y = tf.image.non_max_suppression_overlaps(tf.zeros((10, 10)), s, 3)",
    "y = tf.image.non_max_suppression_padded(b, s, 5)[0]",
]


@pytest.mark.parametrize("line", DATA_SIZED)
def test_data_sized_outputs_stay_partly_unknown(line: str) -> None:
    op_cases.agree(X + line + "\n", ["y"], exact=False)
    fact = run_engine(X + line + "\n").values.get("y")
    assert fact is not None and fact.shape is not None and None in fact.shape, fact


@pytest.mark.parametrize(
    "line",
    [
        # refused by TF: no claim, no false alarm
        "y = tf.unique(tf.zeros((2, 2)))",
        "y = tf.searchsorted(tf.constant([1.0, 2.0]), tf.constant(1.5))",
        "y = tf.image.non_max_suppression_padded(tf.zeros((2, 10, 4)), tf.zeros((2, 10)), 5)",
    ],
)
def test_refused_inputs_claim_nothing(line: str) -> None:
    op_cases.agree(X + line + "\n", ["y"], exact=False, catch=False)


def test_searchsorted_of_unequal_ranks_claims_nothing() -> None:
    """TF flattens the leading axes when the ranks differ: the result depends on their sizes."""
    for line in (
        "y = tf.searchsorted(tf.constant([1.0, 2.0, 3.0]), tf.zeros((1, 2)))",
        "y = tf.searchsorted(tf.constant([1.0, 2.0, 3.0]), tf.zeros((4, 2)))",
    ):
        op_cases.agree(X + line + "\n", ["y"], exact=False, catch=False)
