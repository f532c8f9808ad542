"""keras.utils.pad_sequences and keras.activations, compared with real Keras."""

import pytest

from oracle.harness import assert_agrees


@pytest.mark.parametrize(
    "args",
    ["", ", maxlen=3", ", maxlen=12, padding='post'", ", maxlen=5, dtype='float32'", ", maxlen=4, truncating='post'"],
)
def test_pad_sequences(args: str) -> None:
    assert_agrees(
        f"""
        seqs = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10, 11]]
        padded = keras.utils.pad_sequences(seqs{args})
        """,
        ["padded"],
    )


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax", "gelu", "silu", "linear", "elu"])
def test_activation_functions_keep_shape(name: str) -> None:
    assert_agrees(
        f"""
        x = tf.random.normal((4, 7))
        a = keras.activations.{name}(x)
        f = keras.activations.get("{name}")
        b = f(x)
        k = keras.activations.{name}(keras.Input(shape=(3, 5)))
        """,
        ["a", "b", "k"],
    )


def test_custom_layer_keeping_an_activation_object() -> None:
    assert_agrees(
        """
        class Scale(keras.layers.Layer):
            def __init__(self, units, activation=None):
                super().__init__()
                self.units = units
                self.activation = keras.activations.get(activation)

            def build(self, input_shape):
                self.w = self.add_weight(shape=(input_shape[-1], self.units))

            def call(self, inputs):
                return self.activation(tf.matmul(inputs, self.w))

        y = Scale(6, activation="relu")(tf.ones((2, 3)))
        z = Scale(2)(tf.ones((5, 3)))
        """,
        ["y", "z"],
    )


def test_backend_image_data_format_picks_the_channels_last_branch() -> None:
    assert_agrees(
        """
        from keras import backend as K
        if K.image_data_format() == "channels_first":
            shape = (1, 28, 28)
        else:
            shape = (28, 28, 1)
        x = keras.Input(shape=shape)
        y = layers.Conv2D(4, 3)(x)
        dims = tuple(y.shape)  # Keras 3 has no backend.int_shape
        z = layers.Dense(dims[-1] * 2)(y)
        """,
        ["x", "y", "z"],
    )
