# Multiple-instance "bag" classifier: each example is a variable-length set of
# feature vectors. Bags are padded by tf.data, then flattened inside the layer and
# pooled with keras.ops segment_sum / segment_max (padding goes to a dump segment).
import numpy as np
import tensorflow as tf
import keras
from keras import ops

CFG = {
    "n_bags": 300,
    "feat_dim": 6,
    "min_items": 3,
    "max_items": 15,
    "batch_size": 24,
    "hidden": 32,
    "lr": 5e-3,
    "epochs": 2,
}

rng = np.random.default_rng(2024)


def synth_bags(n):
    """A bag is positive if any instance has feature 0 above 2.0."""
    bags, labels = [], []
    for _ in range(n):
        k = rng.integers(CFG["min_items"], CFG["max_items"] + 1)
        items = rng.normal(size=(k, CFG["feat_dim"])).astype(np.float32)
        if rng.random() < 0.5:
            items[rng.integers(k), 0] = rng.uniform(2.2, 4.0)
        else:
            items[:, 0] = np.clip(items[:, 0], -3, 1.9)
        bags.append(items)
        labels.append(float(items[:, 0].max() > 2.0))
    return bags, np.array(labels, dtype=np.float32)


def make_dataset(bags, labels, shuffle=True):
    def gen():
        for b, l in zip(bags, labels):
            yield b, len(b), l

    sig = (
        tf.TensorSpec(shape=(None, CFG["feat_dim"]), dtype=tf.float32),
        tf.TensorSpec(shape=(), dtype=tf.int32),
        tf.TensorSpec(shape=(), dtype=tf.float32),
    )
    ds = tf.data.Dataset.from_generator(gen, output_signature=sig)
    if shuffle:
        ds = ds.shuffle(256, seed=1)
    ds = ds.padded_batch(CFG["batch_size"], padded_shapes=([None, CFG["feat_dim"]], [], []))
    return ds.map(lambda x, n, y: ((x, n), y)).prefetch(tf.data.AUTOTUNE)


class SegmentPool(keras.layers.Layer):
    """Pools (batch, items, d) features into (batch, 2*d) using sum+max over real items."""

    def call(self, feats, lengths):
        b = ops.shape(feats)[0]
        n = ops.shape(feats)[1]
        d = feats.shape[-1]
        positions = ops.arange(n)[None, :]
        valid = positions < ops.expand_dims(lengths, -1)            # (b, n)
        row_ids = ops.repeat(ops.expand_dims(ops.arange(b), -1), n, axis=1)
        # padded slots are routed to segment `b` and thrown away afterwards
        seg = ops.where(valid, row_ids, ops.full_like(row_ids, b))
        flat = ops.reshape(feats, (-1, d))
        seg = ops.reshape(seg, (-1,))
        summed = ops.segment_sum(flat, seg, num_segments=b + 1)[:b]
        maxed = ops.segment_max(flat, seg, num_segments=b + 1)[:b]
        mean = summed / ops.cast(ops.expand_dims(lengths, -1), summed.dtype)
        return ops.concatenate([mean, maxed], axis=-1)


class BagClassifier(keras.Model):
    def __init__(self, hidden=32, **kw):
        super().__init__(**kw)
        self.encoder = [keras.layers.Dense(hidden, activation="relu") for _ in range(2)]
        self.pool = SegmentPool()
        self.head = keras.layers.Dense(1)

    def call(self, inputs, training=False):
        x, lengths = inputs
        for layer in self.encoder:
            x = layer(x)
        return self.head(self.pool(x, lengths))


def bce_from_logits(y_true, logits):
    # numerically stable BCE spelled out with keras.ops
    y_true = ops.reshape(y_true, ops.shape(logits))
    loss = ops.maximum(logits, 0) - logits * y_true + ops.log1p(ops.exp(-ops.abs(logits)))
    return ops.mean(loss)


model = BagClassifier(hidden=CFG["hidden"])
optimizer = keras.optimizers.Adam(CFG["lr"])
acc_metric = keras.metrics.BinaryAccuracy(threshold=0.0)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = bce_from_logits(y, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    acc_metric.update_state(ops.reshape(y, (-1, 1)), logits)
    return loss


@tf.function
def eval_logits(x):
    return model(x, training=False)


if __name__ == "__main__":
    bags, labels = synth_bags(CFG["n_bags"])
    cut = int(0.8 * len(bags))
    train_ds = make_dataset(bags[:cut], labels[:cut])
    val_ds = make_dataset(bags[cut:], labels[cut:], shuffle=False)
    print(f"train bags={cut}, val bags={len(bags) - cut}, positive rate={labels.mean():.2f}")

    for epoch in range(CFG["epochs"]):
        acc_metric.reset_state()
        losses = [float(train_step(x, y)) for x, y in train_ds]
        print(f"epoch {epoch + 1}: loss={np.mean(losses):.4f} acc={float(acc_metric.result()):.3f}")

    val_acc = keras.metrics.BinaryAccuracy(threshold=0.0)
    for x, y in val_ds:
        val_acc.update_state(tf.reshape(y, (-1, 1)), eval_logits(x))
    print(f"val accuracy: {float(val_acc.result()):.3f}")

    # sanity check: pooling ignores padding
    (xb, nb), _ = next(iter(val_ds))
    pooled = SegmentPool()(xb, nb)
    ref_max = np.stack([xb[i, : nb[i]].numpy().max(0) for i in range(xb.shape[0])])
    print("segment_max matches numpy:", np.allclose(pooled[:, CFG["feat_dim"]:], ref_max))
