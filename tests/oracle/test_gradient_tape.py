"""``tf.GradientTape``: gradients, Jacobians and batch Jacobians have the shapes TensorFlow
computes; a gradient that may be None (a tensor the tape was not told to watch, an integer
source) is left unknown."""

from __future__ import annotations

from oracle.harness import assert_agrees, run_engine


def test_gradients_have_their_sources_shapes() -> None:
    assert_agrees(
        """
        v = tf.Variable(tf.zeros((3, 4)))
        w = tf.Variable(tf.ones((4,)))
        with tf.GradientTape(persistent=True) as tape:
            y = tf.reduce_sum(tf.matmul(tf.ones((5, 3)), v) * w)
            z = tf.matmul(tf.ones((5, 3)), v)
        gv = tape.gradient(y, v)
        gv2, gw = tape.gradient(y, [v, w])
        j = tape.jacobian(z, v)
        """,
        ["gv", "gv2", "gw", "j"],
    )


def test_watched_inputs_give_input_gradients() -> None:
    assert_agrees(
        """
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
        def grad_h(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                h = model(x)
            return tape.gradient(h, x)
        x = tf.ones((6, 2))
        g = grad_h(x)
        p = x[:, 1:2] - 0.1 * g[:, 0:1]
        xb = tf.ones((8, 3))
        with tf.GradientTape() as t2:
            t2.watch(xb)
            out = tf.reduce_sum(xb * xb, axis=1, keepdims=True) * tf.ones((1, 2))
        bj = t2.batch_jacobian(out, xb)
        """,
        ["g", "p", "bj"],
    )


def test_unwatched_tensor_gradient_is_not_claimed() -> None:
    src = """
    x = tf.ones((4, 2))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(x * 2.0)
    g = tape.gradient(y, x)
    """
    assert_agrees(src, [], require_exact=False)
    assert "g" not in run_engine(src).values
