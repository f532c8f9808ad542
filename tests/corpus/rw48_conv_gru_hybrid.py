"""Conv1D + GRU hybrid forecaster with known-future covariates.

Past window (target + exogenous signals) -> dilated causal Conv1D stack -> GRU.
Calendar features for the forecast horizon are known in advance, so they go in
through a second input and are fused with the GRU state per horizon step.
Input pipeline: timeseries_dataset_from_array over a joint array, then a
Dataset.map that slices it into the model's dict of inputs.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

LOOKBACK = 64
HORIZON = 12
N_PAST_FEATS = 5      # target, 2 exogenous, 2 calendar
N_FUTURE_FEATS = 2    # calendar only
BATCH = 32
STEPS = 12


def make_frame(n=2400, seed=3):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    hour = t % 24
    dow = (t // 24) % 7
    price = np.cumsum(rng.normal(0, 0.05, n))                    # random walk exogenous
    promo = (rng.random(n) < 0.03).astype("float32")
    promo = np.convolve(promo, np.ones(6), mode="same").clip(0, 1)  # promos last ~6h
    demand = (
        20
        + 6 * np.sin(2 * np.pi * hour / 24)
        + 3 * (dow >= 5)
        - 2.0 * price
        + 5 * promo
        + rng.normal(0, 1.0, n)
    )
    cal = np.stack([np.sin(2 * np.pi * hour / 24), np.cos(2 * np.pi * dow / 7)], axis=-1)
    past = np.column_stack([demand, price, promo, cal]).astype("float32")
    return past


def standardise(arr, n_fit):
    mu = arr[:n_fit].mean(0, keepdims=True)
    sd = arr[:n_fit].std(0, keepdims=True) + 1e-6
    return (arr - mu) / sd, mu, sd


def split_window(window):
    """window: (B, LOOKBACK + HORIZON, F) -> ({past, future_cov}, target)."""
    past = window[:, :LOOKBACK, :]
    future_cov = window[:, LOOKBACK:, -N_FUTURE_FEATS:]
    target = window[:, LOOKBACK:, 0]
    return {"past": past, "future_cov": future_cov}, target


def make_dataset(frame, shuffle):
    ds = keras.utils.timeseries_dataset_from_array(
        frame,
        targets=None,
        sequence_length=LOOKBACK + HORIZON,
        sequence_stride=1,
        batch_size=BATCH,
        shuffle=shuffle,
        seed=11,
    )
    return ds.map(split_window, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def conv_block(x, filters, dilation, name):
    h = layers.Conv1D(filters, 3, padding="causal", dilation_rate=dilation,
                      activation="relu", name=f"{name}_conv")(x)
    h = layers.BatchNormalization(name=f"{name}_bn")(h)
    if x.shape[-1] != filters:
        x = layers.Conv1D(filters, 1, name=f"{name}_proj")(x)
    return layers.Add(name=f"{name}_res")([x, h])


def build_model(filters=32, gru_units=48, dilations=(1, 2, 4, 8)):
    past_in = keras.Input((LOOKBACK, N_PAST_FEATS), name="past")
    fut_in = keras.Input((HORIZON, N_FUTURE_FEATS), name="future_cov")

    x = past_in
    for i, d in enumerate(dilations):
        x = conv_block(x, filters, d, name=f"tcn{i}")
    x = layers.MaxPooling1D(pool_size=2, name="downsample")(x)         # (B, 32, filters)
    state = layers.GRU(gru_units, name="gru")(x)                         # (B, gru_units)

    # broadcast encoder state across the horizon and concat future covariates
    tiled = layers.RepeatVector(HORIZON, name="tile_state")(state)       # (B, H, gru_units)
    fused = layers.Concatenate(axis=-1, name="fuse")([tiled, fut_in])    # (B, H, gru_units+2)
    h = layers.Dense(32, activation="relu", name="step_mlp")(fused)
    out = layers.Dense(1, name="step_out")(h)
    out = layers.Reshape((HORIZON,), name="forecast")(out)
    return keras.Model([past_in, fut_in], out, name="conv_gru_hybrid")


def main():
    keras.utils.set_random_seed(5)
    frame = make_frame()
    n_train = int(0.75 * len(frame))
    frame_std, mu, sd = standardise(frame, n_train)

    train_ds = make_dataset(frame_std[:n_train], shuffle=True)
    val_ds = make_dataset(frame_std[n_train:], shuffle=False)
    inputs, target = next(iter(train_ds))
    print({k: tuple(v.shape) for k, v in inputs.items()}, "->", tuple(target.shape))

    model = build_model()
    model.summary(line_length=100)
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss="mse",
        metrics=[keras.metrics.RootMeanSquaredError(name="rmse")],
    )
    model.fit(
        train_ds.take(STEPS),
        validation_data=val_ds.take(4),
        epochs=1,
        callbacks=[keras.callbacks.ReduceLROnPlateau(patience=1, factor=0.5)],
        verbose=2,
    )

    # de-standardise a forecast for the first validation window
    val_inputs, val_target = next(iter(val_ds))
    pred = model.predict(val_inputs, verbose=0)
    pred_units = pred[0] * sd[0, 0] + mu[0, 0]
    true_units = val_target[0].numpy() * sd[0, 0] + mu[0, 0]
    print("forecast :", np.round(pred_units, 1))
    print("actual   :", np.round(true_units, 1))


if __name__ == "__main__":
    main()
