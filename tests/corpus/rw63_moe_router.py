"""Sparse Mixture-of-Experts FFN with top-k routing (Switch / GShard style).

Experts are stored as stacked kernels so the whole expert computation is a
couple of einsums instead of a Python loop over experts. Includes the usual
load-balancing auxiliary loss and router z-loss, trained with a custom
GradientTape loop.
"""
import math
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras

CONFIG = {
    "seq_len": 24,
    "d_model": 48,
    "d_ff": 96,
    "num_experts": 4,
    "top_k": 2,
    "capacity_factor": 1.25,
    "aux_loss_weight": 1e-2,
    "z_loss_weight": 1e-3,
    "batch_size": 32,
    "steps": 20,
    "lr": 1e-3,
}


class TopKRouter(keras.layers.Layer):
    def __init__(self, num_experts, top_k, jitter=0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_experts = num_experts
        self.top_k = top_k
        self.jitter = jitter
        self.proj = keras.layers.Dense(num_experts, use_bias=False, name="router_logits")

    def call(self, tokens, training=False):
        # tokens: (n_tokens, d_model)
        if training and self.jitter > 0:
            tokens = tokens * tf.random.uniform(tf.shape(tokens), 1.0 - self.jitter, 1.0 + self.jitter)
        logits = self.proj(tokens)                       # (n, E)
        probs = tf.nn.softmax(logits, axis=-1)
        top_p, top_idx = tf.math.top_k(probs, k=self.top_k)  # (n, k)
        # renormalise the selected gates so they sum to 1 per token
        top_p = top_p / (tf.reduce_sum(top_p, axis=-1, keepdims=True) + 1e-9)
        return logits, probs, top_p, top_idx


class SparseMoE(keras.layers.Layer):
    def __init__(self, d_model, d_ff, num_experts, top_k=2, capacity_factor=1.25,
                 aux_weight=1e-2, z_weight=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.d_model = d_model
        self.d_ff = d_ff
        self.num_experts = num_experts
        self.top_k = top_k
        self.capacity_factor = capacity_factor
        self.aux_weight = aux_weight
        self.z_weight = z_weight
        self.router = TopKRouter(num_experts, top_k, jitter=0.01)

    def build(self, input_shape):
        E, d, f = self.num_experts, self.d_model, self.d_ff
        self.w_in = self.add_weight(name="w_in", shape=(E, d, f), initializer="glorot_uniform")
        self.b_in = self.add_weight(name="b_in", shape=(E, f), initializer="zeros")
        self.w_out = self.add_weight(name="w_out", shape=(E, f, d), initializer="glorot_uniform")
        self.b_out = self.add_weight(name="b_out", shape=(E, d), initializer="zeros")

    def call(self, x, training=False):
        batch = tf.shape(x)[0]
        seq = tf.shape(x)[1]
        tokens = tf.reshape(x, [-1, self.d_model])        # (n, d)
        n_tokens = tf.shape(tokens)[0]

        logits, probs, gates, expert_idx = self.router(tokens, training=training)

        # capacity per expert: ceil(k * n / E * cf)
        capacity = tf.cast(
            tf.math.ceil(tf.cast(n_tokens * self.top_k, tf.float32) / self.num_experts * self.capacity_factor),
            tf.int32)

        # one-hot dispatch (n, k, E); position of each token within its expert's buffer
        expert_mask = tf.one_hot(expert_idx, self.num_experts, dtype=tf.float32)
        flat_mask = tf.reshape(tf.transpose(expert_mask, [1, 0, 2]), [-1, self.num_experts])  # (k*n, E)
        position = tf.cumsum(flat_mask, axis=0, exclusive=True) * flat_mask
        position = tf.transpose(tf.reshape(position, [self.top_k, n_tokens, self.num_experts]), [1, 0, 2])
        keep = tf.cast(position < tf.cast(capacity, tf.float32), tf.float32) * expert_mask
        pos_idx = tf.cast(tf.reduce_sum(position * keep, axis=-1), tf.int32)  # (n, k)

        # dispatch tensor (n, E, C) and combine tensor weighted by gates
        slot = tf.one_hot(pos_idx, capacity, dtype=tf.float32)           # (n, k, C)
        dispatch = tf.einsum("nke,nkc->nec", keep, slot)
        combine = tf.einsum("nk,nke,nkc->nec", gates, keep, slot)

        expert_in = tf.einsum("nec,nd->ecd", dispatch, tokens)           # (E, C, d)
        h = tf.einsum("ecd,edf->ecf", expert_in, self.w_in) + self.b_in[:, None, :]
        h = tf.nn.gelu(h)
        expert_out = tf.einsum("ecf,efd->ecd", h, self.w_out) + self.b_out[:, None, :]
        y = tf.einsum("nec,ecd->nd", combine, expert_out)

        # --- auxiliary losses -------------------------------------------------
        # fraction of tokens whose *first* choice is expert e, times mean router prob
        top1 = expert_mask[:, 0, :]
        frac_tokens = tf.reduce_mean(top1, axis=0)
        frac_probs = tf.reduce_mean(probs, axis=0)
        aux = self.num_experts * tf.reduce_sum(frac_tokens * frac_probs)
        z_loss = tf.reduce_mean(tf.square(tf.reduce_logsumexp(logits, axis=-1)))
        self.add_loss(self.aux_weight * aux + self.z_weight * z_loss)

        dropped = 1.0 - tf.reduce_sum(keep) / tf.cast(n_tokens * self.top_k, tf.float32)
        self._last_drop_rate = dropped
        return tf.reshape(y, [batch, seq, self.d_model])


class MoEBlock(keras.layers.Layer):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.ln1 = keras.layers.LayerNormalization()
        self.ln2 = keras.layers.LayerNormalization()
        self.attn = keras.layers.MultiHeadAttention(num_heads=4, key_dim=cfg["d_model"] // 4)
        self.moe = SparseMoE(cfg["d_model"], cfg["d_ff"], cfg["num_experts"], cfg["top_k"],
                             cfg["capacity_factor"], cfg["aux_loss_weight"], cfg["z_loss_weight"])

    def call(self, x, training=False):
        h = self.ln1(x)
        x = x + self.attn(h, h, training=training, use_causal_mask=True)
        x = x + self.moe(self.ln2(x), training=training)
        return x


class MoERegressor(keras.Model):
    def __init__(self, cfg):
        super().__init__()
        self.inp = keras.layers.Dense(cfg["d_model"])
        self.blocks = [MoEBlock(cfg, name=f"moe_block_{i}") for i in range(2)]
        self.head = keras.layers.Dense(1)

    def call(self, x, training=False):
        h = self.inp(x)
        for blk in self.blocks:
            h = blk(h, training=training)
        return tf.squeeze(self.head(h), -1)


def synthetic_batch(batch_size, seq_len, n_feat=8):
    """Piecewise target: different 'regimes' that a MoE should be able to split."""
    x = tf.random.normal([batch_size, seq_len, n_feat])
    regime = tf.cast(x[..., 0] > 0, tf.float32)
    y = regime * tf.reduce_sum(x[..., 1:4], -1) + (1 - regime) * tf.sin(x[..., 4] * 2.0)
    return x, y


def main(cfg):
    tf.random.set_seed(7)
    model = MoERegressor(cfg)
    opt = keras.optimizers.Adam(cfg["lr"])
    mse = keras.losses.MeanSquaredError()

    x0, _ = synthetic_batch(2, cfg["seq_len"])
    _ = model(x0)
    print("trainable variables:", len(model.trainable_variables))
    n_params = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
    print(f"params: {n_params:,}")

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            pred = model(x, training=True)
            task_loss = mse(y, pred)
            aux_loss = tf.add_n(model.losses)
            loss = task_loss + aux_loss
        grads = tape.gradient(loss, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 1.0)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return task_loss, aux_loss

    t0 = time.time()
    for step in range(cfg["steps"]):
        x, y = synthetic_batch(cfg["batch_size"], cfg["seq_len"])
        task_loss, aux_loss = train_step(x, y)
        if step % 10 == 0 or step == cfg["steps"] - 1:
            print(f"step {step:3d}  mse={float(task_loss):.4f}  aux={float(aux_loss):.4f}")
    print(f"done in {time.time() - t0:.1f}s")

    # inspect routing on a fresh batch
    x, _ = synthetic_batch(8, cfg["seq_len"])
    moe = model.blocks[0].moe
    h = model.blocks[0].ln2(model.inp(x))
    _, probs, _, idx = moe.router(tf.reshape(h, [-1, cfg["d_model"]]))
    counts = tf.math.bincount(tf.reshape(idx[:, 0], [-1]), minlength=cfg["num_experts"])
    print("top-1 expert load:", counts.numpy().tolist())
    print("expected capacity/expert:",
          math.ceil(8 * cfg["seq_len"] * cfg["top_k"] / cfg["num_experts"] * cfg["capacity_factor"]))


if __name__ == "__main__":
    main(CONFIG)
