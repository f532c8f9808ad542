"""Seq2seq LSTM encoder-decoder for multi-horizon forecasting, windows made with tf.data.

The classic `Dataset.window(...).flat_map(...)` recipe from the TF time series
tutorial, then split each window into (past, future) with a map. The decoder is
fed known-future covariates (calendar features) and the encoder states, which is
how most "seq2seq with exogenous inputs" Kaggle kernels do it.

Also includes a naive seasonal baseline so you can sanity-check the numbers.
"""
import numpy as np
import tensorflow as tf

keras = tf.keras
L = tf.keras.layers

PAST = 72
FUTURE = 24
SEASON = 24
BATCH = 64
UNITS = 48
N_DAYS = 150
SHUFFLE_BUF = 1000


def generate(n_days=N_DAYS, seed=3):
    rng = np.random.default_rng(seed)
    n = n_days * 24
    t = np.arange(n)
    hour = t % 24
    y = (10 + 3 * np.sin(2 * np.pi * hour / 24 - 1.0)
         + 0.01 * t / 24 + rng.normal(0, 0.4, n))
    cal = np.stack([
        np.sin(2 * np.pi * hour / 24),
        np.cos(2 * np.pi * hour / 24),
        ((t // 24) % 7 >= 5).astype(float),
    ], axis=1)
    return y.astype("float32"), cal.astype("float32")


class Standardizer:
    """Fit on train, apply everywhere; keeps numpy stats around for inverse transform."""

    def fit(self, x):
        self.mean_ = float(np.mean(x))
        self.std_ = float(np.std(x))
        return self

    def transform(self, x):
        return (x - self.mean_) / self.std_

    def inverse_transform(self, x):
        return x * self.std_ + self.mean_


def windowed_dataset(y, cal, shuffle=False):
    """Yield ((past_y, past_cal, future_cal), future_y)."""
    total = PAST + FUTURE
    features = np.concatenate([y[:, None], cal], axis=1)  # (T, 1 + C)
    ds = tf.data.Dataset.from_tensor_slices(features)
    ds = ds.window(total, shift=1, drop_remainder=True)
    ds = ds.flat_map(lambda w: w.batch(total))

    def split(w):
        past = w[:PAST]
        future = w[PAST:]
        past_y = past[:, :1]
        past_cal = past[:, 1:]
        future_cal = future[:, 1:]
        future_y = future[:, 0]
        return (past_y, past_cal, future_cal), future_y

    ds = ds.map(split, num_parallel_calls=tf.data.AUTOTUNE)
    if shuffle:
        ds = ds.shuffle(SHUFFLE_BUF, seed=0).repeat()
    return ds.batch(BATCH).prefetch(tf.data.AUTOTUNE)


def build_seq2seq(n_cal):
    past_y = keras.Input((PAST, 1), name="past_y")
    past_cal = keras.Input((PAST, n_cal), name="past_cal")
    future_cal = keras.Input((FUTURE, n_cal), name="future_cal")

    enc_in = L.Concatenate(axis=-1)([past_y, past_cal])
    enc_seq, state_h, state_c = L.LSTM(UNITS, return_sequences=True, return_state=True,
                                       name="encoder")(enc_in)

    # decoder sees the future calendar + a repeated context vector (last encoder output)
    context = L.RepeatVector(FUTURE)(state_h)
    dec_in = L.Concatenate(axis=-1)([future_cal, context])
    dec_seq = L.LSTM(UNITS, return_sequences=True, name="decoder")(
        dec_in, initial_state=[state_h, state_c])

    # Luong-style attention over encoder outputs
    attn = L.Attention(name="enc_dec_attention")([dec_seq, enc_seq])
    merged = L.Concatenate()([dec_seq, attn])
    out = L.TimeDistributed(L.Dense(1), name="step_proj")(merged)
    out = L.Reshape((FUTURE,), name="forecast")(out)
    return keras.Model([past_y, past_cal, future_cal], out, name="seq2seq_attn")


def seasonal_naive_mae(ds):
    """Predict y[t] = y[t - SEASON] using the tail of the past window."""
    errs = []
    for (past_y, _, _), fut in ds:
        last_season = past_y[:, -SEASON:, 0]
        reps = int(np.ceil(FUTURE / SEASON))
        naive = tf.tile(last_season, [1, reps])[:, :FUTURE]
        errs.append(tf.reduce_mean(tf.abs(fut - naive), axis=1).numpy())
    return float(np.mean(np.concatenate(errs)))


def main():
    y, cal = generate()
    n_train = int(len(y) * 0.75)
    scaler = Standardizer().fit(y[:n_train])
    y_s = scaler.transform(y)

    train_ds = windowed_dataset(y_s[:n_train], cal[:n_train], shuffle=True)
    val_ds = windowed_dataset(y_s[n_train:], cal[n_train:])

    (py, pc, fc), fy = next(iter(train_ds))
    print("past_y", py.shape, "past_cal", pc.shape, "future_cal", fc.shape, "target", fy.shape)

    model = build_seq2seq(cal.shape[1])
    model.compile(optimizer=keras.optimizers.RMSprop(2e-3), loss="mse", metrics=["mae"])
    model.summary()

    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1),
    ]
    model.fit(train_ds, validation_data=val_ds, epochs=1, steps_per_epoch=30,
              callbacks=callbacks, verbose=2)

    model_mae = model.evaluate(val_ds, verbose=0)[1]
    naive_mae = seasonal_naive_mae(val_ds)
    print(f"val MAE (scaled): seq2seq={model_mae:.3f}  seasonal-naive={naive_mae:.3f}")
    print(f"MASE-ish ratio: {model_mae / naive_mae:.2f}")

    # forecast the very last window and map back to original units
    (py, pc, fc), fy = next(iter(val_ds.unbatch().batch(1).skip(10)))
    pred = scaler.inverse_transform(model.predict([py, pc, fc], verbose=0))[0]
    truth = scaler.inverse_transform(fy.numpy())[0]
    print("first 6 steps pred :", np.round(pred[:6], 2))
    print("first 6 steps truth:", np.round(truth[:6], 2))


if __name__ == "__main__":
    main()
