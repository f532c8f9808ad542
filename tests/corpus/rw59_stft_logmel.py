"""On-the-fly log-mel spectrogram front-end + small 2-D CNN.

The spectrogram is computed *inside* the model with tf.signal.stft, so the
saved model consumes raw waveforms.  Synthetic three-class task: pure tones,
linear chirps and AM-modulated band noise ("vibration fault" style).
"""
import math

import numpy as np
import tensorflow as tf
import keras

SAMPLE_RATE = 8000
CLIP_SECONDS = 0.5
N_SAMPLES = int(SAMPLE_RATE * CLIP_SECONDS)

FRAME_LENGTH = 256
FRAME_STEP = 64
FFT_LENGTH = 256
N_MELS = 40
FMIN, FMAX = 40.0, SAMPLE_RATE / 2

LABELS = ("tone", "chirp", "am_noise")


class LogMelSpectrogram(keras.layers.Layer):
    """Waveform (batch, samples) -> log-mel (batch, frames, mels, 1)."""

    def __init__(self, sample_rate, frame_length, frame_step, fft_length,
                 n_mels, fmin, fmax, **kwargs):
        super().__init__(**kwargs)
        self.sample_rate = sample_rate
        self.frame_length = frame_length
        self.frame_step = frame_step
        self.fft_length = fft_length
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax

    def build(self, input_shape):
        n_bins = self.fft_length // 2 + 1
        mel = tf.signal.linear_to_mel_weight_matrix(
            num_mel_bins=self.n_mels,
            num_spectrogram_bins=n_bins,
            sample_rate=self.sample_rate,
            lower_edge_hertz=self.fmin,
            upper_edge_hertz=self.fmax,
        )
        # keep as non-trainable weight so it's serialized with the model
        self.mel_matrix = self.add_weight(
            name="mel_matrix", shape=(n_bins, self.n_mels),
            initializer=keras.initializers.Constant(mel.numpy()), trainable=False,
        )

    def call(self, waveforms):
        stft = tf.signal.stft(
            waveforms,
            frame_length=self.frame_length,
            frame_step=self.frame_step,
            fft_length=self.fft_length,
            window_fn=tf.signal.hann_window,
            pad_end=True,
        )
        power = tf.math.square(tf.abs(stft))                 # (B, T, F)
        mel = tf.tensordot(power, self.mel_matrix, axes=1)   # (B, T, M)
        mel.set_shape(power.shape[:-1].concatenate([self.n_mels]))
        log_mel = tf.math.log(mel + 1e-6)
        return log_mel[..., tf.newaxis]

    def compute_output_shape(self, input_shape):
        n_frames = math.ceil(input_shape[-1] / self.frame_step)
        return (input_shape[0], n_frames, self.n_mels, 1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(sample_rate=self.sample_rate, frame_length=self.frame_length,
                   frame_step=self.frame_step, fft_length=self.fft_length,
                   n_mels=self.n_mels, fmin=self.fmin, fmax=self.fmax)
        return cfg


class SpecAugment(keras.layers.Layer):
    """Simple time/frequency masking, only active when training=True."""

    def __init__(self, max_time_mask=8, max_freq_mask=6, **kwargs):
        super().__init__(**kwargs)
        self.max_time_mask = max_time_mask
        self.max_freq_mask = max_freq_mask

    def _mask(self, x, axis, max_width):
        size = tf.shape(x)[axis]
        width = tf.random.uniform([], 0, max_width, dtype=tf.int32)
        start = tf.random.uniform([], 0, size - width, dtype=tf.int32)
        idx = tf.range(size)
        keep = tf.logical_or(idx < start, idx >= start + width)
        keep = tf.cast(keep, x.dtype)
        shape = [1, 1, 1, 1]
        shape[axis] = -1
        return x * tf.reshape(keep, shape)

    def call(self, x, training=None):
        if not training:
            return x
        x = self._mask(x, axis=1, max_width=self.max_time_mask)
        x = self._mask(x, axis=2, max_width=self.max_freq_mask)
        return x


def make_waveforms(n_per_class, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(N_SAMPLES) / SAMPLE_RATE
    xs, ys = [], []
    for label in range(len(LABELS)):
        for _ in range(n_per_class):
            if label == 0:
                f = rng.uniform(200, 3000)
                x = np.sin(2 * np.pi * f * t)
            elif label == 1:
                f0, f1 = rng.uniform(100, 800), rng.uniform(1500, 3500)
                k = (f1 - f0) / CLIP_SECONDS
                x = np.sin(2 * np.pi * (f0 * t + 0.5 * k * t ** 2))
            else:
                carrier = rng.standard_normal(N_SAMPLES)
                carrier = np.convolve(carrier, np.ones(8) / 8, mode="same")
                x = carrier * (1 + 0.8 * np.sin(2 * np.pi * rng.uniform(5, 20) * t))
            x = x + 0.05 * rng.standard_normal(N_SAMPLES)
            xs.append(x / (np.abs(x).max() + 1e-9))
            ys.append(label)
    return np.asarray(xs, np.float32), np.asarray(ys, np.int64)


def build_model():
    wav = keras.Input(shape=(N_SAMPLES,), name="waveform")
    x = LogMelSpectrogram(SAMPLE_RATE, FRAME_LENGTH, FRAME_STEP, FFT_LENGTH,
                          N_MELS, FMIN, FMAX, name="logmel")(wav)
    x = keras.layers.Normalization(axis=-1, name="norm")(x)
    x = SpecAugment(name="specaug")(x)
    for i, filters in enumerate([16, 32, 64]):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = keras.layers.BatchNormalization(name=f"bn{i}")(x)
        x = keras.layers.Activation("relu", name=f"relu{i}")(x)
        x = keras.layers.MaxPooling2D((2, 2), name=f"pool{i}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dropout(0.3)(x)
    out = keras.layers.Dense(len(LABELS), name="logits")(x)
    return keras.Model(wav, out, name="logmel_cnn")


def main():
    keras.utils.set_random_seed(3)
    x_train, y_train = make_waveforms(40, seed=0)
    x_test, y_test = make_waveforms(10, seed=1)

    model = build_model()
    # adapt the normalisation layer on a few spectrograms
    spec_fn = keras.Model(model.input, model.get_layer("logmel").output)
    model.get_layer("norm").adapt(spec_fn.predict(x_train[:64], verbose=0))
    model.summary(line_length=100)

    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    train_ds = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
                .shuffle(len(x_train)).batch(24))
    model.fit(train_ds, epochs=2, verbose=2)
    loss, acc = model.evaluate(x_test, y_test, batch_size=30, verbose=0)
    print(f"test loss {loss:.3f} acc {acc:.3f}")

    # sanity check: inverse STFT reconstructs the waveform
    stft = tf.signal.stft(x_test[:2], FRAME_LENGTH, FRAME_STEP, FFT_LENGTH)
    recon = tf.signal.inverse_stft(
        stft, FRAME_LENGTH, FRAME_STEP, FFT_LENGTH,
        window_fn=tf.signal.inverse_stft_window_fn(FRAME_STEP))
    n = min(recon.shape[-1], N_SAMPLES)
    err = tf.reduce_max(tf.abs(recon[:, FRAME_LENGTH:n - FRAME_LENGTH] - x_test[:2, FRAME_LENGTH:n - FRAME_LENGTH]))
    print("stft:", stft.shape, "reconstruction max err (interior):", float(err))


if __name__ == "__main__":
    main()
