"""Gradient clipping recipes for RNNs, compared side by side.

    none        - plain Adam
    value       - tf.clip_by_value on every gradient element
    norm        - per-tensor tf.clip_by_norm
    global      - tf.clip_by_global_norm (what most people want)
    agc         - Adaptive Gradient Clipping, unit-wise (NFNets, Brock et al. 2021)
    keras       - let the optimizer do it: Adam(global_clipnorm=...)

Also logs the pre-clip global norm and skips the update when the gradients are
non-finite (the classic "loss went NaN at step 3000" guard).

Model: a small GRU + additive attention pooling, subclassed.
"""
from types import SimpleNamespace

import numpy as np
import tensorflow as tf
import keras
from keras import layers

cfg = SimpleNamespace(
    timesteps=20,
    features=8,
    rnn_units=16,
    batch_size=32,
    steps=10,
    lr=5e-3,
    clip_value=0.5,
    clip_norm=1.0,
    agc_lambda=0.05,
    modes=["none", "value", "norm", "global", "agc", "keras"],
)

tf.random.set_seed(0)


# ------------------------------------------------------------------ data
def copy_task_batch(batch_size):
    """Predict the sum of the first-step features at the last step -- a
    long-range dependency that makes RNN gradients spiky."""
    x = tf.random.normal([batch_size, cfg.timesteps, cfg.features])
    target = tf.reduce_sum(x[:, 0, :], axis=-1, keepdims=True)    # (B, 1)
    # big outliers every so often to provoke exploding gradients
    spikes = tf.cast(tf.random.uniform([batch_size, 1, 1]) < 0.05, tf.float32) * 20.0
    x = x + spikes * tf.one_hot(cfg.timesteps - 1, cfg.timesteps)[None, :, None]
    return x, target


def make_dataset():
    ds = tf.data.Dataset.range(cfg.steps)
    ds = ds.map(lambda _: copy_task_batch(cfg.batch_size))
    return ds.prefetch(2)


# ------------------------------------------------------------------ model
class AttentionPool(layers.Layer):
    """score_t = v^T tanh(W h_t);  out = sum_t softmax(score)_t h_t"""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        d = input_shape[-1]
        self.W = self.add_weight(name="W", shape=(d, self.units),
                                 initializer="glorot_uniform")
        self.v = self.add_weight(name="v", shape=(self.units, 1),
                                 initializer="glorot_uniform")

    def call(self, h):
        scores = tf.matmul(tf.tanh(tf.matmul(h, self.W)), self.v)   # (B, T, 1)
        weights = tf.nn.softmax(scores, axis=1)
        return tf.reduce_sum(weights * h, axis=1)                   # (B, D)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])


class GRURegressor(keras.Model):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.proj = layers.Dense(units)
        self.rnn = layers.GRU(units, return_sequences=True)
        self.pool = AttentionPool(units)
        self.head = keras.Sequential([layers.Dense(units, activation="relu"),
                                      layers.Dense(1)])

    def call(self, x, training=False):
        h = self.proj(x)
        h = self.rnn(h, training=training)      # (B, T, units)
        return self.head(self.pool(h))


# ------------------------------------------------------------------ clipping fns
def unitwise_norm(x):
    """Norm over everything except the output axis (last dim for Dense/GRU kernels)."""
    rank = len(x.shape)
    if rank <= 1:                       # biases / scalars: whole-tensor norm
        return tf.norm(x)
    axes = list(range(rank - 1))
    return tf.sqrt(tf.reduce_sum(tf.square(x), axis=axes, keepdims=True))


def adaptive_clip(grads, params, clip_factor=0.01, eps=1e-3):
    clipped = []
    for g, p in zip(grads, params):
        p_norm = tf.maximum(unitwise_norm(p), eps)
        g_norm = unitwise_norm(g)
        max_norm = clip_factor * p_norm
        # scale down only the units whose grad/param ratio is too large
        trigger = g_norm > max_norm
        scaled = g * (max_norm / tf.maximum(g_norm, 1e-6))
        clipped.append(tf.where(trigger, scaled, g))
    return clipped


def clip_gradients(grads, params, mode):
    if mode == "value":
        return [tf.clip_by_value(g, -cfg.clip_value, cfg.clip_value) for g in grads]
    if mode == "norm":
        return [tf.clip_by_norm(g, cfg.clip_norm) for g in grads]
    if mode == "global":
        clipped, _ = tf.clip_by_global_norm(grads, cfg.clip_norm)
        return clipped
    if mode == "agc":
        return adaptive_clip(grads, params, clip_factor=cfg.agc_lambda)
    return grads            # "none" / "keras"


def make_train_step(model, optimizer, mode):
    loss_fn = keras.losses.Huber(delta=1.0)

    def apply_update(grads):
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return tf.constant(1)

    @tf.function(reduce_retracing=True)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            pred = model(x, training=True)
            loss = loss_fn(y, pred)
        grads = tape.gradient(loss, model.trainable_variables)
        raw_norm = tf.linalg.global_norm(grads)
        grads = clip_gradients(grads, model.trainable_variables, mode)
        clipped_norm = tf.linalg.global_norm(grads)
        # skip the step entirely on inf/nan gradients
        finite = tf.math.is_finite(raw_norm)
        applied = tf.cond(finite, lambda: apply_update(grads), lambda: tf.constant(0))
        return loss, raw_norm, clipped_norm, applied

    return train_step


def run(mode):
    model = GRURegressor(cfg.rnn_units, name=f"gru_{mode}")
    if mode == "keras":
        optimizer = keras.optimizers.Adam(cfg.lr, global_clipnorm=cfg.clip_norm)
    else:
        optimizer = keras.optimizers.Adam(cfg.lr)
    model(tf.zeros([1, cfg.timesteps, cfg.features]))     # build weights
    step_fn = make_train_step(model, optimizer, mode)

    raw_norms, losses, skipped = [], [], 0
    for x, y in make_dataset():
        loss, raw, clipped, applied = step_fn(x, y)
        raw_norms.append(float(raw))
        losses.append(float(loss))
        skipped += 1 - int(applied)
    print(f"{mode:>7s} | first loss {losses[0]:7.3f} | last loss {np.mean(losses[-5:]):7.3f}"
          f" | max raw ||g|| {max(raw_norms):8.2f} | last clipped ||g|| {float(clipped):6.2f}"
          f" | skipped {skipped}")
    return model


if __name__ == "__main__":
    x0, y0 = copy_task_batch(4)
    print("batch:", x0.shape, "->", y0.shape)
    m = None
    for mode in cfg.modes:
        m = run(mode)
    m.summary()
