import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

ops = keras.ops

NUM_EXPERTS = 6
TOP_K = 2
D_IN = 24
D_HIDDEN = 48
N_CLASSES = 5
SAMPLES = 600
BATCH = 50


class NoisyTopKRouter(layers.Layer):
    """Shazeer-style noisy top-k gating, keras.ops/keras.random only.

    Returns (dense_gates, expert_index) where dense_gates has zeros for the
    experts that were not selected.
    """

    def __init__(self, num_experts, k, noise_std=1.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.num_experts = num_experts
        self.k = k
        self.noise_std = noise_std
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        d = input_shape[-1]
        self.w_gate = self.add_weight(name="w_gate", shape=(d, self.num_experts), initializer="zeros")
        self.w_noise = self.add_weight(name="w_noise", shape=(d, self.num_experts), initializer="zeros")

    def call(self, x, training=None):
        clean = ops.matmul(x, self.w_gate)
        if training:
            noise_scale = ops.softplus(ops.matmul(x, self.w_noise)) + 1e-2
            eps = keras.random.normal(ops.shape(clean), stddev=self.noise_std, seed=self.seed_generator)
            logits = clean + eps * noise_scale
        else:
            logits = clean
        top_vals, top_idx = ops.top_k(logits, k=self.k, sorted=True)
        kth_best = top_vals[:, -1:]
        masked = ops.where(logits >= kth_best, logits, ops.full_like(logits, -np.inf))
        gates = ops.softmax(masked, axis=-1)
        return gates, top_idx

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_experts), (input_shape[0], self.k)


class ExpertBank(layers.Layer):
    """E independent 2-layer MLPs evaluated in one einsum."""

    def __init__(self, num_experts, hidden, out_dim, **kwargs):
        super().__init__(**kwargs)
        self.num_experts, self.hidden, self.out_dim = num_experts, hidden, out_dim

    def build(self, input_shape):
        d = input_shape[-1]
        E = self.num_experts
        self.w1 = self.add_weight(name="w1", shape=(E, d, self.hidden), initializer="he_normal")
        self.b1 = self.add_weight(name="b1", shape=(E, self.hidden), initializer="zeros")
        self.w2 = self.add_weight(name="w2", shape=(E, self.hidden, self.out_dim), initializer="glorot_uniform")
        self.b2 = self.add_weight(name="b2", shape=(E, self.out_dim), initializer="zeros")

    def call(self, x):
        h = ops.einsum("bd,edh->beh", x, self.w1) + self.b1
        h = ops.gelu(h)
        return ops.einsum("beh,eho->beo", h, self.w2) + self.b2  # (B, E, out)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_experts, self.out_dim)


class MoEClassifier(keras.Model):
    def __init__(self, aux_weight=1e-2, **kwargs):
        super().__init__(**kwargs)
        self.aux_weight = aux_weight
        self.stem = layers.Dense(D_IN, activation="relu")
        self.router = NoisyTopKRouter(NUM_EXPERTS, TOP_K, seed=11)
        self.experts = ExpertBank(NUM_EXPERTS, D_HIDDEN, D_HIDDEN)
        self.head = layers.Dense(N_CLASSES)
        self.route_counts = self.add_weight(name="route_counts", shape=(NUM_EXPERTS,),
                                            initializer="zeros", trainable=False)

    def call(self, x, training=None):
        h = self.stem(x)
        gates, top_idx = self.router(h, training=training)
        expert_out = self.experts(h)
        mixed = ops.einsum("be,beo->bo", gates, expert_out)

        # importance/load balancing: coefficient of variation of summed gates
        importance = ops.sum(gates, axis=0)
        cv2 = ops.var(importance) / (ops.square(ops.mean(importance)) + 1e-9)
        self.add_loss(self.aux_weight * cv2)

        if training:
            chosen = ops.sum(ops.one_hot(top_idx, NUM_EXPERTS), axis=(0, 1))
            self.route_counts.assign_add(chosen)
        return self.head(mixed)


class ExpertUsageLogger(keras.callbacks.Callback):
    def __init__(self, n_report=2):
        super().__init__()
        self.n_report = n_report

    def on_epoch_end(self, epoch, logs=None):
        counts = self.model.route_counts
        # argpartition on the (integer) counts vector -> the n least-used experts
        idle = ops.argpartition(ops.cast(counts, "int32"), self.n_report - 1)[: self.n_report]
        counts_np = ops.convert_to_numpy(counts).astype(int)
        idle_np = sorted(ops.convert_to_numpy(idle).tolist())
        print(f"\n  epoch {epoch + 1}: routing counts {counts_np.tolist()} | least used experts {idle_np}")
        busy = np.delete(counts_np, idle_np)
        assert counts_np[idle_np].max() <= busy.min(), "argpartition picked a busy expert"


def make_clustered_data(rng):
    centers = rng.normal(scale=3.0, size=(N_CLASSES * 2, D_IN))
    cluster = rng.integers(0, len(centers), size=SAMPLES)
    x = centers[cluster] + rng.normal(size=(SAMPLES, D_IN))
    y = cluster % N_CLASSES
    return x.astype("float32"), y.astype("int64")


def main():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y = make_clustered_data(rng)

    model = MoEClassifier()
    model.compile(optimizer=keras.optimizers.AdamW(3e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=BATCH, epochs=2, validation_split=0.2,
              callbacks=[ExpertUsageLogger()], verbose=2)

    gates, idx = model.router(model.stem(x[:8]), training=False)
    gates = ops.convert_to_numpy(gates)
    print("non-zero gates per row:", (gates > 0).sum(axis=1).tolist())
    print("top experts for first 4 rows:", ops.convert_to_numpy(idx)[:4].tolist())
    assert np.allclose(gates.sum(axis=1), 1.0, atol=1e-5)


main()
