"""CIFAR-10 style CNN with Keras preprocessing/augmentation layers.

Based on the "Data augmentation" and "CNN" tutorials on tensorflow.org:
augmentation lives inside the model (RandomFlip/RandomRotation/RandomZoom),
Rescaling as the first layer, Conv-BN-ReLU blocks, GlobalAveragePooling.
Synthetic 32x32x3 uint8 images stand in for keras.datasets.cifar10.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

CONFIG = {
    "img_size": 32,
    "channels": 3,
    "num_classes": 10,
    "batch_size": 32,
    "epochs": 1,
    "filters": [32, 64, 128],
    "learning_rate": 1e-3,
    "n_train": 512,
    "n_val": 128,
}

CIFAR10_LABELS = ["airplane", "automobile", "bird", "cat", "deer",
                  "dog", "frog", "horse", "ship", "truck"]


def fake_cifar10(n, cfg):
    x = np.random.randint(0, 256, size=(n, cfg["img_size"], cfg["img_size"], cfg["channels"]), dtype=np.uint8)
    # cifar10.load_data() returns labels with shape (N, 1)
    y = np.random.randint(0, cfg["num_classes"], size=(n, 1), dtype=np.int64)
    return x, y


def make_augmentation():
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(0.1),
            layers.RandomZoom(0.1),
            layers.RandomTranslation(0.1, 0.1),
        ],
        name="data_augmentation",
    )


def conv_block(x, filters, name):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    x = layers.BatchNormalization(name=f"{name}_bn1")(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(x)
    x = layers.BatchNormalization(name=f"{name}_bn2")(x)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D(name=f"{name}_pool")(x)
    return layers.Dropout(0.25)(x)


def build_model(cfg):
    inputs = keras.Input(shape=(cfg["img_size"], cfg["img_size"], cfg["channels"]))
    x = make_augmentation()(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    for i, f in enumerate(cfg["filters"]):
        x = conv_block(x, f, name=f"block{i + 1}")
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    # logits, loss uses from_logits=True
    outputs = layers.Dense(cfg["num_classes"])(x)
    return keras.Model(inputs, outputs, name="cifar_cnn")


def main(cfg=CONFIG):
    x_train, y_train = fake_cifar10(cfg["n_train"], cfg)
    x_val, y_val = fake_cifar10(cfg["n_val"], cfg)
    print("train:", x_train.shape, y_train.shape, "val:", x_val.shape, y_val.shape)

    # Visualise what augmentation does to one image (just shapes here)
    aug = make_augmentation()
    sample = tf.cast(tf.expand_dims(x_train[0], 0), tf.float32)
    augmented = [aug(sample, training=True) for _ in range(4)]
    stacked = tf.concat(augmented, axis=0)
    print("augmented batch:", stacked.shape)

    model = build_model(cfg)
    model.summary()

    model.compile(
        optimizer=keras.optimizers.Adam(cfg["learning_rate"]),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )

    train_ds = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train))
        .shuffle(1000)
        .batch(cfg["batch_size"])
        .prefetch(tf.data.AUTOTUNE)
    )
    val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(cfg["batch_size"])

    history = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=cfg["epochs"],
        callbacks=[keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2)],
        verbose=2,
    )
    acc = history.history["accuracy"]
    val_acc = history.history["val_accuracy"]
    print("acc:", acc, "val_acc:", val_acc)

    loss, accuracy = model.evaluate(val_ds, verbose=0)
    print(f"val loss={loss:.3f} acc={accuracy:.3f}")

    logits = model.predict(x_val[:8], verbose=0)
    probs = tf.nn.softmax(logits).numpy()
    top = np.argmax(probs, axis=1)
    for i in range(len(top)):
        print(f"{i}: {CIFAR10_LABELS[top[i]]:<10} p={probs[i, top[i]]:.2f}  true={CIFAR10_LABELS[y_val[i, 0]]}")


if __name__ == "__main__":
    main()
