"""Multi-horizon retail demand forecasting with quantile outputs.

WindowGenerator-style helper (as in the TF time-series tutorial) built on
keras.utils.timeseries_dataset_from_array, then three models compared on the
same 14-day-ahead task:
  * multi-output linear baseline
  * CNN + dense "direct" multi-horizon model
  * LSTM encoder / autoregressive-free decoder with known-future covariates
    (day-of-week, promo flag) and P10/P50/P90 quantile heads.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class WindowSpec:
    input_width: int = 56
    label_width: int = 14
    shift: int = 14
    batch_size: int = 32


class WindowGenerator:
    """Splits a (time, features) array into (history, future_covariates) -> labels."""

    def __init__(self, spec: WindowSpec, train, val, test, columns,
                 label_columns, known_future_columns):
        self.spec = spec
        self.train_arr, self.val_arr, self.test_arr = train, val, test
        self.column_indices = {name: i for i, name in enumerate(columns)}
        self.label_idx = [self.column_indices[c] for c in label_columns]
        self.future_idx = [self.column_indices[c] for c in known_future_columns]
        self.total_window_size = spec.input_width + spec.shift
        self.input_slice = slice(0, spec.input_width)
        self.label_start = self.total_window_size - spec.label_width
        self.labels_slice = slice(self.label_start, None)

    def __repr__(self):
        return "\n".join([
            f"Total window size: {self.total_window_size}",
            f"Input indices: 0..{self.spec.input_width - 1}",
            f"Label indices: {self.label_start}..{self.total_window_size - 1}",
        ])

    def split_window(self, window):
        # window: (batch, total_window_size, n_features)
        history = window[:, self.input_slice, :]
        future = window[:, self.labels_slice, :]
        future_cov = tf.gather(future, self.future_idx, axis=-1)
        labels = tf.gather(future, self.label_idx, axis=-1)
        history.set_shape([None, self.spec.input_width, None])
        future_cov.set_shape([None, self.spec.label_width, len(self.future_idx)])
        labels.set_shape([None, self.spec.label_width, len(self.label_idx)])
        return {"history": history, "future_cov": future_cov}, labels

    def make_dataset(self, data, shuffle):
        ds = keras.utils.timeseries_dataset_from_array(
            data=np.asarray(data, dtype="float32"),
            targets=None,
            sequence_length=self.total_window_size,
            sequence_stride=1,
            shuffle=shuffle,
            seed=0,
            batch_size=self.spec.batch_size,
        )
        return ds.map(self.split_window, num_parallel_calls=tf.data.AUTOTUNE)

    @property
    def train(self):
        return self.make_dataset(self.train_arr, shuffle=True)

    @property
    def val(self):
        return self.make_dataset(self.val_arr, shuffle=False)

    @property
    def test(self):
        return self.make_dataset(self.test_arr, shuffle=False)

    @property
    def example(self):
        result = getattr(self, "_example", None)
        if result is None:
            result = next(iter(self.train))
            self._example = result
        return result


# ----------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------
def make_store_sales(n_days=730, seed=5):
    rng = np.random.default_rng(seed)
    t = np.arange(n_days)
    dow = t % 7
    promo = (rng.random(n_days) < 0.15).astype("float32")
    holiday = np.isin(t % 365, [0, 1, 120, 185, 358, 359]).astype("float32")
    weekly = np.array([0.8, 0.85, 0.9, 0.95, 1.15, 1.35, 1.0])[dow]
    yearly = 1 + 0.2 * np.sin(2 * np.pi * (t - 300) / 365.25)
    base = 200 + 0.08 * t
    sales = base * weekly * yearly * (1 + 0.35 * promo) * (1 + 0.6 * holiday)
    sales = rng.poisson(sales).astype("float32")
    columns = ["sales", "promo", "holiday", "dow_sin", "dow_cos"]
    arr = np.stack([np.log1p(sales), promo, holiday,
                    np.sin(2 * np.pi * dow / 7), np.cos(2 * np.pi * dow / 7)], axis=1)
    return arr.astype("float32"), columns


def split_and_scale(arr):
    n = len(arr)
    train, val, test = arr[: int(n * 0.7)], arr[int(n * 0.7): int(n * 0.85)], arr[int(n * 0.85):]
    mean, std = train.mean(0), train.std(0)
    # only scale the target, leave flags and cyclical encodings alone
    mean[1:], std[1:] = 0.0, 1.0
    scale = lambda a: (a - mean) / std
    return scale(train), scale(val), scale(test), (mean[0], std[0])


# ----------------------------------------------------------------------------
# losses / metrics
# ----------------------------------------------------------------------------
def pinball_loss(quantiles):
    q = ops.convert_to_tensor(quantiles, dtype="float32")  # (Q,)

    def loss(y_true, y_pred):
        # y_true: (B, H, 1), y_pred: (B, H, Q)  -> broadcast over Q
        err = y_true - y_pred
        return ops.mean(ops.maximum(q * err, (q - 1.0) * err))

    loss.__name__ = "pinball"
    return loss


def p50_mae(y_true, y_pred):
    median = y_pred[..., QUANTILES.index(0.5): QUANTILES.index(0.5) + 1]
    return ops.mean(ops.abs(y_true - median))


# ----------------------------------------------------------------------------
# models
# ----------------------------------------------------------------------------
def linear_baseline(spec: WindowSpec, n_features, n_quantiles):
    history = keras.Input((spec.input_width, n_features), name="history")
    future_cov = keras.Input((spec.label_width, 4), name="future_cov")
    x = layers.Lambda(lambda h: h[:, -1, :])(history)
    x = layers.Dense(spec.label_width * n_quantiles, kernel_initializer="zeros")(x)
    out = layers.Reshape((spec.label_width, n_quantiles))(x)
    return keras.Model({"history": history, "future_cov": future_cov}, out, name="linear")


def cnn_direct(spec: WindowSpec, n_features, n_quantiles, conv_width=7):
    history = keras.Input((spec.input_width, n_features), name="history")
    future_cov = keras.Input((spec.label_width, 4), name="future_cov")
    x = layers.Conv1D(32, conv_width, activation="relu")(history)
    x = layers.Conv1D(32, conv_width, strides=2, activation="relu")(x)
    x = layers.GlobalAveragePooling1D()(x)
    fut = layers.Flatten()(future_cov)
    x = layers.Concatenate()([x, fut])
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dense(spec.label_width * n_quantiles)(x)
    out = layers.Reshape((spec.label_width, n_quantiles))(x)
    return keras.Model({"history": history, "future_cov": future_cov}, out, name="cnn_direct")


class Seq2SeqQuantile(keras.Model):
    """LSTM encoder; decoder LSTM fed with future covariates + repeated context."""

    def __init__(self, spec: WindowSpec, n_quantiles, units=48, **kwargs):
        super().__init__(**kwargs)
        self.spec = spec
        self.encoder = layers.LSTM(units, return_state=True, name="encoder")
        self.repeat = layers.RepeatVector(spec.label_width)
        self.decoder = layers.LSTM(units, return_sequences=True, name="decoder")
        self.head = layers.TimeDistributed(layers.Dense(n_quantiles), name="quantile_head")

    def call(self, inputs, training=False):
        enc_out, h, c = self.encoder(inputs["history"], training=training)
        ctx = self.repeat(enc_out)                               # (B, H, units)
        dec_in = ops.concatenate([ctx, inputs["future_cov"]], axis=-1)
        dec = self.decoder(dec_in, initial_state=[h, c], training=training)
        raw = self.head(dec)                                      # (B, H, Q)
        # enforce monotone quantiles: p50 + cumulative softplus offsets around it
        p10 = raw[..., 1:2] - ops.softplus(raw[..., 0:1])
        p50 = raw[..., 1:2]
        p90 = raw[..., 1:2] + ops.softplus(raw[..., 2:3])
        return ops.concatenate([p10, p50, p90], axis=-1)


def compile_and_fit(model, window, epochs=2):
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss=pinball_loss(QUANTILES), metrics=[p50_mae])
    history = model.fit(window.train, validation_data=window.val, epochs=epochs, verbose=0)
    return history


def coverage(model, ds):
    """Share of test targets that fall inside [P10, P90] -- should be ~0.8."""
    hits, total = 0, 0
    for x, y in ds:
        pred = model(x, training=False)
        lo, hi = pred[..., 0:1], pred[..., 2:3]
        inside = ops.logical_and(y >= lo, y <= hi)
        hits += int(ops.sum(ops.cast(inside, "int32")))
        total += int(np.prod(y.shape))
    return hits / max(total, 1)


def main():
    keras.utils.set_random_seed(0)
    arr, columns = make_store_sales()
    train, val, test, (mu, sigma) = split_and_scale(arr)
    spec = WindowSpec()
    window = WindowGenerator(spec, train, val, test, columns,
                             label_columns=["sales"],
                             known_future_columns=["promo", "holiday", "dow_sin", "dow_cos"])
    print(window)
    x_ex, y_ex = window.example
    print("history:", x_ex["history"].shape, "future_cov:", x_ex["future_cov"].shape,
          "labels:", y_ex.shape)

    n_features, n_q = len(columns), len(QUANTILES)
    models = {
        "linear": linear_baseline(spec, n_features, n_q),
        "cnn_direct": cnn_direct(spec, n_features, n_q),
        "seq2seq": Seq2SeqQuantile(spec, n_q, name="seq2seq_quantile"),
    }

    results = {}
    for name, model in models.items():
        compile_and_fit(model, window)
        metrics = model.evaluate(window.test, return_dict=True, verbose=0)
        metrics["coverage_80"] = coverage(model, window.test)
        results[name] = metrics

    print(f"{'model':12s} {'pinball':>8s} {'p50 MAE(log)':>13s} {'cov80':>6s}")
    for name, m in results.items():
        print(f"{name:12s} {m['loss']:8.4f} {m['p50_mae'] * sigma:13.4f} {m['coverage_80']:6.2f}")

    # one 14-day forecast in original units
    best = models["seq2seq"]
    x_last, y_last = next(iter(window.test.take(1)))
    q_pred = ops.convert_to_numpy(best(x_last))[0]             # (H, Q)
    to_units = lambda z: np.expm1(z * sigma + mu)
    print("day  p10    p50    p90    actual")
    for d in range(0, spec.label_width, 3):
        p10, p50, p90 = to_units(q_pred[d])
        actual = to_units(y_last.numpy()[0, d, 0])
        print(f"{d + 1:3d} {p10:6.0f} {p50:6.0f} {p90:6.0f} {actual:8.0f}")


if __name__ == "__main__":
    main()
