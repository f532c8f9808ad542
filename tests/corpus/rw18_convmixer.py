"""
ConvMixer for small-image classification.

Reimplementation of "Patches Are All You Need?" (Trockman & Kolter) in the
style of the keras.io example. The network is a patch embedding (a strided
convolution), followed by a stack of ConvMixer blocks: a depthwise
convolution wrapped in a residual connection, followed by a pointwise
convolution. Everything is trained on random data as a smoke test.
"""

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "image_size": 32,
    "num_classes": 10,
    "filters": 64,
    "depth": 4,
    "kernel_size": 5,
    "patch_size": 2,
    "learning_rate": 1e-3,
    "weight_decay": 1e-4,
    "batch_size": 32,
    "epochs": 1,
    "num_train": 192,
    "num_val": 64,
}

AUTO = tf.data.AUTOTUNE


def make_synthetic_split(n, image_size, num_classes, seed):
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 255, size=(n, image_size, image_size, 3))
    labels = rng.integers(0, num_classes, size=(n,))
    return images.astype("float32"), labels.astype("int32")


data_augmentation = keras.Sequential(
    [layers.RandomCrop(CONFIG["image_size"], CONFIG["image_size"]),
     layers.RandomFlip("horizontal")],
    name="data_augmentation",
)


def make_datasets(images, labels, is_train=False):
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    if is_train:
        dataset = dataset.shuffle(CONFIG["batch_size"] * 4)
    dataset = dataset.batch(CONFIG["batch_size"])
    if is_train:
        dataset = dataset.map(
            lambda x, y: (data_augmentation(x), y), num_parallel_calls=AUTO
        )
    return dataset.prefetch(AUTO)


def activation_block(x):
    x = layers.Activation("gelu")(x)
    return layers.BatchNormalization()(x)


def conv_stem(x, filters: int, patch_size: int):
    x = layers.Conv2D(filters, kernel_size=patch_size, strides=patch_size)(x)
    return activation_block(x)


def conv_mixer_block(x, filters: int, kernel_size: int):
    # Depthwise convolution.
    x0 = x
    x = layers.DepthwiseConv2D(kernel_size=kernel_size, padding="same")(x)
    x = layers.Add()([activation_block(x), x0])  # Residual.

    # Pointwise convolution.
    x = layers.Conv2D(filters, kernel_size=1)(x)
    x = activation_block(x)

    return x


def get_conv_mixer_model(
    image_size=32, filters=256, depth=8, kernel_size=5, patch_size=2, num_classes=10
):
    """ConvMixer-256/8: https://openreview.net/pdf?id=TVHS5Y4dNvM."""
    inputs = keras.Input((image_size, image_size, 3))
    x = layers.Rescaling(scale=1.0 / 255)(inputs)

    # Extract patch embeddings.
    x = conv_stem(x, filters, patch_size)

    # ConvMixer blocks.
    for _ in range(depth):
        x = conv_mixer_block(x, filters, kernel_size)

    # Classification block.
    x = layers.GlobalAvgPool2D()(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)

    return keras.Model(inputs, outputs, name="conv_mixer")


def run_experiment(model, train_ds, val_ds):
    optimizer = keras.optimizers.AdamW(
        learning_rate=CONFIG["learning_rate"], weight_decay=CONFIG["weight_decay"]
    )
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(
        train_ds, validation_data=val_ds, epochs=CONFIG["epochs"], verbose=2
    )
    _, accuracy = model.evaluate(val_ds, verbose=0)
    print(f"Validation accuracy: {round(accuracy * 100, 2)}%")
    return history, model


def visualization_stats(model):
    """Summarise the learned patch-embedding and depthwise kernels."""
    patch_embeddings = model.layers[2].get_weights()[0]
    print("Patch embedding kernel:", patch_embeddings.shape,
          "mean |w| = %.4f" % np.abs(patch_embeddings).mean())

    depthwise_layers = [
        layer for layer in model.layers
        if isinstance(layer, layers.DepthwiseConv2D)
    ]
    for idx, layer in enumerate(depthwise_layers):
        kernel = layer.get_weights()[0]
        print(f"  depthwise[{idx}] kernel {kernel.shape} std={kernel.std():.4f}")


if __name__ == "__main__":
    x_train, y_train = make_synthetic_split(
        CONFIG["num_train"], CONFIG["image_size"], CONFIG["num_classes"], seed=0
    )
    x_val, y_val = make_synthetic_split(
        CONFIG["num_val"], CONFIG["image_size"], CONFIG["num_classes"], seed=1
    )
    train_dataset = make_datasets(x_train, y_train, is_train=True)
    val_dataset = make_datasets(x_val, y_val)

    conv_mixer_model = get_conv_mixer_model(
        image_size=CONFIG["image_size"],
        filters=CONFIG["filters"],
        depth=CONFIG["depth"],
        kernel_size=CONFIG["kernel_size"],
        patch_size=CONFIG["patch_size"],
        num_classes=CONFIG["num_classes"],
    )
    conv_mixer_model.summary()
    history, conv_mixer_model = run_experiment(
        conv_mixer_model, train_dataset, val_dataset
    )
    visualization_stats(conv_mixer_model)

    probs = conv_mixer_model.predict(x_val[:4], verbose=0)
    print("Top-1 predictions:", probs.argmax(axis=-1), "sum:", probs.sum(axis=-1))
