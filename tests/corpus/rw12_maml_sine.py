"""First-order MAML on the classic sine-wave regression benchmark.

Each task is a sine curve y = A * sin(x + phase) with random amplitude and
phase. The inner loop adapts a copy of the meta-model on K support points;
the outer loop applies the (first-order) gradient computed on query points
at the adapted weights back to the meta-weights. Weight copies are handled
with get_weights / set_weights, so no second-order terms are needed.
"""
import argparse
import time

import numpy as np
import tensorflow as tf


def parse_args():
    p = argparse.ArgumentParser(description="FOMAML sine regression")
    p.add_argument("--meta-iters", type=int, default=60)
    p.add_argument("--meta-batch", type=int, default=4)
    p.add_argument("--k-shot", type=int, default=10)
    p.add_argument("--inner-steps", type=int, default=3)
    p.add_argument("--inner-lr", type=float, default=0.01)
    p.add_argument("--meta-lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args([])


class SineTaskSampler:
    def __init__(self, rng, amp_range=(0.1, 5.0), phase_range=(0.0, np.pi)):
        self.rng = rng
        self.amp_range = amp_range
        self.phase_range = phase_range

    def sample(self, k):
        amp = self.rng.uniform(*self.amp_range)
        phase = self.rng.uniform(*self.phase_range)

        def draw(n):
            x = self.rng.uniform(-5.0, 5.0, size=(n, 1)).astype(np.float32)
            return x, (amp * np.sin(x + phase)).astype(np.float32)

        xs, ys = draw(k)
        xq, yq = draw(k)
        return (xs, ys), (xq, yq)


def build_regressor(hidden=40):
    inputs = tf.keras.Input(shape=(1,))
    h = tf.keras.layers.Dense(hidden, activation="relu")(inputs)
    h = tf.keras.layers.Dense(hidden, activation="relu")(h)
    out = tf.keras.layers.Dense(1)(h)
    return tf.keras.Model(inputs, out, name="sine_mlp")


def mse(model, x, y):
    pred = model(x, training=True)
    return tf.reduce_mean(tf.square(pred - y))


@tf.function
def grad_step(model, x, y):
    with tf.GradientTape() as tape:
        loss = mse(model, x, y)
    grads = tape.gradient(loss, model.trainable_variables)
    return loss, grads


def sgd_apply(model, grads, lr):
    for var, g in zip(model.trainable_variables, grads):
        var.assign_sub(lr * g)


def adapt(fast_model, meta_weights, x, y, steps, lr):
    fast_model.set_weights(meta_weights)
    for _ in range(steps):
        _, grads = grad_step(fast_model, tf.constant(x), tf.constant(y))
        sgd_apply(fast_model, grads, lr)


def main():
    cfg = parse_args()
    rng = np.random.default_rng(cfg.seed)
    tf.random.set_seed(cfg.seed)
    sampler = SineTaskSampler(rng)

    meta_model = build_regressor()
    fast_model = build_regressor()
    meta_opt = tf.keras.optimizers.Adam(cfg.meta_lr)
    history = []
    t0 = time.time()

    for it in range(cfg.meta_iters):
        meta_weights = meta_model.get_weights()
        accum = [tf.zeros_like(v) for v in meta_model.trainable_variables]
        query_losses = []
        for _ in range(cfg.meta_batch):
            (xs, ys), (xq, yq) = sampler.sample(cfg.k_shot)
            adapt(fast_model, meta_weights, xs, ys, cfg.inner_steps, cfg.inner_lr)
            q_loss, q_grads = grad_step(fast_model, tf.constant(xq), tf.constant(yq))
            accum = [a + g / cfg.meta_batch for a, g in zip(accum, q_grads)]
            query_losses.append(float(q_loss))
        meta_model.set_weights(meta_weights)
        meta_opt.apply_gradients(zip(accum, meta_model.trainable_variables))
        log = {"iter": it, "query_mse": float(np.mean(query_losses))}
        history.append(log)
        if it % 15 == 0 or it == cfg.meta_iters - 1:
            print(f"[meta {it:03d}] query_mse={log['query_mse']:.4f}")

    # Evaluate adaptation on a fresh task before/after inner-loop steps.
    (xs, ys), (xq, yq) = sampler.sample(cfg.k_shot)
    base = meta_model.get_weights()
    fast_model.set_weights(base)
    pre = float(mse(fast_model, xq, yq))
    adapt(fast_model, base, xs, ys, cfg.inner_steps * 2, cfg.inner_lr)
    post = float(mse(fast_model, xq, yq))
    print({"pre_adapt_mse": round(pre, 4), "post_adapt_mse": round(post, 4),
           "elapsed_s": round(time.time() - t0, 2)})


if __name__ == "__main__":
    main()
