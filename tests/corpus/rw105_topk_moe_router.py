# Sparse mixture-of-experts regression with a top-k router.
# Router picks k experts per token via keras.ops.top_k, gates are renormalised,
# dispatch is done with one_hot + einsum so no gather/scatter is backend specific.
# A load-balancing auxiliary loss is added with self.add_loss and the model
# overrides train_step to report it separately.

import numpy as np
import tensorflow as tf
import keras
from keras import ops

hp = dict(
    n_features=16,
    d_model=32,
    n_experts=4,
    top_k=2,
    expert_hidden=48,
    aux_weight=1e-2,
    batch=32,
    epochs=2,
    lr=2e-3,
)

np.random.seed(0)
keras.utils.set_random_seed(0)


# ---------------------------------------------------------------- data
def synthetic_regimes(n=512, f=hp["n_features"], n_regimes=4):
    """Piecewise-linear target: each regime (picked by sign pattern of 2 features)
    has its own linear map. An MoE should be able to carve these up."""
    X = np.random.randn(n, f).astype("float32")
    regime = (X[:, 0] > 0).astype(int) * 2 + (X[:, 1] > 0).astype(int)
    W = np.random.randn(n_regimes, f).astype("float32")
    y = np.einsum("nf,nf->n", X, W[regime]) + 0.05 * np.random.randn(n)
    return X, y.astype("float32")[:, None], regime


X, y, regime = synthetic_regimes()
n_val = 96
train_ds = (
    tf.data.Dataset.from_tensor_slices((X[n_val:], y[n_val:]))
    .shuffle(512, seed=0)
    .batch(hp["batch"])
    .prefetch(tf.data.AUTOTUNE)
)
val_ds = tf.data.Dataset.from_tensor_slices((X[:n_val], y[:n_val])).batch(hp["batch"])


# ---------------------------------------------------------------- layers
class TopKRouter(keras.layers.Layer):
    def __init__(self, n_experts, k, **kw):
        super().__init__(**kw)
        self.n_experts, self.k = n_experts, k

    def build(self, input_shape):
        self.w_gate = self.add_weight(
            shape=(input_shape[-1], self.n_experts),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
            name="w_gate",
        )

    def call(self, x):
        logits = ops.matmul(x, self.w_gate)                     # (B, E)
        top_vals, top_idx = ops.top_k(logits, k=self.k)         # (B, k)
        gates = ops.softmax(top_vals, axis=-1)                  # renormalise over chosen
        dispatch = ops.one_hot(top_idx, self.n_experts)         # (B, k, E)
        combine = ops.einsum("bk,bke->be", gates, dispatch)     # dense (B, E) weights
        probs = ops.softmax(logits, axis=-1)
        return combine, probs, top_idx

    def get_config(self):
        return {**super().get_config(), "n_experts": self.n_experts, "k": self.k}


class BatchedExperts(keras.layers.Layer):
    """All experts stored as one stacked kernel: (E, d_in, h) and (E, h, d_out)."""

    def __init__(self, n_experts, hidden, out_dim, **kw):
        super().__init__(**kw)
        self.n_experts, self.hidden, self.out_dim = n_experts, hidden, out_dim

    def build(self, input_shape):
        d = input_shape[-1]
        E, H = self.n_experts, self.hidden
        self.w1 = self.add_weight(shape=(E, d, H), initializer="he_normal", name="w1")
        self.b1 = self.add_weight(shape=(E, H), initializer="zeros", name="b1")
        self.w2 = self.add_weight(shape=(E, H, self.out_dim), initializer="glorot_uniform", name="w2")
        self.b2 = self.add_weight(shape=(E, self.out_dim), initializer="zeros", name="b2")

    def call(self, x):
        h = ops.einsum("bd,edh->beh", x, self.w1) + self.b1
        h = ops.gelu(h)
        return ops.einsum("beh,eho->beo", h, self.w2) + self.b2   # (B, E, out)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(n_experts=self.n_experts, hidden=self.hidden, out_dim=self.out_dim)
        return cfg


class MoEBlock(keras.layers.Layer):
    def __init__(self, n_experts, k, hidden, aux_weight, **kw):
        super().__init__(**kw)
        self.n_experts, self.k, self.hidden, self.aux_weight = n_experts, k, hidden, aux_weight
        self.router = TopKRouter(n_experts, k)
        self.norm = keras.layers.LayerNormalization()

    def build(self, input_shape):
        self.experts = BatchedExperts(self.n_experts, self.hidden, input_shape[-1])
        self.router.build(input_shape)
        self.experts.build(input_shape)
        self.norm.build(input_shape)

    def call(self, x):
        h = self.norm(x)
        combine, probs, top_idx = self.router(h)
        expert_out = self.experts(h)
        mixed = ops.einsum("be,beo->bo", combine, expert_out)

        # Switch-style load balance: fraction routed * mean router prob per expert
        routed = ops.sum(ops.one_hot(top_idx, self.n_experts), axis=1)   # (B, E)
        frac = ops.mean(routed, axis=0) / self.k
        mean_p = ops.mean(probs, axis=0)
        self.add_loss(self.aux_weight * self.n_experts * ops.sum(frac * mean_p))
        return x + mixed

    def get_config(self):
        cfg = super().get_config()
        cfg.update(n_experts=self.n_experts, k=self.k, hidden=self.hidden, aux_weight=self.aux_weight)
        return cfg


class MoERegressor(keras.Model):
    def __init__(self, d_model, n_experts, top_k, expert_hidden, aux_weight, n_blocks=2, **kw):
        super().__init__(**kw)
        self._cfg = dict(d_model=d_model, n_experts=n_experts, top_k=top_k,
                         expert_hidden=expert_hidden, aux_weight=aux_weight, n_blocks=n_blocks)
        self.proj = keras.layers.Dense(d_model)
        self.blocks = [MoEBlock(n_experts, top_k, expert_hidden, aux_weight, name=f"moe_{i}")
                       for i in range(n_blocks)]
        self.out = keras.layers.Dense(1)
        self.aux_tracker = keras.metrics.Mean(name="aux_loss")
        self.mse_tracker = keras.metrics.Mean(name="mse")

    def call(self, x):
        h = self.proj(x)
        for blk in self.blocks:
            h = blk(h)
        return self.out(h)

    @property
    def metrics(self):
        return [self.mse_tracker, self.aux_tracker]

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            mse = ops.mean(ops.square(y - y_pred))
            aux = ops.sum(ops.stack(self.losses)) if self.losses else 0.0
            total = mse + aux
        grads = tape.gradient(total, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.mse_tracker.update_state(mse)
        self.aux_tracker.update_state(aux)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.mse_tracker.update_state(ops.mean(ops.square(y - y_pred)))
        self.aux_tracker.update_state(ops.sum(ops.stack(self.losses)))
        return {m.name: m.result() for m in self.metrics}

    def get_config(self):
        return {**super().get_config(), **self._cfg}


model = MoERegressor(hp["d_model"], hp["n_experts"], hp["top_k"], hp["expert_hidden"], hp["aux_weight"])
model.compile(optimizer=keras.optimizers.Adam(hp["lr"]))
model(X[:4])
print(f"params: {model.count_params():,}")

history = model.fit(train_ds, validation_data=val_ds, epochs=hp["epochs"], verbose=2)
for key, vals in history.history.items():
    print(f"  {key:>12s}: " + " -> ".join(f"{v:.4f}" for v in vals))

# inspect routing on the validation slice: which experts each regime goes to
router = model.blocks[0].router
h0 = model.blocks[0].norm(model.proj(X[:n_val]))
_, _, idx = router(h0)
idx = ops.convert_to_numpy(idx)
for r in range(4):
    sel = idx[regime[:n_val] == r].ravel()
    hist = np.bincount(sel, minlength=hp["n_experts"])
    print(f"regime {r}: expert usage {hist.tolist()}")

cfg = model.get_config()
print("config keys:", sorted(k for k in cfg if k not in ("trainable", "dtype")))
