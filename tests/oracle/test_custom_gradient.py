"""``@tf.custom_gradient`` functions return ``(value, grad_fn)`` in their body, but a call gives
the value only: in a layer, a Lambda and at module level, compared with TF."""

from __future__ import annotations

import pytest

from oracle import op_cases

DEFS = """
@tf.custom_gradient
def st_round(x):
    def grad(dy):
        return dy
    return tf.round(x), grad

def reverser(lam):
    @tf.custom_gradient
    def rev(x):
        def grad(dy):
            return -lam * dy
        return tf.identity(x), grad
    return rev

class Reverse(keras.layers.Layer):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.op = reverser(0.5)

    def call(self, x):
        return self.op(x)

inp = keras.Input((16,))
"""


@pytest.mark.parametrize(
    "line",
    [
        "y = st_round(tf.ones((3, 4)))",
        "y = reverser(1.0)(tf.ones((2, 5)))",
        "y = keras.layers.Dense(4)(Reverse()(inp))",
        "y = keras.layers.Lambda(lambda t: st_round(t * 4.0) / 4.0)(inp)",
    ],
)
def test_custom_gradient_calls_give_the_value(line: str) -> None:
    op_cases.agree(DEFS + line + "\n", ["y"])
