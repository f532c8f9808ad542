"""Mixed precision image classifier: model.fit vs. a custom GradientTape loop.

Sets the global `mixed_float16` policy so layers compute in float16 while
keeping float32 variables. The softmax output is forced back to float32 for
numeric stability, and the custom loop wraps the optimizer in a
LossScaleOptimizer to avoid gradient underflow.

On CPU this is slower than float32 -- the point is the recipe, which is the
same one you would use on a GPU with tensor cores.
"""
from dataclasses import dataclass
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers, mixed_precision


@dataclass
class Config:
    image_size: int = 32
    channels: int = 3
    num_classes: int = 10
    width: int = 16
    batch_size: int = 16
    num_train: int = 96
    steps_custom_loop: int = 4
    learning_rate: float = 1e-3
    policy: str = "mixed_float16"


CFG = Config()


def conv_bn_relu(x, filters, strides=1, name=None):
    x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False, name=name)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def residual_block(x, filters, strides=1):
    shortcut = x
    y = conv_bn_relu(x, filters, strides)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    if strides != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=strides, use_bias=False)(shortcut)
        shortcut = layers.BatchNormalization()(shortcut)
    y = layers.Add()([y, shortcut])
    return layers.ReLU()(y)


def build_resnet(cfg: Config) -> keras.Model:
    inputs = keras.Input(shape=(cfg.image_size, cfg.image_size, cfg.channels), name="image")
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = conv_bn_relu(x, cfg.width, name="stem_conv")
    for stage, mult in enumerate([1, 2, 4]):
        strides = 1 if stage == 0 else 2
        x = residual_block(x, cfg.width * mult, strides=strides)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(cfg.num_classes, name="logits")(x)
    # Separate float32 activation so softmax is not computed in float16.
    outputs = layers.Activation("softmax", dtype="float32", name="predictions")(x)
    return keras.Model(inputs, outputs, name="mp_resnet")


def make_dataset(cfg: Config, seed: int = 0) -> tf.data.Dataset:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(cfg.num_train, cfg.image_size, cfg.image_size, cfg.channels))
    y = rng.integers(0, cfg.num_classes, size=(cfg.num_train,))
    ds = tf.data.Dataset.from_tensor_slices((x.astype("float32"), y.astype("int32")))
    return ds.shuffle(cfg.num_train, seed=seed).batch(cfg.batch_size, drop_remainder=True).prefetch(2)


def report_dtypes(model: keras.Model) -> None:
    for name in ["stem_conv", "logits", "predictions"]:
        layer = model.get_layer(name)
        print(f"{name:12s} compute={layer.compute_dtype:8s} variable={layer.variable_dtype}")


class MixedPrecisionTrainer:
    """Minimal custom loop with dynamic loss scaling."""

    def __init__(self, model: keras.Model, cfg: Config):
        self.model = model
        base_opt = keras.optimizers.Adam(cfg.learning_rate)
        self.optimizer = mixed_precision.LossScaleOptimizer(base_opt)
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy()
        self.train_acc = keras.metrics.SparseCategoricalAccuracy()
        self.train_loss = keras.metrics.Mean()

    @tf.function
    def train_step(self, images, labels):
        with tf.GradientTape() as tape:
            probs = self.model(images, training=True)
            loss = self.loss_fn(labels, probs)
            scaled_loss = self.optimizer.scale_loss(loss)
        grads = tape.gradient(scaled_loss, self.model.trainable_variables)
        # LossScaleOptimizer unscales the gradients and skips the step on inf/nan
        self.optimizer.apply(grads, self.model.trainable_variables)
        self.train_loss.update_state(loss)
        self.train_acc.update_state(labels, probs)
        return loss

    def fit(self, dataset, steps):
        for step, (images, labels) in enumerate(dataset.repeat().take(steps)):
            loss = self.train_step(images, labels)
            print(
                f"step {step}: loss={float(loss):.4f} "
                f"loss_scale={float(self.optimizer.dynamic_scale):.0f}"
            )
        return self.train_loss.result(), self.train_acc.result()


def main():
    mixed_precision.set_global_policy(CFG.policy)
    print("global policy:", mixed_precision.global_policy().name)

    train_ds = make_dataset(CFG)

    # --- 1) plain model.fit: Keras wraps the optimizer in a LossScaleOptimizer itself
    model = build_resnet(CFG)
    report_dtypes(model)
    model.compile(
        optimizer=keras.optimizers.Adam(CFG.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,
    )
    print("compiled optimizer:", type(model.optimizer).__name__)
    start = time.time()
    model.fit(train_ds, epochs=1, verbose=2)
    print(f"fit time: {time.time() - start:.1f}s")

    sample = next(iter(train_ds))[0][:4]
    out = model.predict(sample, verbose=0)
    print("prediction dtype:", out.dtype, "shape:", out.shape, "row sums:", np.round(out.sum(axis=1), 3))

    # --- 2) custom training loop on a fresh model
    keras.backend.clear_session()
    model2 = build_resnet(CFG)
    trainer = MixedPrecisionTrainer(model2, CFG)
    mean_loss, acc = trainer.fit(train_ds, CFG.steps_custom_loop)
    print(f"custom loop: mean loss={float(mean_loss):.4f} acc={float(acc):.3f}")

    # float32 variables stay float32 even though activations are float16
    kernel = model2.get_layer("stem_conv").kernel
    print("stem kernel dtype:", kernel.dtype)

    mixed_precision.set_global_policy("float32")


if __name__ == "__main__":
    main()
