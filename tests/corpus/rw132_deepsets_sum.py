"""DeepSets on variable-size sets of digits-as-vectors.

Task: given a padded set of scalar "digits" (with a mask), predict the sum
and the max of the set. Classic permutation-invariant phi/rho architecture.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
MAX_SET = 12
MIN_SET = 3
N_TRAIN = 512
N_VAL = 128
BATCH = 64
EMBED = 32
EPOCHS = 2

rng = np.random.default_rng(SEED)
tf.random.set_seed(SEED)


def make_sets(n):
    """Padded integer sets plus a boolean mask."""
    values = np.zeros((n, MAX_SET), dtype="int32")
    mask = np.zeros((n, MAX_SET), dtype="float32")
    for i in range(n):
        k = rng.integers(MIN_SET, MAX_SET + 1)
        values[i, :k] = rng.integers(1, 10, size=k)
        mask[i, :k] = 1.0
    sums = (values * mask).sum(axis=1, keepdims=True).astype("float32")
    maxes = values.max(axis=1, keepdims=True).astype("float32")
    return values, mask, sums, maxes


class MaskedSum(layers.Layer):
    """Sum-pool over the set axis, ignoring padded slots."""

    def call(self, x, mask):
        mask = tf.expand_dims(mask, -1)
        return tf.reduce_sum(x * mask, axis=1)


class MaskedMax(layers.Layer):
    def call(self, x, mask):
        neg = tf.fill(tf.shape(x), -1e9)
        x = tf.where(tf.expand_dims(mask, -1) > 0, x, neg)
        return tf.reduce_max(x, axis=1)


def build_deepsets(hidden=(64, 64), rho_hidden=(64,)):
    tokens = keras.Input(shape=(MAX_SET,), dtype="int32", name="tokens")
    mask = keras.Input(shape=(MAX_SET,), dtype="float32", name="mask")

    h = layers.Embedding(10, EMBED, name="digit_embed")(tokens)
    for i, units in enumerate(hidden):
        h = layers.Dense(units, activation="relu", name=f"phi_{i}")(h)

    pooled_sum = MaskedSum(name="sum_pool")(h, mask)
    pooled_max = MaskedMax(name="max_pool")(h, mask)

    z_sum = pooled_sum
    for i, units in enumerate(rho_hidden):
        z_sum = layers.Dense(units, activation="relu", name=f"rho_sum_{i}")(z_sum)
    out_sum = layers.Dense(1, name="sum")(z_sum)

    z_max = pooled_max
    for i, units in enumerate(rho_hidden):
        z_max = layers.Dense(units, activation="relu", name=f"rho_max_{i}")(z_max)
    out_max = layers.Dense(1, name="max")(z_max)

    return keras.Model([tokens, mask], [out_sum, out_max], name="deepsets")


def to_dataset(values, mask, sums, maxes, shuffle=False):
    ds = tf.data.Dataset.from_tensor_slices(
        ({"tokens": values, "mask": mask}, {"sum": sums, "max": maxes})
    )
    if shuffle:
        ds = ds.shuffle(len(values), seed=SEED)
    return ds.batch(BATCH).prefetch(tf.data.AUTOTUNE)


def permutation_check(model, values, mask):
    """Shuffle the valid elements within each set; outputs should not change."""
    perm_vals = values.copy()
    for i in range(len(values)):
        k = int(mask[i].sum())
        perm_vals[i, :k] = rng.permutation(values[i, :k])
    a = model.predict({"tokens": values, "mask": mask}, verbose=0)
    b = model.predict({"tokens": perm_vals, "mask": mask}, verbose=0)
    return max(float(np.abs(x - y).max()) for x, y in zip(a, b))


if __name__ == "__main__":
    train = make_sets(N_TRAIN)
    val = make_sets(N_VAL)
    train_ds = to_dataset(*train, shuffle=True)
    val_ds = to_dataset(*val)

    model = build_deepsets()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss={"sum": "mse", "max": "mse"},
        loss_weights={"sum": 0.05, "max": 1.0},
        metrics={"sum": ["mae"], "max": ["mae"]},
    )
    model.summary()
    hist = model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)
    print({k: round(v[-1], 4) for k, v in hist.history.items()})

    diff = permutation_check(model, val[0][:32], val[1][:32])
    print(f"max abs diff under permutation: {diff:.2e}")

    preds_sum, preds_max = model.predict({"tokens": val[0][:5], "mask": val[1][:5]}, verbose=0)
    for i in range(5):
        k = int(val[1][i].sum())
        print(f"set={val[0][i, :k].tolist()} true_sum={val[2][i, 0]:.0f} "
              f"pred_sum={preds_sum[i, 0]:.1f} true_max={val[3][i, 0]:.0f} pred_max={preds_max[i, 0]:.1f}")
