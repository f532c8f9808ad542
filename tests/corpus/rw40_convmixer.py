"""ConvMixer ("Patches Are All You Need?") with a hand-written training loop.

- patch embedding: Conv2D with kernel_size == strides == patch_size
- ConvMixer block: residual depthwise conv, then pointwise conv, each followed
  by GELU + BatchNorm
- training: custom tf.function train/eval steps with GradientTape

Everything runs on random data so the script is self-contained.
"""
from dataclasses import dataclass, field
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


@dataclass
class ConvMixerConfig:
    image_size: int = 32
    num_classes: int = 10
    filters: int = 64
    depth: int = 4
    kernel_size: int = 5
    patch_size: int = 2
    batch_size: int = 32
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    train_steps: int = 8
    val_batches: int = 2
    label_smoothing: float = 0.1
    aug: dict = field(default_factory=lambda: {"flip": True, "crop_pad": 4})


def activation_block(x):
    x = layers.Activation("gelu")(x)
    return layers.BatchNormalization()(x)


def conv_stem(x, filters, patch_size):
    x = layers.Conv2D(filters, kernel_size=patch_size, strides=patch_size)(x)
    return activation_block(x)


def conv_mixer_block(x, filters, kernel_size):
    # Depthwise convolution.
    x0 = x
    x = layers.DepthwiseConv2D(kernel_size=kernel_size, padding="same")(x)
    x = layers.Add()([activation_block(x), x0])  # Residual.

    # Pointwise convolution.
    x = layers.Conv2D(filters, kernel_size=1)(x)
    x = activation_block(x)
    return x


def get_conv_mixer(cfg: ConvMixerConfig):
    inputs = keras.Input((cfg.image_size, cfg.image_size, 3))
    x = layers.Rescaling(scale=1.0 / 255)(inputs)

    # Extract patch embeddings.
    x = conv_stem(x, cfg.filters, cfg.patch_size)

    # ConvMixer blocks.
    for _ in range(cfg.depth):
        x = conv_mixer_block(x, cfg.filters, cfg.kernel_size)

    # Classification block.
    x = layers.GlobalAvgPool2D()(x)
    outputs = layers.Dense(cfg.num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="convmixer")


def build_datasets(cfg: ConvMixerConfig):
    n_train = cfg.batch_size * cfg.train_steps
    n_val = cfg.batch_size * cfg.val_batches
    shape = (cfg.image_size, cfg.image_size, 3)
    x_tr = np.random.uniform(0, 255, (n_train,) + shape).astype(np.float32)
    y_tr = np.random.randint(0, cfg.num_classes, n_train)
    x_va = np.random.uniform(0, 255, (n_val,) + shape).astype(np.float32)
    y_va = np.random.randint(0, cfg.num_classes, n_val)

    pad = cfg.aug["crop_pad"]

    def augment(image, label):
        if cfg.aug["flip"]:
            image = tf.image.random_flip_left_right(image)
        image = tf.pad(image, [[pad, pad], [pad, pad], [0, 0]], mode="REFLECT")
        image = tf.image.random_crop(image, shape)
        return image, tf.one_hot(label, cfg.num_classes)

    def to_onehot(image, label):
        return image, tf.one_hot(label, cfg.num_classes)

    train_ds = (
        tf.data.Dataset.from_tensor_slices((x_tr, y_tr))
        .shuffle(1024)
        .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(cfg.batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )
    val_ds = (
        tf.data.Dataset.from_tensor_slices((x_va, y_va))
        .map(to_onehot)
        .batch(cfg.batch_size)
    )
    return train_ds, val_ds


class Trainer:
    def __init__(self, model, cfg: ConvMixerConfig):
        self.model = model
        self.cfg = cfg
        self.optimizer = keras.optimizers.AdamW(
            learning_rate=cfg.learning_rate, weight_decay=cfg.weight_decay
        )
        self.loss_fn = keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing)
        self.train_loss = keras.metrics.Mean(name="train_loss")
        self.train_acc = keras.metrics.CategoricalAccuracy(name="train_acc")
        self.val_acc = keras.metrics.CategoricalAccuracy(name="val_acc")

    @tf.function
    def train_step(self, images, labels):
        with tf.GradientTape() as tape:
            preds = self.model(images, training=True)
            loss = self.loss_fn(labels, preds)
            # BatchNorm has no kernel regularizers here, but keep the idiom.
            if self.model.losses:
                loss += tf.add_n(self.model.losses)
        grads = tape.gradient(loss, self.model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
        self.train_loss.update_state(loss)
        self.train_acc.update_state(labels, preds)
        return loss

    @tf.function
    def eval_step(self, images, labels):
        preds = self.model(images, training=False)
        self.val_acc.update_state(labels, preds)

    def fit(self, train_ds, val_ds, epochs=1):
        for epoch in range(epochs):
            start = time.time()
            for m in (self.train_loss, self.train_acc, self.val_acc):
                m.reset_state()
            for step, (images, labels) in enumerate(train_ds):
                loss = self.train_step(images, labels)
                if step % 4 == 0:
                    print(f"  step {step:3d}  loss={float(loss):.4f}")
            for images, labels in val_ds:
                self.eval_step(images, labels)
            print(
                f"epoch {epoch + 1}: loss={float(self.train_loss.result()):.4f} "
                f"acc={float(self.train_acc.result()):.3f} "
                f"val_acc={float(self.val_acc.result()):.3f} "
                f"({time.time() - start:.1f}s)"
            )


if __name__ == "__main__":
    tf.random.set_seed(7)
    np.random.seed(7)
    cfg = ConvMixerConfig()
    print(cfg)

    model = get_conv_mixer(cfg)
    model.summary()

    # Patch-embedding output resolution check.
    stem = [l for l in model.layers if isinstance(l, layers.Conv2D)][0]
    print("stem output shape:", stem.output.shape)

    train_ds, val_ds = build_datasets(cfg)
    Trainer(model, cfg).fit(train_ds, val_ds, epochs=1)

    # Visualise-style inspection of learned depthwise kernels.
    dw = [l for l in model.layers if isinstance(l, layers.DepthwiseConv2D)]
    kernel = dw[0].get_weights()[0]  # (k, k, filters, 1)
    kernel = np.squeeze(kernel, axis=-1).transpose(2, 0, 1)
    print("depthwise kernels (filters, k, k):", kernel.shape)
