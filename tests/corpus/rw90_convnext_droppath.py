"""Tiny ConvNeXt-style classifier with StochasticDepth and LayerScale.

Both regularizers are custom Keras 3 layers using keras.ops / keras.random
(no tf.* calls), so the model can be moved to JAX or torch unchanged. The
input pipeline is tf.data with Keras preprocessing layers inside `.map`, which
is the supported way to use them with any backend.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CONFIG = {
    "image_size": 24,
    "num_classes": 5,
    "depths": (1, 1, 2),
    "dims": (16, 32, 48),
    "drop_path_rate": 0.1,
    "layer_scale_init": 1e-6,
    "batch_size": 32,
    "epochs": 1,
    "lr": 2e-3,
    "weight_decay": 0.05,
    "n_train": 160,
}


class StochasticDepth(layers.Layer):
    """Drops the whole residual branch per-sample with probability `rate`."""

    def __init__(self, rate=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = float(rate)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=None):
        if not training or self.rate == 0.0:  # python-level flags, not tensors
            return x
        keep = 1.0 - self.rate
        batch = ops.shape(x)[0]
        # shape (B, 1, 1, 1) so it broadcasts over H, W, C
        mask_shape = (batch,) + (1,) * (len(x.shape) - 1)
        rnd = keras.random.uniform(mask_shape, seed=self.seed_generator, dtype=x.dtype)
        mask = ops.floor(keep + rnd)
        return x / keep * mask

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


class LayerScale(layers.Layer):
    def __init__(self, init_value=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.init_value = init_value

    def build(self, input_shape):
        self.gamma = self.add_weight(
            shape=(input_shape[-1],),
            initializer=keras.initializers.Constant(self.init_value),
            name="gamma",
        )

    def call(self, x):
        return x * self.gamma

    def get_config(self):
        return {**super().get_config(), "init_value": self.init_value}


def convnext_block(x, dim, drop_path, ls_init, name):
    shortcut = x
    x = layers.DepthwiseConv2D(7, padding="same", name=f"{name}_dw")(x)
    x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_ln")(x)
    x = layers.Dense(4 * dim, name=f"{name}_pw1")(x)
    x = layers.Activation("gelu", name=f"{name}_gelu")(x)
    x = layers.Dense(dim, name=f"{name}_pw2")(x)
    x = LayerScale(ls_init, name=f"{name}_ls")(x)
    x = StochasticDepth(drop_path, name=f"{name}_sd")(x)
    return layers.Add(name=f"{name}_add")([shortcut, x])


def build_convnext(cfg):
    inputs = keras.Input((cfg["image_size"], cfg["image_size"], 3))
    x = layers.Rescaling(1.0 / 255)(inputs)
    # stem: patchify 2x2
    x = layers.Conv2D(cfg["dims"][0], 2, strides=2, name="stem_conv")(x)
    x = layers.LayerNormalization(epsilon=1e-6, name="stem_ln")(x)

    total = sum(cfg["depths"])
    dp_rates = np.linspace(0.0, cfg["drop_path_rate"], total).tolist()
    cur = 0
    for stage, (depth, dim) in enumerate(zip(cfg["depths"], cfg["dims"])):
        if stage > 0:
            x = layers.LayerNormalization(epsilon=1e-6, name=f"down{stage}_ln")(x)
            x = layers.Conv2D(dim, 2, strides=2, name=f"down{stage}_conv")(x)
        for j in range(depth):
            x = convnext_block(x, dim, dp_rates[cur], cfg["layer_scale_init"],
                               name=f"s{stage}b{j}")
            cur += 1

    x = layers.GlobalAveragePooling2D()(x)
    x = layers.LayerNormalization(epsilon=1e-6, name="head_ln")(x)
    outputs = layers.Dense(cfg["num_classes"], name="logits")(x)
    return keras.Model(inputs, outputs, name="convnext_nano")


def make_datasets(cfg):
    rng = np.random.default_rng(0)
    n, s = cfg["n_train"], cfg["image_size"]
    labels = rng.integers(0, cfg["num_classes"], size=n)
    # class-dependent colour tint so the task is learnable
    tints = rng.uniform(0, 255, size=(cfg["num_classes"], 3))
    images = rng.uniform(0, 80, size=(n, s, s, 3)) + tints[labels][:, None, None, :] * 0.6
    images = np.clip(images, 0, 255).astype("float32")

    augment = keras.Sequential([
        layers.RandomFlip("horizontal"),
        layers.RandomTranslation(0.1, 0.1),
    ], name="augment")

    split = int(0.8 * n)
    train = (tf.data.Dataset.from_tensor_slices((images[:split], labels[:split]))
             .shuffle(split, seed=0)
             .batch(cfg["batch_size"])
             .map(lambda x, y: (augment(x, training=True),
                                tf.one_hot(y, cfg["num_classes"])),
                  num_parallel_calls=tf.data.AUTOTUNE)
             .prefetch(tf.data.AUTOTUNE))
    val = (tf.data.Dataset.from_tensor_slices((images[split:], labels[split:]))
           .batch(cfg["batch_size"])
           .map(lambda x, y: (x, tf.one_hot(y, cfg["num_classes"])))
           .prefetch(tf.data.AUTOTUNE))
    return train, val, split


def main(cfg=CONFIG):
    keras.utils.set_random_seed(0)
    model = build_convnext(cfg)
    model.summary(line_length=100, expand_nested=False)

    train_ds, val_ds, n_train = make_datasets(cfg)
    steps = cfg["epochs"] * int(np.ceil(n_train / cfg["batch_size"]))
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0, decay_steps=steps, warmup_target=cfg["lr"],
        warmup_steps=max(1, steps // 5))
    optimizer = keras.optimizers.AdamW(schedule, weight_decay=cfg["weight_decay"])
    # don't decay norms, biases or layer-scale gammas
    optimizer.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])

    model.compile(
        optimizer=optimizer,
        # label smoothing needs dense one-hot targets (hence tf.one_hot in the pipeline)
        loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        metrics=["categorical_accuracy",
                 keras.metrics.TopKCategoricalAccuracy(k=2, name="top2")],
    )
    model.fit(train_ds, validation_data=val_ds, epochs=cfg["epochs"], verbose=2)

    # sanity check: stochastic depth is the identity at inference
    sd = model.get_layer("s2b1_sd")
    probe = ops.ones((4, 3, 3, cfg["dims"][-1]))
    print("drop-path rate of last block:", round(sd.rate, 3))
    print("inference identity:", bool(ops.all(sd(probe, training=False) == probe)))
    trained = sd(probe, training=True)
    kept = ops.convert_to_numpy(ops.any(trained != 0, axis=(1, 2, 3)))
    print("kept samples in training mode:", kept.tolist())


if __name__ == "__main__":
    main()
