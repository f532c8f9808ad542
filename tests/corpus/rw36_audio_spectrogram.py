# Audio classification from raw waveforms: log-mel frontend written with keras.ops,
# SpecAugment-style masking with keras.random, and a small spectrogram transformer.
import math
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

SAMPLE_RATE = 8000
CLIP_SECONDS = 1.0
N_FFT = 256
HOP = 128
N_MELS = 40
N_CLASSES = 6
BATCH_SIZE = 8


def hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + f / 700.0)


def mel_to_hz(m):
    return 700.0 * (10 ** (m / 2595.0) - 1.0)


def mel_filterbank(n_fft, n_mels, sr, fmin=20.0, fmax=None):
    fmax = fmax or sr / 2
    n_bins = n_fft // 2 + 1
    mel_pts = np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2)
    hz_pts = mel_to_hz(mel_pts)
    bins = np.floor((n_fft + 1) * hz_pts / sr).astype(int)
    fb = np.zeros((n_bins, n_mels), dtype="float32")
    for m in range(1, n_mels + 1):
        left, center, right = bins[m - 1], bins[m], bins[m + 1]
        for k in range(left, center):
            fb[k, m - 1] = (k - left) / max(center - left, 1)
        for k in range(center, right):
            fb[k, m - 1] = (right - k) / max(right - center, 1)
    return fb


@keras.saving.register_keras_serializable(package="audio")
class LogMelSpectrogram(layers.Layer):
    """waveform (batch, samples) -> (batch, frames, n_mels, 1)"""

    def __init__(self, n_fft=256, hop_length=128, n_mels=40, sample_rate=8000, **kwargs):
        super().__init__(**kwargs)
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.n_mels = n_mels
        self.sample_rate = sample_rate
        self.mel_matrix = ops.convert_to_tensor(
            mel_filterbank(n_fft, n_mels, sample_rate)
        )

    def call(self, waveform):
        real, imag = ops.stft(
            waveform,
            sequence_length=self.n_fft,
            sequence_stride=self.hop_length,
            fft_length=self.n_fft,
            window="hann",
            center=True,
        )
        power = ops.square(real) + ops.square(imag)  # (B, frames, n_fft//2+1)
        mel = ops.matmul(power, self.mel_matrix)  # (B, frames, n_mels)
        log_mel = ops.log(mel + 1e-6)
        return ops.expand_dims(log_mel, axis=-1)

    def compute_output_shape(self, input_shape):
        frames = None
        if input_shape[1] is not None:
            frames = input_shape[1] // self.hop_length + 1
        return (input_shape[0], frames, self.n_mels, 1)

    def get_config(self):
        config = super().get_config()
        config.update(
            dict(n_fft=self.n_fft, hop_length=self.hop_length,
                 n_mels=self.n_mels, sample_rate=self.sample_rate)
        )
        return config


class SpecAugment(layers.Layer):
    def __init__(self, max_time_mask=8, max_freq_mask=6, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.max_time_mask = max_time_mask
        self.max_freq_mask = max_freq_mask
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, spec, training=None):
        if not training:
            return spec
        shape = ops.shape(spec)
        t_len, f_len = shape[1], shape[2]
        t0 = keras.random.randint((), 0, t_len - self.max_time_mask, seed=self.seed_generator)
        f0 = keras.random.randint((), 0, f_len - self.max_freq_mask, seed=self.seed_generator)
        t_idx = ops.arange(t_len)
        f_idx = ops.arange(f_len)
        t_mask = ops.logical_and(t_idx >= t0, t_idx < t0 + self.max_time_mask)
        f_mask = ops.logical_and(f_idx >= f0, f_idx < f0 + self.max_freq_mask)
        mask = ops.logical_or(t_mask[:, None], f_mask[None, :])  # (T, F)
        mask = ops.cast(ops.logical_not(mask), spec.dtype)
        return spec * mask[None, :, :, None]


def transformer_block(x, dim, heads, mlp_ratio=2, drop=0.1, name=None):
    h = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_ln1")(x)
    h = layers.MultiHeadAttention(heads, dim // heads, dropout=drop, name=f"{name}_mha")(h, h)
    x = layers.Add(name=f"{name}_add1")([x, h])
    h = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_ln2")(x)
    h = layers.Dense(dim * mlp_ratio, activation="gelu", name=f"{name}_fc1")(h)
    h = layers.Dense(dim, name=f"{name}_fc2")(h)
    return layers.Add(name=f"{name}_add2")([x, h])


def build_model(num_samples, dim=64, depth=2, heads=4, patch=(4, 8)):
    wave_in = keras.Input(shape=(num_samples,), name="waveform")
    spec = LogMelSpectrogram(N_FFT, HOP, N_MELS, SAMPLE_RATE, name="logmel")(wave_in)
    spec = layers.BatchNormalization(name="spec_bn")(spec)
    spec = SpecAugment(seed=1, name="specaug")(spec)

    # patchify (time x freq) with a strided conv, like AST
    x = layers.Conv2D(dim, kernel_size=patch, strides=patch, name="patch_embed")(spec)
    n_t, n_f = x.shape[1], x.shape[2]
    x = layers.Reshape((n_t * n_f, dim), name="tokens")(x)
    pos = layers.Embedding(n_t * n_f, dim, name="pos_embed")(ops.arange(n_t * n_f))
    x = x + pos

    for i in range(depth):
        x = transformer_block(x, dim, heads, name=f"block{i}")
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    x = layers.GlobalAveragePooling1D()(x)
    out = layers.Dense(N_CLASSES, activation="softmax", name="probs")(x)
    return keras.Model(wave_in, out, name="tiny_ast")


def make_synthetic_clips(n):
    num_samples = int(SAMPLE_RATE * CLIP_SECONDS)
    t = np.arange(num_samples) / SAMPLE_RATE
    labels = np.random.randint(0, N_CLASSES, size=n)
    clips = []
    for lbl in labels:
        freq = 200.0 * (lbl + 1) + np.random.uniform(-20, 20)
        clip = 0.5 * np.sin(2 * math.pi * freq * t) + 0.05 * np.random.randn(num_samples)
        clips.append(clip)
    return np.stack(clips).astype("float32"), labels.astype("int32")


waves, labels = make_synthetic_clips(64)
print("waveforms:", waves.shape)

ds = tf.data.Dataset.from_tensor_slices((waves, labels))
ds = ds.shuffle(64).map(lambda w, y: (w / (tf.reduce_max(tf.abs(w)) + 1e-6), y))
ds = ds.batch(BATCH_SIZE).prefetch(2)

model = build_model(waves.shape[1])
model.summary(line_length=100)

frontend = model.get_layer("logmel")
print("logmel output:", frontend(waves[:2]).shape,
      "compute_output_shape:", frontend.compute_output_shape((None, waves.shape[1])))

model.compile(
    optimizer=keras.optimizers.Adam(3e-4),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(ds, epochs=2, verbose=2)
probs = model.predict(waves[:4], verbose=0)
print("probs:", probs.shape, probs.sum(axis=1))

# serialization round-trip of the frontend
cfg = frontend.get_config()
clone = LogMelSpectrogram.from_config(cfg)
np.testing.assert_allclose(clone(waves[:2]), frontend(waves[:2]), rtol=1e-5)
print("frontend config:", {k: cfg[k] for k in ("n_fft", "hop_length", "n_mels")})
