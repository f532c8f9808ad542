"""forecasting_zoo: class-based model builders for multi-horizon forecasting.

Every architecture subclasses ``BaseForecaster`` and is auto-registered through
``__init_subclass__``; ``get_model(name, cfg)`` returns a compiled model.  The
hyper-parameters live in ``HPARAMS`` (normally loaded from ``hparams/*.json``).
"""
import abc

import numpy as np
import tensorflow as tf
import keras

WINDOW = 24       # input steps
HORIZON = 6       # forecast steps
N_FEATURES = 3    # covariates (target is feature 0)
BATCH = 32

HPARAMS = {
    "lstm":      {"units": 32, "layers": 2, "dropout": 0.1},
    "gru_seq2seq": {"units": 32},
    "tcn":       {"filters": 16, "kernel_size": 3, "dilations": [1, 2, 4, 8]},
    "conv_attn": {"filters": 24, "num_heads": 2},
    "dense":     {"hidden": [64]},
}


class BaseForecaster(abc.ABC):
    registry = {}
    name = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.name:
            BaseForecaster.registry[cls.name] = cls

    def __init__(self, window, horizon, n_features, **hparams):
        self.window = window
        self.horizon = horizon
        self.n_features = n_features
        self.hp = hparams

    @abc.abstractmethod
    def body(self, x):
        """Map (B, window, features) -> (B, horizon)."""

    def build(self):
        inputs = keras.Input((self.window, self.n_features), name="history")
        # instance normalisation of the target channel (RevIN-lite)
        target = inputs[:, :, :1]
        mu = keras.ops.mean(target, axis=1, keepdims=True)
        sigma = keras.ops.std(target, axis=1, keepdims=True) + 1e-5
        normed = keras.ops.concatenate([(target - mu) / sigma, inputs[:, :, 1:]], axis=-1)
        y = self.body(normed)                                   # (B, horizon)
        y = y * keras.ops.squeeze(sigma, -1) + keras.ops.squeeze(mu, -1)
        return keras.Model(inputs, y, name=self.name)


class DenseForecaster(BaseForecaster):
    name = "dense"

    def body(self, x):
        x = keras.layers.Flatten()(x)
        for units in self.hp["hidden"]:
            x = keras.layers.Dense(units, activation="relu")(x)
        return keras.layers.Dense(self.horizon)(x)


class StackedLSTM(BaseForecaster):
    name = "lstm"

    def body(self, x):
        n = self.hp["layers"]
        for i in range(n):
            x = keras.layers.LSTM(self.hp["units"], return_sequences=i < n - 1,
                                  dropout=self.hp["dropout"])(x)
        return keras.layers.Dense(self.horizon)(x)


class GRUSeq2Seq(BaseForecaster):
    """Encoder state repeated ``horizon`` times and decoded step by step."""
    name = "gru_seq2seq"

    def body(self, x):
        units = self.hp["units"]
        _, state = keras.layers.GRU(units, return_state=True)(x)
        dec_in = keras.layers.RepeatVector(self.horizon)(state)          # (B, H, units)
        dec = keras.layers.GRU(units, return_sequences=True)(dec_in, initial_state=state)
        out = keras.layers.TimeDistributed(keras.layers.Dense(1))(dec)  # (B, H, 1)
        return keras.layers.Reshape((self.horizon,))(out)


class ResidualTCNBlock(keras.layers.Layer):
    def __init__(self, filters, kernel_size, dilation, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.conv1 = keras.layers.Conv1D(filters, kernel_size, padding="causal",
                                         dilation_rate=dilation, activation="relu")
        self.conv2 = keras.layers.Conv1D(filters, kernel_size, padding="causal",
                                         dilation_rate=dilation)
        self.proj = None

    def build(self, input_shape):
        if input_shape[-1] != self.filters:
            self.proj = keras.layers.Conv1D(self.filters, 1)
            self.proj.build(input_shape)
        self.conv1.build(input_shape)
        self.conv2.build(input_shape[:-1] + (self.filters,))

    def call(self, x):
        res = x if self.proj is None else self.proj(x)
        return tf.nn.relu(res + self.conv2(self.conv1(x)))


class TCN(BaseForecaster):
    name = "tcn"

    def body(self, x):
        for d in self.hp["dilations"]:
            x = ResidualTCNBlock(self.hp["filters"], self.hp["kernel_size"], d, name=f"tcn_d{d}")(x)
        last = x[:, -1, :]                                          # receptive field ends here
        return keras.layers.Dense(self.horizon)(last)


class ConvAttention(BaseForecaster):
    """Conv stem + learned horizon queries cross-attending to the history."""
    name = "conv_attn"

    def body(self, x):
        f = self.hp["filters"]
        mem = keras.layers.Conv1D(f, 3, padding="same", activation="gelu")(x)
        queries = HorizonQueries(self.horizon, f)(mem)               # (B, H, f)
        attn = keras.layers.MultiHeadAttention(self.hp["num_heads"], key_dim=f // self.hp["num_heads"])
        y = attn(query=queries, value=mem, key=mem)
        y = keras.layers.LayerNormalization()(y + queries)
        y = keras.layers.Dense(1)(y)
        return keras.layers.Flatten()(y)


class HorizonQueries(keras.layers.Layer):
    """Learned query vectors, tiled over the batch dimension."""

    def __init__(self, horizon, dim, **kwargs):
        super().__init__(**kwargs)
        self.horizon, self.dim = horizon, dim

    def build(self, input_shape):
        self.q = self.add_weight(name="q", shape=(1, self.horizon, self.dim), initializer="random_normal")

    def call(self, memory):
        batch = tf.shape(memory)[0]
        return tf.tile(self.q, [batch, 1, 1])


def get_model(name, cfg=None, lr=1e-3):
    cls = BaseForecaster.registry[name]
    hp = dict(HPARAMS.get(name, {}))
    hp.update(cfg or {})
    model = cls(WINDOW, HORIZON, N_FEATURES, **hp).build()
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="mse", metrics=["mae"])
    return model


# ---------------------------------------------------------------------------
def synthetic_series(length=800, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(length, dtype="float32")
    target = 10 + 2 * np.sin(2 * np.pi * t / 24) + 0.01 * t + rng.normal(0, 0.3, length)
    hour = np.sin(2 * np.pi * (t % 24) / 24)
    noise_cov = rng.normal(0, 1, length)
    return np.stack([target, hour, noise_cov], axis=-1).astype("float32")


def windowed_dataset(series, shuffle=True):
    ds = tf.data.Dataset.from_tensor_slices(series)
    ds = ds.window(WINDOW + HORIZON, shift=1, drop_remainder=True)
    ds = ds.flat_map(lambda w: w.batch(WINDOW + HORIZON))
    ds = ds.map(lambda w: (w[:WINDOW], w[WINDOW:, 0]))       # features, future target
    if shuffle:
        ds = ds.shuffle(512, seed=1)
    return ds.batch(BATCH).prefetch(tf.data.AUTOTUNE)


def naive_mae(series):
    # seasonal-naive baseline: repeat the value from 24 steps ago
    y = series[WINDOW:, 0]
    y_hat = series[WINDOW - 24:-24, 0]
    return float(np.mean(np.abs(y - y_hat)))


if __name__ == "__main__":
    keras.utils.set_random_seed(0)
    series = synthetic_series()
    split = int(len(series) * 0.8)
    train_ds = windowed_dataset(series[:split])
    val_ds = windowed_dataset(series[split - WINDOW:], shuffle=False)
    xb, yb = next(iter(train_ds))
    print("batch:", xb.shape, "->", yb.shape)
    print(f"seasonal naive MAE: {naive_mae(series[split - WINDOW:]):.3f}")

    scores = {}
    for name in sorted(BaseForecaster.registry):
        model = get_model(name)
        model.fit(train_ds.repeat(), steps_per_epoch=8, epochs=1, verbose=0)
        _, mae = model.evaluate(val_ds, verbose=0)
        scores[name] = (mae, model.count_params())
    for name, (mae, n) in sorted(scores.items(), key=lambda kv: kv[1][0]):
        print(f"  {name:<12} val_mae={mae:7.3f}  params={n}")
