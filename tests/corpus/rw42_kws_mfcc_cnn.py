"""Keyword spotting with MFCC features and a small CNN.

Mirrors the classic "Speech Commands" tutorial setup: 1 second clips at 16 kHz,
STFT -> log-mel -> MFCC in a tf.data pipeline, then a compact Conv2D classifier.
The real dataset is swapped for synthetic tones + noise so the script runs offline.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SAMPLE_RATE = 16000
CLIP_SECONDS = 1.0
FRAME_LENGTH = 640      # 40 ms
FRAME_STEP = 320        # 20 ms
FFT_LENGTH = 1024
NUM_MEL_BINS = 40
NUM_MFCC = 13
LOWER_HZ, UPPER_HZ = 20.0, 7600.0

COMMANDS = ["yes", "no", "up", "down", "left", "right", "_silence_", "_unknown_"]
NUM_CLASSES = len(COMMANDS)
BATCH_SIZE = 16
NUM_CLIPS = 96

tf.random.set_seed(42)
np.random.seed(42)


def make_fake_speech_commands(n_clips):
    """Each 'word' is a chirp with a class-dependent base frequency."""
    n_samples = int(SAMPLE_RATE * CLIP_SECONDS)
    t = np.arange(n_samples, dtype=np.float32) / SAMPLE_RATE
    waves, labels = [], []
    for i in range(n_clips):
        label = i % NUM_CLASSES
        f0 = 200.0 + 150.0 * label
        env = np.exp(-((t - 0.5) ** 2) / 0.02).astype(np.float32)
        wave = env * np.sin(2 * np.pi * (f0 + 100 * t) * t)
        wave += 0.05 * np.random.randn(n_samples).astype(np.float32)
        waves.append(wave.astype(np.float32))
        labels.append(label)
    return np.stack(waves), np.array(labels, dtype=np.int32)


# Mel filterbank is constant; build once outside the map fn.
NUM_SPECTROGRAM_BINS = FFT_LENGTH // 2 + 1
MEL_WEIGHT_MATRIX = tf.signal.linear_to_mel_weight_matrix(
    num_mel_bins=NUM_MEL_BINS,
    num_spectrogram_bins=NUM_SPECTROGRAM_BINS,
    sample_rate=SAMPLE_RATE,
    lower_edge_hertz=LOWER_HZ,
    upper_edge_hertz=UPPER_HZ,
)


def pad_or_trim(waveform, length=int(SAMPLE_RATE * CLIP_SECONDS)):
    waveform = waveform[:length]
    pad = length - tf.shape(waveform)[0]
    return tf.pad(waveform, [[0, pad]])


def waveform_to_mfcc(waveform, label):
    waveform = pad_or_trim(waveform)
    # Pre-emphasis filter, y[n] = x[n] - 0.97 x[n-1]
    waveform = tf.concat([waveform[:1], waveform[1:] - 0.97 * waveform[:-1]], axis=0)
    stft = tf.signal.stft(
        waveform,
        frame_length=FRAME_LENGTH,
        frame_step=FRAME_STEP,
        fft_length=FFT_LENGTH,
        window_fn=tf.signal.hann_window,
    )
    spectrogram = tf.abs(stft)
    mel = tf.tensordot(spectrogram, MEL_WEIGHT_MATRIX, 1)
    mel.set_shape(spectrogram.shape[:-1].concatenate(MEL_WEIGHT_MATRIX.shape[-1:]))
    log_mel = tf.math.log(mel + 1e-6)
    mfcc = tf.signal.mfccs_from_log_mel_spectrograms(log_mel)[..., :NUM_MFCC]
    # add channel dimension for Conv2D: (frames, coeffs, 1)
    return mfcc[..., tf.newaxis], label


def add_background_noise(features, label):
    noise = tf.random.normal(tf.shape(features), stddev=0.1)
    return features + noise, label


def build_dataset(waves, labels, training):
    ds = tf.data.Dataset.from_tensor_slices((waves, labels))
    if training:
        ds = ds.shuffle(len(waves), seed=0)
    ds = ds.map(waveform_to_mfcc, num_parallel_calls=tf.data.AUTOTUNE)
    if training:
        ds = ds.map(add_background_noise, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(BATCH_SIZE).cache().prefetch(tf.data.AUTOTUNE)


def build_kws_cnn(input_shape, norm_layer):
    model = keras.Sequential(
        [
            layers.Input(shape=input_shape),
            norm_layer,
            layers.Conv2D(32, (3, 3), padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.MaxPooling2D((2, 1)),
            layers.Conv2D(64, (3, 3), padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), padding="same", activation="relu"),
            layers.GlobalMaxPooling2D(),
            layers.Dropout(0.3),
            layers.Dense(64, activation="relu"),
            layers.Dense(NUM_CLASSES),
        ],
        name="kws_cnn",
    )
    return model


def main():
    waves, labels = make_fake_speech_commands(NUM_CLIPS)
    split = int(0.8 * NUM_CLIPS)
    train_ds = build_dataset(waves[:split], labels[:split], training=True)
    val_ds = build_dataset(waves[split:], labels[split:], training=False)

    for feats, labs in train_ds.take(1):
        print("MFCC batch:", feats.shape, "labels:", labs.shape)
    input_shape = feats.shape[1:]

    # Fit the normalization stats on the feature maps only
    norm_layer = layers.Normalization(axis=None)
    norm_layer.adapt(train_ds.map(lambda x, _: x))

    model = build_kws_cnn(input_shape, norm_layer)
    model.summary()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)
    print("final val acc: %.3f" % history.history["val_accuracy"][-1])

    # Streaming-style inference on a single clip
    clip = tf.constant(waves[-1])
    feats, _ = waveform_to_mfcc(clip, 0)
    logits = model(feats[tf.newaxis], training=False)
    probs = tf.nn.softmax(logits, axis=-1)[0].numpy()
    top = np.argsort(probs)[::-1][:3]
    for idx in top:
        print(f"  {COMMANDS[idx]:>10s}: {probs[idx]:.3f}")


if __name__ == "__main__":
    main()
