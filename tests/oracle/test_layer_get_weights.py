"""``layer.get_weights()`` of built Dense/ConvND/Embedding layers, a custom layer remade from
a config holding a serialized activation, and simulated-quantization ops, compared with
what Keras and TensorFlow compute."""

from __future__ import annotations

from oracle.harness import assert_agrees, run_engine


def test_get_weights_of_built_layers() -> None:
    assert_agrees(
        """
        m = keras.Sequential([
            keras.Input((48,)), keras.layers.Dense(192, name="fc1"), keras.layers.Dense(6, use_bias=False),
            keras.layers.Reshape((6, 1)), keras.layers.Conv1D(5, 3), keras.layers.Reshape((4, 5, 1)),
            keras.layers.Conv2D(7, (2, 3), use_bias=False),
        ])
        W, b = m.layers[0].get_weights()
        (K,) = m.layers[1].get_weights()
        ck, cb = m.layers[3].get_weights()
        (k2,) = m.layers[5].get_weights()
        u, s, vt = np.linalg.svd(W, full_matrices=False)
        e = keras.layers.Embedding(100, 8)
        out = e(np.zeros((2, 3), "int32"))
        (E,) = e.get_weights()
        """,
        ["W", "b", "K", "ck", "cb", "k2", "u", "s", "vt", "E"],
    )


def test_unbuilt_layer_has_no_weights_claimed() -> None:
    src = "d = keras.layers.Dense(3)\nws = d.get_weights()\nn = len(ws)\n"
    assert_agrees(src, [], require_exact=False)
    assert "ws" not in run_engine(src).values


def test_custom_layer_remade_with_a_serialized_activation() -> None:
    assert_agrees(
        """
        class LowRank(keras.layers.Layer):
            def __init__(self, units, rank, activation=None, **kwargs):
                super().__init__(**kwargs)
                self.units, self.rank = units, rank
                self.activation = keras.activations.get(activation)
            def build(self, input_shape):
                self.u = self.add_weight(shape=(input_shape[-1], self.rank))
                self.v = self.add_weight(shape=(self.rank, self.units))
            def call(self, x):
                return self.activation(tf.matmul(tf.matmul(x, self.u), self.v))
            def get_config(self):
                cfg = super().get_config()
                cfg.update(units=self.units, rank=self.rank, activation=keras.activations.serialize(self.activation))
                return cfg
        layer = LowRank.from_config(LowRank(10, 3, activation="relu").get_config())
        out = layer(tf.ones((2, 5)))
        name = keras.activations.serialize(keras.activations.get("gelu"))
        """,
        ["out"],
    )


def test_fake_quantization_keeps_shape_and_dtype() -> None:
    assert_agrees(
        """
        x = tf.random.normal((4, 6))
        a = tf.quantization.fake_quant_with_min_max_vars(x, -1.0, 1.0, num_bits=8)
        b = tf.quantization.fake_quant_with_min_max_args(x, min=-2.0, max=2.0)
        c = tf.quantization.fake_quant_with_min_max_vars_per_channel(x, -tf.ones((6,)), tf.ones((6,)), narrow_range=True)
        d = tf.quantization.quantize_and_dequantize_v2(x, -1.0, 1.0, range_given=True)
        """,
        ["a", "b", "c", "d"],
    )


def test_weights_sized_by_a_count_read_from_data_keep_its_name() -> None:
    """A vocabulary size read from data names the dims of the weights it sizes, so tying the
    output projection to the embedding matrix keeps the shape around it."""
    src = """
        n_words = int(np.random.randint(20, 30))
        emb = keras.layers.Embedding(n_words, 8)
        h = emb(np.zeros((2, 5), "int32"))
        bias = keras.Variable(np.zeros(n_words, "float32"))
        logits = tf.matmul(h, emb.embeddings, transpose_b=True) + bias
        """
    assert_agrees(src, ["h", "logits"], require_exact=False)
    logits = run_engine(src).values["logits"]
    assert logits.shape is not None and logits.shape[:2] == (2, 5) and len(logits.shape) == 3
