"""End-to-end audio classifier that takes raw waveforms.

Feature extraction lives *inside* the model as custom layers so the exported
model accepts PCM directly:
  * LogMelSpectrogram  - tf.signal.stft + mel filterbank (non-trainable weight)
  * SpecAugment        - random time / frequency masks, training only
  * AttentionPooling   - learned softmax weights over time frames
Trained for one epoch on synthetic "environmental sounds".
"""
import math

import numpy as np
import tensorflow as tf
from tensorflow import keras

SAMPLE_RATE = 16000
DURATION_S = 1.0
NUM_CLASSES = 5
BATCH_SIZE = 8


class LogMelSpectrogram(keras.layers.Layer):
    def __init__(self, sample_rate=16000, fft_size=512, hop_size=160, n_mels=64,
                 f_min=0.0, f_max=None, **kwargs):
        super().__init__(**kwargs)
        self.sample_rate = sample_rate
        self.fft_size = fft_size
        self.hop_size = hop_size
        self.n_mels = n_mels
        self.f_min = f_min
        self.f_max = f_max if f_max is not None else sample_rate / 2

    def build(self, input_shape):
        mel = tf.signal.linear_to_mel_weight_matrix(
            num_mel_bins=self.n_mels,
            num_spectrogram_bins=self.fft_size // 2 + 1,
            sample_rate=self.sample_rate,
            lower_edge_hertz=self.f_min,
            upper_edge_hertz=self.f_max,
        )
        self.mel_filterbank = self.add_weight(
            name="mel_filterbank",
            shape=mel.shape,
            initializer=keras.initializers.Constant(mel.numpy()),
            trainable=False,
        )
        super().build(input_shape)

    def call(self, waveforms):
        # waveforms: (batch, samples)
        spec = tf.signal.stft(waveforms, frame_length=self.fft_size,
                              frame_step=self.hop_size, pad_end=True)
        power = tf.math.square(tf.abs(spec))
        mel = tf.matmul(power, self.mel_filterbank)
        log_mel = 10.0 * tf.math.log(mel + 1e-6) / math.log(10.0)   # dB
        return log_mel[..., tf.newaxis]                            # (B, T, M, 1)

    def compute_output_shape(self, input_shape):
        frames = None
        if input_shape[1] is not None:
            frames = int(math.ceil(input_shape[1] / self.hop_size))
        return (input_shape[0], frames, self.n_mels, 1)

    def get_config(self):
        config = super().get_config()
        config.update(dict(sample_rate=self.sample_rate, fft_size=self.fft_size,
                           hop_size=self.hop_size, n_mels=self.n_mels,
                           f_min=self.f_min, f_max=self.f_max))
        return config


class SpecAugment(keras.layers.Layer):
    """Mask one random band of frequencies and one of time steps per example."""

    def __init__(self, freq_mask_param=8, time_mask_param=20, **kwargs):
        super().__init__(**kwargs)
        self.freq_mask_param = freq_mask_param
        self.time_mask_param = time_mask_param

    def _mask_along(self, x, axis, max_width):
        batch = tf.shape(x)[0]
        size = tf.shape(x)[axis]
        width = tf.random.uniform([batch, 1], 0, max_width + 1, dtype=tf.int32)
        start = tf.random.uniform([batch, 1], 0, tf.maximum(size - max_width, 1), dtype=tf.int32)
        idx = tf.range(size)[tf.newaxis, :]
        keep = tf.logical_or(idx < start, idx >= start + width)   # (B, size)
        keep = tf.cast(keep, x.dtype)
        if axis == 1:
            keep = keep[:, :, tf.newaxis, tf.newaxis]
        else:
            keep = keep[:, tf.newaxis, :, tf.newaxis]
        return x * keep

    def call(self, x, training=None):
        if not training:
            return x
        x = self._mask_along(x, axis=2, max_width=self.freq_mask_param)
        x = self._mask_along(x, axis=1, max_width=self.time_mask_param)
        return x


class AttentionPooling(keras.layers.Layer):
    def build(self, input_shape):
        d = input_shape[-1]
        self.score_dense = keras.layers.Dense(d // 2, activation="tanh")
        self.score_out = keras.layers.Dense(1, use_bias=False)
        self.score_dense.build(input_shape)
        self.score_out.build(tuple(input_shape[:-1]) + (d // 2,))

    def call(self, x):
        # x: (B, T, D)
        scores = self.score_out(self.score_dense(x))     # (B, T, 1)
        weights = keras.ops.softmax(scores, axis=1)
        return keras.ops.sum(weights * x, axis=1)        # (B, D)


def conv_bn_relu(x, filters, pool):
    x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu")(x)
    return keras.layers.MaxPool2D(pool)(x)


def build_model(n_samples):
    wav_in = keras.Input(shape=(n_samples,), name="waveform")
    x = LogMelSpectrogram(SAMPLE_RATE, n_mels=64, name="log_mel")(wav_in)
    x = keras.layers.BatchNormalization(axis=2, name="mel_bn")(x)   # per-mel-bin norm
    x = SpecAugment(name="spec_augment")(x)
    for filters, pool in [(16, (2, 2)), (32, (2, 2)), (64, (2, 2))]:
        x = conv_bn_relu(x, filters, pool)
    # collapse frequency, keep time: (B, T', F', C) -> (B, T', C)
    x = keras.layers.Lambda(lambda t: tf.reduce_mean(t, axis=2), name="freq_mean")(x)
    x = AttentionPooling(name="attn_pool")(x)
    x = keras.layers.Dropout(0.2)(x)
    out = keras.layers.Dense(NUM_CLASSES, activation="softmax")(x)
    return keras.Model(wav_in, out, name="raw_audio_classifier")


def synth_sound(label, n, rng):
    t = np.arange(n) / SAMPLE_RATE
    if label == 0:    # "siren": frequency sweep
        s = np.sin(2 * np.pi * (600 + 400 * np.sin(2 * np.pi * 2 * t)) * t)
    elif label == 1:  # "dog bark": short bursts of noise
        s = rng.normal(size=n) * (np.sin(2 * np.pi * 3 * t) > 0.7)
    elif label == 2:  # "engine": low hum with harmonics
        s = sum(np.sin(2 * np.pi * 60 * k * t) / k for k in range(1, 6))
    elif label == 3:  # "rain": pink-ish noise
        s = np.cumsum(rng.normal(size=n)) * 0.01
        s -= s.mean()
    else:             # "bird": high chirps
        s = np.sin(2 * np.pi * 4000 * t) * (np.sin(2 * np.pi * 8 * t) > 0.5)
    s = s / (np.abs(s).max() + 1e-8)
    return (s + 0.02 * rng.normal(size=n)).astype("float32")


def main():
    rng = np.random.default_rng(0)
    n = int(SAMPLE_RATE * DURATION_S)
    labels = rng.integers(0, NUM_CLASSES, size=48)
    wavs = np.stack([synth_sound(int(l), n, rng) for l in labels])

    model = build_model(n)
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])

    ds = (tf.data.Dataset.from_tensor_slices((wavs, labels))
          .shuffle(64)
          .batch(BATCH_SIZE)
          .prefetch(tf.data.AUTOTUNE))
    model.fit(ds, epochs=1, verbose=2)

    # sanity check: SpecAugment should be a no-op in inference mode
    log_mel = model.get_layer("log_mel")(wavs[:2])
    aug = model.get_layer("spec_augment")
    same = np.allclose(aug(log_mel, training=False), log_mel)
    masked_frac = float(tf.reduce_mean(tf.cast(aug(log_mel, training=True) == 0.0, tf.float32)))
    print("log-mel:", log_mel.shape, "| inference passthrough:", same,
          "| masked fraction (train): %.3f" % masked_frac)
    print("predictions:", np.argmax(model.predict(wavs[:4], verbose=0), axis=-1), "true:", labels[:4])


if __name__ == "__main__":
    main()
