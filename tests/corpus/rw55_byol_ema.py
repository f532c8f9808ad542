"""BYOL (Bootstrap Your Own Latent) with a hand-written training loop.

Online network = encoder + projector + predictor, target network = EMA copy of
encoder + projector. No negatives, just a symmetric normalized-MSE between
the online prediction and the stop-gradient target projection.

Toy setup: random 24x24 images, a small ResNet-ish encoder, a few steps.
"""
import math
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


@dataclass
class BYOLConfig:
    image_size: int = 24
    channels: int = 3
    n_images: int = 128
    batch_size: int = 32
    hidden_dim: int = 128
    proj_dim: int = 32
    base_tau: float = 0.99          # target EMA decay at step 0, cosine-annealed to 1.0
    lr: float = 3e-3
    weight_decay: float = 1e-4
    epochs: int = 2
    filters: list = field(default_factory=lambda: [16, 32, 48])


cfg = BYOLConfig()
tf.random.set_seed(0)
np.random.seed(0)


# ---------------------------------------------------------------------------
# augmentations (pure tf ops so they can live inside Dataset.map)
# ---------------------------------------------------------------------------
def random_crop_resize(img, size):
    crop_frac = tf.random.uniform([], 0.6, 1.0)
    crop = tf.cast(crop_frac * size, tf.int32)
    img = tf.image.random_crop(img, [crop, crop, cfg.channels])
    return tf.image.resize(img, [size, size])


def color_distort(img, strength=0.5):
    img = tf.image.random_brightness(img, 0.8 * strength)
    img = tf.image.random_contrast(img, 1 - 0.8 * strength, 1 + 0.8 * strength)
    img = tf.image.random_saturation(img, 1 - 0.8 * strength, 1 + 0.8 * strength)
    img = tf.image.random_hue(img, 0.2 * strength)
    return tf.clip_by_value(img, 0.0, 1.0)


def random_grayscale(img, p=0.2):
    gray = tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(img))
    keep = tf.cast(tf.random.uniform([]) > p, img.dtype)
    return keep * img + (1.0 - keep) * gray


def augment(img):
    img = tf.image.random_flip_left_right(img)
    img = random_crop_resize(img, cfg.image_size)
    img = color_distort(img)
    img = random_grayscale(img)
    return img


def two_views(img):
    img = tf.cast(img, tf.float32) / 255.0
    return augment(img), augment(img)


def build_dataset():
    raw = np.random.randint(0, 255, size=(cfg.n_images, cfg.image_size, cfg.image_size, cfg.channels), dtype=np.uint8)
    ds = tf.data.Dataset.from_tensor_slices(raw)
    ds = ds.shuffle(cfg.n_images).map(two_views, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(cfg.batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------
# networks
# ---------------------------------------------------------------------------
def residual_block(x, filters, stride):
    shortcut = x
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(shortcut)
        shortcut = layers.BatchNormalization()(shortcut)
    return layers.ReLU()(layers.Add()([x, shortcut]))


def build_encoder(name):
    inp = keras.Input((cfg.image_size, cfg.image_size, cfg.channels))
    x = layers.Conv2D(cfg.filters[0], 3, padding="same")(inp)
    for i, f in enumerate(cfg.filters):
        x = residual_block(x, f, stride=1 if i == 0 else 2)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, x, name=name)


def build_mlp(in_dim, name):
    return keras.Sequential(
        [
            keras.Input((in_dim,)),
            layers.Dense(cfg.hidden_dim, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Dense(cfg.proj_dim),
        ],
        name=name,
    )


class BYOLNetwork(keras.Model):
    """encoder -> projector (and optionally predictor)."""

    def __init__(self, with_predictor, prefix, **kwargs):
        super().__init__(name=f"{prefix}_net", **kwargs)
        self.encoder = build_encoder(f"{prefix}_encoder")
        feat_dim = cfg.filters[-1]
        self.projector = build_mlp(feat_dim, f"{prefix}_projector")
        self.predictor = build_mlp(cfg.proj_dim, f"{prefix}_predictor") if with_predictor else None

    def call(self, x, training=False):
        h = self.encoder(x, training=training)
        z = self.projector(h, training=training)
        if self.predictor is not None:
            return self.predictor(z, training=training)
        return z


def regression_loss(p, z):
    """2 - 2 * cos(p, z), averaged over batch."""
    p = tf.math.l2_normalize(p, axis=-1)
    z = tf.math.l2_normalize(z, axis=-1)
    return tf.reduce_mean(2.0 - 2.0 * tf.reduce_sum(p * z, axis=-1))


def tau_schedule(step, total_steps):
    # tau = 1 - (1 - base_tau) * (cos(pi * k / K) + 1) / 2
    return 1.0 - (1.0 - cfg.base_tau) * (math.cos(math.pi * step / total_steps) + 1.0) / 2.0


online = BYOLNetwork(with_predictor=True, prefix="online")
target = BYOLNetwork(with_predictor=False, prefix="target")

dummy = tf.zeros((2, cfg.image_size, cfg.image_size, cfg.channels))
online(dummy)
target(dummy)
# target starts as an exact copy of online encoder+projector
for t_var, o_var in zip(target.encoder.weights + target.projector.weights,
                        online.encoder.weights + online.projector.weights):
    t_var.assign(o_var)

optimizer = keras.optimizers.AdamW(learning_rate=cfg.lr, weight_decay=cfg.weight_decay)
loss_metric = keras.metrics.Mean(name="byol_loss")


@tf.function
def train_step(view_1, view_2):
    with tf.GradientTape() as tape:
        p1 = online(view_1, training=True)
        p2 = online(view_2, training=True)
        z1 = tf.stop_gradient(target(view_1, training=True))
        z2 = tf.stop_gradient(target(view_2, training=True))
        # symmetrized: view_1 predicts view_2's target and vice versa
        loss = regression_loss(p1, z2) + regression_loss(p2, z1)
    grads = tape.gradient(loss, online.trainable_variables)
    optimizer.apply_gradients(zip(grads, online.trainable_variables))
    loss_metric.update_state(loss)
    return loss


@tf.function
def update_target(tau):
    online_vars = online.encoder.weights + online.projector.weights
    target_vars = target.encoder.weights + target.projector.weights
    for o, t in zip(online_vars, target_vars):
        t.assign(tau * t + (1.0 - tau) * o)


def main():
    ds = build_dataset()
    steps_per_epoch = cfg.n_images // cfg.batch_size
    total_steps = steps_per_epoch * cfg.epochs
    print(f"online params: {online.count_params():,}  target params: {target.count_params():,}")

    global_step = 0
    for epoch in range(cfg.epochs):
        loss_metric.reset_state()
        for view_1, view_2 in ds:
            train_step(view_1, view_2)
            tau = tau_schedule(global_step, total_steps)
            update_target(tf.constant(tau, tf.float32))
            global_step += 1
        print(f"epoch {epoch + 1}/{cfg.epochs}  loss={loss_metric.result().numpy():.4f}  tau={tau:.5f}")

    # sanity check: target drifted from online but stays close
    diffs = [
        float(tf.reduce_mean(tf.abs(o - t)))
        for o, t in zip(online.encoder.trainable_weights, target.encoder.trainable_weights)
    ]
    print(f"mean |online - target| over encoder kernels: {np.mean(diffs):.6f}")

    # representations for downstream use
    feats = online.encoder(dummy, training=False)
    print("representation shape:", feats.shape)


if __name__ == "__main__":
    main()
