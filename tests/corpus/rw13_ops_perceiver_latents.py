"""Perceiver-style classifier: a learned latent array cross-attends to inputs.

The input is a long sequence of tokens (a flattened small 2D "image" plus
Fourier position features built with keras.ops).  A small learned latent
array queries the inputs with cross-attention, then a latent transformer
refines it.  Everything is backend-agnostic keras.ops; the dataset is random.
"""
import math

import numpy as np
import keras
from keras import layers, ops

SEQ_LEN = 256       # 16 x 16 grid flattened
IN_CHANNELS = 3
NUM_LATENTS = 16
LATENT_DIM = 64
NUM_BANDS = 4
NUM_CLASSES = 5


def fourier_position_features(length, num_bands):
    pos = ops.cast(ops.arange(length), "float32") / float(length)
    freqs = ops.cast(ops.arange(1, num_bands + 1), "float32") * math.pi
    angles = ops.expand_dims(pos, -1) * ops.expand_dims(freqs, 0)  # (L, bands)
    feats = ops.concatenate([ops.sin(angles), ops.cos(angles), ops.expand_dims(pos, -1)], axis=-1)
    return feats  # (L, 2*bands + 1)


@keras.saving.register_keras_serializable(package="rw13")
class AddPositionFeatures(layers.Layer):
    def __init__(self, num_bands, **kwargs):
        super().__init__(**kwargs)
        self.num_bands = num_bands

    def call(self, x):
        length = x.shape[1]
        pos = fourier_position_features(length, self.num_bands)
        pos = ops.expand_dims(pos, 0)
        pos = ops.broadcast_to(pos, (ops.shape(x)[0], length, pos.shape[-1]))
        return ops.concatenate([x, ops.cast(pos, x.dtype)], axis=-1)

    def get_config(self):
        return {**super().get_config(), "num_bands": self.num_bands}


@keras.saving.register_keras_serializable(package="rw13")
class LatentArray(layers.Layer):
    """Returns the learned latent array tiled over the batch."""

    def __init__(self, num_latents, latent_dim, **kwargs):
        super().__init__(**kwargs)
        self.num_latents = num_latents
        self.latent_dim = latent_dim

    def build(self, input_shape):
        self.latents = self.add_weight(
            shape=(self.num_latents, self.latent_dim),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            name="latents",
        )

    def call(self, inputs):
        batch = ops.shape(inputs)[0]
        lat = ops.expand_dims(self.latents, 0)
        return ops.tile(lat, (batch, 1, 1))

    def get_config(self):
        return {
            **super().get_config(),
            "num_latents": self.num_latents,
            "latent_dim": self.latent_dim,
        }


def feed_forward(x, dim, name):
    h = layers.LayerNormalization(name=f"{name}_ln")(x)
    h = layers.Dense(dim * 2, activation="gelu", name=f"{name}_fc1")(h)
    h = layers.Dense(dim, name=f"{name}_fc2")(h)
    return layers.Add(name=f"{name}_add")([x, h])


def build_perceiver(num_latent_blocks=2):
    inputs = keras.Input((SEQ_LEN, IN_CHANNELS), name="tokens")
    data = AddPositionFeatures(NUM_BANDS)(inputs)
    data = layers.Dense(LATENT_DIM, name="input_proj")(data)
    data = layers.LayerNormalization(name="input_ln")(data)

    latents = LatentArray(NUM_LATENTS, LATENT_DIM, name="latent_array")(inputs)

    # Cross-attention: latents are the query, the long input is key/value.
    q = layers.LayerNormalization(name="cross_q_ln")(latents)
    cross = layers.MultiHeadAttention(num_heads=1, key_dim=LATENT_DIM, name="cross_attn")(q, data)
    latents = layers.Add(name="cross_add")([latents, cross])
    latents = feed_forward(latents, LATENT_DIM, "cross_ff")

    for i in range(num_latent_blocks):
        h = layers.LayerNormalization(name=f"self_{i}_ln")(latents)
        h = layers.MultiHeadAttention(num_heads=4, key_dim=LATENT_DIM // 4, name=f"self_{i}_attn")(h, h)
        latents = layers.Add(name=f"self_{i}_add")([latents, h])
        latents = feed_forward(latents, LATENT_DIM, f"self_{i}_ff")

    pooled = layers.Lambda(lambda t: ops.mean(t, axis=1), name="latent_mean")(latents)
    outputs = layers.Dense(NUM_CLASSES, name="logits")(pooled)
    return keras.Model(inputs, outputs, name="perceiver_mini")


if __name__ == "__main__":
    keras.utils.set_random_seed(7)
    seed = keras.random.SeedGenerator(42)
    x = keras.random.normal((96, SEQ_LEN, IN_CHANNELS), seed=seed)
    x = ops.convert_to_numpy(x)
    y = np.random.randint(0, NUM_CLASSES, size=(96,))

    model = build_perceiver()
    model.compile(
        optimizer=keras.optimizers.Adam(3e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    print("params:", model.count_params())
    history = model.fit(x, y, batch_size=32, epochs=1, validation_split=0.25, verbose=2)
    print("final loss:", history.history["loss"][-1])

    logits = model(x[:2], training=False)
    probs = ops.softmax(logits, axis=-1)
    print("probs:", ops.convert_to_numpy(probs).round(3))
