"""Contrastive dual encoder trained with a symmetric InfoNCE objective.

Synthetic paired data: a shared latent z is projected into two different
"modalities" (a and b) with independent noise. Two separate towers embed each
side, embeddings are L2-normalised, and the logits matrix a @ b^T / tau uses
the other items in the batch as negatives. A learnable log-temperature is
optimised jointly. Retrieval recall@1 is reported on a held-out split.
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf


@dataclass
class Config:
    n_pairs: int = 2048
    latent_dim: int = 16
    dim_a: int = 48
    dim_b: int = 32
    embed_dim: int = 24
    hidden: int = 64
    batch_size: int = 128
    epochs: int = 4
    lr: float = 2e-3
    init_temp: float = 0.1
    noise: float = 0.3
    seed: int = 7
    metrics: dict = field(default_factory=dict)


def make_pairs(cfg, rng):
    z = rng.normal(size=(cfg.n_pairs, cfg.latent_dim))
    proj_a = rng.normal(size=(cfg.latent_dim, cfg.dim_a)) / np.sqrt(cfg.latent_dim)
    proj_b = rng.normal(size=(cfg.latent_dim, cfg.dim_b)) / np.sqrt(cfg.latent_dim)
    a = np.tanh(z @ proj_a) + cfg.noise * rng.normal(size=(cfg.n_pairs, cfg.dim_a))
    b = np.sin(z @ proj_b) + cfg.noise * rng.normal(size=(cfg.n_pairs, cfg.dim_b))
    return a.astype(np.float32), b.astype(np.float32)


class Tower(tf.keras.layers.Layer):
    def __init__(self, hidden, out_dim, **kwargs):
        super().__init__(**kwargs)
        self.fc1 = tf.keras.layers.Dense(hidden, activation="gelu")
        self.norm = tf.keras.layers.LayerNormalization()
        self.fc2 = tf.keras.layers.Dense(out_dim)

    def call(self, x):
        return self.fc2(self.norm(self.fc1(x)))


class DualEncoder(tf.keras.Model):
    def __init__(self, cfg):
        super().__init__()
        self.tower_a = Tower(cfg.hidden, cfg.embed_dim, name="tower_a")
        self.tower_b = Tower(cfg.hidden, cfg.embed_dim, name="tower_b")
        self.log_temp = self.add_weight(
            name="log_temp", shape=(),
            initializer=tf.keras.initializers.Constant(np.log(cfg.init_temp)))

    def embed(self, a, b):
        ea = tf.math.l2_normalize(self.tower_a(a), axis=-1)
        eb = tf.math.l2_normalize(self.tower_b(b), axis=-1)
        return ea, eb

    def call(self, inputs):
        a, b = inputs
        ea, eb = self.embed(a, b)
        temp = tf.exp(tf.clip_by_value(self.log_temp, np.log(0.01), np.log(1.0)))
        return tf.matmul(ea, eb, transpose_b=True) / temp


def info_nce(logits):
    labels = tf.range(tf.shape(logits)[0])
    loss_ab = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
    loss_ba = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, tf.transpose(logits))
    return 0.5 * (tf.reduce_mean(loss_ab) + tf.reduce_mean(loss_ba))


def recall_at_k(model, a, b, k=1):
    ea, eb = model.embed(a, b)
    sims = tf.matmul(ea, eb, transpose_b=True)
    topk = tf.math.top_k(sims, k=k).indices
    targets = tf.range(tf.shape(sims)[0])[:, None]
    hits = tf.reduce_any(tf.equal(topk, targets), axis=1)
    return float(tf.reduce_mean(tf.cast(hits, tf.float32)))


def main():
    cfg = Config()
    rng = np.random.default_rng(cfg.seed)
    tf.random.set_seed(cfg.seed)
    a, b = make_pairs(cfg, rng)
    split = int(0.8 * cfg.n_pairs)
    train_ds = (tf.data.Dataset.from_tensor_slices((a[:split], b[:split]))
                .shuffle(split, seed=cfg.seed)
                .batch(cfg.batch_size, drop_remainder=True)
                .prefetch(tf.data.AUTOTUNE))

    model = DualEncoder(cfg)
    opt = tf.keras.optimizers.AdamW(learning_rate=cfg.lr, weight_decay=1e-4)

    @tf.function
    def train_step(xa, xb):
        with tf.GradientTape() as tape:
            logits = model((xa, xb))
            loss = info_nce(logits)
        grads = tape.gradient(loss, model.trainable_variables)
        grads, gnorm = tf.clip_by_global_norm(grads, 5.0)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        acc = tf.reduce_mean(tf.cast(
            tf.equal(tf.argmax(logits, axis=1, output_type=tf.int32),
                     tf.range(tf.shape(logits)[0])), tf.float32))
        return {"loss": loss, "in_batch_acc": acc, "grad_norm": gnorm}

    for epoch in range(cfg.epochs):
        sums, n = {}, 0
        for xa, xb in train_ds:
            out = train_step(xa, xb)
            for k, v in out.items():
                sums[k] = sums.get(k, 0.0) + float(v)
            n += 1
        log = {k: round(v / n, 4) for k, v in sums.items()}
        log["temp"] = round(float(tf.exp(model.log_temp)), 4)
        log["val_r@1"] = round(recall_at_k(model, a[split:], b[split:], 1), 4)
        log["val_r@5"] = round(recall_at_k(model, a[split:], b[split:], 5), 4)
        cfg.metrics[epoch] = log
        print(f"epoch {epoch}: {log}")

    assert np.isfinite(cfg.metrics[cfg.epochs - 1]["loss"])


if __name__ == "__main__":
    main()
