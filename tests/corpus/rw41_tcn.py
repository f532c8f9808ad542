"""Temporal Convolutional Network for multivariate electricity-load forecasting.

Residual blocks of dilated causal Conv1D (dilations 1, 2, 4, 8) with weight
normalisation-style LayerNorm + SpatialDropout, as in Bai et al. (2018).
Windows come from keras.utils.timeseries_dataset_from_array; the model predicts
the next-hour load from the last WINDOW hours of load + weather covariates.
"""
import math

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# config ----------------------------------------------------------------------
WINDOW = 48                 # hours of history
TARGET_SHIFT = 1            # predict t+1
BATCH_SIZE = 64
KERNEL_SIZE = 3
DILATIONS = (1, 2, 4, 8)
NB_FILTERS = 32
NB_STACKS = 1
DROPOUT = 0.05
EPOCHS = 2
N_HOURS = 24 * 60           # ~2 months of hourly data
FEATURES = ["load", "temperature", "humidity", "hour_sin", "hour_cos", "is_weekend"]
TARGET_COL = 0


def receptive_field(kernel_size, dilations, nb_stacks):
    return 1 + 2 * (kernel_size - 1) * nb_stacks * sum(dilations)


def synth_hourly_load(n_hours, seed=11):
    rng = np.random.default_rng(seed)
    t = np.arange(n_hours)
    hour = t % 24
    dow = (t // 24) % 7
    temperature = 15 + 10 * np.sin(2 * np.pi * t / (24 * 365)) + 5 * np.sin(2 * np.pi * (hour - 15) / 24) \
        + rng.normal(0, 1.5, n_hours)
    humidity = np.clip(60 + 15 * np.sin(2 * np.pi * t / 24 + 1.0) + rng.normal(0, 5, n_hours), 10, 100)
    is_weekend = (dow >= 5).astype(float)
    daily = 1.0 + 0.35 * np.sin(2 * np.pi * (hour - 7) / 24) + 0.15 * np.sin(4 * np.pi * (hour - 7) / 24)
    load = 500 * daily * (1 - 0.18 * is_weekend) + 4.0 * np.abs(temperature - 18) + rng.normal(0, 12, n_hours)
    df = np.stack([
        load, temperature, humidity,
        np.sin(2 * np.pi * hour / 24), np.cos(2 * np.pi * hour / 24), is_weekend,
    ], axis=1).astype("float32")
    return df


# layers ----------------------------------------------------------------------
class ResidualBlock(layers.Layer):
    def __init__(self, dilation_rate, nb_filters, kernel_size, dropout_rate=0.0,
                 use_layer_norm=True, **kwargs):
        super().__init__(**kwargs)
        self.dilation_rate = dilation_rate
        self.nb_filters = nb_filters
        self.kernel_size = kernel_size
        self.dropout_rate = dropout_rate
        self.use_layer_norm = use_layer_norm

    def build(self, input_shape):
        self.conv_layers = []
        self.norm_layers = []
        self.drop_layers = []
        for k in range(2):
            self.conv_layers.append(layers.Conv1D(
                filters=self.nb_filters, kernel_size=self.kernel_size,
                dilation_rate=self.dilation_rate, padding="causal",
                kernel_initializer="he_normal", name=f"conv1D_{k}"))
            self.norm_layers.append(
                layers.LayerNormalization(name=f"norm_{k}") if self.use_layer_norm else None)
            self.drop_layers.append(layers.SpatialDropout1D(self.dropout_rate, name=f"sdropout_{k}"))

        # 1x1 conv to match channels on the skip path when needed
        if input_shape[-1] != self.nb_filters:
            self.shape_match_conv = layers.Conv1D(self.nb_filters, 1, padding="same",
                                                  name="matching_conv1D")
        else:
            self.shape_match_conv = layers.Lambda(lambda x: x, name="matching_identity")
        super().build(input_shape)

    def call(self, inputs, training=None):
        x = inputs
        for conv, norm, drop in zip(self.conv_layers, self.norm_layers, self.drop_layers):
            x = conv(x)
            if norm is not None:
                x = norm(x)
            x = tf.nn.relu(x)
            x = drop(x, training=training)
        skip = x
        res = self.shape_match_conv(inputs)
        return tf.nn.relu(res + x), skip

    def compute_output_shape(self, input_shape):
        out = tuple(input_shape[:-1]) + (self.nb_filters,)
        return out, out


class TCN(layers.Layer):
    def __init__(self, nb_filters=64, kernel_size=3, nb_stacks=1, dilations=(1, 2, 4, 8, 16, 32),
                 dropout_rate=0.0, use_skip_connections=True, return_sequences=False, **kwargs):
        super().__init__(**kwargs)
        self.return_sequences = return_sequences
        self.use_skip_connections = use_skip_connections
        self.blocks = []
        for s in range(nb_stacks):
            for d in dilations:
                self.blocks.append(ResidualBlock(d, nb_filters, kernel_size, dropout_rate,
                                                 name=f"residual_block_s{s}_d{d}"))

    def call(self, inputs, training=None):
        x = inputs
        skips = []
        for block in self.blocks:
            x, skip = block(x, training=training)
            skips.append(skip)
        if self.use_skip_connections:
            x = tf.add_n(skips)
        if not self.return_sequences:
            x = x[:, -1, :]  # last timestep only
        return x


# data pipeline ---------------------------------------------------------------
def make_windowed_datasets(data, window, shift, batch_size):
    n = len(data)
    train_end, val_end = int(n * 0.7), int(n * 0.85)

    mean = data[:train_end].mean(axis=0)
    std = data[:train_end].std(axis=0)
    std[std == 0] = 1.0
    scaled = (data - mean) / std

    # targets[i] is aligned with the window that *starts* at i
    def build(start, end, shuffle):
        x = scaled[start:end - shift]
        y = scaled[start + window + shift - 1:end, TARGET_COL]
        return keras.utils.timeseries_dataset_from_array(
            x, y, sequence_length=window, sequence_stride=1,
            batch_size=batch_size, shuffle=shuffle, seed=7,
        )

    train_ds = build(0, train_end, True)
    val_ds = build(train_end, val_end, False)
    test_ds = build(val_end, n, False)
    return train_ds, val_ds, test_ds, (mean[TARGET_COL], std[TARGET_COL])


def build_model(window, n_features):
    inp = keras.Input(shape=(window, n_features), name="history")
    x = TCN(nb_filters=NB_FILTERS, kernel_size=KERNEL_SIZE, nb_stacks=NB_STACKS,
            dilations=DILATIONS, dropout_rate=DROPOUT, return_sequences=False, name="tcn")(inp)
    x = layers.Dense(16, activation="relu")(x)
    out = layers.Dense(1, name="load_next_hour")(x)
    return keras.Model(inp, out, name="tcn_forecaster")


def main():
    tf.random.set_seed(0)
    rf = receptive_field(KERNEL_SIZE, DILATIONS, NB_STACKS)
    print(f"receptive field = {rf} steps (window = {WINDOW})")
    if rf < WINDOW:
        print("warning: receptive field is shorter than the input window")

    data = synth_hourly_load(N_HOURS)
    train_ds, val_ds, test_ds, (y_mu, y_sigma) = make_windowed_datasets(
        data, WINDOW, TARGET_SHIFT, BATCH_SIZE)
    for xb, yb in train_ds.take(1):
        print("batch x:", xb.shape, "batch y:", yb.shape)

    model = build_model(WINDOW, len(FEATURES))
    model.summary()

    steps_per_epoch = math.ceil(int(N_HOURS * 0.7) / BATCH_SIZE)
    schedule = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=EPOCHS * steps_per_epoch)
    model.compile(optimizer=keras.optimizers.Adam(schedule, clipnorm=1.0),
                  loss=keras.losses.Huber(delta=1.0),
                  metrics=[keras.metrics.MeanAbsoluteError(name="mae")])

    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)]
    model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, callbacks=callbacks, verbose=2)

    y_true = np.concatenate([y.numpy() for _, y in test_ds])
    y_pred = model.predict(test_ds, verbose=0).squeeze(-1)
    mae_mw = np.mean(np.abs(y_true - y_pred)) * y_sigma
    # persistence baseline: load(t+1) = load(t)
    last_obs = np.concatenate([x[:, -1, TARGET_COL].numpy() for x, _ in test_ds])
    mae_persist = np.mean(np.abs(y_true - last_obs)) * y_sigma
    print(f"test MAE: TCN={mae_mw:.2f} MW   persistence={mae_persist:.2f} MW  (mean load {y_mu:.0f})")


if __name__ == "__main__":
    main()
