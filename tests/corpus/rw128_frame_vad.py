"""Frame-level voice activity detection with the feature extraction living *inside* the model.

The LogMelFrontend layer does framing with tf.signal.frame, a Hamming window, rfft, mel
projection and log compression, so the exported model takes raw audio. Frame labels come
from framing the per-sample activity mask with the same frame/hop.
"""
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf
import keras
from keras import layers

SR = 16000
DURATION_S = 1.0
FRAME = 400   # 25 ms
HOP = 160     # 10 ms
N_FFT = 512
N_MEL = 32
NUM_CLIPS = 256
BATCH = 16


@keras.saving.register_keras_serializable(package="rw128")
class LogMelFrontend(layers.Layer):
    def __init__(self, frame_length=FRAME, frame_step=HOP, fft_length=N_FFT, num_mel_bins=N_MEL,
                 sample_rate=SR, **kwargs):
        super().__init__(**kwargs)
        self.frame_length = frame_length
        self.frame_step = frame_step
        self.fft_length = fft_length
        self.num_mel_bins = num_mel_bins
        self.sample_rate = sample_rate

    def build(self, input_shape):
        self.window = tf.signal.hamming_window(self.frame_length)
        self.mel = tf.signal.linear_to_mel_weight_matrix(
            self.num_mel_bins, self.fft_length // 2 + 1, self.sample_rate, 80.0, self.sample_rate / 2)

    def call(self, audio):
        # pre-emphasis, then cut overlapping frames: (B, T) -> (B, n_frames, frame_length)
        emph = tf.concat([audio[:, :1], audio[:, 1:] - 0.97 * audio[:, :-1]], axis=1)
        frames = tf.signal.frame(emph, self.frame_length, self.frame_step)
        spec = tf.abs(tf.signal.rfft(frames * self.window, fft_length=[self.fft_length]))
        mel = tf.matmul(tf.square(spec), self.mel)
        return tf.math.log(mel + 1e-6)

    def compute_output_shape(self, input_shape):
        n = input_shape[1]
        n_frames = None if n is None else 1 + (n - self.frame_length) // self.frame_step
        return (input_shape[0], n_frames, self.num_mel_bins)

    def get_config(self):
        config = super().get_config()
        config.update({
            "frame_length": self.frame_length, "frame_step": self.frame_step,
            "fft_length": self.fft_length, "num_mel_bins": self.num_mel_bins,
            "sample_rate": self.sample_rate,
        })
        return config


def synth_clip(rng):
    n = int(SR * DURATION_S)
    t = np.arange(n) / SR
    audio = rng.normal(0, rng.uniform(0.005, 0.05), n)       # background hiss
    mask = np.zeros(n, dtype=np.float32)
    for _ in range(rng.integers(1, 4)):                        # 1-3 "utterances"
        start = rng.integers(0, n - 2000)
        length = rng.integers(1500, 6000)
        stop = min(n, start + length)
        f0 = rng.uniform(90, 250)
        seg_t = t[start:stop]
        voiced = sum(np.sin(2 * np.pi * f0 * h * seg_t) / h for h in range(1, 8))
        voiced *= np.hanning(stop - start) * rng.uniform(0.2, 0.6)
        audio[start:stop] += voiced
        mask[start:stop] = 1.0
    return audio.astype(np.float32), mask


def frame_labels(audio, mask):
    framed = tf.signal.frame(mask, FRAME, HOP)              # (n_frames, FRAME)
    label = tf.cast(tf.reduce_mean(framed, axis=-1) > 0.5, tf.float32)
    return audio, label[:, None]


def build_vad(num_samples):
    wav = keras.Input(shape=(num_samples,), name="audio")
    x = LogMelFrontend(name="logmel")(wav)
    x = layers.Normalization(axis=-1, name="feat_norm")(x)
    x = layers.Conv1D(32, 5, padding="same", activation="relu")(x)
    x = layers.Bidirectional(layers.GRU(24, return_sequences=True))(x)
    prob = layers.Dense(1, activation="sigmoid", name="speech_prob")(x)
    return keras.Model(wav, prob, name="frame_vad")


def main():
    rng = np.random.default_rng(3)
    clips = [synth_clip(rng) for _ in range(NUM_CLIPS)]
    audio = np.stack([c[0] for c in clips])
    masks = np.stack([c[1] for c in clips])

    ds = tf.data.Dataset.from_tensor_slices((audio, masks)).map(frame_labels)
    n_val = NUM_CLIPS // 8
    val_ds = ds.take(n_val).batch(BATCH)
    train_ds = ds.skip(n_val).shuffle(256).batch(BATCH).prefetch(tf.data.AUTOTUNE)

    model = build_vad(audio.shape[1])
    # adapt the normalization stats on features computed by the (weightless) frontend
    frontend = model.get_layer("logmel")
    feats = frontend(tf.constant(audio[:64]))
    model.get_layer("feat_norm").adapt(feats)

    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=[keras.metrics.BinaryAccuracy(name="acc"), keras.metrics.AUC(name="auc")])
    model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

    tmp_dir = tempfile.mkdtemp(prefix="rw128_vad_", dir="/tmp")
    path = os.path.join(tmp_dir, "vad.keras")
    model.save(path)
    reloaded = keras.models.load_model(path)
    probe = audio[:2]
    diff = np.max(np.abs(model.predict(probe, verbose=0) - reloaded.predict(probe, verbose=0)))
    print(f"saved to {path}; max diff after reload = {diff:.2e}")

    p = reloaded.predict(probe[:1], verbose=0)[0, :, 0]
    segments = np.flatnonzero(np.diff((p > 0.5).astype(int)))
    print(f"{len(p)} frames, speech boundaries at frames: {segments.tolist()}")
    shutil.rmtree(tmp_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
