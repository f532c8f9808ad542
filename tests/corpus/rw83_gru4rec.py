"""GRU4Rec-style session-based recommender.

Variable-length click sessions -> tf.data (ragged -> padded_batch) -> masked
GRU -> softmax over the whole item catalogue at every step. Includes a
streaming Recall@K / MRR@K metric that respects the padding mask, and a
small Sequential baseline for comparison.
"""
import numpy as np
import tensorflow as tf

N_ITEMS = 600          # item ids 1..N_ITEMS-1, 0 = padding
N_SESSIONS = 2000
MAX_SESSION_LEN = 20
EMB = 64
GRU_UNITS = 96
BATCH = 64
TOPK = 20

tf.keras.utils.set_random_seed(1234)
_rng = np.random.default_rng(1234)

# a small "co-click" graph: every item has a few likely successors
SUCCESSORS = _rng.integers(1, N_ITEMS, size=(N_ITEMS, 4))


def session_generator():
    for _ in range(N_SESSIONS):
        length = int(_rng.integers(2, MAX_SESSION_LEN + 1))
        item = int(_rng.integers(1, N_ITEMS))
        clicks = [item]
        for _ in range(length - 1):
            if _rng.random() < 0.8:
                item = int(SUCCESSORS[item, _rng.integers(0, 4)])
            else:
                item = int(_rng.integers(1, N_ITEMS))
            clicks.append(item)
        yield np.array(clicks, dtype=np.int32)


def split_input_target(session):
    # predict click t+1 from clicks <= t; works on any length >= 2
    return session[:-1], session[1:]


def make_datasets():
    ds = tf.data.Dataset.from_generator(
        session_generator,
        output_signature=tf.TensorSpec(shape=(None,), dtype=tf.int32),
    )
    ds = ds.cache()  # generator is stateful; freeze the sessions once
    ds = ds.map(split_input_target, num_parallel_calls=tf.data.AUTOTUNE)

    n_val = N_SESSIONS // 10
    val = ds.take(n_val)
    train = ds.skip(n_val).shuffle(2048, seed=1)

    pad = dict(padded_shapes=([MAX_SESSION_LEN - 1], [MAX_SESSION_LEN - 1]),
               padding_values=(0, 0))
    train = train.padded_batch(BATCH, **pad).prefetch(tf.data.AUTOTUNE)
    val = val.padded_batch(BATCH, **pad).prefetch(tf.data.AUTOTUNE)
    return train, val


class MaskedRecallMRR(tf.keras.metrics.Metric):
    """Recall@K and MRR@K over non-padding positions of (B, T, V) logits."""

    def __init__(self, k=20, mode="recall", name=None, **kwargs):
        super().__init__(name=name or f"{mode}@{k}", **kwargs)
        self.k = k
        self.mode = mode
        self.total = self.add_weight(name="total", initializer="zeros")
        self.count = self.add_weight(name="count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = tf.cast(y_true, tf.int32)
        mask = tf.cast(tf.not_equal(y_true, 0), tf.float32)
        true_logit = tf.gather(y_pred, y_true, batch_dims=2)[..., None]   # (B, T, 1)
        rank = tf.reduce_sum(tf.cast(y_pred > true_logit, tf.float32), axis=-1)  # 0-based
        in_topk = tf.cast(rank < self.k, tf.float32)
        if self.mode == "recall":
            val = in_topk
        else:
            val = in_topk / (rank + 1.0)
        self.total.assign_add(tf.reduce_sum(val * mask))
        self.count.assign_add(tf.reduce_sum(mask))

    def result(self):
        return tf.math.divide_no_nan(self.total, self.count)

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)


def build_gru4rec():
    inp = tf.keras.Input(shape=(None,), dtype="int32", name="clicks")
    x = tf.keras.layers.Embedding(N_ITEMS, EMB, mask_zero=True, name="item_embedding")(inp)
    x = tf.keras.layers.Dropout(0.25)(x)
    x = tf.keras.layers.GRU(GRU_UNITS, return_sequences=True, name="session_gru")(x)
    x = tf.keras.layers.LayerNormalization()(x)
    logits = tf.keras.layers.Dense(N_ITEMS, name="next_item_logits")(x)
    return tf.keras.Model(inp, logits, name="gru4rec")


def build_bag_of_items_baseline():
    """Last-item-only baseline: no recurrence, just 'what follows this item'."""
    return tf.keras.Sequential([
        tf.keras.Input(shape=(None,), dtype="int32"),
        tf.keras.layers.Embedding(N_ITEMS, EMB, mask_zero=True),
        tf.keras.layers.Dense(EMB, activation="tanh"),
        tf.keras.layers.Dense(N_ITEMS),
    ], name="last_item_baseline")


def compile_and_fit(model, train_ds, val_ds, epochs=1):
    # padding targets get zero weight because Embedding(mask_zero) propagates the mask
    model.compile(
        optimizer=tf.keras.optimizers.Adam(2e-3),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[MaskedRecallMRR(TOPK, "recall"), MaskedRecallMRR(TOPK, "mrr")],
    )
    hist = model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=2)
    return {k: round(v[-1], 4) for k, v in hist.history.items()}


def recommend_next(model, session, k=5):
    """Right-aligned padding doesn't matter with masking; we read the last real step."""
    session = np.asarray(session, dtype=np.int32)[None, :]
    logits = model.predict(session, verbose=0)[0, -1]
    logits[0] = -np.inf  # never recommend padding
    return np.argsort(-logits)[:k]


if __name__ == "__main__":
    train_ds, val_ds = make_datasets()
    xb, yb = next(iter(train_ds))
    print("batch:", xb.shape, yb.shape, "padding frac:",
          float(tf.reduce_mean(tf.cast(xb == 0, tf.float32))))

    gru = build_gru4rec()
    gru.summary()
    res_gru = compile_and_fit(gru, train_ds, val_ds, epochs=2)

    base = build_bag_of_items_baseline()
    res_base = compile_and_fit(base, train_ds, val_ds, epochs=2)

    print("gru4rec :", res_gru)
    print("baseline:", res_base)

    demo = [5, int(SUCCESSORS[5, 0]), int(SUCCESSORS[SUCCESSORS[5, 0], 1])]
    print("session", demo, "-> top5", recommend_next(gru, demo).tolist(),
          "| true successors of last:", SUCCESSORS[demo[-1]].tolist())
