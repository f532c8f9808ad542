"""Operators inside a custom layer's ``call`` follow TensorFlow's rules: Keras traces the body
with TF tensors (TF backend), so ``x / np.sqrt(d)`` stays float32 where a KerasTensor at module
level would become float64, and mixing float32 with float64 in the body fails. Compared with
what Keras does, in both directions."""

from __future__ import annotations

import pytest

from oracle import op_cases

LAYER = """
class Body(keras.layers.Layer):
    def call(self, x):
        {body}

inp = keras.Input((4, 8))
"""

QUIET = [
    "return x / np.sqrt(8)",
    "return tf.nn.softmax(x * np.float64(0.5), axis=-1)",
    "y = (x + x) / np.sqrt(x.shape[-1])\n        return tf.einsum('bij,bkj->bik', y, x)",
    "return x * np.float32(2.0) + 1",
]


@pytest.mark.parametrize("body", QUIET)
def test_scalars_keep_the_tensor_dtype(body: str) -> None:
    src = LAYER.format(body=body) + "y = Body()(inp)\nz = Body()(tf.ones((2, 4, 8)))\n"
    op_cases.agree(src, ["y", "z"])


def test_module_level_keras_tensor_still_promotes() -> None:
    op_cases.agree("inp = keras.Input((4, 8))\ny = inp / np.sqrt(8)\n", ["y"])


def test_mixed_float_widths_in_the_body_are_flagged() -> None:
    src = LAYER.format(body="return tf.cast(x, tf.float64) + x") + "y = Body()(inp)\n"
    op_cases.agree(src, ["y"], exact=False)
