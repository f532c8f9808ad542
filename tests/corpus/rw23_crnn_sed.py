"""CRNN for polyphonic sound-event detection (SED).

Input: log-mel spectrogram patches (time x mel). Conv blocks pool only along
the frequency axis so time resolution is preserved; a bidirectional GRU then
produces frame-wise multi-label event activity. A clip-level head is derived
via attention pooling over frames (weak labels), and the model is trained on
both strong (frame) and weak (clip) targets.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

N_FRAMES = 128
N_MELS = 64
N_EVENTS = 5
CONV_FILTERS = (32, 64, 64)
FREQ_POOL = (4, 4, 2)
RNN_UNITS = 48


def make_synthetic_sed(n, seed):
    """Noise background plus rectangular 'events' living in distinct mel bands."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.3, size=(n, N_FRAMES, N_MELS)).astype("float32")
    frame_labels = np.zeros((n, N_FRAMES, N_EVENTS), dtype="float32")
    band = N_MELS // N_EVENTS
    for i in range(n):
        for ev in range(N_EVENTS):
            if rng.random() < 0.4:
                continue
            start = rng.integers(0, N_FRAMES - 16)
            length = rng.integers(8, 48)
            stop = min(N_FRAMES, start + length)
            x[i, start:stop, ev * band:(ev + 1) * band] += 1.5
            frame_labels[i, start:stop, ev] = 1.0
    clip_labels = frame_labels.max(axis=1)
    return x[..., None], frame_labels, clip_labels


def conv_block(x, filters, freq_pool, idx):
    for j in range(2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False,
                          name=f"block{idx}_conv{j}")(x)
        x = layers.BatchNormalization(name=f"block{idx}_bn{j}")(x)
        x = layers.Activation("relu", name=f"block{idx}_relu{j}")(x)
    x = layers.MaxPooling2D(pool_size=(1, freq_pool), name=f"block{idx}_pool")(x)
    return layers.SpatialDropout2D(0.1, name=f"block{idx}_drop")(x)


class AttentionPooling(layers.Layer):
    """Clip-level prediction = sum_t softmax_t(att) * frame_prob."""

    def __init__(self, n_classes, **kwargs):
        super().__init__(**kwargs)
        self.n_classes = n_classes
        self.att = layers.Dense(n_classes)

    def call(self, features, frame_probs):
        weights = ops.softmax(self.att(features), axis=1)
        return ops.sum(weights * frame_probs, axis=1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"n_classes": self.n_classes})
        return cfg


def build_crnn():
    spec = keras.Input(shape=(N_FRAMES, N_MELS, 1), name="logmel")
    x = spec
    for idx, (f, p) in enumerate(zip(CONV_FILTERS, FREQ_POOL)):
        x = conv_block(x, f, p, idx)
    # (batch, time, freq', channels) -> (batch, time, freq' * channels)
    freq_left = N_MELS
    for p in FREQ_POOL:
        freq_left //= p
    x = layers.Reshape((N_FRAMES, freq_left * CONV_FILTERS[-1]), name="to_sequence")(x)
    x = layers.Bidirectional(layers.GRU(RNN_UNITS, return_sequences=True), name="bigru1")(x)
    x = layers.Bidirectional(layers.GRU(RNN_UNITS, return_sequences=True), name="bigru2")(x)
    feats = layers.TimeDistributed(layers.Dense(64, activation="relu"), name="frame_fc")(x)
    strong = layers.TimeDistributed(layers.Dense(N_EVENTS, activation="sigmoid"),
                                    name="strong")(feats)
    weak = AttentionPooling(N_EVENTS, name="weak")(feats, strong)
    return keras.Model(spec, {"strong": strong, "weak": weak}, name="crnn_sed")


def median_filter_events(probs, threshold=0.5, kernel=5):
    """Binarise frame probabilities and smooth with a running median."""
    binary = (probs > threshold).astype("float32")
    pad = kernel // 2
    padded = np.pad(binary, ((0, 0), (pad, pad), (0, 0)), mode="edge")
    windows = np.stack([padded[:, k:k + binary.shape[1]] for k in range(kernel)], axis=0)
    return np.median(windows, axis=0)


def frame_f1(pred, target, eps=1e-7):
    tp = np.sum(pred * target)
    fp = np.sum(pred * (1 - target))
    fn = np.sum((1 - pred) * target)
    return 2 * tp / (2 * tp + fp + fn + eps)


def main():
    keras.utils.set_random_seed(7)
    x_tr, yf_tr, yc_tr = make_synthetic_sed(64, seed=0)
    x_va, yf_va, yc_va = make_synthetic_sed(16, seed=1)

    model = build_crnn()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0),
        loss={"strong": "binary_crossentropy", "weak": "binary_crossentropy"},
        loss_weights={"strong": 1.0, "weak": 0.5},
        metrics={"strong": ["binary_accuracy"],
                 "weak": [keras.metrics.AUC(name="auc", multi_label=True, num_labels=N_EVENTS)]},
    )
    model.fit(
        x_tr, {"strong": yf_tr, "weak": yc_tr},
        validation_data=(x_va, {"strong": yf_va, "weak": yc_va}),
        batch_size=16, epochs=1, verbose=2,
    )

    out = model.predict(x_va, batch_size=8, verbose=0)
    smoothed = median_filter_events(out["strong"])
    print("strong output:", out["strong"].shape, "weak output:", out["weak"].shape)
    print("frame-level F1 after median filtering: %.3f" % frame_f1(smoothed, yf_va))


if __name__ == "__main__":
    main()
