"""Keyword-spotting toy: log-mel features computed in a tf.data map, small Conv2D net.

The "keywords" are synthetic: each class is a distinct pattern of tones/chirps,
mixed with background noise and a random time shift.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SAMPLE_RATE = 8000
CLIP_SECONDS = 0.5
NUM_SAMPLES = int(SAMPLE_RATE * CLIP_SECONDS)
FRAME_LENGTH = 256
FRAME_STEP = 128
FFT_LENGTH = 256
NUM_MEL_BINS = 32
LOWER_HZ, UPPER_HZ = 60.0, 3800.0
BATCH_SIZE = 32
EPOCHS = 2
SEED = 1234

KEYWORDS = ["yes", "no", "up", "down", "_silence_"]

rng = np.random.default_rng(SEED)
tf.random.set_seed(SEED)


def tone(freq, n, sr=SAMPLE_RATE):
    t = np.arange(n) / sr
    return np.sin(2 * np.pi * freq * t)


def chirp(f0, f1, n, sr=SAMPLE_RATE):
    t = np.arange(n) / sr
    k = (f1 - f0) / (n / sr)
    return np.sin(2 * np.pi * (f0 * t + 0.5 * k * t ** 2))


def make_keyword(label_idx):
    """Build one clip for a keyword class."""
    seg = NUM_SAMPLES // 2
    word = KEYWORDS[label_idx]
    if word == "yes":
        sig = np.concatenate([tone(700, seg), tone(1400, seg)])
    elif word == "no":
        sig = np.concatenate([tone(400, seg), tone(400, seg) * 0.3])
    elif word == "up":
        sig = chirp(300, 2500, NUM_SAMPLES)
    elif word == "down":
        sig = chirp(2500, 300, NUM_SAMPLES)
    else:
        sig = np.zeros(NUM_SAMPLES)

    # jitter: amplitude, small shift, background noise
    sig = sig * rng.uniform(0.4, 1.0)
    shift = rng.integers(-400, 400)
    sig = np.roll(sig, shift)
    sig = sig + rng.normal(0, 0.05, size=NUM_SAMPLES)
    return sig.astype(np.float32)


def build_dataset_arrays(n_per_class):
    xs, ys = [], []
    for idx in range(len(KEYWORDS)):
        xs.extend(make_keyword(idx) for _ in range(n_per_class))
        ys.extend([idx] * n_per_class)
    xs = np.stack(xs)
    ys = np.array(ys, dtype=np.int32)
    perm = rng.permutation(len(ys))
    return xs[perm], ys[perm]


MEL_MATRIX = tf.signal.linear_to_mel_weight_matrix(
    num_mel_bins=NUM_MEL_BINS,
    num_spectrogram_bins=FFT_LENGTH // 2 + 1,
    sample_rate=SAMPLE_RATE,
    lower_edge_hertz=LOWER_HZ,
    upper_edge_hertz=UPPER_HZ,
)


def waveform_to_logmel(waveform, label):
    stft = tf.signal.stft(
        waveform,
        frame_length=FRAME_LENGTH,
        frame_step=FRAME_STEP,
        fft_length=FFT_LENGTH,
        window_fn=tf.signal.hann_window,
    )
    power = tf.abs(stft) ** 2
    mel = tf.tensordot(power, MEL_MATRIX, axes=1)
    mel.set_shape(power.shape[:-1].concatenate(MEL_MATRIX.shape[-1:]))
    log_mel = tf.math.log(mel + 1e-6)
    # per-utterance mean/var normalisation
    mean, var = tf.nn.moments(log_mel, axes=[0, 1])
    log_mel = (log_mel - mean) / tf.sqrt(var + 1e-6)
    return log_mel[..., tf.newaxis], label


def make_ds(x, y, training):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        ds = ds.shuffle(len(x), seed=SEED)
    ds = ds.map(waveform_to_logmel, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


def build_kws_model(input_shape, n_classes, filters=(16, 32, 64)):
    inp = keras.Input(shape=input_shape, name="log_mel")
    x = inp
    for i, f in enumerate(filters):
        x = layers.Conv2D(f, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
        if i < len(filters) - 1:
            x = layers.MaxPooling2D((2, 2), name=f"pool{i}")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.25)(x)
    out = layers.Dense(n_classes, activation="softmax", name="keyword")(x)
    return keras.Model(inp, out, name="kws_cnn")


def main():
    x, y = build_dataset_arrays(n_per_class=60)
    split = int(0.8 * len(x))
    train_ds = make_ds(x[:split], y[:split], training=True)
    val_ds = make_ds(x[split:], y[split:], training=False)

    feat_shape = train_ds.element_spec[0].shape[1:]
    print(f"log-mel feature shape: {feat_shape}")

    model = build_kws_model(feat_shape, len(KEYWORDS))
    model.summary()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)
    print({k: round(v[-1], 4) for k, v in history.history.items()})

    # run on a couple of fresh clips
    probe = np.stack([make_keyword(i) for i in range(len(KEYWORDS))])
    feats = tf.stack([waveform_to_logmel(w, 0)[0] for w in probe])
    preds = model.predict(feats, verbose=0).argmax(axis=-1)
    for true_idx, p in enumerate(preds):
        print(f"true={KEYWORDS[true_idx]:>10s}  pred={KEYWORDS[p]}")


if __name__ == "__main__":
    main()
