"""Masking and padding with Keras.

Covers: pad_sequences, Embedding(mask_zero=True), the Masking layer,
mask propagation in functional and subclassed models, a mask-consuming
custom layer (TemporalSoftmax) and a mask-generating layer.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


@dataclass
class Config:
    vocab_size: int = 5000
    embed_dim: int = 16
    lstm_units: int = 32
    num_samples: int = 128
    max_len: int = 20
    batch_size: int = 32


CFG = Config()


def make_ragged_corpus(n, vocab, max_len, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, max_len + 1, size=n)
    return [list(rng.integers(1, vocab, size=l)) for l in lengths]


def padding_demo():
    raw_inputs = [
        [711, 632, 71],
        [73, 8, 3215, 55, 927],
        [83, 91, 1, 645, 1253, 927],
    ]
    padded_inputs = keras.utils.pad_sequences(raw_inputs, padding="post")
    print("post-padded:\n", padded_inputs)

    embedding = layers.Embedding(input_dim=CFG.vocab_size, output_dim=CFG.embed_dim, mask_zero=True)
    masked_output = embedding(padded_inputs)
    print("embedding mask:\n", masked_output._keras_mask)

    masking_layer = layers.Masking()
    # Simulate the embedding lookup by expanding the 2D input to 3D,
    # with embedding dimension of 10.
    unmasked_embedding = ops.cast(
        ops.tile(ops.expand_dims(padded_inputs, axis=-1), [1, 1, 10]), dtype="float32"
    )
    masked_embedding = masking_layer(unmasked_embedding)
    print("masking layer mask:\n", masked_embedding._keras_mask)


def build_functional_model():
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=CFG.vocab_size, output_dim=CFG.embed_dim, mask_zero=True)(inputs)
    outputs = layers.LSTM(CFG.lstm_units)(x)
    return keras.Model(inputs, outputs)


class MyLayer(layers.Layer):
    """Subclassed layer that passes the embedding mask explicitly to the LSTM."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.embedding = layers.Embedding(input_dim=CFG.vocab_size, output_dim=CFG.embed_dim, mask_zero=True)
        self.lstm = layers.LSTM(CFG.lstm_units)

    def call(self, inputs):
        x = self.embedding(inputs)
        mask = self.embedding.compute_mask(inputs)
        return self.lstm(x, mask=mask)


class TemporalSplit(layers.Layer):
    """Split the input tensor into 2 tensors along the time dimension."""

    def call(self, inputs):
        return ops.split(inputs, 2, axis=1)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        return ops.split(mask, 2, axis=1)


class CustomEmbedding(layers.Layer):
    """Embedding that generates its own mask (token id 0 == padding)."""

    def __init__(self, input_dim, output_dim, mask_zero=False, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.mask_zero = mask_zero

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim), initializer="random_normal", dtype="float32"
        )

    def call(self, inputs):
        inputs = ops.cast(inputs, "int32")
        return ops.take(self.embeddings, inputs, axis=0)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)


class TemporalSoftmax(layers.Layer):
    """Softmax over the time axis that ignores padded timesteps."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        assert mask is not None
        broadcast_float_mask = ops.expand_dims(ops.cast(mask, "float32"), -1)
        inputs_exp = ops.exp(inputs) * broadcast_float_mask
        inputs_sum = ops.sum(inputs_exp * broadcast_float_mask, axis=1, keepdims=True)
        return inputs_exp / inputs_sum


def mask_propagation_demo():
    first_half, second_half = TemporalSplit()(ops.ones((3, 10, 4)))
    print("split shapes:", first_half.shape, second_half.shape)

    layer = CustomEmbedding(10, 32, mask_zero=True)
    x = np.random.random((3, 10)) * 9
    x = x.astype("int32")
    y = layer(x)
    mask = layer.compute_mask(x)
    print("custom embedding mask shape:", mask.shape, "out:", y.shape)


def masked_softmax_classifier():
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=10, output_dim=32, mask_zero=True)(inputs)
    x = layers.Dense(1)(x)
    outputs = TemporalSoftmax()(x)
    model = keras.Model(inputs, outputs)
    y = model(np.random.randint(0, 10, size=(32, 100)))
    print("temporal softmax output:", y.shape)


def train_masked_lstm():
    corpus = make_ragged_corpus(CFG.num_samples, CFG.vocab_size, CFG.max_len)
    x = keras.utils.pad_sequences(corpus, maxlen=CFG.max_len, padding="post", truncating="post")
    y = np.random.randint(0, 2, size=(CFG.num_samples, 1))

    encoder = build_functional_model()
    inputs = keras.Input(shape=(None,), dtype="int32")
    features = encoder(inputs)
    outputs = layers.Dense(1, activation="sigmoid")(features)
    clf = keras.Model(inputs, outputs, name="masked_lstm_clf")
    clf.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(256).batch(CFG.batch_size)
    clf.fit(ds, epochs=1, verbose=2)

    sub = MyLayer()
    out = sub(x[:4])
    print("subclassed masked LSTM output:", out.shape)


if __name__ == "__main__":
    padding_demo()
    mask_propagation_demo()
    masked_softmax_classifier()
    train_masked_lstm()
