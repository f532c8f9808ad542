"""SpecAugment (time + frequency masking) as a hand-written Keras layer.

The model takes raw waveforms; a LogMelSpectrogram layer computes features on the
fly with tf.signal, then SpecAugment masks random bands during training only.
Both layers are serializable, so the whole thing round-trips through .keras files.
"""
import os

import numpy as np
import tensorflow as tf
import keras
from keras import layers

SR = 16000
CLIP_LEN = 8000            # 0.5 s
N_CLASSES = 3              # low hum / mid whistle / high chirp
BATCH_SIZE = 16
SAVE_PATH = "/tmp/blind/rw115/specaug_model.keras"


@keras.saving.register_keras_serializable(package="audio")
class LogMelSpectrogram(layers.Layer):
    def __init__(self, sample_rate=16000, n_fft=512, hop=160, n_mels=48, fmin=40.0, fmax=None, **kwargs):
        super().__init__(**kwargs)
        self.sample_rate = sample_rate
        self.n_fft = n_fft
        self.hop = hop
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax or sample_rate / 2

    def build(self, input_shape):
        self.mel_matrix = tf.signal.linear_to_mel_weight_matrix(
            self.n_mels, self.n_fft // 2 + 1, self.sample_rate, self.fmin, self.fmax
        )

    def call(self, waveforms):
        stft = tf.signal.stft(waveforms, frame_length=self.n_fft, frame_step=self.hop,
                              fft_length=self.n_fft, pad_end=True)
        mel = tf.tensordot(tf.abs(stft) ** 2, self.mel_matrix, axes=1)
        return tf.math.log(mel + 1e-6)[..., tf.newaxis]    # (B, T, F, 1)

    def compute_output_shape(self, input_shape):
        n_frames = None if input_shape[1] is None else -(-input_shape[1] // self.hop)
        return (input_shape[0], n_frames, self.n_mels, 1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(sample_rate=self.sample_rate, n_fft=self.n_fft, hop=self.hop,
                   n_mels=self.n_mels, fmin=self.fmin, fmax=self.fmax)
        return cfg


@keras.saving.register_keras_serializable(package="audio")
class SpecAugment(layers.Layer):
    """Masks `n_time_masks` bands of up to `max_time` frames and `n_freq_masks`
    bands of up to `max_freq` mel bins, independently per example.

    Masked cells are filled with the example's mean value.  Inference is a no-op.
    """

    def __init__(self, max_time=10, max_freq=8, n_time_masks=2, n_freq_masks=2, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.max_time = max_time
        self.max_freq = max_freq
        self.n_time_masks = n_time_masks
        self.n_freq_masks = n_freq_masks
        self.seed = seed
        self.seed_gen = keras.random.SeedGenerator(seed)

    def _band_mask(self, batch, axis_len, max_width):
        """(batch, axis_len) boolean, True where a random band [start, start+w) falls."""
        axis_len_f = tf.cast(axis_len, "float32")
        w = tf.floor(keras.random.uniform((batch, 1), 0.0, max_width + 1.0, seed=self.seed_gen))
        w = tf.minimum(w, axis_len_f)
        start = tf.floor(keras.random.uniform((batch, 1), seed=self.seed_gen) * (axis_len_f - w + 1.0))
        pos = tf.cast(tf.range(axis_len), "float32")[tf.newaxis, :]
        return tf.logical_and(pos >= start, pos < start + w)

    def call(self, spec, training=None):
        if not training:
            return spec
        shape = tf.shape(spec)
        batch, n_time, n_freq = shape[0], shape[1], shape[2]

        time_mask = tf.zeros((batch, n_time), dtype=tf.bool)
        for _ in range(self.n_time_masks):
            time_mask = tf.logical_or(time_mask, self._band_mask(batch, n_time, self.max_time))
        freq_mask = tf.zeros((batch, n_freq), dtype=tf.bool)
        for _ in range(self.n_freq_masks):
            freq_mask = tf.logical_or(freq_mask, self._band_mask(batch, n_freq, self.max_freq))

        full = tf.logical_or(time_mask[:, :, None], freq_mask[:, None, :])[..., None]
        fill = tf.reduce_mean(spec, axis=[1, 2, 3], keepdims=True) * tf.ones_like(spec)
        return tf.where(full, fill, spec)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(max_time=self.max_time, max_freq=self.max_freq, n_time_masks=self.n_time_masks,
                   n_freq_masks=self.n_freq_masks, seed=self.seed)
        return cfg


# ------------------------------------------------------------------ data
def make_clip(cls, rng):
    t = np.arange(CLIP_LEN) / SR
    if cls == 0:
        f = rng.uniform(100, 250)
        y = np.sin(2 * np.pi * f * t) + 0.5 * np.sin(4 * np.pi * f * t)
    elif cls == 1:
        y = np.sin(2 * np.pi * rng.uniform(1500, 2500) * t)
    else:
        f0, f1 = rng.uniform(3000, 4000), rng.uniform(5000, 7000)
        y = np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t ** 2 / (2 * t[-1])))
    y *= rng.uniform(0.2, 1.0)
    # noise burst somewhere in the clip, everyone gets one
    s = rng.integers(0, CLIP_LEN - 1000)
    y[s:s + 1000] += rng.normal(0, 0.5, 1000)
    return y.astype("float32")


rng = np.random.default_rng(11)
labels = rng.integers(0, N_CLASSES, 240)
clips = np.stack([make_clip(c, rng) for c in labels])

# ------------------------------------------------------------------ sanity-check the augmenter
frontend = LogMelSpectrogram(sample_rate=SR)
augment = SpecAugment(max_time=8, max_freq=6, seed=0)
spec = frontend(clips[:4])
aug = augment(spec, training=True)
changed = tf.reduce_mean(tf.cast(tf.not_equal(spec, aug), "float32"), axis=[1, 2, 3])
print("spec shape:", spec.shape)
print("fraction of cells masked per example:", np.round(changed.numpy(), 3))
assert np.allclose(augment(spec, training=False).numpy(), spec.numpy()), "inference must be identity"


# ------------------------------------------------------------------ model
def build_model():
    wav = keras.Input(shape=(CLIP_LEN,), name="waveform")
    x = LogMelSpectrogram(sample_rate=SR, name="logmel")(wav)
    x = layers.Normalization(axis=None, name="norm")(x)
    x = SpecAugment(max_time=8, max_freq=6, name="specaug")(x)
    for filters in (16, 32):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(48, 3, padding="same", activation="relu")(x)
    x = layers.GlobalMaxPooling2D()(x)
    out = layers.Dense(N_CLASSES, activation="softmax")(x)
    return keras.Model(wav, out)


model = build_model()
# adapt the Normalization layer on a few log-mel batches
model.get_layer("norm").adapt(frontend(clips[:64]))
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
model.summary()

ds = tf.data.Dataset.from_tensor_slices((clips, labels)).shuffle(240, seed=1, reshuffle_each_iteration=False).batch(BATCH_SIZE)
val = ds.take(3)
train = ds.skip(3)
model.fit(train, validation_data=val, epochs=2, verbose=2)

# ------------------------------------------------------------------ save / reload
model.save(SAVE_PATH)
reloaded = keras.models.load_model(SAVE_PATH)
a = model.predict(clips[:8], verbose=0)
b = reloaded.predict(clips[:8], verbose=0)
print("reloaded predictions match:", np.allclose(a, b, atol=1e-5))
print("specaug config:", reloaded.get_layer("specaug").get_config())
os.remove(SAVE_PATH)
