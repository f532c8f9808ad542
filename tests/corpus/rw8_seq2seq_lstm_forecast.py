"""Multi-step, multivariate load forecasting with an encoder-decoder LSTM.

Synthetic hourly "power usage" with daily/weekly seasonality plus a couple of
exogenous covariates (temperature, holiday flag). The encoder reads the last
LOOKBACK hours, RepeatVector feeds its state to a decoder LSTM and a
TimeDistributed Dense head emits HORIZON future values.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras.layers import (LSTM, Dense, Dropout, Input, RepeatVector,
                                     TimeDistributed, Bidirectional)

LOOKBACK = 48
HORIZON = 12
BATCH_SIZE = 32
N_HOURS = 24 * 30  # one month
TARGET_IDX = 0


def synth_series(n_hours, seed=0):
    r = np.random.RandomState(seed)
    t = np.arange(n_hours, dtype="float32")
    daily = np.sin(2 * np.pi * t / 24.0)
    weekly = 0.5 * np.sin(2 * np.pi * t / (24.0 * 7))
    temp = 15 + 8 * np.sin(2 * np.pi * (t - 6) / 24.0) + r.randn(n_hours) * 1.5
    holiday = (((t // 24) % 7) >= 5).astype("float32")
    load = 10 + 3 * daily + weekly - 0.08 * (temp - 15) - 1.2 * holiday + r.randn(n_hours) * 0.3
    return np.stack([load, temp, holiday], axis=-1).astype("float32")


def standardize(train, *others):
    mu, sd = train.mean(axis=0), train.std(axis=0) + 1e-6
    out = [(train - mu) / sd] + [(o - mu) / sd for o in others]
    return out, mu, sd


def make_windows(arr, shuffle):
    """Inputs: LOOKBACK rows of all features. Targets: next HORIZON rows of the load."""
    x = arr[:-HORIZON]
    # build the target matrix by hand: row i -> arr[i+LOOKBACK : i+LOOKBACK+HORIZON, 0]
    n = len(arr) - LOOKBACK - HORIZON + 1
    y = np.stack([arr[i + LOOKBACK:i + LOOKBACK + HORIZON, TARGET_IDX] for i in range(n)])
    ds = keras.utils.timeseries_dataset_from_array(
        data=x,
        targets=None,
        sequence_length=LOOKBACK,
        sequence_stride=1,
        batch_size=None,
        shuffle=False,
    )
    ds = tf.data.Dataset.zip((ds, tf.data.Dataset.from_tensor_slices(y[..., None])))
    if shuffle:
        ds = ds.shuffle(512, seed=1)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


def seq2seq_model(n_features, units=64, bidir_encoder=True):
    inp = Input(shape=(LOOKBACK, n_features), name="history")
    if bidir_encoder:
        enc = Bidirectional(LSTM(units // 2), name="encoder")(inp)
    else:
        enc = LSTM(units, name="encoder")(inp)
    enc = Dropout(0.2)(enc)
    dec = RepeatVector(HORIZON, name="repeat")(enc)
    dec = LSTM(units, return_sequences=True, name="decoder")(dec)
    dec = TimeDistributed(Dense(32, activation="relu"), name="td_hidden")(dec)
    out = TimeDistributed(Dense(1), name="forecast")(dec)
    return keras.Model(inp, out, name="lstm_seq2seq")


class HorizonMAE(keras.callbacks.Callback):
    """Prints the validation MAE for the first and last forecast step."""

    def __init__(self, val_ds):
        super().__init__()
        self.val_ds = val_ds

    def on_epoch_end(self, epoch, logs=None):
        errs = []
        for xb, yb in self.val_ds.take(3):
            pred = self.model(xb, training=False)
            errs.append(tf.reduce_mean(tf.abs(pred - yb), axis=[0, 2]).numpy())
        errs = np.mean(errs, axis=0)
        print(f"\n  epoch {epoch+1}: MAE@t+1={errs[0]:.3f}  MAE@t+{HORIZON}={errs[-1]:.3f}")


if __name__ == "__main__":
    series = synth_series(N_HOURS)
    n_train = int(len(series) * 0.7)
    n_val = int(len(series) * 0.15)
    (train, val, test), mu, sd = standardize(series[:n_train],
                                             series[n_train:n_train + n_val],
                                             series[n_train + n_val:])
    train_ds = make_windows(train, shuffle=True)
    val_ds = make_windows(val, shuffle=False)
    test_ds = make_windows(test, shuffle=False)

    for xb, yb in train_ds.take(1):
        print("batch x:", xb.shape, "batch y:", yb.shape)

    model = seq2seq_model(series.shape[-1])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3, clipnorm=1.0),
                  loss=keras.losses.Huber(),
                  metrics=[keras.metrics.MeanAbsoluteError(name="mae")])
    model.summary()

    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1),
        HorizonMAE(val_ds),
    ]
    model.fit(train_ds, validation_data=val_ds, epochs=1, steps_per_epoch=8,
              callbacks=callbacks, verbose=2)

    print("test:", dict(zip(model.metrics_names, model.evaluate(test_ds, verbose=0))))

    last_window = test[-LOOKBACK:][None, ...]
    forecast = model.predict(last_window, verbose=0)[0, :, 0]
    forecast = forecast * sd[TARGET_IDX] + mu[TARGET_IDX]
    print("next %d hours of load:" % HORIZON, np.round(forecast, 2))
