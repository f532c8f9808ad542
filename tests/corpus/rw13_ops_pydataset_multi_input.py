"""Multi-input tabular + sequence regression fed by a keras.utils.PyDataset.

A synthetic "house price" task: each sample has numeric features, a
categorical neighbourhood id and a short time series of past prices.  The
PyDataset subclass generates batches on the fly (dict inputs keyed by
keras.Input names) and shuffles indices at epoch end.  The model mixes an
embedding lookup (ops.take on a custom table), a Conv1D branch on the series
and an MLP head.
"""
import math

import numpy as np
import keras
from keras import layers, ops

NUM_FEATURES = 6
NUM_REGIONS = 20
HISTORY = 12


class HousingSequence(keras.utils.PyDataset):
    def __init__(self, num_samples, batch_size, seed=0, shuffle=True, **kwargs):
        super().__init__(**kwargs)
        rng = np.random.default_rng(seed)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.numeric = rng.normal(size=(num_samples, NUM_FEATURES)).astype("float32")
        self.region = rng.integers(0, NUM_REGIONS, size=(num_samples,)).astype("int32")
        trend = rng.normal(scale=0.1, size=(num_samples, 1))
        steps = np.arange(HISTORY)[None, :]
        noise = rng.normal(scale=0.05, size=(num_samples, HISTORY))
        self.history = (trend * steps + noise).astype("float32")[..., None]
        region_effect = np.linspace(-1.0, 1.0, NUM_REGIONS)[self.region]
        self.target = (
            self.numeric @ np.linspace(0.5, -0.5, NUM_FEATURES)
            + region_effect
            + 2.0 * self.history[:, -1, 0]
        ).astype("float32")[:, None]
        self.indices = np.arange(num_samples)

    def __len__(self):
        return math.ceil(len(self.indices) / self.batch_size)

    def __getitem__(self, idx):
        sel = self.indices[idx * self.batch_size : (idx + 1) * self.batch_size]
        inputs = {
            "numeric": self.numeric[sel],
            "region": self.region[sel],
            "history": self.history[sel],
        }
        return inputs, self.target[sel]

    def on_epoch_end(self):
        if self.shuffle:
            np.random.shuffle(self.indices)


@keras.saving.register_keras_serializable(package="rw13")
class RegionTable(layers.Layer):
    """A learned per-region embedding looked up with ops.take."""

    def __init__(self, num_regions, dim, **kwargs):
        super().__init__(**kwargs)
        self.num_regions = num_regions
        self.dim = dim

    def build(self, input_shape):
        self.table = self.add_weight(
            shape=(self.num_regions, self.dim), initializer="glorot_uniform", name="table"
        )

    def call(self, ids):
        ids = ops.cast(ops.reshape(ids, (-1,)), "int32")
        return ops.take(self.table, ids, axis=0)

    def get_config(self):
        return {**super().get_config(), "num_regions": self.num_regions, "dim": self.dim}


def build_model():
    numeric = keras.Input((NUM_FEATURES,), name="numeric")
    region = keras.Input((), dtype="int32", name="region")
    history = keras.Input((HISTORY, 1), name="history")

    num_branch = layers.Normalization(name="num_norm")(numeric)
    num_branch = layers.Dense(32, activation="relu")(num_branch)

    reg_branch = RegionTable(NUM_REGIONS, 8, name="region_table")(region)

    seq = layers.Conv1D(16, 3, padding="causal", activation="relu")(history)
    seq = layers.Conv1D(16, 3, padding="causal", dilation_rate=2, activation="relu")(seq)
    last = layers.Lambda(lambda t: t[:, -1, :], name="last_step")(seq)
    avg = layers.GlobalAveragePooling1D()(seq)

    merged = layers.Concatenate()([num_branch, reg_branch, last, avg])
    h = layers.Dense(64, activation="relu")(merged)
    h = layers.Dropout(0.1)(h)
    h = layers.Dense(32, activation="relu")(h)
    price = layers.Dense(1, name="price")(h)
    return keras.Model({"numeric": numeric, "region": region, "history": history}, price)


if __name__ == "__main__":
    keras.utils.set_random_seed(21)
    train_ds = HousingSequence(256, batch_size=32, seed=1)
    val_ds = HousingSequence(64, batch_size=32, seed=2, shuffle=False)

    model = build_model()
    model.get_layer("num_norm").adapt(train_ds.numeric)
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss=keras.losses.Huber(delta=1.0),
        metrics=[keras.metrics.RootMeanSquaredError(name="rmse")],
    )
    history = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=1,
        callbacks=[keras.callbacks.CSVLogger("/tmp/rw13_pydataset_log.csv")],
        verbose=2,
    )
    print({k: round(float(v[-1]), 4) for k, v in history.history.items()})

    batch_x, batch_y = val_ds[0]
    pred = model.predict(batch_x, verbose=0)
    print("pred/target sample:", np.hstack([pred[:3], batch_y[:3]]).round(3))
    print("evaluate:", model.evaluate(val_ds, verbose=0))
