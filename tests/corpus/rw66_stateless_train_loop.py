"""Functional-style (JAX-like) training loop using Keras 3 stateless APIs.

Instead of letting layers mutate their own variables, we pull out the state as
plain tensors, run `model.stateless_call(...)`, compute gradients with a
GradientTape (TF backend), and update parameters with a small pure-function Adam
written in keras.ops (`optimizer.stateless_apply` raises on the TF backend because
of tf.distribute, so we roll our own). Updated values are written back to the model
only at the end. Same pattern you'd use with jax.grad, just with tf underneath.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


@dataclass
class Config:
    seq_len: int = 16
    n_features: int = 6
    n_classes: int = 4
    batch_size: int = 32
    n_samples: int = 640
    steps: int = 40
    lr: float = 3e-3
    seed: int = 0


def synthetic_sequences(cfg):
    rs = np.random.RandomState(cfg.seed)
    x = rs.randn(cfg.n_samples, cfg.seq_len, cfg.n_features).astype("float32")
    # label = which feature channel has the largest mean over time
    y = x[:, :, : cfg.n_classes].mean(axis=1).argmax(axis=-1).astype("int32")
    return x, y


def build_model(cfg):
    inputs = keras.Input((cfg.seq_len, cfg.n_features))
    x = layers.Conv1D(32, 3, padding="same", activation="relu")(inputs)
    x = layers.BatchNormalization()(x)   # gives us non-trainable state to thread through
    x = layers.Conv1D(32, 3, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(cfg.n_classes)(x)
    return keras.Model(inputs, outputs, name="conv_seq_clf")


loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def adam_init(params):
    zeros = [ops.zeros_like(p) for p in params]
    return {"m": zeros, "v": [ops.zeros_like(p) for p in params],
            "t": ops.convert_to_tensor(0.0)}


def adam_update(params, grads, opt_state, lr, b1=0.9, b2=0.999, eps=1e-7):
    """Pure function: returns new params and new optimizer state."""
    t = opt_state["t"] + 1.0
    new_params, new_m, new_v = [], [], []
    for p, g, m, v in zip(params, grads, opt_state["m"], opt_state["v"]):
        m = b1 * m + (1.0 - b1) * g
        v = b2 * v + (1.0 - b2) * ops.square(g)
        m_hat = m / (1.0 - ops.power(b1, t))
        v_hat = v / (1.0 - ops.power(b2, t))
        new_params.append(p - lr * m_hat / (ops.sqrt(v_hat) + eps))
        new_m.append(m)
        new_v.append(v)
    return new_params, {"m": new_m, "v": new_v, "t": t}


def compute_loss_and_updates(model, trainable_vars, non_trainable_vars, x, y):
    logits, non_trainable_vars = model.stateless_call(
        trainable_vars, non_trainable_vars, x, training=True)
    loss = loss_fn(y, logits)
    return loss, (logits, non_trainable_vars)


def make_train_step(model, lr):
    @tf.function(autograph=False)
    def train_step(state, batch):
        trainable_vars, non_trainable_vars, opt_vars = state
        x, y = batch
        with tf.GradientTape() as tape:
            tape.watch(trainable_vars)
            loss, (logits, non_trainable_vars) = compute_loss_and_updates(
                model, trainable_vars, non_trainable_vars, x, y)
        grads = tape.gradient(loss, trainable_vars)
        trainable_vars, opt_vars = adam_update(trainable_vars, grads, opt_vars, lr)
        acc = ops.mean(ops.cast(ops.equal(ops.argmax(logits, axis=-1), ops.cast(y, "int64")),
                                "float32"))
        return loss, acc, (trainable_vars, non_trainable_vars, opt_vars)

    return train_step


def main():
    cfg = Config()
    keras.utils.set_random_seed(cfg.seed)
    x, y = synthetic_sequences(cfg)

    model = build_model(cfg)

    # Snapshot all state as plain tensors.
    params = [ops.convert_to_tensor(v) for v in model.trainable_variables]
    state = (
        params,
        [ops.convert_to_tensor(v) for v in model.non_trainable_variables],
        adam_init(params),
    )
    print("trainable tensors:", len(state[0]),
          "non-trainable:", len(state[1]), "adam moments:", 2 * len(state[2]["m"]))

    ds = (tf.data.Dataset.from_tensor_slices((x, y))
          .shuffle(cfg.n_samples, seed=cfg.seed)
          .repeat()
          .batch(cfg.batch_size, drop_remainder=True)
          .prefetch(tf.data.AUTOTUNE))

    train_step = make_train_step(model, cfg.lr)
    for step, batch in enumerate(ds.take(cfg.steps)):
        loss, acc, state = train_step(state, batch)
        if step % 10 == 0 or step == cfg.steps - 1:
            print(f"step {step:3d}  loss={float(loss):.4f}  acc={float(acc):.3f}")

    # Write the functional state back into the stateful objects.
    trainable_vars, non_trainable_vars, opt_vars = state
    for var, value in zip(model.trainable_variables, trainable_vars):
        var.assign(value)
    for var, value in zip(model.non_trainable_variables, non_trainable_vars):
        var.assign(value)

    bn = [l for l in model.layers if isinstance(l, layers.BatchNormalization)][0]
    print("BN moving_mean[:4]:", np.round(ops.convert_to_numpy(bn.moving_mean)[:4], 3))
    print("adam steps taken:", int(ops.convert_to_numpy(opt_vars["t"])))

    # Sanity check: stateful inference should now match a stateless inference call.
    probe = x[:8]
    eager_logits = model(probe, training=False)
    stateless_logits, _ = model.stateless_call(
        [v.value for v in model.trainable_variables],
        [v.value for v in model.non_trainable_variables],
        probe, training=False)
    print("max |stateful - stateless|:",
          float(ops.max(ops.abs(eager_logits - stateless_logits))))


if __name__ == "__main__":
    main()
