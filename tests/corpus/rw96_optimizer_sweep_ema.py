"""Optimizer sweep with a hand-written GradientTape training loop + EMA weights.

For each optimizer config we train the same small conv autoencoder-classifier
(multi-task: reconstruction + classification) for a fixed number of steps,
keep an exponential moving average of the weights (Polyak averaging), and
report raw vs. EMA evaluation in a comparison table.
"""
import time

import numpy as np
import tensorflow as tf

STEPS = 40
BATCH = 32
IMG = 12
N_CLASSES = 4
RECON_WEIGHT = 0.5
EMA_DECAY = 0.9

OPTIMIZER_GRID = [
    ("sgd", {"learning_rate": 0.05}),
    ("sgd+nesterov", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("adam", {"learning_rate": 1e-3}),
    ("adamw", {"learning_rate": 1e-3, "weight_decay": 1e-2}),
    ("rmsprop", {"learning_rate": 5e-4}),
]


def make_optimizer(name, kwargs):
    base = name.split("+")[0]
    cls = {
        "sgd": tf.keras.optimizers.SGD,
        "adam": tf.keras.optimizers.Adam,
        "adamw": tf.keras.optimizers.AdamW,
        "rmsprop": tf.keras.optimizers.RMSprop,
    }[base]
    return cls(**kwargs)


def synthetic_images(n, seed):
    g = tf.random.Generator.from_seed(seed)
    labels = g.uniform((n,), 0, N_CLASSES, dtype=tf.int32)
    # each class = a bright quadrant
    qy = (labels // 2) * (IMG // 2)
    qx = (labels % 2) * (IMG // 2)
    yy = tf.range(IMG)[None, :, None]
    xx = tf.range(IMG)[None, None, :]
    inside = ((yy >= qy[:, None, None]) & (yy < qy[:, None, None] + IMG // 2) &
              (xx >= qx[:, None, None]) & (xx < qx[:, None, None] + IMG // 2))
    imgs = tf.cast(inside, tf.float32)[..., None] + 1.2 * g.normal((n, IMG, IMG, 1))
    return imgs, labels


class ConvAE(tf.keras.Model):
    """Shared encoder with a decoder head and a classifier head."""

    def __init__(self, latent=16, n_classes=N_CLASSES):
        super().__init__()
        self.enc = tf.keras.Sequential([
            tf.keras.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu"),
            tf.keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
        ], name="encoder")
        self.to_latent = tf.keras.layers.Dense(latent)
        self.from_latent = tf.keras.layers.Dense((IMG // 4) * (IMG // 4) * 32, activation="relu")
        self.dec = tf.keras.Sequential([
            tf.keras.layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu"),
            tf.keras.layers.Conv2DTranspose(1, 3, strides=2, padding="same"),
        ], name="decoder")
        self.cls = tf.keras.layers.Dense(n_classes)

    def call(self, x, training=False):
        h = self.enc(x, training=training)
        z = self.to_latent(tf.reshape(h, [tf.shape(h)[0], -1]))
        r = self.from_latent(z)
        r = tf.reshape(r, [-1, IMG // 4, IMG // 4, 32])
        recon = self.dec(r, training=training)
        return recon, self.cls(z)


def train_one(opt_name, opt_kwargs, train_ds, x_val, y_val):
    tf.random.set_seed(0)  # same init for every optimizer
    model = ConvAE()
    model(tf.zeros([1, IMG, IMG, 1]))  # build
    ema_model = ConvAE()
    ema_model(tf.zeros([1, IMG, IMG, 1]))
    ema_model.set_weights(model.get_weights())

    opt = make_optimizer(opt_name, opt_kwargs)
    ce = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            recon, logits = model(x, training=True)
            loss_cls = ce(y, logits)
            loss_rec = tf.reduce_mean(tf.square(recon - x))
            loss = loss_cls + RECON_WEIGHT * loss_rec
        grads = tape.gradient(loss, model.trainable_variables)
        grads, gnorm = tf.clip_by_global_norm(grads, 5.0)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        # EMA update: w_ema <- d * w_ema + (1 - d) * w
        for w_ema, w in zip(ema_model.weights, model.weights):
            w_ema.assign(EMA_DECAY * w_ema + (1.0 - EMA_DECAY) * w)
        return loss, gnorm

    @tf.function
    def eval_step(m, x, y):
        recon, logits = m(x, training=False)
        acc = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), y), tf.float32))
        return acc, tf.reduce_mean(tf.square(recon - x))

    t0 = time.perf_counter()
    losses = []
    for step, (xb, yb) in enumerate(train_ds.take(STEPS)):
        loss, gnorm = train_step(xb, yb)
        losses.append(float(loss))
    dt = time.perf_counter() - t0

    acc, rec = eval_step(model, x_val, y_val)
    ema_acc, ema_rec = eval_step(ema_model, x_val, y_val)
    return {
        "optimizer": opt_name,
        "final_loss": np.mean(losses[-5:]),
        "acc": float(acc), "recon": float(rec),
        "ema_acc": float(ema_acc), "ema_recon": float(ema_rec),
        "ms/step": 1000 * dt / STEPS,
    }


def main():
    x_tr, y_tr = synthetic_images(1024, seed=1)
    x_val, y_val = synthetic_images(256, seed=2)
    train_ds = (tf.data.Dataset.from_tensor_slices((x_tr, y_tr))
                .shuffle(1024, seed=3).repeat().batch(BATCH, drop_remainder=True)
                .prefetch(2))
    print("batch spec:", train_ds.element_spec)

    rows = [train_one(name, kw, train_ds, x_val, y_val) for name, kw in OPTIMIZER_GRID]

    keys = ["optimizer", "final_loss", "acc", "ema_acc", "recon", "ema_recon", "ms/step"]
    print("\n| " + " | ".join(keys) + " |")
    print("|" + "|".join("---" for _ in keys) + "|")
    for r in rows:
        print("| " + " | ".join(r[k] if isinstance(r[k], str) else f"{r[k]:.3f}" for k in keys) + " |")
    best = max(rows, key=lambda r: max(r["acc"], r["ema_acc"]))
    print(f"\nbest: {best['optimizer']} (EMA helps: {best['ema_acc'] >= best['acc']})")


if __name__ == "__main__":
    main()
