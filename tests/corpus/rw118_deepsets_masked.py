"""
Deep Sets on variable-size sets, with Keras masking.

Each example is a set of 2..MAX_SET_SIZE points in 2D with a small "type" id.
Targets (multi-output):
  * count of points inside the unit circle        (regression)
  * whether the set contains at least 2 of type 0 (binary)

Sets are padded with zeros via Dataset.padded_batch; a Masking layer marks
padding so the permutation-invariant pooling ignores it.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

MAX_SET_SIZE = 20
N_TYPES = 4
N_TRAIN, N_VAL = 600, 150
BATCH = 48
PAD_VALUE = 0.0

rs = np.random.RandomState(2024)


def random_set():
    n = rs.randint(2, MAX_SET_SIZE + 1)
    xy = rs.uniform(-1.6, 1.6, size=(n, 2)).astype(np.float32)
    types = rs.randint(0, N_TYPES, size=n)
    onehot = np.eye(N_TYPES, dtype=np.float32)[types]
    feats = np.concatenate([xy, onehot], axis=1)
    inside = float((np.linalg.norm(xy, axis=1) < 1.0).sum())
    has_pair = float((types == 0).sum() >= 2)
    return feats, inside, has_pair


def generate(n):
    sets, counts, pairs = zip(*(random_set() for _ in range(n)))
    return list(sets), np.array(counts, np.float32), np.array(pairs, np.float32)


def to_dataset(sets, counts, pairs, shuffle=False):
    def gen():
        for s, c, p in zip(sets, counts, pairs):
            yield s, {"count": [c], "has_pair": [p]}

    sig = (
        tf.TensorSpec(shape=(None, 2 + N_TYPES), dtype=tf.float32),
        {
            "count": tf.TensorSpec(shape=(1,), dtype=tf.float32),
            "has_pair": tf.TensorSpec(shape=(1,), dtype=tf.float32),
        },
    )
    ds = tf.data.Dataset.from_generator(gen, output_signature=sig)
    if shuffle:
        ds = ds.shuffle(len(sets))
    # pad feature rows with PAD_VALUE; make sure a real point is never all-zero
    ds = ds.padded_batch(
        BATCH,
        padded_shapes=([MAX_SET_SIZE, 2 + N_TYPES], {"count": [1], "has_pair": [1]}),
        padding_values=(PAD_VALUE, {"count": 0.0, "has_pair": 0.0}),
    )
    return ds.prefetch(2)


class MaskedPool(layers.Layer):
    """Sum / mean / max pooling over the set axis that respects a Keras mask."""

    def __init__(self, mode="sum", **kwargs):
        super().__init__(**kwargs)
        assert mode in ("sum", "mean", "max")
        self.mode = mode
        self.supports_masking = True

    def call(self, x, mask=None):
        if mask is None:
            mask = tf.ones(tf.shape(x)[:2], dtype=tf.bool)
        m = tf.cast(mask, x.dtype)[..., None]
        if self.mode == "max":
            return tf.reduce_max(x * m + (1.0 - m) * -1e9, axis=1)
        s = tf.reduce_sum(x * m, axis=1)
        if self.mode == "mean":
            s = s / tf.maximum(tf.reduce_sum(m, axis=1), 1.0)
        return s

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


def phi_block(x, widths):
    for i, w in enumerate(widths):
        x = layers.Dense(w, activation="elu", name=f"phi_{i}")(x)
    return x


def build_deepsets(phi_widths=(64, 64, 64), rho_widths=(64, 32)):
    inp = keras.Input(shape=(MAX_SET_SIZE, 2 + N_TYPES), name="points")
    x = layers.Masking(mask_value=PAD_VALUE)(inp)
    x = phi_block(x, phi_widths)
    pooled = layers.Concatenate()(
        [MaskedPool(mode, name=f"pool_{mode}")(x) for mode in ("sum", "mean", "max")]
    )
    h = pooled
    for i, w in enumerate(rho_widths):
        h = layers.Dense(w, activation="elu", name=f"rho_{i}")(h)
    count = layers.Dense(1, name="count")(h)
    has_pair = layers.Dense(1, activation="sigmoid", name="has_pair")(h)
    return keras.Model(inp, {"count": count, "has_pair": has_pair}, name="deep_sets")


def check_permutation_invariance(model, sample):
    perm = rs.permutation(sample.shape[0])
    padded = np.zeros((2, MAX_SET_SIZE, sample.shape[1]), np.float32)
    padded[0, : len(sample)] = sample
    padded[1, : len(sample)] = sample[perm]
    out = model.predict(padded, verbose=0)
    diff = np.abs(out["count"][0] - out["count"][1]).max()
    print(f"permutation invariance check: max |diff| = {diff:.2e}")


if __name__ == "__main__":
    tr_sets, tr_c, tr_p = generate(N_TRAIN)
    va_sets, va_c, va_p = generate(N_VAL)
    print(f"mean set size: {np.mean([len(s) for s in tr_sets]):.2f}, "
          f"mean inside count: {tr_c.mean():.2f}, pair rate: {tr_p.mean():.2f}")

    train_ds = to_dataset(tr_sets, tr_c, tr_p, shuffle=True)
    val_ds = to_dataset(va_sets, va_c, va_p)

    model = build_deepsets()
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=2e-3, weight_decay=1e-4),
        loss={"count": "huber", "has_pair": "binary_crossentropy"},
        loss_weights={"count": 1.0, "has_pair": 0.5},
        metrics={"count": ["mae"], "has_pair": ["accuracy"]},
    )
    model.summary()
    model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

    check_permutation_invariance(model, va_sets[0])
    preds = model.predict(val_ds.take(1), verbose=0)
    for i in range(5):
        print(f"set {i}: size={len(va_sets[i]):2d} true_count={va_c[i]:.0f} "
              f"pred_count={preds['count'][i, 0]:.2f} pair_p={preds['has_pair'][i, 0]:.2f}")
