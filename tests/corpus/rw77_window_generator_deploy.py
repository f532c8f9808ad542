"""Production-style forecasting pipeline: WindowGenerator + AR feedback model + export.

Follows the structure of the TensorFlow time-series tutorial (WindowGenerator,
ResidualWrapper, autoregressive FeedBack model), then adds the parts you need
to ship it: a Normalization layer baked into the model, serializable custom
layers, .keras save/reload round-trip and a tf.function serving signature.
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
import keras

OUT_STEPS = 12
INPUT_WIDTH = 36
COLUMNS = ["p_mbar", "t_degc", "rh_pct", "wv_ms", "day_sin", "day_cos"]
LABEL_COLUMNS = ["t_degc"]
MAX_STEPS = 30

tf.random.set_seed(3)
np.random.seed(3)


def fake_weather(n=5000):
    """Jena-climate-like synthetic hourly data."""
    ts = np.arange(n) * 3600.0
    day = 24 * 60 * 60
    t = 10 + 8 * np.sin(2 * np.pi * ts / day) + np.cumsum(np.random.normal(0, 0.05, n))
    p = 990 + np.cumsum(np.random.normal(0, 0.2, n))
    rh = np.clip(70 - 2 * (t - 10) + np.random.normal(0, 3, n), 5, 100)
    wv = np.abs(np.random.normal(2, 1, n))
    return np.stack(
        [p, t, rh, wv, np.sin(ts * 2 * np.pi / day), np.cos(ts * 2 * np.pi / day)], axis=1
    ).astype("float32")


raw = fake_weather()
n = len(raw)
train_arr, val_arr, test_arr = raw[: int(n * 0.7)], raw[int(n * 0.7): int(n * 0.9)], raw[int(n * 0.9):]


class WindowGenerator:
    def __init__(self, input_width, label_width, shift, train, val, test,
                 columns=COLUMNS, label_columns=None, batch_size=32):
        self.train_arr, self.val_arr, self.test_arr = train, val, test
        self.batch_size = batch_size
        self.column_indices = {name: i for i, name in enumerate(columns)}
        self.label_columns = label_columns
        if label_columns is not None:
            self.label_columns_indices = [self.column_indices[c] for c in label_columns]

        self.input_width = input_width
        self.label_width = label_width
        self.shift = shift
        self.total_window_size = input_width + shift
        self.input_slice = slice(0, input_width)
        self.input_indices = np.arange(self.total_window_size)[self.input_slice]
        self.label_start = self.total_window_size - label_width
        self.labels_slice = slice(self.label_start, None)
        self.label_indices = np.arange(self.total_window_size)[self.labels_slice]

    def __repr__(self):
        return "\n".join([
            f"Total window size: {self.total_window_size}",
            f"Input indices: {self.input_indices[[0, -1]]}",
            f"Label indices: {self.label_indices[[0, -1]]}",
            f"Label column name(s): {self.label_columns}",
        ])

    def split_window(self, features):
        inputs = features[:, self.input_slice, :]
        labels = features[:, self.labels_slice, :]
        if self.label_columns is not None:
            labels = tf.gather(labels, self.label_columns_indices, axis=-1)
        # restore static shapes lost by slicing, keeps Keras happy downstream
        inputs.set_shape([None, self.input_width, None])
        labels.set_shape([None, self.label_width, None])
        return inputs, labels

    def make_dataset(self, data, shuffle=True):
        ds = keras.utils.timeseries_dataset_from_array(
            data=np.asarray(data, dtype=np.float32),
            targets=None,
            sequence_length=self.total_window_size,
            sequence_stride=1,
            shuffle=shuffle,
            batch_size=self.batch_size,
        )
        return ds.map(self.split_window, num_parallel_calls=tf.data.AUTOTUNE)

    @property
    def train(self):
        return self.make_dataset(self.train_arr)

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


window = WindowGenerator(INPUT_WIDTH, OUT_STEPS, OUT_STEPS, train_arr, val_arr, test_arr,
                         label_columns=LABEL_COLUMNS)
print(window)
ex_in, ex_lab = window.example
print("example inputs", ex_in.shape, "labels", ex_lab.shape)


# ------------------------------------------------------------------ custom layers
@keras.saving.register_keras_serializable(package="rw77")
class FeedBack(keras.Model):
    """Autoregressive LSTM: warm up on history, then feed predictions back in."""

    def __init__(self, units, out_steps, num_features, label_index, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.out_steps = out_steps
        self.num_features = num_features
        self.label_index = label_index
        self.norm = keras.layers.Normalization(axis=-1, name="input_norm")
        self.lstm_cell = keras.layers.LSTMCell(units)
        self.lstm_rnn = keras.layers.RNN(self.lstm_cell, return_state=True)
        self.dense = keras.layers.Dense(num_features)

    def warmup(self, inputs):
        x, *state = self.lstm_rnn(inputs)
        prediction = self.dense(x)                  # (batch, features), in normalised space
        return prediction, state

    def call(self, inputs, training=None):
        x = self.norm(inputs)
        prediction, state = self.warmup(x)
        predictions = [prediction]
        for _ in range(1, self.out_steps):
            x_step, state = self.lstm_cell(prediction, states=state, training=training)
            prediction = self.dense(x_step)
            predictions.append(prediction)
        preds = tf.stack(predictions, axis=1)       # (batch, out_steps, features)
        # undo normalisation for the label column only
        mean = self.norm.mean[..., self.label_index]
        std = tf.sqrt(self.norm.variance[..., self.label_index])
        return preds[..., self.label_index:self.label_index + 1] * std + mean

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "out_steps": self.out_steps,
            "num_features": self.num_features,
            "label_index": self.label_index,
        }


@keras.saving.register_keras_serializable(package="rw77")
class LastValueResidual(keras.layers.Layer):
    """Adds the last observed label value to every forecast step (ResidualWrapper idea)."""

    def __init__(self, label_index, **kwargs):
        super().__init__(**kwargs)
        self.label_index = label_index

    def call(self, inputs, delta):
        last = inputs[:, -1:, self.label_index:self.label_index + 1]    # (b, 1, 1)
        return delta + last                                            # broadcast over steps

    def get_config(self):
        return {**super().get_config(), "label_index": self.label_index}


def build_multi_dense(num_features, label_index):
    """Functional single-shot model with a residual to the last value."""
    inputs = keras.Input((INPUT_WIDTH, num_features), name="inputs")
    norm = keras.layers.Normalization(axis=-1, name="norm")
    norm.adapt(train_arr)
    x = norm(inputs)
    # keep the last 6 hours; Cropping1D instead of a Lambda so the model
    # reloads without safe_mode=False
    x = keras.layers.Cropping1D((INPUT_WIDTH - 6, 0), name="recent")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    delta = keras.layers.Dense(OUT_STEPS, kernel_initializer="zeros")(x)
    delta = keras.layers.Reshape((OUT_STEPS, 1))(delta)
    out = LastValueResidual(label_index, name="residual")(inputs, delta)
    return keras.Model(inputs, out, name="multi_dense_residual")


def compile_and_fit(model, window, max_steps=MAX_STEPS, lr=3e-3):
    model.compile(
        loss=keras.losses.MeanSquaredError(),
        optimizer=keras.optimizers.Adam(lr),
        metrics=[keras.metrics.MeanAbsoluteError()],
    )
    return model.fit(
        window.train.repeat(),
        epochs=1,
        steps_per_epoch=max_steps,
        validation_data=window.val.take(10),
        verbose=2,
    )


label_idx = window.column_indices[LABEL_COLUMNS[0]]
performance = {}

feedback = FeedBack(units=32, out_steps=OUT_STEPS, num_features=len(COLUMNS),
                    label_index=label_idx, name="ar_lstm")
feedback.norm.adapt(train_arr)
print("AR output:", feedback(ex_in).shape)
compile_and_fit(feedback, window)
performance["ar_lstm"] = feedback.evaluate(window.test, verbose=0, return_dict=True)

dense = build_multi_dense(len(COLUMNS), label_idx)
compile_and_fit(dense, window)
performance["multi_dense_residual"] = dense.evaluate(window.test, verbose=0, return_dict=True)

for name, metrics in performance.items():
    print(f"{name:22s} test MAE (degC): {metrics['mean_absolute_error']:.3f}")


# ------------------------------------------------------------------ export
export_dir = tempfile.mkdtemp(prefix="rw77_")
path = os.path.join(export_dir, "temp_forecaster.keras")
best_name = min(performance, key=lambda k: performance[k]["mean_absolute_error"])
best = {"ar_lstm": feedback, "multi_dense_residual": dense}[best_name]
best.save(path)
reloaded = keras.saving.load_model(path)
np.testing.assert_allclose(best.predict(ex_in, verbose=0), reloaded.predict(ex_in, verbose=0),
                           rtol=1e-5, atol=1e-5)
print(f"saved + reloaded '{best_name}' ({os.path.getsize(path) / 1024:.0f} KiB) -> outputs match")


@tf.function(input_signature=[tf.TensorSpec([None, INPUT_WIDTH, len(COLUMNS)], tf.float32)])
def serve(history):
    forecast = reloaded(history, training=False)
    # serving contract: flat (batch, OUT_STEPS) plus an hourly index offset
    return {
        "forecast_degc": tf.squeeze(forecast, axis=-1),
        "step_hours": tf.range(1, OUT_STEPS + 1),
    }


latest = test_arr[None, -INPUT_WIDTH:]
resp = serve(tf.constant(latest))
print("serve():", {k: tuple(v.shape) for k, v in resp.items()})
print("next 12h temp:", np.round(resp["forecast_degc"].numpy()[0], 1))
