"""Toy keyword-spotting: synthetic "words" made of chirps/tones -> MFCC features -> small Conv1D net.

The MFCC front-end runs inside tf.data so the model only ever sees (frames, n_mfcc) tensors.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SAMPLE_RATE = 8000
CLIP_SECONDS = 0.5
N_SAMPLES = int(SAMPLE_RATE * CLIP_SECONDS)
FRAME_LENGTH = 256
FRAME_STEP = 128
FFT_LENGTH = 256
N_MELS = 40
N_MFCC = 13
LOWER_HZ, UPPER_HZ = 60.0, 3800.0
NUM_CLASSES = 4
CLIPS_PER_CLASS = 80
BATCH_SIZE = 32

rng = np.random.default_rng(7)


def make_clip(label: int) -> np.ndarray:
    """Each class has a distinct spectral shape so MFCCs can separate them."""
    t = np.arange(N_SAMPLES) / SAMPLE_RATE
    jitter = rng.uniform(0.9, 1.1)
    if label == 0:  # steady low tone
        sig = np.sin(2 * np.pi * 300 * jitter * t)
    elif label == 1:  # upward chirp
        f = 400 + 2500 * t / CLIP_SECONDS
        sig = np.sin(2 * np.pi * np.cumsum(f) / SAMPLE_RATE * jitter)
    elif label == 2:  # two-tone chord
        sig = 0.5 * np.sin(2 * np.pi * 900 * jitter * t) + 0.5 * np.sin(2 * np.pi * 1700 * jitter * t)
    else:  # band-ish noise burst
        sig = rng.normal(size=N_SAMPLES)
        sig = np.convolve(sig, np.ones(5) / 5, mode="same")
    env = np.hanning(N_SAMPLES) ** 0.5
    noise = 0.05 * rng.normal(size=N_SAMPLES)
    return ((sig * env) + noise).astype(np.float32)


def build_dataset_arrays():
    xs, ys = [], []
    for label in range(NUM_CLASSES):
        for _ in range(CLIPS_PER_CLASS):
            xs.append(make_clip(label))
            ys.append(label)
    xs = np.stack(xs)
    ys = np.array(ys, dtype=np.int32)
    perm = rng.permutation(len(xs))
    return xs[perm], ys[perm]


MEL_MATRIX = tf.signal.linear_to_mel_weight_matrix(
    num_mel_bins=N_MELS,
    num_spectrogram_bins=FFT_LENGTH // 2 + 1,
    sample_rate=SAMPLE_RATE,
    lower_edge_hertz=LOWER_HZ,
    upper_edge_hertz=UPPER_HZ,
)


def waveform_to_mfcc(waveform, label):
    stft = tf.signal.stft(waveform, frame_length=FRAME_LENGTH, frame_step=FRAME_STEP,
                          fft_length=FFT_LENGTH, window_fn=tf.signal.hann_window)
    power = tf.math.square(tf.abs(stft))
    mel = tf.tensordot(power, MEL_MATRIX, axes=1)
    mel.set_shape(power.shape[:-1].concatenate(MEL_MATRIX.shape[-1:]))
    log_mel = tf.math.log(mel + 1e-6)
    mfcc = tf.signal.mfccs_from_log_mel_spectrograms(log_mel)[..., :N_MFCC]
    return mfcc, label


def to_ds(x, y, training):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        ds = ds.shuffle(len(x), seed=1)
    ds = ds.map(waveform_to_mfcc, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


def build_model(input_shape):
    inp = keras.Input(shape=input_shape, name="mfcc")
    x = layers.LayerNormalization(axis=-1)(inp)
    for filters in (32, 64):
        x = layers.Conv1D(filters, 3, padding="same", activation="relu")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling1D(2)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.2)(x)
    out = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    return keras.Model(inp, out, name="kws_cnn")


if __name__ == "__main__":
    X, Y = build_dataset_arrays()
    split = int(0.8 * len(X))
    train_ds = to_ds(X[:split], Y[:split], training=True)
    val_ds = to_ds(X[split:], Y[split:], training=False)

    feat_spec = train_ds.element_spec[0]
    print(f"MFCC batch spec: {feat_spec}")
    model = build_model(feat_spec.shape[1:])
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    hist = model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)
    print({k: round(v[-1], 4) for k, v in hist.history.items()})

    sample, label = next(iter(val_ds.unbatch().batch(4)))
    preds = model.predict(sample, verbose=0).argmax(-1)
    print("true:", label.numpy(), "pred:", preds)
