"""Minimal WaveNet in Keras.

Causal dilated Conv1D stack with gated activations (tanh * sigmoid), residual and
skip connections, trained on 8-bit mu-law quantised audio as a 256-way
classification problem. Toy sine-mixture data; a few hundred samples of
autoregressive generation at the end to show the sampling loop.
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


@dataclass
class WaveNetConfig:
    quantization_channels: int = 256
    residual_channels: int = 32
    skip_channels: int = 64
    kernel_size: int = 2
    # one dilation cycle; the paper stacks 3-5 of these
    dilations: list = field(default_factory=lambda: [1, 2, 4, 8, 16, 32])
    segment_length: int = 512
    batch_size: int = 8
    steps_per_epoch: int = 4
    learning_rate: float = 1e-3

    @property
    def receptive_field(self):
        return (self.kernel_size - 1) * sum(self.dilations) + 1


def mu_law_encode(audio, quantization_channels=256):
    mu = tf.cast(quantization_channels - 1, tf.float32)
    safe_audio_abs = tf.minimum(tf.abs(audio), 1.0)
    magnitude = tf.math.log1p(mu * safe_audio_abs) / tf.math.log1p(mu)
    signal = tf.sign(audio) * magnitude
    return tf.cast((signal + 1) / 2 * mu + 0.5, tf.int32)


def mu_law_decode(output, quantization_channels=256):
    mu = quantization_channels - 1
    signal = 2 * (tf.cast(output, tf.float32) / mu) - 1
    magnitude = (1.0 / mu) * ((1.0 + mu) ** tf.abs(signal) - 1.0)
    return tf.sign(signal) * magnitude


class GatedResidualBlock(layers.Layer):
    """One WaveNet layer: dilated causal conv -> gated unit -> 1x1 res + 1x1 skip."""

    def __init__(self, residual_channels, skip_channels, kernel_size, dilation_rate, **kwargs):
        super().__init__(**kwargs)
        self.residual_channels = residual_channels
        self.skip_channels = skip_channels
        self.kernel_size = kernel_size
        self.dilation_rate = dilation_rate

    def build(self, input_shape):
        # filter and gate computed with one conv, split along channels
        self.dilated_conv = layers.Conv1D(
            2 * self.residual_channels,
            self.kernel_size,
            dilation_rate=self.dilation_rate,
            padding="causal",
            name="dilated_conv",
        )
        self.res_proj = layers.Conv1D(self.residual_channels, 1, name="res_1x1")
        self.skip_proj = layers.Conv1D(self.skip_channels, 1, name="skip_1x1")
        self.dilated_conv.build(input_shape)
        gated_shape = tuple(input_shape[:-1]) + (self.residual_channels,)
        self.res_proj.build(gated_shape)
        self.skip_proj.build(gated_shape)
        super().build(input_shape)

    def call(self, x):
        h = self.dilated_conv(x)
        filt, gate = tf.split(h, 2, axis=-1)
        z = tf.tanh(filt) * tf.sigmoid(gate)
        skip = self.skip_proj(z)
        residual = self.res_proj(z) + x
        return residual, skip

    def get_config(self):
        cfg = super().get_config()
        cfg.update(
            residual_channels=self.residual_channels,
            skip_channels=self.skip_channels,
            kernel_size=self.kernel_size,
            dilation_rate=self.dilation_rate,
        )
        return cfg


def build_wavenet(cfg: WaveNetConfig):
    q = cfg.quantization_channels
    inputs = keras.Input(shape=(None,), dtype="int32", name="mu_law_samples")
    x = layers.Embedding(q, cfg.residual_channels, name="sample_embedding")(inputs)
    x = layers.Conv1D(cfg.residual_channels, 2, padding="causal", name="causal_in")(x)

    skips = []
    for i, d in enumerate(cfg.dilations):
        x, s = GatedResidualBlock(
            cfg.residual_channels, cfg.skip_channels, cfg.kernel_size, d, name=f"block_{i}_d{d}"
        )(x)
        skips.append(s)

    out = layers.Add(name="sum_skips")(skips)
    out = layers.Activation("relu")(out)
    out = layers.Conv1D(cfg.skip_channels, 1, activation="relu", name="post_1")(out)
    logits = layers.Conv1D(q, 1, name="post_2_logits")(out)
    return keras.Model(inputs, logits, name="wavenet")


def synthetic_audio_dataset(cfg: WaveNetConfig, sr=8000):
    """Random sinusoid mixtures, sliced into (input, next-sample target) pairs."""
    seg = cfg.segment_length

    def gen():
        rng = np.random.default_rng(0)
        t = np.arange(seg + 1) / sr
        while True:
            freqs = rng.uniform(100, 1000, size=3)
            amps = rng.uniform(0.1, 0.3, size=3)
            wav = sum(a * np.sin(2 * np.pi * f * t + rng.uniform(0, 6.28)) for a, f in zip(amps, freqs))
            yield wav.astype(np.float32)

    ds = tf.data.Dataset.from_generator(gen, output_signature=tf.TensorSpec((seg + 1,), tf.float32))
    ds = ds.map(lambda w: mu_law_encode(w, cfg.quantization_channels))
    # teacher forcing: predict x[t+1] from x[:t]
    ds = ds.map(lambda q: (q[:-1], q[1:]))
    return ds.batch(cfg.batch_size, drop_remainder=True).prefetch(2)


def generate(model, seed, n_samples, temperature=1.0, receptive_field=128):
    """Naive (non-cached) autoregressive sampling."""
    samples = list(seed)
    for _ in range(n_samples):
        window = np.array(samples[-receptive_field:], dtype=np.int32)[None, :]
        logits = model(window, training=False)[:, -1, :] / temperature
        nxt = tf.random.categorical(logits, 1)[0, 0].numpy()
        samples.append(int(nxt))
    return np.array(samples[len(seed):])


def main():
    cfg = WaveNetConfig()
    print(f"receptive field: {cfg.receptive_field} samples")
    model = build_wavenet(cfg)
    model.summary(expand_nested=False)

    model.compile(
        optimizer=keras.optimizers.Adam(cfg.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    ds = synthetic_audio_dataset(cfg)
    model.fit(ds, epochs=1, steps_per_epoch=cfg.steps_per_epoch, verbose=2)

    seed = mu_law_encode(tf.zeros([cfg.receptive_field])).numpy().tolist()
    out = generate(model, seed, n_samples=32, receptive_field=cfg.receptive_field)
    wav = mu_law_decode(out, cfg.quantization_channels).numpy()
    print("generated:", wav.shape, "range [%.3f, %.3f]" % (wav.min(), wav.max()))


if __name__ == "__main__":
    main()
