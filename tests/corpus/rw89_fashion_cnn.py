"""Assignment 2 - Fashion-MNIST CNN classifier (functional API + tf.data).

Student solution. Pipeline: normalize -> random flip/shift augmentation in
Dataset.map -> 2 conv blocks w/ batchnorm -> dense head. Data is simulated
with random arrays because the lab machines are offline.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "img_size": 28,
    "n_classes": 10,
    "batch_size": 32,
    "epochs": 1,
    "filters": (32, 64),
    "dense_units": 128,
    "dropout": 0.3,
    "lr": 0.001,
    "augment": True,
    "n_train": 1024,
    "n_val": 256,
}

CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
               'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']


def fake_fashion_mnist(n, size, n_classes, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randint(0, 256, size=(n, size, size)).astype(np.uint8)
    y = rng.randint(0, n_classes, size=(n,)).astype(np.int64)
    return x, y


def normalize(image, label):
    image = tf.cast(image, tf.float32) / 255.
    image = tf.expand_dims(image, -1)  # (28, 28) -> (28, 28, 1)
    return image, label


def augment(image, label):
    image = tf.image.random_flip_left_right(image)
    # pad + random crop == random translation by up to 2px
    image = tf.image.resize_with_crop_or_pad(image, CONFIG["img_size"] + 4, CONFIG["img_size"] + 4)
    image = tf.image.random_crop(image, size=[CONFIG["img_size"], CONFIG["img_size"], 1])
    return image, label


def make_dataset(x, y, training):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    ds = ds.map(normalize, num_parallel_calls=tf.data.AUTOTUNE)
    if training:
        ds = ds.shuffle(1000)
        if CONFIG["augment"]:
            ds = ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(CONFIG["batch_size"]).prefetch(tf.data.AUTOTUNE)
    return ds


def conv_block(x, filters, name):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=name + "_conv1")(x)
    x = layers.BatchNormalization(name=name + "_bn1")(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=name + "_conv2")(x)
    x = layers.BatchNormalization(name=name + "_bn2")(x)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D(2, name=name + "_pool")(x)
    return x


def build_model(cfg):
    inputs = keras.Input(shape=(cfg["img_size"], cfg["img_size"], 1), name="image")
    x = inputs
    for i, f in enumerate(cfg["filters"]):
        x = conv_block(x, f, name=f"block{i+1}")
    # after 2 pools: 28 -> 14 -> 7
    x = layers.Flatten()(x)
    x = layers.Dense(cfg["dense_units"], activation="relu")(x)
    x = layers.Dropout(cfg["dropout"])(x)
    outputs = layers.Dense(cfg["n_classes"], name="logits")(x)
    return keras.Model(inputs, outputs, name="fashion_cnn")


if __name__ == "__main__":
    x_train, y_train = fake_fashion_mnist(CONFIG["n_train"], CONFIG["img_size"], CONFIG["n_classes"], seed=1)
    x_val, y_val = fake_fashion_mnist(CONFIG["n_val"], CONFIG["img_size"], CONFIG["n_classes"], seed=2)

    train_ds = make_dataset(x_train, y_train, training=True)
    val_ds = make_dataset(x_val, y_val, training=False)

    for imgs, lbls in train_ds.take(1):
        print("batch:", imgs.shape, imgs.dtype, lbls.shape)

    model = build_model(CONFIG)
    model.summary()
    model.compile(
        optimizer=keras.optimizers.Adam(CONFIG["lr"]),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )

    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2),
    ]
    hist = model.fit(train_ds, validation_data=val_ds, epochs=CONFIG["epochs"], callbacks=callbacks, verbose=2)

    # show a few predictions with human-readable labels
    sample_imgs, sample_lbls = next(iter(val_ds))
    logits = model(sample_imgs[:5], training=False)
    probs = tf.nn.softmax(logits, axis=-1).numpy()
    for p, t in zip(probs, sample_lbls.numpy()[:5]):
        k = int(np.argmax(p))
        print(f"pred={CLASS_NAMES[k]:<12s} ({p[k]:.2f})  true={CLASS_NAMES[t]}")
