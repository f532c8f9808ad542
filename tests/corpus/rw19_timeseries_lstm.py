"""Multi-step time-series forecasting with tf.data windowing and an LSTM.

Based on the TensorFlow time-series tutorial: a synthetic multivariate
"weather" signal is normalized with training statistics, cut into windows with
``Dataset.window`` + ``flat_map``, split into inputs/labels, and fed to a
baseline, a dense multi-step model and an LSTM forecaster that predicts
``OUT_STEPS`` future values for every feature at once.
"""
import numpy as np
import tensorflow as tf

INPUT_WIDTH = 24
OUT_STEPS = 12
BATCH_SIZE = 32
MAX_EPOCHS = 1
FEATURES = ["T (degC)", "p (mbar)", "rh (%)", "wv (m/s)"]


def synthetic_weather(n_hours=1200, seed=7):
    rng = np.random.default_rng(seed)
    t = np.arange(n_hours, dtype="float32")
    day = 2 * np.pi * t / 24.0
    temp = 10 + 8 * np.sin(day) + rng.normal(0, 0.5, n_hours)
    pressure = 1000 + 3 * np.cos(day / 7.0) + rng.normal(0, 0.2, n_hours)
    humidity = 70 - 15 * np.sin(day) + rng.normal(0, 2.0, n_hours)
    wind = np.abs(2 + np.sin(day * 0.5) + rng.normal(0, 0.3, n_hours))
    return np.stack([temp, pressure, humidity, wind], axis=-1).astype("float32")


def split_and_normalize(data, train_frac=0.7, val_frac=0.2):
    n = len(data)
    train = data[: int(n * train_frac)]
    val = data[int(n * train_frac): int(n * (train_frac + val_frac))]
    test = data[int(n * (train_frac + val_frac)):]
    mean, std = train.mean(axis=0), train.std(axis=0)
    return [(part - mean) / std for part in (train, val, test)]


def make_windowed_dataset(series, input_width, label_width, shuffle=True):
    total = input_width + label_width
    ds = tf.data.Dataset.from_tensor_slices(series)
    ds = ds.window(total, shift=1, drop_remainder=True)
    ds = ds.flat_map(lambda w: w.batch(total))

    def split_window(window):
        inputs = window[:input_width, :]
        labels = window[input_width:, :]
        return inputs, labels

    ds = ds.map(split_window, num_parallel_calls=tf.data.AUTOTUNE)
    if shuffle:
        ds = ds.shuffle(256, seed=3)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


class MultiStepLastBaseline(tf.keras.Model):
    """Repeat the last observed value OUT_STEPS times."""

    def call(self, inputs):
        return tf.tile(inputs[:, -1:, :], [1, OUT_STEPS, 1])


class FeedBack(tf.keras.Model):
    """Autoregressive LSTM: warm up on the inputs, then feed predictions back."""

    def __init__(self, units, out_steps, num_features):
        super().__init__()
        self.out_steps = out_steps
        self.units = units
        self.lstm_cell = tf.keras.layers.LSTMCell(units)
        self.lstm_rnn = tf.keras.layers.RNN(self.lstm_cell, return_state=True)
        self.dense = tf.keras.layers.Dense(num_features)

    def warmup(self, inputs):
        x, *state = self.lstm_rnn(inputs)
        prediction = self.dense(x)
        return prediction, state

    def call(self, inputs, training=None):
        predictions = []
        prediction, state = self.warmup(inputs)
        predictions.append(prediction)
        for _ in range(1, self.out_steps):
            x = prediction
            x, state = self.lstm_cell(x, states=state, training=training)
            prediction = self.dense(x)
            predictions.append(prediction)
        predictions = tf.stack(predictions)
        return tf.transpose(predictions, [1, 0, 2])


def build_dense_model(num_features):
    return tf.keras.Sequential([
        tf.keras.layers.Lambda(lambda x: x[:, -1:, :]),
        tf.keras.layers.Dense(256, activation="relu"),
        tf.keras.layers.Dense(OUT_STEPS * num_features, kernel_initializer=tf.initializers.zeros()),
        tf.keras.layers.Reshape([OUT_STEPS, num_features]),
    ])


def build_lstm_model(num_features):
    return tf.keras.Sequential([
        tf.keras.layers.Input(shape=(INPUT_WIDTH, num_features)),
        tf.keras.layers.LSTM(32, return_sequences=False),
        tf.keras.layers.Dense(OUT_STEPS * num_features, kernel_initializer=tf.initializers.zeros()),
        tf.keras.layers.Reshape([OUT_STEPS, num_features]),
    ])


def compile_and_fit(model, train_ds, val_ds, patience=2):
    early_stopping = tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                                      mode="min")
    model.compile(loss=tf.keras.losses.MeanSquaredError(),
                  optimizer=tf.keras.optimizers.Adam(),
                  metrics=[tf.keras.metrics.MeanAbsoluteError()])
    return model.fit(train_ds, epochs=MAX_EPOCHS, validation_data=val_ds,
                     callbacks=[early_stopping], verbose=2, steps_per_epoch=6)


if __name__ == "__main__":
    raw = synthetic_weather()
    train_df, val_df, test_df = split_and_normalize(raw)
    num_features = len(FEATURES)

    train_ds = make_windowed_dataset(train_df, INPUT_WIDTH, OUT_STEPS).repeat()
    val_ds = make_windowed_dataset(val_df, INPUT_WIDTH, OUT_STEPS, shuffle=False)
    test_ds = make_windowed_dataset(test_df, INPUT_WIDTH, OUT_STEPS, shuffle=False)

    example_inputs, example_labels = next(iter(train_ds))
    print(f"Inputs shape (batch, time, features): {example_inputs.shape}")
    print(f"Labels shape (batch, time, features): {example_labels.shape}")

    multi_val_performance = {}
    multi_performance = {}

    baseline = MultiStepLastBaseline()
    baseline.compile(loss=tf.keras.losses.MeanSquaredError(),
                     metrics=[tf.keras.metrics.MeanAbsoluteError()])
    multi_val_performance["Last"] = baseline.evaluate(val_ds, verbose=0)
    multi_performance["Last"] = baseline.evaluate(test_ds, verbose=0)

    candidates = {
        "Dense": build_dense_model(num_features),
        "LSTM": build_lstm_model(num_features),
        "AR LSTM": FeedBack(units=32, out_steps=OUT_STEPS, num_features=num_features),
    }
    for name, model in candidates.items():
        print(f"--- training {name}")
        compile_and_fit(model, train_ds, val_ds)
        multi_val_performance[name] = model.evaluate(val_ds, verbose=0)
        multi_performance[name] = model.evaluate(test_ds, verbose=0)

    print(candidates["AR LSTM"](example_inputs).shape)
    for name, (loss, mae) in multi_performance.items():
        print(f"{name:8s}: test MAE {mae:.4f}  (val MAE {multi_val_performance[name][1]:.4f})")
