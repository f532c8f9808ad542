# Set Transformer (Lee et al. 2019) in plain Keras: MAB / ISAB / PMA blocks.
# Toy task: count how many Gaussian blobs a 2-D point set was sampled from.
import math
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CFG = dict(
    n_sets=256,
    set_size=48,
    max_blobs=4,
    d_model=64,
    num_heads=4,
    num_inducing=16,
    num_isab=2,
    num_seeds=1,
    batch_size=32,
    lr=3e-4,
    epochs=2,
    seed=11,
)

np.random.seed(CFG["seed"])
tf.random.set_seed(CFG["seed"])


# ----------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------
def sample_blob_set(n_points, n_blobs):
    centers = np.random.uniform(-4, 4, size=(n_blobs, 2))
    assign = np.random.randint(0, n_blobs, size=n_points)
    pts = centers[assign] + 0.35 * np.random.randn(n_points, 2)
    return pts.astype("float32")


def build_arrays(cfg):
    labels = np.random.randint(1, cfg["max_blobs"] + 1, size=cfg["n_sets"])
    sets = np.stack([sample_blob_set(cfg["set_size"], k) for k in labels])
    # normalise per-set so the model can't just read off the spread
    sets = (sets - sets.mean(axis=1, keepdims=True)) / (sets.std(axis=1, keepdims=True) + 1e-6)
    return sets, (labels - 1).astype("int32")


# ----------------------------------------------------------------------------
# blocks
# ----------------------------------------------------------------------------
class MAB(layers.Layer):
    """Multihead Attention Block: H = LN(X + MHA(X, Y)); out = LN(H + FF(H))."""

    def __init__(self, d_model, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.attn = layers.MultiHeadAttention(num_heads=num_heads, key_dim=d_model // num_heads)
        self.ln1 = layers.LayerNormalization()
        self.ln2 = layers.LayerNormalization()
        self.ff = keras.Sequential([layers.Dense(d_model * 2, activation="gelu"), layers.Dense(d_model)])

    def call(self, x, y, training=False):
        h = self.ln1(x + self.attn(query=x, value=y, key=y, training=training))
        return self.ln2(h + self.ff(h))


class ISAB(layers.Layer):
    """Induced Set Attention Block with m learned inducing points."""

    def __init__(self, d_model, num_heads, num_inducing, **kwargs):
        super().__init__(**kwargs)
        self.num_inducing = num_inducing
        self.d_model = d_model
        self.mab_in = MAB(d_model, num_heads)
        self.mab_out = MAB(d_model, num_heads)

    def build(self, input_shape):
        self.inducing = self.add_weight(
            name="inducing_points",
            shape=(1, self.num_inducing, self.d_model),
            initializer="glorot_uniform",
        )

    def call(self, x, training=False):
        batch = tf.shape(x)[0]
        i = tf.tile(self.inducing, [batch, 1, 1])
        h = self.mab_in(i, x, training=training)      # (B, m, d)
        return self.mab_out(x, h, training=training)  # (B, n, d)


class PMA(layers.Layer):
    """Pooling by Multihead Attention with k seed vectors."""

    def __init__(self, d_model, num_heads, num_seeds, **kwargs):
        super().__init__(**kwargs)
        self.num_seeds = num_seeds
        self.d_model = d_model
        self.mab = MAB(d_model, num_heads)
        self.pre = layers.Dense(d_model, activation="relu")

    def build(self, input_shape):
        self.seeds = self.add_weight(
            name="seeds", shape=(1, self.num_seeds, self.d_model), initializer="glorot_uniform"
        )

    def call(self, x, training=False):
        batch = tf.shape(x)[0]
        s = tf.tile(self.seeds, [batch, 1, 1])
        return self.mab(s, self.pre(x), training=training)


class SetTransformer(keras.Model):
    def __init__(self, cfg, n_classes, **kwargs):
        super().__init__(**kwargs)
        d = cfg["d_model"]
        self.embed = layers.Dense(d)
        self.encoder = [
            ISAB(d, cfg["num_heads"], cfg["num_inducing"], name=f"isab_{i}")
            for i in range(cfg["num_isab"])
        ]
        self.pool = PMA(d, cfg["num_heads"], cfg["num_seeds"], name="pma")
        self.flatten = layers.Flatten()
        self.head = layers.Dense(n_classes)

    def call(self, x, training=False):
        h = self.embed(x)
        for block in self.encoder:
            h = block(h, training=training)
        h = self.pool(h, training=training)
        return self.head(self.flatten(h))


# ----------------------------------------------------------------------------
# training
# ----------------------------------------------------------------------------
def main():
    x, y = build_arrays(CFG)
    split = int(0.8 * len(x))
    train_ds = (
        tf.data.Dataset.from_tensor_slices((x[:split], y[:split]))
        .shuffle(split)
        .batch(CFG["batch_size"], drop_remainder=True)
    )
    val_ds = tf.data.Dataset.from_tensor_slices((x[split:], y[split:])).batch(CFG["batch_size"])

    model = SetTransformer(CFG, n_classes=CFG["max_blobs"])
    model(tf.zeros((1, CFG["set_size"], 2)))  # build
    print(f"params: {model.count_params():,}")

    optimizer = keras.optimizers.AdamW(learning_rate=CFG["lr"], weight_decay=1e-4)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc = keras.metrics.SparseCategoricalAccuracy()
    val_acc = keras.metrics.SparseCategoricalAccuracy()
    train_loss = keras.metrics.Mean()

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            logits = model(xb, training=True)
            loss = loss_fn(yb, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 1.0)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        train_loss.update_state(loss)
        train_acc.update_state(yb, logits)

    @tf.function
    def eval_step(xb, yb):
        val_acc.update_state(yb, model(xb, training=False))

    steps_per_epoch = split // CFG["batch_size"]
    for epoch in range(CFG["epochs"]):
        t0 = time.time()
        for m in (train_loss, train_acc, val_acc):
            m.reset_state()
        for step, (xb, yb) in enumerate(train_ds):
            train_step(xb, yb)
            if step % 4 == 0:
                print(f"  epoch {epoch} step {step}/{steps_per_epoch} loss={float(train_loss.result()):.4f}")
        for xb, yb in val_ds:
            eval_step(xb, yb)
        print(
            f"epoch {epoch}: loss={float(train_loss.result()):.4f} "
            f"acc={float(train_acc.result()):.3f} val_acc={float(val_acc.result()):.3f} "
            f"({time.time() - t0:.1f}s)"
        )

    # sanity check: the pooled output should be permutation invariant
    sample = x[:4]
    perm = np.random.permutation(CFG["set_size"])
    out_a = model(sample, training=False).numpy()
    out_b = model(sample[:, perm], training=False).numpy()
    print("permutation invariance max diff:", float(np.abs(out_a - out_b).max()))

    # and the model should accept a set size it has never seen
    big = tf.random.normal((2, CFG["set_size"] * 2, 2))
    print("logits on larger sets:", model(big).shape)
    print("chance level would be", round(1.0 / CFG["max_blobs"], 3), "log-loss", round(math.log(CFG["max_blobs"]), 3))


if __name__ == "__main__":
    main()
