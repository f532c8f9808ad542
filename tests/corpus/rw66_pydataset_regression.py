"""Tabular regression fed by a keras.utils.PyDataset.

Small demo from my notes on moving old `keras.utils.Sequence` generators over to
Keras 3. The dataset yields (features, target) batches built on the fly from a
numpy array, with a bit of gaussian jitter added to the numeric columns during
training. Model is a plain functional MLP with a categorical embedding branch.
"""
import math

import numpy as np
import keras
from keras import layers, ops

SEED = 7
N_ROWS = 2048
N_NUMERIC = 12
N_CATEGORIES = 20
BATCH_SIZE = 64
EPOCHS = 1

rng = np.random.default_rng(SEED)


def make_fake_table(n_rows):
    numeric = rng.normal(size=(n_rows, N_NUMERIC)).astype("float32")
    cats = rng.integers(0, N_CATEGORIES, size=(n_rows,)).astype("int32")
    cat_effect = np.linspace(-1.0, 1.0, N_CATEGORIES)[cats]
    weights = rng.normal(size=(N_NUMERIC,))
    y = numeric @ weights + 0.5 * cat_effect + 0.1 * rng.normal(size=n_rows)
    return numeric, cats, y.astype("float32")[:, None]


class TableDataset(keras.utils.PyDataset):
    """Batches rows of a table, optionally jittering the numeric features."""

    def __init__(self, numeric, cats, targets, batch_size=32, shuffle=True,
                 jitter=0.0, **kwargs):
        super().__init__(**kwargs)
        self.numeric = numeric
        self.cats = cats
        self.targets = targets
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.jitter = jitter
        self.indices = np.arange(len(numeric))
        self.on_epoch_end()

    def __len__(self):
        return math.ceil(len(self.numeric) / self.batch_size)

    def __getitem__(self, idx):
        low = idx * self.batch_size
        high = min(low + self.batch_size, len(self.numeric))
        batch_idx = self.indices[low:high]
        x_num = self.numeric[batch_idx]
        if self.jitter > 0:
            x_num = x_num + np.random.normal(scale=self.jitter, size=x_num.shape).astype("float32")
        inputs = {"numeric": x_num, "category": self.cats[batch_idx]}
        return inputs, self.targets[batch_idx]

    def on_epoch_end(self):
        if self.shuffle:
            np.random.shuffle(self.indices)


def build_model():
    num_in = keras.Input(shape=(N_NUMERIC,), name="numeric")
    cat_in = keras.Input(shape=(), dtype="int32", name="category")

    x = layers.Normalization(name="num_norm")(num_in)
    e = layers.Embedding(N_CATEGORIES, 4, name="cat_embed")(cat_in)   # (batch, 4)

    h = layers.Concatenate()([x, e])
    for units in (64, 32):
        h = layers.Dense(units, activation="gelu")(h)
        h = layers.Dropout(0.1)(h)
    out = layers.Dense(1, name="target")(h)
    return keras.Model({"numeric": num_in, "category": cat_in}, out, name="table_mlp")


def main():
    keras.utils.set_random_seed(SEED)
    numeric, cats, y = make_fake_table(N_ROWS)
    split = int(0.8 * N_ROWS)

    train_ds = TableDataset(numeric[:split], cats[:split], y[:split],
                            batch_size=BATCH_SIZE, jitter=0.05)
    val_ds = TableDataset(numeric[split:], cats[split:], y[split:],
                          batch_size=BATCH_SIZE, shuffle=False)
    print("train batches:", len(train_ds), "val batches:", len(val_ds))

    xb, yb = train_ds[0]
    print({k: v.shape for k, v in xb.items()}, yb.shape)

    model = build_model()
    model.get_layer("num_norm").adapt(numeric[:split])
    model.compile(optimizer=keras.optimizers.AdamW(1e-3, weight_decay=1e-4),
                  loss="mse",
                  metrics=[keras.metrics.MeanAbsoluteError(name="mae")])
    model.summary()

    history = model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)
    print("final val_mae: %.4f" % history.history["val_mae"][-1])

    preds = model.predict(val_ds, verbose=0)
    resid = ops.convert_to_numpy(ops.abs(preds - y[split:]))
    print("pred shape:", preds.shape, "max abs residual: %.3f" % resid.max())


if __name__ == "__main__":
    main()
