"""Multi-step forecasting: direct (MIMO) vs recursive (iterated one-step) strategies.

Both models share the same GRU encoder design. The recursive model is trained
for one step ahead and rolled forward by feeding its own predictions back into
the input window; the direct model predicts all H steps in one shot.
We compare per-horizon RMSE on a held-out tail of the series.
"""
import time

import numpy as np
import tensorflow as tf

keras = tf.keras
L = keras.layers

CONFIG = {
    "lookback": 36,
    "horizon": 12,
    "units": 32,
    "batch_size": 64,
    "train_steps": 15,
    "lr": 3e-3,
    "n_points": 1600,
}

tf.random.set_seed(0)
np.random.seed(0)


def ar_series(n, phi=(0.6, -0.2, 0.3), season=24, noise=0.2):
    """AR(3) process on top of a seasonal signal."""
    x = np.zeros(n, dtype=np.float32)
    eps = np.random.normal(0, noise, n).astype(np.float32)
    seasonal = np.sin(2 * np.pi * np.arange(n) / season).astype(np.float32)
    for t in range(3, n):
        x[t] = phi[0] * x[t - 1] + phi[1] * x[t - 2] + phi[2] * x[t - 3] + eps[t]
    return x + seasonal


def supervised_pairs(series, lookback, horizon):
    n = len(series) - lookback - horizon + 1
    idx = np.arange(lookback)[None, :] + np.arange(n)[:, None]
    X = series[idx]
    Y = series[idx[:, -1:] + 1 + np.arange(horizon)[None, :]]
    return X[..., None], Y   # (n, lookback, 1), (n, horizon)


def gru_forecaster(lookback, out_dim, units, name):
    inp = L.Input((lookback, 1))
    x = L.GRU(units, return_sequences=False)(inp)
    x = L.Dense(units, activation="relu")(x)
    out = L.Dense(out_dim)(x)
    return keras.Model(inp, out, name=name)


def to_dataset(X, Y, batch_size, shuffle=True):
    ds = tf.data.Dataset.from_tensor_slices((X, Y))
    if shuffle:
        ds = ds.shuffle(len(X), seed=0, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=True).repeat().prefetch(tf.data.AUTOTUNE)


@tf.function(reduce_retracing=True)
def one_step(model, window):
    return model(window, training=False)


def recursive_forecast(model, window, horizon):
    """Iteratively predict one step, slide window, append prediction."""
    window = tf.convert_to_tensor(window)
    preds = []
    for _ in range(horizon):
        y_hat = one_step(model, window)                   # (B, 1)
        preds.append(y_hat)
        window = tf.concat([window[:, 1:, :], y_hat[:, :, None]], axis=1)
    return tf.concat(preds, axis=1)                       # (B, horizon)


def rmse_per_horizon(y_true, y_pred):
    return np.sqrt(np.mean((y_true - y_pred) ** 2, axis=0))


def main(cfg):
    series = ar_series(cfg["n_points"])
    mu, sd = series[:1200].mean(), series[:1200].std()
    series = (series - mu) / sd

    X, Y = supervised_pairs(series, cfg["lookback"], cfg["horizon"])
    split = 1100
    X_tr, Y_tr, X_te, Y_te = X[:split], Y[:split], X[split:], Y[split:]
    print(f"X_tr={X_tr.shape} Y_tr={Y_tr.shape} X_te={X_te.shape}")

    models = {
        "recursive": (gru_forecaster(cfg["lookback"], 1, cfg["units"], "one_step_gru"), Y_tr[:, :1]),
        "direct": (gru_forecaster(cfg["lookback"], cfg["horizon"], cfg["units"], "mimo_gru"), Y_tr),
    }

    results = {}
    for name, (model, targets) in models.items():
        model.compile(optimizer=keras.optimizers.Adam(cfg["lr"]), loss="mse")
        ds = to_dataset(X_tr, targets, cfg["batch_size"])
        t0 = time.perf_counter()
        model.fit(ds, steps_per_epoch=cfg["train_steps"], epochs=1, verbose=0)
        print(f"{name:>9}: trained in {time.perf_counter() - t0:.1f}s, params={model.count_params()}")

        if name == "recursive":
            preds = recursive_forecast(model, X_te, cfg["horizon"]).numpy()
        else:
            preds = model.predict(X_te, batch_size=256, verbose=0)
        results[name] = rmse_per_horizon(Y_te, preds)

    # seasonal-naive baseline (repeat value from one season ago)
    season = 24
    naive = np.stack([X_te[:, -season + h, 0] for h in range(cfg["horizon"])], axis=1)
    results["seasonal_naive"] = rmse_per_horizon(Y_te, naive)

    header = "h   " + "".join(f"{k:>16}" for k in results)
    print(header)
    for h in range(cfg["horizon"]):
        print(f"{h + 1:<4}" + "".join(f"{v[h]:>16.4f}" for v in results.values()))
    for k, v in results.items():
        print(f"mean RMSE {k}: {v.mean():.4f}")


if __name__ == "__main__":
    main(CONFIG)
