"""Keyword-spotting style audio classifier on raw 16 kHz waveforms.

A custom LogMelSpectrogram layer computes tf.signal.stft -> mel filterbank ->
log inside the model (so the exported model takes raw audio), followed by
SpecAugment-ish masking during training and a small 2D CNN with residual
blocks. Uses synthetic "keywords" made of chirps/tones plus noise.
"""
import os
import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import layers

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SR = 16000
CLIP_SECONDS = 0.5
N_SAMPLES = int(SR * CLIP_SECONDS)
LABELS = ["yes", "no", "up", "down", "_silence_"]
cfg = {"frame_length": 400, "frame_step": 160, "fft_length": 512, "n_mels": 40,
       "fmin": 20.0, "fmax": 7600.0, "batch": 16}


def synth_clip(label_idx, rs):
    t = np.arange(N_SAMPLES) / SR
    if LABELS[label_idx] == "_silence_":
        sig = np.zeros_like(t)
    else:
        f0 = 300 + 250 * label_idx
        sweep = (1 + label_idx % 2) * 400 * t  # up/down-ish chirp
        sig = np.sin(2 * np.pi * (f0 + sweep) * t)
        env = np.exp(-((t - CLIP_SECONDS / 2) ** 2) / 0.01)
        sig = sig * env
    sig = sig + rs.normal(scale=0.05, size=t.shape)
    return sig.astype("float32")


def make_dataset(n, seed):
    rs = np.random.RandomState(seed)
    ys = rs.randint(0, len(LABELS), size=n)
    xs = np.stack([synth_clip(y, rs) for y in ys])
    return xs, ys.astype("int32")


class LogMelSpectrogram(layers.Layer):
    def __init__(self, sample_rate, frame_length, frame_step, fft_length, n_mels,
                 fmin, fmax, **kwargs):
        super().__init__(**kwargs)
        self.sample_rate = sample_rate
        self.frame_length = frame_length
        self.frame_step = frame_step
        self.fft_length = fft_length
        self.n_mels = n_mels
        self.fmin, self.fmax = fmin, fmax
        self.mel_matrix = tf.signal.linear_to_mel_weight_matrix(
            num_mel_bins=n_mels,
            num_spectrogram_bins=fft_length // 2 + 1,
            sample_rate=sample_rate,
            lower_edge_hertz=fmin,
            upper_edge_hertz=fmax)

    def call(self, waveforms):
        stft = tf.signal.stft(waveforms, frame_length=self.frame_length,
                              frame_step=self.frame_step, fft_length=self.fft_length,
                              window_fn=tf.signal.hann_window, pad_end=True)
        power = tf.math.square(tf.abs(stft))
        mel = tf.tensordot(power, self.mel_matrix, axes=1)
        log_mel = tf.math.log(mel + 1e-6)
        return log_mel[..., tf.newaxis]  # (batch, frames, mels, 1)

    def get_config(self):
        base = super().get_config()
        base.update(dict(sample_rate=self.sample_rate, frame_length=self.frame_length,
                         frame_step=self.frame_step, fft_length=self.fft_length,
                         n_mels=self.n_mels, fmin=self.fmin, fmax=self.fmax))
        return base


class SpecMask(layers.Layer):
    """Zero out one random block of time frames and one of mel bins (train only)."""

    def __init__(self, max_t=8, max_f=6, **kw):
        super().__init__(**kw)
        self.max_t, self.max_f = max_t, max_f

    def _mask(self, x, axis, max_width):
        size = tf.shape(x)[axis]
        width = tf.random.uniform([], 0, max_width, dtype=tf.int32)
        start = tf.random.uniform([], 0, size - width, dtype=tf.int32)
        idx = tf.range(size)
        keep = tf.cast((idx < start) | (idx >= start + width), x.dtype)
        shape = [1, 1, 1, 1]
        shape[axis] = -1
        return x * tf.reshape(keep, shape)

    def call(self, x, training=None):
        if not training:
            return x
        x = self._mask(x, 1, self.max_t)
        return self._mask(x, 2, self.max_f)


def res_block(x, filters, stride=1):
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = layers.BatchNormalization()(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(shortcut)
        shortcut = layers.BatchNormalization()(shortcut)
    return layers.ReLU()(layers.add([y, shortcut]))


def get_model(num_classes):
    wav = keras.Input(shape=(N_SAMPLES,), name="waveform")
    x = LogMelSpectrogram(SR, cfg["frame_length"], cfg["frame_step"], cfg["fft_length"],
                          cfg["n_mels"], cfg["fmin"], cfg["fmax"], name="log_mel")(wav)
    x = layers.BatchNormalization(name="spec_norm")(x)
    x = SpecMask(name="spec_augment")(x)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    for filters, stride in [(16, 1), (32, 2), (64, 2)]:
        x = res_block(x, filters, stride)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    out = layers.Dense(num_classes, activation="softmax", name="keyword")(x)
    return keras.Model(wav, out, name="kws_resnet")


class ConfusionPrinter(keras.callbacks.Callback):
    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = x, y

    def on_train_end(self, logs=None):
        pred = np.argmax(self.model.predict(self.x, verbose=0), axis=-1)
        cm = tf.math.confusion_matrix(self.y, pred, num_classes=len(LABELS)).numpy()
        print("confusion matrix (rows=true):\n", cm)


x_train, y_train = make_dataset(160, seed=1)
x_val, y_val = make_dataset(40, seed=2)

train_ds = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
            .shuffle(160)
            .map(lambda w, y: (w * tf.random.uniform([], 0.7, 1.3), y),  # random gain
                 num_parallel_calls=tf.data.AUTOTUNE)
            .batch(cfg["batch"])
            .prefetch(tf.data.AUTOTUNE))
val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(cfg["batch"])

model = get_model(len(LABELS))
model.summary()
model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(),
              metrics=["accuracy"])
model.fit(train_ds, validation_data=val_ds, epochs=1,
          callbacks=[keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=3),
                     ConfusionPrinter(x_val, y_val)])

probe = x_val[:3]
for p, true in zip(model.predict(probe, verbose=0), y_val[:3]):
    print(f"true={LABELS[true]:>10s}  pred={LABELS[int(np.argmax(p))]:>10s}  conf={p.max():.2f}")
