"""WaveNet-style forecaster vs. a Sequential LSTM baseline.

WaveNet bits: causal dilated convs with gated activations (tanh * sigmoid),
residual + skip connections summed over all layers. The model has two heads:
  - "forecast": direct multi-horizon regression (B, H)
  - "spike": probability that the max over the horizon exceeds a threshold
so it is compiled with a dict of losses / loss_weights.

Windows are made with tf.signal.frame (handy and fast), then fed through
tf.data with a small map that also adds Gaussian jitter augmentation.
"""
import tempfile
import os
from types import SimpleNamespace

import numpy as np
import tensorflow as tf
import keras

cfg = SimpleNamespace(
    window=128,
    horizon=16,
    channels=24,
    skip_channels=32,
    dilation_cycle=[1, 2, 4, 8, 16, 32],
    kernel=2,
    batch=64,
    jitter_std=0.02,
    spike_threshold=1.5,
    steps=15,
)


def make_signal(n=3000, seed=21):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    x = np.sin(2 * np.pi * t / 50) + 0.5 * np.sin(2 * np.pi * t / 13)
    # occasional spikes that decay exponentially
    spikes = np.zeros(n)
    for s in rng.choice(n, size=40, replace=False):
        spikes[s:s + 30] += 2.0 * np.exp(-np.arange(min(30, n - s)) / 6.0)
    return (x + spikes + 0.1 * rng.standard_normal(n)).astype("float32")


def frame_windows(series, window, horizon):
    frames = tf.signal.frame(series, frame_length=window + horizon, frame_step=1, axis=0)
    x = frames[:, :window, tf.newaxis]        # (N, W, 1)
    y = frames[:, window:]                   # (N, H)
    return x, y


def build_pipeline(x, y, training):
    thr = cfg.spike_threshold

    def add_targets(xw, yw):
        spike = tf.cast(tf.reduce_max(yw) > thr, tf.float32)[tf.newaxis]
        return xw, {"forecast": yw, "spike": spike}

    def jitter(xw, targets):
        noise = tf.random.normal(tf.shape(xw), stddev=cfg.jitter_std)
        return xw + noise, targets

    ds = tf.data.Dataset.from_tensor_slices((x, y)).map(add_targets, num_parallel_calls=tf.data.AUTOTUNE)
    if training:
        ds = ds.shuffle(4096).map(jitter, num_parallel_calls=tf.data.AUTOTUNE).repeat()
    return ds.batch(cfg.batch).prefetch(tf.data.AUTOTUNE)


def residual_unit(x, dilation, idx):
    """One gated WaveNet layer; returns (residual_out, skip_out)."""
    filt = keras.layers.Conv1D(cfg.channels, cfg.kernel, dilation_rate=dilation,
                               padding="causal", name=f"filter_{idx}")(x)
    gate = keras.layers.Conv1D(cfg.channels, cfg.kernel, dilation_rate=dilation,
                               padding="causal", name=f"gate_{idx}")(x)
    z = keras.layers.Multiply(name=f"gated_{idx}")([
        keras.layers.Activation("tanh")(filt),
        keras.layers.Activation("sigmoid")(gate),
    ])
    skip = keras.layers.Conv1D(cfg.skip_channels, 1, name=f"skip_{idx}")(z)
    res = keras.layers.Conv1D(cfg.channels, 1, name=f"res_{idx}")(z)
    res = keras.layers.Add(name=f"res_add_{idx}")([x, res])
    return res, skip


def build_wavenet():
    inp = keras.Input((cfg.window, 1), name="history")
    x = keras.layers.Conv1D(cfg.channels, 1, name="input_proj")(inp)
    skips = []
    for i, d in enumerate(cfg.dilation_cycle):
        x, s = residual_unit(x, d, i)
        skips.append(s)
    h = keras.layers.Add(name="skip_sum")(skips)
    h = keras.layers.ReLU()(h)
    h = keras.layers.Conv1D(cfg.skip_channels, 1, activation="relu")(h)
    # take the last few steps rather than just one; they all see full receptive field
    tail = keras.layers.Cropping1D((cfg.window - 8, 0), name="last8")(h)
    tail = keras.layers.Flatten()(tail)

    forecast = keras.layers.Dense(cfg.horizon, name="forecast")(tail)
    spike = keras.layers.Dense(1, activation="sigmoid", name="spike")(tail)
    return keras.Model(inp, {"forecast": forecast, "spike": spike}, name="wavenet")


def build_lstm_baseline():
    return keras.Sequential([
        keras.Input((cfg.window, 1)),
        keras.layers.Conv1D(16, 4, strides=2, activation="relu"),   # cheap downsampling
        keras.layers.LSTM(32),
        keras.layers.Dense(cfg.horizon),
    ], name="lstm_baseline")


def main():
    keras.utils.set_random_seed(1)
    series = make_signal()
    n_train = int(len(series) * 0.8)
    x_tr, y_tr = frame_windows(series[:n_train], cfg.window, cfg.horizon)
    x_te, y_te = frame_windows(series[n_train:], cfg.window, cfg.horizon)
    print("framed:", x_tr.shape, y_tr.shape, "| test:", x_te.shape)
    rf = 1 + (cfg.kernel - 1) * sum(cfg.dilation_cycle)
    print("receptive field:", rf)

    train_ds = build_pipeline(x_tr, y_tr, training=True)
    test_ds = build_pipeline(x_te, y_te, training=False)

    wavenet = build_wavenet()
    wavenet.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss={"forecast": keras.losses.MeanSquaredError(),
              "spike": keras.losses.BinaryCrossentropy()},
        loss_weights={"forecast": 1.0, "spike": 0.2},
        metrics={"forecast": ["mae"], "spike": [keras.metrics.AUC(name="auc")]},
    )
    print(f"wavenet params: {wavenet.count_params():,}")

    ckpt_dir = tempfile.mkdtemp()
    ckpt_path = os.path.join(ckpt_dir, "wavenet.weights.h5")
    wavenet.fit(train_ds, steps_per_epoch=cfg.steps, epochs=1, verbose=2,
                callbacks=[keras.callbacks.ModelCheckpoint(ckpt_path, save_weights_only=True)])
    wn_metrics = wavenet.evaluate(test_ds, verbose=0, return_dict=True)

    # baseline only cares about the forecast target
    baseline = build_lstm_baseline()
    baseline.compile(optimizer="adam", loss="mse", metrics=["mae"])
    baseline.fit(train_ds.map(lambda xw, t: (xw, t["forecast"])),
                 steps_per_epoch=cfg.steps, epochs=1, verbose=2)
    bl_metrics = baseline.evaluate(test_ds.map(lambda xw, t: (xw, t["forecast"])),
                                   verbose=0, return_dict=True)

    print("wavenet :", {k: round(v, 4) for k, v in wn_metrics.items()})
    print("baseline:", {k: round(v, 4) for k, v in bl_metrics.items()})

    # reload checkpoint into a fresh copy and check it matches
    clone = build_wavenet()
    clone.load_weights(ckpt_path)
    sample = x_te[:3]
    a = wavenet.predict(sample, verbose=0)["forecast"]
    b = clone.predict(sample, verbose=0)["forecast"]
    print("checkpoint round-trip max diff:", float(np.max(np.abs(a - b))))


if __name__ == "__main__":
    main()
