"""Sound event detection (DCASE-style) with a CRNN + self-attention.

Input: log-mel patches (frames x mels). Output: frame-level multi-label
activity (sigmoid per class) plus a clip-level "weak" prediction obtained by
linear-softmax pooling over time, the usual trick for weakly-labelled SED.
Synthetic clips with random on/offsets stand in for DESED / URBAN-SED.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


class HParams:
    sr = 16000
    clip_len = 2.0
    hop = 320                 # 20 ms
    n_fft = 1024
    n_mels = 64
    classes = ("speech", "dog", "alarm", "dishes")
    gru_units = 32
    attn_heads = 4
    time_pool = 2             # total pooling along time in the CNN
    batch = 8
    n_clips = 24
    n_val = 8
    threshold = 0.5
    median_window = 5

    @property
    def n_frames(self):
        return int(self.sr * self.clip_len) // self.hop

    @property
    def n_classes(self):
        return len(self.classes)


hp = HParams()
MEL = tf.signal.linear_to_mel_weight_matrix(hp.n_mels, hp.n_fft // 2 + 1, hp.sr, 50.0, 8000.0)


def clip_generator():
    """Yields (waveform, frame_labels). Each event is a band-limited noise burst."""
    rng = np.random.default_rng(11)
    n = int(hp.sr * hp.clip_len)
    t = np.arange(n) / hp.sr
    centre_freqs = [300, 900, 2500, 5000]
    for _ in range(hp.n_clips):
        wav = 0.01 * rng.normal(size=n)
        strong = np.zeros((hp.n_frames, hp.n_classes), "float32")
        for c in range(hp.n_classes):
            if rng.random() < 0.5:
                continue
            on = rng.uniform(0, hp.clip_len - 0.3)
            off = min(hp.clip_len, on + rng.uniform(0.2, 1.0))
            mask = (t >= on) & (t < off)
            wav += 0.3 * mask * np.sin(2 * np.pi * centre_freqs[c] * t + rng.normal(size=n) * 0.3)
            strong[int(on * hp.sr / hp.hop): int(off * hp.sr / hp.hop), c] = 1.0
        yield wav.astype("float32"), strong


def featurize(wav, strong):
    stft = tf.signal.stft(wav, hp.n_fft, hp.hop, pad_end=True)[: hp.n_frames]
    mel = tf.matmul(tf.abs(stft) ** 2, MEL)
    logmel = tf.math.log(mel + 1e-8)
    logmel = (logmel - tf.reduce_mean(logmel)) / (tf.math.reduce_std(logmel) + 1e-5)
    weak = tf.reduce_max(strong, axis=0)
    # downsample strong labels to the model's output frame rate
    strong_ds = tf.reshape(strong, [hp.n_frames // hp.time_pool, hp.time_pool, hp.n_classes])
    strong_ds = tf.reduce_max(strong_ds, axis=1)
    return logmel[..., None], {"strong": strong_ds, "weak": weak}


def make_datasets():
    ds = tf.data.Dataset.from_generator(
        clip_generator,
        output_signature=(
            tf.TensorSpec([int(hp.sr * hp.clip_len)], tf.float32),
            tf.TensorSpec([hp.n_frames, hp.n_classes], tf.float32),
        ),
    )
    # generator has a known length; tell tf.data so Keras knows the epoch size
    ds = ds.apply(tf.data.experimental.assert_cardinality(hp.n_clips))
    ds = ds.map(featurize)
    val_ds = ds.take(hp.n_val).batch(hp.batch).cache()
    train_ds = ds.skip(hp.n_val).batch(hp.batch).cache().prefetch(1)
    return train_ds, val_ds


class LinearSoftmaxPooling(layers.Layer):
    """weak = sum_t p_t^2 / sum_t p_t   (Wang et al., 2019)."""

    def call(self, frame_probs):
        num = tf.reduce_sum(frame_probs ** 2, axis=1)
        den = tf.reduce_sum(frame_probs, axis=1) + 1e-7
        return num / den


def cnn_block(x, filters, pool, dropout=0.1, name=None):
    x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    # GLU-style gating over channels, common in DCASE baselines
    gate = layers.Conv2D(filters, 3, padding="same", activation="sigmoid", name=f"{name}_gate")(x)
    x = layers.Multiply(name=f"{name}_glu")([x, gate])
    x = layers.AveragePooling2D(pool, name=f"{name}_pool")(x)
    return layers.Dropout(dropout, name=f"{name}_drop")(x)


def build_crnn():
    inp = keras.Input((hp.n_frames, hp.n_mels, 1), name="logmel")
    x = cnn_block(inp, 16, (2, 4), name="b1")    # time /2, mel /4
    x = cnn_block(x, 32, (1, 4), name="b2")
    x = cnn_block(x, 64, (1, 4), name="b3")      # mel 64 -> 1
    t, f, c = x.shape[1], x.shape[2], x.shape[3]
    x = layers.Reshape((t, f * c), name="to_sequence")(x)

    x = layers.Bidirectional(layers.GRU(hp.gru_units, return_sequences=True), name="bigru")(x)

    # Transformer-style self-attention sub-block on top of the GRU
    d_model = 2 * hp.gru_units
    attn = layers.MultiHeadAttention(hp.attn_heads, key_dim=d_model // hp.attn_heads,
                                     dropout=0.1, name="mhsa")(x, x)
    x = layers.LayerNormalization(name="ln1")(x + attn)
    ff = layers.Dense(2 * d_model, activation="gelu", name="ff1")(x)
    ff = layers.Dense(d_model, name="ff2")(ff)
    x = layers.LayerNormalization(name="ln2")(x + ff)

    strong = layers.Dense(hp.n_classes, activation="sigmoid", name="strong")(x)
    weak = LinearSoftmaxPooling(name="weak")(strong)
    return keras.Model(inp, {"strong": strong, "weak": weak}, name="sed_crnn")


def median_filter(probs, win):
    """Post-processing: per-class median smoothing along time (numpy)."""
    pad = win // 2
    padded = np.pad(probs, ((0, 0), (pad, pad), (0, 0)), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, win, axis=1)
    return np.median(windows, axis=-1)


def frame_f1(y_true, y_pred):
    tp = np.sum(y_true * y_pred)
    fp = np.sum((1 - y_true) * y_pred)
    fn = np.sum(y_true * (1 - y_pred))
    return 2 * tp / max(2 * tp + fp + fn, 1)


class SEDEvaluation(keras.callbacks.Callback):
    def __init__(self, val_ds):
        super().__init__()
        self.val_ds = val_ds

    def on_epoch_end(self, epoch, logs=None):
        trues, preds = [], []
        for feats, targets in self.val_ds:
            out = self.model(feats, training=False)
            preds.append(out["strong"].numpy())
            trues.append(targets["strong"].numpy())
        probs = median_filter(np.concatenate(preds), hp.median_window)
        y_true = np.concatenate(trues)
        f1 = frame_f1(y_true, (probs > hp.threshold).astype("float32"))
        print(f"\n[epoch {epoch + 1}] frame-level F1 (median-filtered) = {f1:.3f}")


def main():
    train_ds, val_ds = make_datasets()
    model = build_crnn()
    model.summary(line_length=110)

    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss={"strong": "binary_crossentropy", "weak": "binary_crossentropy"},
        loss_weights={"strong": 1.0, "weak": 0.5},
        metrics={"weak": [keras.metrics.AUC(multi_label=True, num_labels=hp.n_classes, name="auc")]},
    )
    model.fit(train_ds, epochs=1, callbacks=[SEDEvaluation(val_ds)], verbose=2)

    feats, targets = next(iter(val_ds))
    out = model.predict(feats, verbose=0)
    print("strong:", out["strong"].shape, "weak:", out["weak"].shape)
    active = out["weak"][0] > hp.threshold
    print("clip 0 predicted events:", [c for c, a in zip(hp.classes, active) if a] or "none")


if __name__ == "__main__":
    main()
