"""Transfer learning & fine-tuning, following the Keras guide's workflow.

1. get a base model: here a small conv backbone "pretrained" on a synthetic
   10-class source task and reloaded from a .weights.h5 file (in a real
   project this would be keras.applications.Xception(weights="imagenet"))
2. freeze it, put a new head on top, train the head
3. unfreeze and fine-tune end-to-end with a very low learning rate,
   keeping BatchNorm layers in inference mode (training=False)

Also shows the trainable / non_trainable weight bookkeeping from the guide
and a low-level GradientTape variant of the frozen-base training loop.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

import os
import tempfile

CONFIG = {
    "image_size": (48, 48),
    "num_classes": 2,
    "batch_size": 16,
    "num_train": 64,
    "num_val": 16,
    "head_lr": 1e-3,
    "finetune_lr": 1e-5,
    "source_classes": 10,
    "widths": (16, 32, 64),
}


def conv_backbone(cfg, name="backbone"):
    """Small BN-heavy conv stack standing in for an ImageNet backbone."""
    h, w = cfg["image_size"]
    inputs = keras.Input(shape=(h, w, 3))
    x = inputs
    for i, width in enumerate(cfg["widths"]):
        x = layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"block{i}_conv")(x)
        x = layers.BatchNormalization(name=f"block{i}_bn")(x)
        x = layers.Activation("relu", name=f"block{i}_relu")(x)
        x = layers.MaxPooling2D(2, name=f"block{i}_pool")(x)
    return keras.Model(inputs, x, name=name)


def pretrain_backbone(cfg, weights_path):
    """Train the backbone on a 'source' task, then save only the backbone weights."""
    h, w = cfg["image_size"]
    backbone = conv_backbone(cfg)
    source_model = keras.Sequential(
        [
            backbone,
            layers.GlobalAveragePooling2D(),
            layers.Dense(cfg["source_classes"], activation="softmax"),
        ]
    )
    source_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.random.uniform(-1, 1, size=(64, h, w, 3)).astype("float32")
    y = np.random.randint(0, cfg["source_classes"], size=(64,))
    source_model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    backbone.save_weights(weights_path)
    print("saved pretrained backbone to", os.path.basename(weights_path))


def trainable_bookkeeping_demo():
    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    print("dense weights:", len(layer.weights), "trainable:", len(layer.trainable_weights))

    bn = keras.layers.BatchNormalization()
    bn.build((None, 4))
    print("bn trainable:", len(bn.trainable_weights), "non_trainable:", len(bn.non_trainable_weights))

    layer.trainable = False
    print("frozen dense non_trainable:", len(layer.non_trainable_weights))

    # trainable is recursive: freezing the outer model freezes its inner layers too
    inner_model = keras.Sequential(
        [keras.Input(shape=(3,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(3, activation="relu")]
    )
    model = keras.Sequential([keras.Input(shape=(3,)), inner_model, keras.layers.Dense(3, activation="sigmoid")])
    model.trainable = False
    assert inner_model.trainable is False
    assert inner_model.layers[0].trainable is False


def make_datasets(cfg):
    h, w = cfg["image_size"]

    def synth(n, seed):
        rng = np.random.default_rng(seed)
        images = rng.integers(0, 256, size=(n, h + 16, w + 16, 3)).astype("float32")
        labels = rng.integers(0, cfg["num_classes"], size=(n,))
        return images, labels

    x_train, y_train = synth(cfg["num_train"], 0)
    x_val, y_val = synth(cfg["num_val"], 1)

    # raw images are bigger than the model input: resize in the input pipeline
    resize_fn = keras.layers.Resizing(h, w)

    train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val))
    train_ds = train_ds.map(lambda x, y: (resize_fn(x), y))
    val_ds = val_ds.map(lambda x, y: (resize_fn(x), y))

    bs = cfg["batch_size"]
    train_ds = train_ds.batch(bs).prefetch(tf.data.AUTOTUNE).cache()
    val_ds = val_ds.batch(bs).prefetch(tf.data.AUTOTUNE).cache()
    return train_ds, val_ds


def build_model(cfg):
    h, w = cfg["image_size"]
    augmentation_layers = [
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
    ]

    def data_augmentation(x):
        for layer in augmentation_layers:
            x = layer(x)
        return x

    base_model = conv_backbone(cfg)
    base_model.load_weights(cfg["backbone_weights"])
    # Freeze the base_model
    base_model.trainable = False

    inputs = keras.Input(shape=(h, w, 3))
    x = data_augmentation(inputs)
    # the backbone was pretrained on inputs in [-1, 1]
    scale_layer = keras.layers.Rescaling(scale=1 / 127.5, offset=-1)
    x = scale_layer(x)

    # The base model contains batchnorm layers. We want to keep them in inference mode
    # when we unfreeze the base model for fine-tuning, so we make sure that the
    # base_model is running in inference mode here.
    x = base_model(x, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.2)(x)  # Regularize with dropout
    outputs = keras.layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)
    return model, base_model


def low_level_head_training(base_model, train_ds, steps=2):
    """Same frozen-base idea but with a hand-written loop."""
    head = keras.Sequential([keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1)])
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
    optimizer = keras.optimizers.Adam(CONFIG["head_lr"])
    rescale = keras.layers.Rescaling(scale=1 / 127.5, offset=-1)

    @tf.function
    def train_step(images, labels):
        features = base_model(rescale(images), training=False)
        with tf.GradientTape() as tape:
            logits = head(features, training=True)
            loss_value = loss_fn(tf.cast(labels[:, None], tf.float32), logits)
        gradients = tape.gradient(loss_value, head.trainable_weights)
        optimizer.apply_gradients(zip(gradients, head.trainable_weights))
        return loss_value

    for step, (images, labels) in enumerate(train_ds.take(steps)):
        loss_value = train_step(images, labels)
        print(f"low-level step {step}: loss={float(loss_value):.4f}")


def main(cfg=CONFIG):
    trainable_bookkeeping_demo()
    workdir = tempfile.mkdtemp(prefix="tl_")
    cfg = dict(cfg, backbone_weights=os.path.join(workdir, "backbone.weights.h5"))
    pretrain_backbone(cfg, cfg["backbone_weights"])
    train_ds, val_ds = make_datasets(cfg)
    model, base_model = build_model(cfg)
    print("trainable weights with frozen base:", len(model.trainable_weights))

    model.compile(
        optimizer=keras.optimizers.Adam(cfg["head_lr"]),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy()],
    )
    print("Fitting the top layer of the model")
    model.fit(train_ds, epochs=1, validation_data=val_ds, verbose=2)

    # Unfreeze the base model. Note that it keeps running in inference mode
    # since we passed `training=False` when calling it.
    base_model.trainable = True
    print("trainable weights after unfreezing:", len(model.trainable_weights))

    # recompile after changing `trainable` so the change is taken into account
    model.compile(
        optimizer=keras.optimizers.Adam(cfg["finetune_lr"]),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy()],
    )
    print("Fitting the end-to-end model")
    model.fit(train_ds, epochs=1, validation_data=val_ds, verbose=2)

    base_model.trainable = False
    low_level_head_training(base_model, train_ds)


if __name__ == "__main__":
    main()
