"""BYOL (Bootstrap Your Own Latent) - minimal TF2 / Keras implementation.

Online network  = encoder -> projector -> predictor   (trained by SGD)
Target network  = encoder -> projector                  (EMA of the online weights)

The loss is the symmetrised normalized-MSE between the online prediction of one
view and the target projection of the other view. No negatives needed.
Everything runs in a hand written GradientTape loop; the target update uses a
cosine schedule on tau like in the paper.
"""
import math
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

CONFIG = {
    "img_size": 32,
    "channels": 3,
    "n_samples": 192,
    "batch_size": 32,
    "epochs": 2,
    "hidden_dim": 256,
    "proj_dim": 64,
    "base_tau": 0.99,
    "lr": 3e-4,
    "weight_decay": 1.5e-6,
    "seed": 0,
}

tf.random.set_seed(CONFIG["seed"])
rng = np.random.default_rng(CONFIG["seed"])


# --------------------------------------------------------------------------- #
# data
# --------------------------------------------------------------------------- #
def synthetic_images(n, size, channels):
    # smooth random fields: low-res noise upsampled, looks a bit like textures
    low = rng.normal(size=(n, size // 4, size // 4, channels)).astype("float32")
    imgs = tf.image.resize(low, (size, size), method="bicubic").numpy()
    imgs = (imgs - imgs.min()) / (imgs.max() - imgs.min())
    return imgs


def byol_augment(img, blur_prob, solarize_prob):
    size = CONFIG["img_size"]
    # random resized crop
    scale = tf.random.uniform([], 0.4, 1.0)
    crop = tf.cast(scale * size, tf.int32)
    img = tf.image.random_crop(img, tf.stack([crop, crop, CONFIG["channels"]]))
    img = tf.image.resize(img, (size, size))
    img = tf.image.random_flip_left_right(img)
    img = tf.image.random_brightness(img, 0.4)
    img = tf.image.random_contrast(img, 0.6, 1.4)
    img = tf.clip_by_value(img, 0.0, 1.0)

    # gaussian blur approximated with a 3x3 box filter, applied with prob blur_prob
    blurred = tf.nn.avg_pool2d(img[None], ksize=3, strides=1, padding="SAME")[0]
    use_blur = tf.random.uniform([]) < blur_prob
    img = tf.where(use_blur, blurred, img)

    # solarization
    solarized = tf.where(img < 0.5, img, 1.0 - img)
    use_sol = tf.random.uniform([]) < solarize_prob
    img = tf.where(use_sol, solarized, img)
    return img


def make_views(img):
    # asymmetric augmentation pair as in the BYOL paper
    v1 = byol_augment(img, blur_prob=1.0, solarize_prob=0.0)
    v2 = byol_augment(img, blur_prob=0.1, solarize_prob=0.2)
    return v1, v2


# --------------------------------------------------------------------------- #
# networks
# --------------------------------------------------------------------------- #
def build_encoder(name):
    return keras.Sequential(
        [
            layers.Input((CONFIG["img_size"], CONFIG["img_size"], CONFIG["channels"])),
            layers.Conv2D(32, 3, strides=2, padding="same"),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.Conv2D(64, 3, strides=2, padding="same"),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.Conv2D(128, 3, strides=2, padding="same"),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.GlobalAveragePooling2D(),
        ],
        name=name,
    )


def build_mlp(in_dim, name):
    """Projector / predictor MLP: Linear-BN-ReLU-Linear."""
    return keras.Sequential(
        [
            layers.Input((in_dim,)),
            layers.Dense(CONFIG["hidden_dim"]),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Dense(CONFIG["proj_dim"]),
        ],
        name=name,
    )


online_encoder = build_encoder("online_encoder")
online_projector = build_mlp(128, "online_projector")
predictor = build_mlp(CONFIG["proj_dim"], "predictor")

target_encoder = build_encoder("target_encoder")
target_projector = build_mlp(128, "target_projector")

# initialise target = online
target_encoder.set_weights(online_encoder.get_weights())
target_projector.set_weights(online_projector.get_weights())

online_vars = (
    online_encoder.trainable_variables
    + online_projector.trainable_variables
    + predictor.trainable_variables
)

optimizer = keras.optimizers.AdamW(
    learning_rate=CONFIG["lr"], weight_decay=CONFIG["weight_decay"]
)


def regression_loss(p, z):
    """2 - 2 * cos(p, z), averaged over the batch."""
    p = tf.math.l2_normalize(p, axis=-1)
    z = tf.math.l2_normalize(z, axis=-1)
    return 2.0 - 2.0 * tf.reduce_sum(p * z, axis=-1)


@tf.function
def train_step(v1, v2):
    # target branch: no gradients
    t1 = tf.stop_gradient(target_projector(target_encoder(v1, training=True), training=True))
    t2 = tf.stop_gradient(target_projector(target_encoder(v2, training=True), training=True))

    with tf.GradientTape() as tape:
        p1 = predictor(online_projector(online_encoder(v1, training=True), training=True), training=True)
        p2 = predictor(online_projector(online_encoder(v2, training=True), training=True), training=True)
        loss = tf.reduce_mean(regression_loss(p1, t2) + regression_loss(p2, t1))

    grads = tape.gradient(loss, online_vars)
    optimizer.apply_gradients(zip(grads, online_vars))
    return loss


@tf.function
def update_target(tau):
    """target <- tau * target + (1 - tau) * online (also for BN moving stats)."""
    pairs = [(online_encoder, target_encoder), (online_projector, target_projector)]
    for online, target in pairs:
        for w_o, w_t in zip(online.weights, target.weights):
            w_t.assign(tau * w_t + (1.0 - tau) * w_o)


def cosine_tau(step, total_steps, base_tau=CONFIG["base_tau"]):
    return 1.0 - (1.0 - base_tau) * (math.cos(math.pi * step / total_steps) + 1.0) / 2.0


def main():
    images = synthetic_images(CONFIG["n_samples"], CONFIG["img_size"], CONFIG["channels"])
    ds = (
        tf.data.Dataset.from_tensor_slices(images)
        .shuffle(512)
        .map(make_views, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(CONFIG["batch_size"], drop_remainder=True)
        .prefetch(2)
    )

    steps_per_epoch = CONFIG["n_samples"] // CONFIG["batch_size"]
    total_steps = steps_per_epoch * CONFIG["epochs"]
    global_step = 0

    for epoch in range(CONFIG["epochs"]):
        t0 = time.time()
        losses = []
        for v1, v2 in ds:
            loss = train_step(v1, v2)
            tau = cosine_tau(global_step, total_steps)
            update_target(tf.constant(tau, tf.float32))
            losses.append(float(loss))
            global_step += 1
        print(
            f"epoch {epoch + 1}/{CONFIG['epochs']}  loss={np.mean(losses):.4f}  "
            f"tau={tau:.4f}  ({time.time() - t0:.1f}s)"
        )

    # sanity check: online and target should have drifted apart slightly
    diff = [
        np.abs(a - b).mean()
        for a, b in zip(online_encoder.get_weights(), target_encoder.get_weights())
    ]
    print("mean |online - target| weight diff: %.2e" % np.mean(diff))
    emb = online_encoder(images[:8], training=False)
    print("embedding shape:", emb.shape)


if __name__ == "__main__":
    main()
