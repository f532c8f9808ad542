"""Minimal DLRM (Naumov et al., 2019) in TF2/Keras with a hand-written training loop.

- bottom MLP on dense features -> d-dim vector
- one EmbeddingBag (sum-pooled multi-hot) per sparse feature -> d-dim vectors
- pairwise dot interaction over the (1 + num_sparse) vectors, strictly lower triangle
- top MLP on [bottom_out, interactions] -> CTR logit
"""
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

ARCH = dict(
    dense_dim=13,
    table_sizes=[1000, 500, 300, 2000, 80, 40, 700, 150],
    bag_size=4,  # max multi-hot ids per sparse feature (padded with -1)
    emb_dim=16,
    bottom_mlp=[64, 32, 16],
    top_mlp=[128, 64, 1],
    interaction="dot",  # or "cat"
    self_interaction=False,
)


class EmbeddingBag(layers.Layer):
    """Sum-pooled embedding over a fixed-width bag of ids; id < 0 means padding."""

    def __init__(self, num_embeddings, dim, combiner="sum", **kwargs):
        super().__init__(**kwargs)
        self.num_embeddings = num_embeddings
        self.dim = dim
        self.combiner = combiner

    def build(self, input_shape):
        scale = np.sqrt(1.0 / self.num_embeddings)
        self.table = self.add_weight(
            name="table",
            shape=(self.num_embeddings, self.dim),
            initializer=keras.initializers.RandomUniform(-scale, scale),
        )

    def call(self, ids):
        mask = ops.cast(ids >= 0, self.compute_dtype)  # [B, L]
        safe_ids = ops.maximum(ids, 0)
        vecs = ops.take(self.table, safe_ids, axis=0)  # [B, L, D]
        pooled = ops.sum(vecs * mask[..., None], axis=1)
        if self.combiner == "mean":
            pooled = pooled / ops.maximum(ops.sum(mask, axis=1, keepdims=True), 1.0)
        return pooled


def mlp(sizes, final_activation=None, name=None):
    block = []
    for i, n in enumerate(sizes):
        act = final_activation if i == len(sizes) - 1 else "relu"
        block.append(layers.Dense(n, activation=act, kernel_initializer="he_uniform"))
    return keras.Sequential(block, name=name)


class DotInteraction(layers.Layer):
    def __init__(self, self_interaction=False, **kwargs):
        super().__init__(**kwargs)
        self.self_interaction = self_interaction

    def build(self, input_shape):
        num_features = input_shape[1]
        offset = 0 if self.self_interaction else -1
        li, lj = np.tril_indices(num_features, k=offset)
        # flat index into the [F, F] matrix (kept as numpy: a tf.constant made in build
        # would belong to the scratch graph and leak into tf.function traces)
        self.flat_idx = (li * num_features + lj).astype("int32")
        self.num_features = num_features

    def call(self, stacked):
        # stacked: [B, F, D]
        z = tf.linalg.matmul(stacked, stacked, transpose_b=True)  # [B, F, F]
        z_flat = tf.reshape(z, [-1, self.num_features * self.num_features])
        return tf.gather(z_flat, self.flat_idx, axis=1)  # [B, F*(F-1)/2]


class DLRM(keras.Model):
    def __init__(self, arch, **kwargs):
        super().__init__(**kwargs)
        self.arch = arch
        assert arch["bottom_mlp"][-1] == arch["emb_dim"], "bottom MLP must end at emb_dim"
        self.bottom = mlp(arch["bottom_mlp"], final_activation="relu", name="bottom_mlp")
        self.bags = [
            EmbeddingBag(n, arch["emb_dim"], name=f"emb_bag_{i}") for i, n in enumerate(arch["table_sizes"])
        ]
        if arch["interaction"] == "dot":
            self.interact = DotInteraction(arch["self_interaction"])
        else:
            self.interact = layers.Flatten()
        self.top = mlp(arch["top_mlp"], name="top_mlp")

    def call(self, inputs, training=False):
        dense, sparse = inputs["dense"], inputs["sparse"]  # [B, 13], [B, T, L]
        x = self.bottom(dense, training=training)
        ly = [bag(sparse[:, t, :]) for t, bag in enumerate(self.bags)]
        stacked = tf.stack([x] + ly, axis=1)  # [B, 1+T, D]
        feats = self.interact(stacked)
        r = tf.concat([x, feats], axis=1)
        return self.top(r, training=training)


def synthetic_batch(batch_size, arch, rng):
    dense = np.log1p(rng.exponential(3.0, (batch_size, arch["dense_dim"]))).astype("float32")
    sparse = np.full((batch_size, len(arch["table_sizes"]), arch["bag_size"]), -1, dtype="int32")
    for t, size in enumerate(arch["table_sizes"]):
        lengths = rng.integers(1, arch["bag_size"] + 1, batch_size)
        for b, length in enumerate(lengths):
            sparse[b, t, :length] = rng.integers(0, size, length)
    clicks = (rng.random(batch_size) < 0.25).astype("float32")[:, None]
    return {"dense": dense, "sparse": sparse}, clicks


def make_dataset(arch, num_batches, batch_size, seed=0):
    rng = np.random.default_rng(seed)
    batches = [synthetic_batch(batch_size, arch, rng) for _ in range(num_batches)]
    feats = {k: np.concatenate([b[0][k] for b in batches]) for k in ("dense", "sparse")}
    labels = np.concatenate([b[1] for b in batches])
    return tf.data.Dataset.from_tensor_slices((feats, labels)).batch(batch_size)


def main():
    tf.random.set_seed(1234)
    model = DLRM(ARCH, name="dlrm")
    optimizer = keras.optimizers.SGD(learning_rate=0.1)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
    train_auc = keras.metrics.AUC(from_logits=True)

    @tf.function
    def train_step(features, labels):
        with tf.GradientTape() as tape:
            logits = model(features, training=True)
            loss = loss_fn(labels, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        train_auc.update_state(labels, logits)
        return loss

    ds = make_dataset(ARCH, num_batches=20, batch_size=128)
    t0 = time.perf_counter()
    for step, (features, labels) in enumerate(ds):
        loss = train_step(features, labels)
        if step % 5 == 0:
            print(f"step {step:3d} loss {float(loss):.4f} auc {float(train_auc.result()):.4f}")
    print(f"trained {step + 1} steps in {time.perf_counter() - t0:.2f}s")

    n_tables = len(ARCH["table_sizes"])
    print("num interaction features:", (n_tables + 1) * n_tables // 2)
    for name, w in [(v.path, v.shape) for v in model.trainable_variables][:6]:
        print(f"  {name:40s} {tuple(w)}")

    eval_feats, _ = next(iter(make_dataset(ARCH, 1, 16, seed=99)))
    ctr = tf.sigmoid(model(eval_feats)).numpy().ravel()
    print("predicted CTR:", np.round(ctr, 3))

    # Same model with concatenation interaction for an ablation.
    cat_model = DLRM(dict(ARCH, interaction="cat"), name="dlrm_cat")
    print("cat-interaction output:", cat_model(eval_feats).shape)


if __name__ == "__main__":
    main()
