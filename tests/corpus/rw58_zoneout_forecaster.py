"""Autoregressive multi-step forecaster with a hand-written Zoneout LSTM cell.

Encoder: keras.layers.RNN(ZoneoutLSTMCell) over the history window.
Decoder: the *cell* is stepped manually in a Python loop over a fixed horizon,
feeding each prediction back in (the "FeedBack" pattern from the TF time
series tutorial), with known-future sinusoidal time features concatenated
at every step. A custom train_step adds gradient clipping.
"""
import numpy as np
import tensorflow as tf
import keras

# ---- config ----------------------------------------------------------------
SERIES_LEN = 3000
INPUT_WIDTH = 48
OUT_STEPS = 12
N_TIME_FEATS = 8      # dimension of the sinusoidal time embedding
UNITS = 32
BATCH = 64
ZONEOUT_H, ZONEOUT_C = 0.1, 0.05
MAX_STEPS_PER_EPOCH = 20

rng = np.random.default_rng(2024)
keras.utils.set_random_seed(2024)


def sinusoidal_time_features(t, dim, max_period=24 * 7):
    """Transformer-style encoding of an integer time index, periods from 2 up to max_period."""
    t = np.asarray(t, dtype=np.float64)[:, None]
    periods = np.geomspace(2.0, max_period, dim // 2)
    angles = 2 * np.pi * t / periods[None, :]
    enc = np.concatenate([np.sin(angles), np.cos(angles)], axis=-1)
    return enc.astype(np.float32)


def make_series(n):
    t = np.arange(n)
    daily = np.sin(2 * np.pi * t / 24)
    weekly = 0.5 * np.sin(2 * np.pi * t / (24 * 7))
    trend = 0.0005 * t
    noise = 0.15 * rng.standard_normal(n)
    y = (daily + weekly + trend + noise).astype(np.float32)
    return y, sinusoidal_time_features(t, N_TIME_FEATS)


class ZoneoutLSTMCell(keras.layers.Layer):
    """LSTM cell with zoneout (Krueger et al. 2016) on both h and c.

    During training each unit keeps its previous value with probability z;
    at inference the expectation (1 - z) * new + z * old is used.
    """

    def __init__(self, units, zoneout_h=0.0, zoneout_c=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.zoneout_h = zoneout_h
        self.zoneout_c = zoneout_c
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        in_dim = int(input_shape[-1])
        self.kernel = self.add_weight(name="kernel", shape=(in_dim + self.units, 4 * self.units),
                                      initializer="glorot_uniform")
        self.bias = self.add_weight(name="bias", shape=(4 * self.units,), initializer="zeros")

    def _zoneout(self, new, old, rate, training):
        if rate <= 0.0:
            return new
        if training:
            keep_old = tf.cast(tf.random.uniform(tf.shape(new)) < rate, new.dtype)
            return keep_old * old + (1.0 - keep_old) * new
        return rate * old + (1.0 - rate) * new

    def call(self, inputs, states, training=False):
        h_prev, c_prev = states
        gates = tf.matmul(tf.concat([inputs, h_prev], axis=-1), self.kernel) + self.bias
        i, f, g, o = tf.split(gates, num_or_size_splits=4, axis=1)
        c = tf.sigmoid(f + 1.0) * c_prev + tf.sigmoid(i) * tf.tanh(g)
        h = tf.sigmoid(o) * tf.tanh(c)
        c = self._zoneout(c, c_prev, self.zoneout_c, training)
        h = self._zoneout(h, h_prev, self.zoneout_h, training)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "zoneout_h": self.zoneout_h, "zoneout_c": self.zoneout_c}


class FeedBackForecaster(keras.Model):
    def __init__(self, units, out_steps, **kwargs):
        super().__init__(**kwargs)
        self.out_steps = out_steps
        self.cell = ZoneoutLSTMCell(units, ZONEOUT_H, ZONEOUT_C)
        self.encoder = keras.layers.RNN(self.cell, return_state=True)
        self.head = keras.layers.Dense(1)

    def warmup(self, history, training):
        # history: (batch, INPUT_WIDTH, 1 + N_TIME_FEATS)
        h, *state = self.encoder(history, training=training)
        return self.head(h), state  # first prediction (batch, 1)

    def call(self, inputs, training=False):
        history, future_time = inputs  # future_time: (batch, OUT_STEPS, N_TIME_FEATS)
        prediction, state = self.warmup(history, training)
        predictions = [prediction]
        for n in range(1, self.out_steps):
            x = tf.concat([prediction, future_time[:, n - 1, :]], axis=-1)
            h, state = self.cell(x, states=state, training=training)
            prediction = self.head(h)
            predictions.append(prediction)
        # list of (batch, 1) -> (batch, out_steps, 1)
        predictions = tf.stack(predictions)
        return tf.transpose(predictions, [1, 0, 2])

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
        grads = tape.gradient(loss, self.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 1.0)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def make_windows(values, time_feats, shuffle):
    """tf.data windows -> ((history, future_time_feats), targets)"""
    data = np.concatenate([values[:, None], time_feats], axis=-1)  # (T, 1 + F)
    total = INPUT_WIDTH + OUT_STEPS
    ds = keras.utils.timeseries_dataset_from_array(
        data, targets=None, sequence_length=total, sequence_stride=1,
        shuffle=shuffle, batch_size=BATCH, seed=7)

    def split_window(window):
        history = window[:, :INPUT_WIDTH, :]
        future_time = window[:, INPUT_WIDTH:, 1:]
        target = window[:, INPUT_WIDTH:, :1]
        history.set_shape([None, INPUT_WIDTH, 1 + N_TIME_FEATS])
        future_time.set_shape([None, OUT_STEPS, N_TIME_FEATS])
        target.set_shape([None, OUT_STEPS, 1])
        return (history, future_time), target

    return ds.map(split_window, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def main():
    series, tfeat = make_series(SERIES_LEN)
    n_train = int(0.8 * SERIES_LEN)
    mean, std = series[:n_train].mean(), series[:n_train].std()
    series = (series - mean) / std

    train_ds = make_windows(series[:n_train], tfeat[:n_train], shuffle=True)
    val_ds = make_windows(series[n_train:], tfeat[n_train:], shuffle=False)
    (hist_b, fut_b), y_b = next(iter(train_ds))
    print("history", hist_b.shape, "future feats", fut_b.shape, "target", y_b.shape)

    model = FeedBackForecaster(UNITS, OUT_STEPS)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse",
                  metrics=[keras.metrics.MeanAbsoluteError(name="mae")])
    print("output shape:", model((hist_b, fut_b)).shape)
    model.summary()

    model.fit(train_ds, epochs=1, steps_per_epoch=MAX_STEPS_PER_EPOCH,
              validation_data=val_ds, validation_steps=3, verbose=2)

    # naive "repeat last value" baseline for comparison on one val batch
    (hist_v, fut_v), y_v = next(iter(val_ds))
    pred = model.predict((hist_v, fut_v), verbose=0)
    naive = np.repeat(hist_v.numpy()[:, -1:, :1], OUT_STEPS, axis=1)
    print(f"val MAE model={np.abs(pred - y_v.numpy()).mean():.3f} "
          f"naive={np.abs(naive - y_v.numpy()).mean():.3f}")


if __name__ == "__main__":
    main()
