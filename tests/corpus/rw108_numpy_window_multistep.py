"""Direct multi-step forecasting from numpy sliding windows.

Synthetic daily-ish signal (trend + two seasonalities + noise). We cut it into
(lookback, horizon) windows with numpy stride tricks and compare a small dense
baseline with a stacked LSTM that predicts all horizon steps at once.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
LOOKBACK = 48
HORIZON = 12
N_POINTS = 900
BATCH_SIZE = 32
EPOCHS = 2

np.random.seed(SEED)
tf.random.set_seed(SEED)


def make_series(n, noise=0.15):
    t = np.arange(n, dtype=np.float32)
    trend = 0.002 * t
    daily = np.sin(2 * np.pi * t / 24.0)
    weekly = 0.5 * np.sin(2 * np.pi * t / 168.0 + 0.3)
    return (trend + daily + weekly + noise * np.random.randn(n)).astype(np.float32)


def sliding_windows(series, lookback, horizon):
    total = lookback + horizon
    windows = np.lib.stride_tricks.sliding_window_view(series, total)
    x = windows[:, :lookback]
    y = windows[:, lookback:]
    return x[..., np.newaxis].copy(), y.copy()


def train_val_test_split(x, y, fractions=(0.7, 0.15)):
    n = len(x)
    i1 = int(n * fractions[0])
    i2 = int(n * (fractions[0] + fractions[1]))
    return (x[:i1], y[:i1]), (x[i1:i2], y[i1:i2]), (x[i2:], y[i2:])


def build_dense(lookback, horizon):
    inp = keras.Input(shape=(lookback, 1), name="history")
    h = layers.Flatten()(inp)
    for units in (64, 32):
        h = layers.Dense(units, activation="relu")(h)
    out = layers.Dense(horizon, name="forecast")(h)
    return keras.Model(inp, out, name="dense_baseline")


def build_lstm(lookback, horizon, units=(32, 16)):
    inp = keras.Input(shape=(lookback, 1), name="history")
    h = inp
    for i, u in enumerate(units):
        h = layers.LSTM(u, return_sequences=i < len(units) - 1, name=f"lstm_{i}")(h)
    h = layers.Dropout(0.1)(h)
    out = layers.Dense(horizon, name="forecast")(h)
    return keras.Model(inp, out, name="stacked_lstm")


def naive_last_value(x, horizon):
    return np.repeat(x[:, -1, :], horizon, axis=1)


def main():
    series = make_series(N_POINTS)

    # scale with statistics from the training portion only
    split_point = int(N_POINTS * 0.7)
    mu, sigma = series[:split_point].mean(), series[:split_point].std()
    scaled = (series - mu) / sigma

    x, y = sliding_windows(scaled, LOOKBACK, HORIZON)
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = train_val_test_split(x, y)
    print(f"train {x_tr.shape} val {x_va.shape} test {x_te.shape}")

    results = {}
    naive = naive_last_value(x_te, HORIZON)
    results["naive"] = float(np.mean(np.abs(naive - y_te)))

    for builder in (build_dense, build_lstm):
        model = builder(LOOKBACK, HORIZON)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
        model.fit(
            x_tr, y_tr,
            validation_data=(x_va, y_va),
            epochs=EPOCHS,
            batch_size=BATCH_SIZE,
            verbose=2,
        )
        loss, mae = model.evaluate(x_te, y_te, verbose=0)
        results[model.name] = mae

        preds = model.predict(x_te[:4], verbose=0)
        per_step = np.mean(np.abs(preds - y_te[:4]), axis=0)
        print(f"{model.name}: per-step MAE on 4 samples ->",
              " ".join(f"{v:.2f}" for v in per_step))

    print("\nTest MAE (scaled units):")
    for name, mae in sorted(results.items(), key=lambda kv: kv[1]):
        print(f"  {name:<16s} {mae:.4f}")

    # un-scale one forecast for a sanity check
    sample = model.predict(x_te[-1:], verbose=0)[0] * sigma + mu
    print("last forecast (orig units):", np.round(sample, 2))


if __name__ == "__main__":
    main()
