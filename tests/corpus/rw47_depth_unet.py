"""Monocular depth estimation with a U-Net decoder (custom training loop).

Loosely based on the keras.io "Monocular depth estimation" example (DenseDepth
style loss): the loss combines SSIM, L1 and an edge-aware smoothness term on
depth gradients. The scene generator renders a tilted ground plane with a few
boxes in front of it so the depth maps have both smooth ramps and sharp edges.
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

HPARAMS = dict(
    height=64,
    width=80,
    min_depth=0.1,
    max_depth=10.0,
    base_filters=16,
    depth_levels=3,
    batch_size=6,
    train_scenes=24,
    val_scenes=12,
    lr=2e-4,
    ssim_weight=0.85,
    l1_weight=0.1,
    smooth_weight=0.9,
)


# --------------------------------------------------------------------- data
def render_scene(rng, h, w, max_depth):
    """Returns an RGB image and its metric depth map (h, w, 1)."""
    rows = np.linspace(0.0, 1.0, h)[:, None]
    horizon = rng.uniform(0.25, 0.45)
    # ground plane: depth grows towards the horizon, sky is far away
    depth = np.where(rows > horizon, 1.0 / np.maximum(rows - horizon, 1e-3) * 0.6,
                     max_depth)
    depth = np.broadcast_to(depth, (h, w)).copy()
    depth = np.clip(depth, 0.5, max_depth)
    image = np.stack([1.0 - depth / max_depth] * 3, axis=-1) * rng.uniform(0.6, 1.0, 3)

    for _ in range(rng.integers(1, 4)):
        bw, bh = rng.integers(w // 8, w // 3), rng.integers(h // 6, h // 2)
        x0 = rng.integers(0, w - bw)
        y1 = rng.integers(int(horizon * h) + bh // 2, h)
        y0 = max(0, y1 - bh)
        d = depth[y1 - 1, x0]  # object stands on the ground
        depth[y0:y1, x0:x0 + bw] = np.minimum(depth[y0:y1, x0:x0 + bw], d)
        image[y0:y1, x0:x0 + bw] = rng.uniform(0, 1, 3)
    image += rng.normal(0, 0.02, image.shape)
    return image.astype(np.float32), depth[..., None].astype(np.float32)


def make_dataset(n, hp, seed, training):
    rng = np.random.default_rng(seed)
    pairs = [render_scene(rng, hp["height"], hp["width"], hp["max_depth"]) for _ in range(n)]
    images = np.stack([p[0] for p in pairs])
    depths = np.stack([p[1] for p in pairs])

    def preprocess(image, depth):
        image = tf.image.convert_image_dtype(image, tf.float32)
        # predict normalised inverse-ish depth in [0, 1]
        depth = tf.clip_by_value(depth, hp["min_depth"], hp["max_depth"]) / hp["max_depth"]
        return image, depth

    def augment(image, depth):
        stacked = tf.image.random_flip_left_right(tf.concat([image, depth], axis=-1))
        image, depth = stacked[..., :3], stacked[..., 3:]
        image = tf.image.random_brightness(image, 0.1)
        image = tf.image.random_contrast(image, 0.8, 1.2)
        return tf.clip_by_value(image, 0.0, 1.0), depth

    ds = tf.data.Dataset.from_tensor_slices((images, depths)).map(preprocess)
    if training:
        ds = ds.shuffle(n, seed=seed).map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(hp["batch_size"]).prefetch(tf.data.AUTOTUNE)


# -------------------------------------------------------------------- model
class DownscaleBlock(layers.Layer):
    def __init__(self, filters, kernel_size=3, padding="same", strides=1, **kwargs):
        super().__init__(**kwargs)
        self.convA = layers.Conv2D(filters, kernel_size, strides, padding)
        self.convB = layers.Conv2D(filters, kernel_size, strides, padding)
        self.reluA = layers.LeakyReLU(negative_slope=0.2)
        self.reluB = layers.LeakyReLU(negative_slope=0.2)
        self.bn2a = layers.BatchNormalization()
        self.bn2b = layers.BatchNormalization()
        self.pool = layers.MaxPooling2D((2, 2), (2, 2))

    def call(self, input_tensor, training=False):
        d = self.convA(input_tensor)
        x = self.bn2a(d, training=training)
        x = self.reluA(x)
        x = self.convB(x)
        x = self.bn2b(x, training=training)
        x = self.reluB(x)
        x += d  # residual inside the block
        p = self.pool(x)
        return x, p


class UpscaleBlock(layers.Layer):
    def __init__(self, filters, kernel_size=3, padding="same", strides=1, **kwargs):
        super().__init__(**kwargs)
        self.us = layers.UpSampling2D((2, 2), interpolation="bilinear")
        self.convA = layers.Conv2D(filters, kernel_size, strides, padding)
        self.convB = layers.Conv2D(filters, kernel_size, strides, padding)
        self.reluA = layers.LeakyReLU(negative_slope=0.2)
        self.reluB = layers.LeakyReLU(negative_slope=0.2)
        self.bn2a = layers.BatchNormalization()
        self.bn2b = layers.BatchNormalization()
        self.conc = layers.Concatenate()

    def call(self, x, skip, training=False):
        x = self.us(x)
        concat = self.conc([x, skip])
        x = self.reluA(self.bn2a(self.convA(concat), training=training))
        x = self.reluB(self.bn2b(self.convB(x), training=training))
        return x


class BottleNeckBlock(layers.Layer):
    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.convA = layers.Conv2D(filters, 3, padding="same", activation="relu")
        self.convB = layers.Conv2D(filters, 3, padding="same", dilation_rate=2, activation="relu")

    def call(self, x):
        return self.convB(self.convA(x))


class DepthEstimationModel(keras.Model):
    def __init__(self, base_filters=16, levels=3, **kwargs):
        super().__init__(**kwargs)
        filters = [base_filters * 2 ** i for i in range(levels)]
        self.downscale_blocks = [DownscaleBlock(f, name=f"down_{i}") for i, f in enumerate(filters)]
        self.bottle_neck_block = BottleNeckBlock(filters[-1] * 2)
        self.upscale_blocks = [UpscaleBlock(f, name=f"up_{i}") for i, f in reversed(list(enumerate(filters)))]
        # sigmoid keeps the normalised depth in (0, 1)
        self.conv_layer = layers.Conv2D(1, (1, 1), padding="same", activation="sigmoid")

    def call(self, x, training=False):
        skips = []
        for block in self.downscale_blocks:
            skip, x = block(x, training=training)
            skips.append(skip)
        x = self.bottle_neck_block(x)
        for block, skip in zip(self.upscale_blocks, reversed(skips)):
            x = block(x, skip, training=training)
        return self.conv_layer(x)


# --------------------------------------------------------------------- loss
def depth_loss(target, pred, hp):
    # edge-aware smoothness: penalise depth gradients less where the target has edges
    dy_true, dx_true = tf.image.image_gradients(target)
    dy_pred, dx_pred = tf.image.image_gradients(pred)
    weights_x = tf.exp(tf.reduce_mean(tf.abs(dx_true)))
    weights_y = tf.exp(tf.reduce_mean(tf.abs(dy_true)))
    smoothness_x = dx_pred * weights_x
    smoothness_y = dy_pred * weights_y
    depth_smoothness_loss = tf.reduce_mean(tf.abs(smoothness_x)) + tf.reduce_mean(tf.abs(smoothness_y))

    ssim_loss = tf.reduce_mean(
        1 - tf.image.ssim(target, pred, max_val=1.0, filter_size=7, k1=0.01 ** 2, k2=0.03 ** 2)
    )
    l1_loss = tf.reduce_mean(tf.abs(target - pred))
    total = (hp["ssim_weight"] * ssim_loss
             + hp["l1_weight"] * l1_loss
             + hp["smooth_weight"] * depth_smoothness_loss)
    return total, ssim_loss, l1_loss


def depth_metrics(target, pred, hp):
    """Standard monocular depth metrics on metric depth."""
    gt = target * hp["max_depth"]
    pr = tf.maximum(pred * hp["max_depth"], hp["min_depth"])
    thresh = tf.maximum(gt / pr, pr / gt)
    return {
        "abs_rel": tf.reduce_mean(tf.abs(gt - pr) / gt),
        "rmse": tf.sqrt(tf.reduce_mean(tf.square(gt - pr))),
        "delta1": tf.reduce_mean(tf.cast(thresh < 1.25, tf.float32)),
    }


class Trainer:
    def __init__(self, model, hp):
        self.model = model
        self.hp = hp
        self.optimizer = keras.optimizers.Adam(learning_rate=hp["lr"], amsgrad=False)
        self.train_loss = keras.metrics.Mean(name="loss")
        self.train_ssim = keras.metrics.Mean(name="ssim_loss")

    @tf.function(reduce_retracing=True)
    def train_step(self, images, depths):
        with tf.GradientTape() as tape:
            pred = self.model(images, training=True)
            loss, ssim_loss, _ = depth_loss(depths, pred, self.hp)
        grads = tape.gradient(loss, self.model.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
        self.train_loss.update_state(loss)
        self.train_ssim.update_state(ssim_loss)

    @tf.function
    def eval_step(self, images, depths):
        pred = self.model(images, training=False)
        return depth_metrics(depths, pred, self.hp)

    def fit(self, train_ds, val_ds, epochs=1):
        for epoch in range(epochs):
            t0 = time.time()
            self.train_loss.reset_state()
            self.train_ssim.reset_state()
            for step, (x, y) in enumerate(train_ds):
                self.train_step(x, y)
            agg = {}
            n = 0
            for x, y in val_ds:
                for k, v in self.eval_step(x, y).items():
                    agg[k] = agg.get(k, 0.0) + float(v)
                n += 1
            val = {k: round(v / n, 4) for k, v in agg.items()}
            print(f"epoch {epoch + 1}: loss={self.train_loss.result():.4f} "
                  f"ssim={self.train_ssim.result():.4f} val={val} ({time.time() - t0:.1f}s)")


if __name__ == "__main__":
    tf.random.set_seed(5)
    hp = HPARAMS
    train_ds = make_dataset(hp["train_scenes"], hp, seed=1, training=True)
    val_ds = make_dataset(hp["val_scenes"], hp, seed=2, training=False)
    print(train_ds.element_spec)

    model = DepthEstimationModel(hp["base_filters"], hp["depth_levels"])
    out = model(tf.zeros((1, hp["height"], hp["width"], 3)))
    print("depth map:", out.shape)
    model.summary()

    Trainer(model, hp).fit(train_ds, val_ds, epochs=1)
