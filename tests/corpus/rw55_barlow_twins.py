"""Barlow Twins, written against the backend-agnostic keras.ops API.

Loss: push the cross-correlation matrix of the two views' (batch-normalized)
embeddings towards the identity. On-diagonal -> invariance, off-diagonal ->
redundancy reduction. Uses `compute_loss`/`train_step` overrides so fit()
works as usual. Synthetic 28x28 grayscale data.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CONFIG = dict(
    img_shape=(28, 28, 1),
    num_samples=256,
    batch_size=64,
    embed_dim=128,
    lambd=5e-3,        # weight of off-diagonal terms
    lr=1e-3,
    epochs=1,
    seed=1337,
)

keras.utils.set_random_seed(CONFIG["seed"])


# ----------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------
def gaussian_noise(x, stddev=0.05):
    return x + tf.random.normal(tf.shape(x), stddev=stddev)


def random_cutout(x, size=8):
    # zero out one square patch at a random location (no tensor-valued `if`)
    h, w = CONFIG["img_shape"][:2]
    cy = tf.random.uniform([], 0, h, dtype=tf.int32)
    cx = tf.random.uniform([], 0, w, dtype=tf.int32)
    ys = tf.range(h)[:, None]
    xs = tf.range(w)[None, :]
    inside = (tf.abs(ys - cy) < size // 2) & (tf.abs(xs - cx) < size // 2)
    mask = 1.0 - tf.cast(inside, x.dtype)[..., None]
    return x * mask


def augment_pair(x):
    def one_view(img):
        img = tf.image.random_flip_left_right(img)
        img = tf.image.resize_with_crop_or_pad(img, 32, 32)
        img = tf.image.random_crop(img, CONFIG["img_shape"])
        img = random_cutout(img)
        img = gaussian_noise(img)
        return tf.clip_by_value(img, 0.0, 1.0)

    return one_view(x), one_view(x)


def make_pipeline(images):
    return (
        tf.data.Dataset.from_tensor_slices(images)
        .shuffle(1024, seed=CONFIG["seed"])
        .map(augment_pair, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(CONFIG["batch_size"], drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )


# ----------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------
def build_backbone(img_shape):
    inputs = keras.Input(shape=img_shape, name="image")
    x = inputs
    for filters in (32, 64):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(128, 3, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling2D(name="features")(x)
    return keras.Model(inputs, x, name="backbone")


def build_projector(in_dim, embed_dim):
    inputs = keras.Input(shape=(in_dim,))
    x = inputs
    for i in range(2):
        x = layers.Dense(embed_dim, use_bias=False, name=f"proj_dense_{i}")(x)
        x = layers.BatchNormalization(name=f"proj_bn_{i}")(x)
        x = layers.ReLU()(x)
    x = layers.Dense(embed_dim, name="proj_out")(x)
    return keras.Model(inputs, x, name="projector")


def off_diagonal(c):
    n = ops.shape(c)[0]
    mask = 1.0 - ops.eye(n, dtype=c.dtype)
    return c * mask


class BarlowLoss(keras.losses.Loss):
    def __init__(self, batch_size, lambd=5e-3, name="barlow_loss"):
        super().__init__(name=name)
        self.batch_size = batch_size
        self.lambd = lambd

    @staticmethod
    def normalize(z):
        mean = ops.mean(z, axis=0, keepdims=True)
        std = ops.std(z, axis=0, keepdims=True)
        return (z - mean) / (std + 1e-6)

    def cross_corr(self, z_a, z_b):
        z_a = self.normalize(z_a)
        z_b = self.normalize(z_b)
        # (D, N) @ (N, D) -> (D, D)
        return ops.matmul(ops.transpose(z_a), z_b) / ops.cast(self.batch_size, z_a.dtype)

    def call(self, z_a, z_b):
        c = self.cross_corr(z_a, z_b)
        on_diag = ops.sum(ops.square(ops.diagonal(c) - 1.0))
        off_diag = ops.sum(ops.square(off_diagonal(c)))
        return on_diag + self.lambd * off_diag


class BarlowTwins(keras.Model):
    def __init__(self, backbone, projector, loss_fn, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.projector = projector
        self.loss_fn = loss_fn
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.on_diag_tracker = keras.metrics.Mean(name="mean_diag_corr")

    @property
    def metrics(self):
        return [self.loss_tracker, self.on_diag_tracker]

    def call(self, x, training=False):
        return self.projector(self.backbone(x, training=training), training=training)

    def train_step(self, data):
        view_a, view_b = data
        with tf.GradientTape() as tape:
            z_a = self(view_a, training=True)
            z_b = self(view_b, training=True)
            loss = self.loss_fn(z_a, z_b)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))

        c = self.loss_fn.cross_corr(z_a, z_b)
        self.loss_tracker.update_state(loss)
        self.on_diag_tracker.update_state(ops.mean(ops.diagonal(c)))
        return {m.name: m.result() for m in self.metrics}


def main():
    images = np.random.rand(CONFIG["num_samples"], *CONFIG["img_shape"]).astype("float32")
    ds = make_pipeline(images)
    a, b = next(iter(ds))
    print("view shapes:", a.shape, b.shape)

    backbone = build_backbone(CONFIG["img_shape"])
    projector = build_projector(backbone.output_shape[-1], CONFIG["embed_dim"])
    model = BarlowTwins(
        backbone,
        projector,
        BarlowLoss(CONFIG["batch_size"], CONFIG["lambd"]),
        name="barlow_twins",
    )
    lr = keras.optimizers.schedules.CosineDecay(CONFIG["lr"], decay_steps=100)
    model.compile(optimizer=keras.optimizers.Lamb(learning_rate=lr))
    model.fit(ds, epochs=CONFIG["epochs"], verbose=2)

    # extract frozen features for a kNN / linear eval later
    feats = backbone.predict(images[:32], verbose=0)
    print("features:", feats.shape, "mean norm:", float(np.linalg.norm(feats, axis=1).mean()))


if __name__ == "__main__":
    main()
