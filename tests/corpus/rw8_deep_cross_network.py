"""Deep & Cross Network (DCN-v2 style) on a synthetic click-through dataset.

Each categorical column gets its own Input + Embedding, numeric columns are
normalized and concatenated, then the stacked vector goes through a few
explicit feature-crossing layers in parallel with a plain deep tower.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
np.random.seed(SEED)
tf.random.set_seed(SEED)

CATEGORICAL = {
    "site_id": 50,
    "app_category": 12,
    "device_type": 5,
    "hour_of_day": 24,
}
NUMERIC = ["price", "user_age", "hist_ctr"]
EMB_DIM = 8
N_ROWS = 512
BATCH = 64


def make_fake_data(n):
    data = {}
    for name, vocab in CATEGORICAL.items():
        data[name] = np.random.randint(0, vocab, size=(n,)).astype("int32")
    for name in NUMERIC:
        data[name] = np.random.randn(n).astype("float32")
    # label loosely depends on a couple of columns so the model has something to do
    logits = 0.3 * data["price"] - 0.5 * (data["device_type"] == 2) + 0.1 * data["hist_ctr"]
    y = (np.random.rand(n) < 1 / (1 + np.exp(-logits))).astype("float32")
    return data, y


class CrossLayer(layers.Layer):
    """x_{l+1} = x0 * (W x_l + b) + x_l  (the DCN-v2 'full-rank' cross)."""

    def __init__(self, l2=1e-4, **kwargs):
        super().__init__(**kwargs)
        self.l2 = l2

    def build(self, input_shape):
        dim = input_shape[0][-1]
        self.dense = layers.Dense(
            dim,
            kernel_regularizer=keras.regularizers.l2(self.l2),
            name=self.name + "_w",
        )
        self.dense.build((None, dim))
        super().build(input_shape)

    def call(self, inputs):
        x0, xl = inputs
        return x0 * self.dense(xl) + xl

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"l2": self.l2})
        return cfg


def build_inputs():
    inputs = {}
    for name in CATEGORICAL:
        inputs[name] = keras.Input(shape=(), dtype="int32", name=name)
    for name in NUMERIC:
        inputs[name] = keras.Input(shape=(), dtype="float32", name=name)
    return inputs


def build_dcn(num_cross=3, deep_units=(64, 32), stacked=False):
    inputs = build_inputs()
    embedded = []
    for name, vocab in CATEGORICAL.items():
        e = layers.Embedding(vocab, EMB_DIM, name=f"emb_{name}")(inputs[name])
        embedded.append(e)
    num = layers.Concatenate(name="numeric_concat")(
        [layers.Reshape((1,))(inputs[n]) for n in NUMERIC]
    )
    num = layers.BatchNormalization()(num)
    x0 = layers.Concatenate(name="all_features")(embedded + [num])

    # cross tower
    xc = x0
    for i in range(num_cross):
        xc = CrossLayer(name=f"cross_{i}")([x0, xc])

    # deep tower (parallel) or stacked on top of cross output
    xd = xc if stacked else x0
    for i, units in enumerate(deep_units):
        xd = layers.Dense(units, activation="relu", name=f"deep_{i}")(xd)
        xd = layers.Dropout(0.1)(xd)

    merged = xd if stacked else layers.concatenate([xc, xd])
    out = layers.Dense(1, activation="sigmoid", name="ctr")(merged)
    return keras.Model(inputs=inputs, outputs=out, name="dcn")


class PrintAUC(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        print(f"[epoch {epoch}] auc={logs.get('auc', float('nan')):.4f} "
              f"val_auc={logs.get('val_auc', float('nan')):.4f}")


if __name__ == "__main__":
    X, y = make_fake_data(N_ROWS)
    split = int(0.8 * N_ROWS)
    train_x = {k: v[:split] for k, v in X.items()}
    val_x = {k: v[split:] for k, v in X.items()}

    train_ds = (tf.data.Dataset.from_tensor_slices((train_x, y[:split]))
                .shuffle(256, seed=SEED).batch(BATCH).prefetch(tf.data.AUTOTUNE))
    val_ds = tf.data.Dataset.from_tensor_slices((val_x, y[split:])).batch(BATCH)

    model = build_dcn(num_cross=2)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="binary_crossentropy",
        metrics=[keras.metrics.AUC(name="auc"), "accuracy"],
    )
    model.summary()

    model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=1,
        callbacks=[keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=2),
                   PrintAUC()],
        verbose=2,
    )

    sample = {k: v[:5] for k, v in val_x.items()}
    preds = model.predict(sample, verbose=0)
    print("pred ctr:", np.round(preds.ravel(), 3))

    # peek at the learned cross weights magnitude
    for lyr in model.layers:
        if isinstance(lyr, CrossLayer):
            w = lyr.dense.kernel.numpy()
            print(lyr.name, "||W||_F =", float(np.linalg.norm(w)))
