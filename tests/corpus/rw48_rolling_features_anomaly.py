"""Rolling-statistics feature engineering + Conv1D autoencoder for anomaly scoring.

Pipeline (roughly what we run on server CPU metrics):
  1. numpy rolling z-score, rolling median / MAD, first differences
  2. window the feature matrix, train a Conv1D / Conv1DTranspose autoencoder
     with a custom train_step (masked reconstruction loss on the *raw* channel
     weighted higher)
  3. per-timestep error -> EWMA smoothing -> dynamic threshold from a trailing
     window (mean + z * std, Telemanom-style), plus a static percentile threshold
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CFG = dict(
    n=1800,
    window=32,
    stride=4,
    roll=20,
    batch_size=32,
    epochs=1,
    steps=15,
    ewma_alpha=0.2,
    dyn_window=150,
    dyn_z=3.0,
    static_pct=99.0,
)


# --------------------------------------------------------------------------- data
def cpu_metric(n, rng):
    t = np.arange(n)
    x = 40 + 15 * np.sin(2 * np.pi * t / 288 * 6) + rng.normal(0, 2.0, n)
    truth = np.zeros(n, bool)
    for start, kind in [(900, "spike"), (1200, "drift"), (1500, "flat")]:
        if kind == "spike":
            x[start:start + 6] += 35
            truth[start:start + 6] = True
        elif kind == "drift":
            x[start:start + 80] += np.linspace(0, 25, 80)
            truth[start + 20:start + 80] = True
        else:  # stuck sensor
            x[start:start + 60] = x[start]
            truth[start:start + 60] = True
    return x.astype(np.float32), truth


def _pad_front(arr, w):
    return np.concatenate([np.repeat(arr[:1], w - 1, axis=0), arr], axis=0)


def rolling_features(x, w):
    win = np.lib.stride_tricks.sliding_window_view(x, w)        # (n-w+1, w)
    r_mean = _pad_front(win.mean(-1), w)
    r_std = _pad_front(win.std(-1), w) + 1e-3
    r_med = _pad_front(np.median(win, axis=-1), w)
    mad = _pad_front(np.median(np.abs(win - np.median(win, -1, keepdims=True)), -1), w) + 1e-3
    zscore = (x - r_mean) / r_std
    robust_z = 0.6745 * (x - r_med) / mad
    diff1 = np.diff(x, prepend=x[0])
    feats = np.stack([x, zscore, robust_z, diff1, np.log(r_std)], axis=-1)
    return feats.astype(np.float32)


def to_windows(feats, window, stride):
    idx = np.arange(0, len(feats) - window + 1, stride)
    return np.stack([feats[i:i + window] for i in idx]), idx


# -------------------------------------------------------------------------- model
class ConvAutoencoder(keras.Model):
    def __init__(self, window, n_feats, channel_weights, **kwargs):
        super().__init__(**kwargs)
        self.channel_weights = ops.convert_to_tensor(channel_weights, dtype="float32")
        self.encoder = keras.Sequential(
            [
                keras.Input((window, n_feats)),
                layers.Conv1D(32, 5, strides=2, padding="same", activation="relu"),
                layers.Conv1D(16, 5, strides=2, padding="same", activation="relu"),
            ],
            name="encoder",
        )
        self.decoder = keras.Sequential(
            [
                layers.Conv1DTranspose(16, 5, strides=2, padding="same", activation="relu"),
                layers.Conv1DTranspose(32, 5, strides=2, padding="same", activation="relu"),
                layers.Conv1D(n_feats, 3, padding="same"),
            ],
            name="decoder",
        )
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def call(self, x, training=False):
        return self.decoder(self.encoder(x, training=training), training=training)

    def weighted_error(self, x, recon):
        # (B, T, F) * (F,) broadcast, mean over features -> (B, T)
        sq = ops.square(x - recon) * self.channel_weights
        return ops.sum(sq, axis=-1) / ops.sum(self.channel_weights)

    def train_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        with tf.GradientTape() as tape:
            recon = self(x, training=True)
            loss = ops.mean(self.weighted_error(x, recon))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def test_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        loss = ops.mean(self.weighted_error(x, self(x, training=False)))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    @property
    def metrics(self):
        return [self.loss_tracker]


# ---------------------------------------------------------------------- scoring
def pointwise_scores(model, feats, window):
    """Slide with stride 1, average each timestep's error over every window covering it."""
    wins, starts = to_windows(feats, window, stride=1)
    recon = model.predict(wins, batch_size=256, verbose=0)
    err = ops.convert_to_numpy(model.weighted_error(wins, recon))   # (n_windows, window)
    total = np.zeros(len(feats))
    count = np.zeros(len(feats))
    for s, e in zip(starts, err):
        total[s:s + window] += e
        count[s:s + window] += 1
    return total / np.maximum(count, 1)


def ewma(x, alpha):
    out = np.empty_like(x)
    out[0] = x[0]
    for i in range(1, len(x)):
        out[i] = alpha * x[i] + (1 - alpha) * out[i - 1]
    return out


def dynamic_threshold(scores, window, z):
    trail = np.lib.stride_tricks.sliding_window_view(scores, window)[:-1]  # history only
    thr = trail.mean(-1) + z * trail.std(-1)
    return np.concatenate([np.full(window, np.inf), thr])


def f1(pred, truth):
    tp = (pred & truth).sum()
    p = tp / max(pred.sum(), 1)
    r = tp / max(truth.sum(), 1)
    return 2 * p * r / max(p + r, 1e-9), p, r


def main(cfg):
    rng = np.random.default_rng(17)
    keras.utils.set_random_seed(17)
    x, truth = cpu_metric(cfg["n"], rng)
    feats = rolling_features(x, cfg["roll"])
    train_end = 850                                   # anomalies start at 900
    mu, sd = feats[:train_end].mean(0), feats[:train_end].std(0) + 1e-6
    feats = (feats - mu) / sd
    print("features:", feats.shape)

    train_windows, _ = to_windows(feats[:train_end], cfg["window"], cfg["stride"])
    print("train windows:", train_windows.shape)

    weights = np.array([2.0, 1.0, 1.0, 0.5, 0.5], dtype=np.float32)
    model = ConvAutoencoder(cfg["window"], feats.shape[-1], weights, name="conv_ae")
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model(train_windows[:1])  # create weights
    model.encoder.summary()

    ds = (
        tf.data.Dataset.from_tensor_slices(train_windows)
        .shuffle(len(train_windows))
        .batch(cfg["batch_size"])
        .repeat()
    )
    model.fit(ds, epochs=cfg["epochs"], steps_per_epoch=cfg["steps"], verbose=2)

    scores = ewma(pointwise_scores(model, feats, cfg["window"]), cfg["ewma_alpha"])
    static_thr = np.percentile(scores[:train_end], cfg["static_pct"])
    dyn_thr = dynamic_threshold(scores, cfg["dyn_window"], cfg["dyn_z"])

    eval_mask = np.arange(len(x)) >= train_end
    for name, flags in [("static", scores > static_thr), ("dynamic", scores > dyn_thr)]:
        score_f1, p, r = f1(flags[eval_mask], truth[eval_mask])
        print(f"{name:>8}: flagged={flags[eval_mask].sum():4d}  P={p:.2f} R={r:.2f} F1={score_f1:.2f}")


if __name__ == "__main__":
    main(CFG)
