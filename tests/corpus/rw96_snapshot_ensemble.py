"""Snapshot ensembles (Huang et al. 2017) + stochastic weight averaging in Keras.

A cyclic cosine-annealing schedule is driven by a callback; at the end of
every cycle the current weights are stored as a snapshot. We then compare:
  * the final single model,
  * the prediction-averaged snapshot ensemble,
  * a weight-averaged (SWA-style) model built from the same snapshots.
"""
import math

import numpy as np
import tensorflow as tf
from tensorflow import keras

CONFIG = dict(
    n_train=512,
    n_test=256,
    timesteps=20,
    features=6,
    n_classes=3,
    batch_size=32,
    n_cycles=3,
    epochs_per_cycle=1,
    lr_max=0.01,
)

tf.random.set_seed(0)
np.random.seed(0)


def synthetic_sequences(n, T, F, C):
    """Sinusoids whose frequency depends on the class, plus noise."""
    y = np.random.randint(0, C, size=n)
    t = np.linspace(0, 2 * np.pi, T)[None, :, None]
    freq = (1.0 + y)[:, None, None]
    phase = np.random.rand(n, 1, F) * np.pi
    x = np.sin(freq * t + phase) + 0.3 * np.random.randn(n, T, F)
    return x.astype("float32"), y.astype("int32")


class SnapshotCallback(keras.callbacks.Callback):
    """Per-batch cosine annealing; saves weights at the end of each cycle."""

    def __init__(self, steps_per_cycle, lr_max, lr_min=1e-5):
        super().__init__()
        self.steps_per_cycle = steps_per_cycle
        self.lr_max = lr_max
        self.lr_min = lr_min
        self.global_step = 0
        self.snapshots = []
        self.lr_trace = []

    def _lr(self, step):
        pos = (step % self.steps_per_cycle) / self.steps_per_cycle
        return self.lr_min + 0.5 * (self.lr_max - self.lr_min) * (1 + math.cos(math.pi * pos))

    def on_train_batch_begin(self, batch, logs=None):
        lr = self._lr(self.global_step)
        self.model.optimizer.learning_rate.assign(lr)
        self.lr_trace.append(lr)

    def on_train_batch_end(self, batch, logs=None):
        self.global_step += 1
        if self.global_step % self.steps_per_cycle == 0:
            self.snapshots.append([w.copy() for w in self.model.get_weights()])
            print(f"  snapshot {len(self.snapshots)} saved at step {self.global_step}")


def build_model(cfg):
    inp = keras.Input(shape=(cfg["timesteps"], cfg["features"]))
    x = keras.layers.Conv1D(32, 5, padding="causal", activation="relu")(inp)
    x = keras.layers.Conv1D(32, 3, dilation_rate=2, padding="causal", activation="relu")(x)
    x = keras.layers.LayerNormalization()(x)
    avg = keras.layers.GlobalAveragePooling1D()(x)
    mx = keras.layers.GlobalMaxPooling1D()(x)
    last = keras.layers.Lambda(lambda t: t[:, -1, :], name="last_step")(x)
    x = keras.layers.Concatenate()([avg, mx, last])
    x = keras.layers.Dense(32, activation="gelu")(x)
    out = keras.layers.Dense(cfg["n_classes"])(x)  # logits
    return keras.Model(inp, out, name="tcn_small")


def accuracy(logits_or_probs, y):
    return float(np.mean(np.argmax(logits_or_probs, axis=-1) == y))


def average_weights(snapshots):
    return [np.mean(np.stack(ws, axis=0), axis=0) for ws in zip(*snapshots)]


def main(cfg):
    x_tr, y_tr = synthetic_sequences(cfg["n_train"], cfg["timesteps"], cfg["features"], cfg["n_classes"])
    x_te, y_te = synthetic_sequences(cfg["n_test"], cfg["timesteps"], cfg["features"], cfg["n_classes"])

    train_ds = (tf.data.Dataset.from_tensor_slices((x_tr, y_tr))
                .shuffle(1024).batch(cfg["batch_size"], drop_remainder=True))
    steps_per_epoch = cfg["n_train"] // cfg["batch_size"]
    steps_per_cycle = steps_per_epoch * cfg["epochs_per_cycle"]

    model = build_model(cfg)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=cfg["lr_max"], momentum=0.9, nesterov=True),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.summary(line_length=90)

    snap_cb = SnapshotCallback(steps_per_cycle, cfg["lr_max"])
    model.fit(train_ds, epochs=cfg["n_cycles"] * cfg["epochs_per_cycle"],
              callbacks=[snap_cb], verbose=0)
    print(f"lr range seen: {min(snap_cb.lr_trace):.5f} .. {max(snap_cb.lr_trace):.5f}")

    results = {}
    results["final model"] = accuracy(model.predict(x_te, verbose=0), y_te)

    # prediction averaging over snapshots (softmax then mean)
    probs = []
    for i, weights in enumerate(snap_cb.snapshots):
        model.set_weights(weights)
        p = tf.nn.softmax(model(x_te, training=False), axis=-1).numpy()
        probs.append(p)
        results[f"snapshot {i + 1}"] = accuracy(p, y_te)
    ens = np.mean(np.stack(probs), axis=0)
    results["snapshot ensemble"] = accuracy(ens, y_te)

    # SWA: average weights of the snapshots into a single network.
    # LayerNorm has no running stats so no BN re-estimation is needed.
    # (clone_model chokes on the Lambda layer, so just rebuild from config)
    swa_model = build_model(cfg)
    swa_model.set_weights(average_weights(snap_cb.snapshots))
    results["weight average (SWA)"] = accuracy(swa_model.predict(x_te, verbose=0), y_te)

    width = max(len(k) for k in results)
    print("\n" + "model".ljust(width) + " | test acc")
    print("-" * width + "-+---------")
    for k, v in results.items():
        print(f"{k.ljust(width)} | {v:.4f}")


if __name__ == "__main__":
    main(CONFIG)
