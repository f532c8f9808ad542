"""1-D residual CNN for ECG beat/rhythm classification (synthetic data).

Generates fake single-lead ECG strips (P-QRS-T templates with jitter, baseline
wander and noise) for four classes -- normal, tachycardia, bradycardia and
'AF-like' irregular rhythm -- and trains a small ResNet-1D in the spirit of
Hannun et al. 2019.  Swap `synth_ecg_dataset` for PhysioNet/MIT-BIH loaders to
use real recordings.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

FS = 125                 # Hz (MIT-BIH resampled)
WINDOW_SEC = 8
SIG_LEN = FS * WINDOW_SEC
CLASSES = ["normal", "tachy", "brady", "af_like"]
N_PER_CLASS = 48
BATCH_SIZE = 32
EPOCHS = 1


def gaussian(t, mu, sigma, amp):
    return amp * np.exp(-0.5 * ((t - mu) / sigma) ** 2)


def beat_template(t):
    """Sum-of-Gaussians P, Q, R, S, T waves on a 0..1 s axis."""
    return (gaussian(t, 0.20, 0.025, 0.15)   # P
            + gaussian(t, 0.36, 0.010, -0.15)  # Q
            + gaussian(t, 0.40, 0.012, 1.00)   # R
            + gaussian(t, 0.44, 0.010, -0.25)  # S
            + gaussian(t, 0.65, 0.040, 0.30))  # T


def synth_strip(rng, label):
    hr = {"normal": 70, "tachy": 130, "brady": 45, "af_like": 95}[label]
    rr_mean = 60.0 / hr
    t = np.arange(SIG_LEN) / FS
    sig = np.zeros(SIG_LEN)
    onset = rng.uniform(0, rr_mean)
    while onset < WINDOW_SEC:
        local_t = t - onset
        mask = (local_t >= 0) & (local_t < 1.0)
        sig[mask] += beat_template(local_t[mask])
        jitter = 0.25 if label == "af_like" else 0.03
        onset += rr_mean * (1.0 + jitter * rng.standard_normal())
    baseline = 0.1 * np.sin(2 * np.pi * rng.uniform(0.1, 0.4) * t + rng.uniform(0, 2 * np.pi))
    noise = 0.03 * rng.standard_normal(SIG_LEN)
    return (sig + baseline + noise).astype("float32")


def synth_ecg_dataset(seed=0):
    rng = np.random.default_rng(seed)
    X, y = [], []
    for idx, name in enumerate(CLASSES):
        for _ in range(N_PER_CLASS):
            X.append(synth_strip(rng, name))
            y.append(idx)
    X = np.stack(X)[..., np.newaxis]  # (N, L, 1)
    y = np.asarray(y, dtype="int32")
    perm = rng.permutation(len(y))
    return X[perm], y[perm]


def standardize(x, y):
    # per-record z-score normalisation
    mean = tf.reduce_mean(x, axis=0, keepdims=True)
    std = tf.math.reduce_std(x, axis=0, keepdims=True)
    return (x - mean) / (std + 1e-6), y


def random_scale_and_shift(x, y):
    scale = tf.random.uniform([], 0.8, 1.2)
    shift = tf.random.uniform([], -FS // 2, FS // 2, dtype=tf.int32)
    return tf.roll(x * scale, shift=shift, axis=0), y


def make_pipeline(X, y, training):
    ds = tf.data.Dataset.from_tensor_slices((X, y)).map(standardize, num_parallel_calls=tf.data.AUTOTUNE)
    if training:
        ds = ds.shuffle(len(X)).map(random_scale_and_shift, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


def residual_block(x, filters, kernel_size=16, stride=1, dropout=0.2, name=None):
    shortcut = x
    h = layers.BatchNormalization(name=f"{name}_bn1")(x)
    h = layers.ReLU(name=f"{name}_relu1")(h)
    h = layers.Dropout(dropout, name=f"{name}_drop")(h)
    h = layers.Conv1D(filters, kernel_size, strides=stride, padding="same", name=f"{name}_conv1")(h)
    h = layers.BatchNormalization(name=f"{name}_bn2")(h)
    h = layers.ReLU(name=f"{name}_relu2")(h)
    h = layers.Conv1D(filters, kernel_size, padding="same", name=f"{name}_conv2")(h)

    if stride > 1:
        shortcut = layers.MaxPooling1D(pool_size=stride, padding="same", name=f"{name}_pool")(shortcut)
    if shortcut.shape[-1] != filters:
        shortcut = layers.Conv1D(filters, 1, padding="same", name=f"{name}_proj")(shortcut)
    return layers.Add(name=f"{name}_add")([h, shortcut])


def build_resnet1d(input_len, n_classes, base_filters=16):
    inputs = keras.Input(shape=(input_len, 1), name="ecg")
    x = layers.Conv1D(base_filters, 16, padding="same", name="stem_conv")(inputs)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(name="stem_relu")(x)

    filters = base_filters
    for i in range(4):
        # double channels every other block, downsample every block
        if i > 0 and i % 2 == 0:
            filters *= 2
        x = residual_block(x, filters, stride=2, name=f"block{i}")

    x = layers.BatchNormalization(name="head_bn")(x)
    x = layers.ReLU(name="head_relu")(x)
    avg = layers.GlobalAveragePooling1D(name="gap")(x)
    mx = layers.GlobalMaxPooling1D(name="gmp")(x)
    x = layers.Concatenate(name="pool_concat")([avg, mx])
    outputs = layers.Dense(n_classes, activation="softmax", name="rhythm")(x)
    return keras.Model(inputs, outputs, name="resnet1d_ecg")


if __name__ == "__main__":
    tf.random.set_seed(42)
    X, y = synth_ecg_dataset()
    n_val = len(X) // 5
    X_tr, y_tr, X_val, y_val = X[n_val:], y[n_val:], X[:n_val], y[:n_val]
    print("train", X_tr.shape, "val", X_val.shape, "class counts", np.bincount(y_tr))

    train_ds = make_pipeline(X_tr, y_tr, training=True)
    val_ds = make_pipeline(X_val, y_val, training=False)

    model = build_resnet1d(SIG_LEN, len(CLASSES))
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    print("params:", model.count_params(), "output:", model.output_shape)

    model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)

    probs = model.predict(val_ds, verbose=0)
    preds = probs.argmax(axis=-1)
    cm = tf.math.confusion_matrix(y_val, preds, num_classes=len(CLASSES)).numpy()
    print("confusion matrix (rows=true):")
    print(cm)
