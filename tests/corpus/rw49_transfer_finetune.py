"""Transfer learning + fine-tuning, following the official Keras guide.

Stage 1: freeze a MobileNetV2 backbone and train only a new classification head.
Stage 2: unfreeze the top of the backbone and fine-tune with a much lower LR.

Pretrained weights are not downloaded here (weights=None) so the script runs
offline; swap in weights="imagenet" for real use.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG_SIZE = 64
NUM_CLASSES = 5
BATCH_SIZE = 16
N_TRAIN = 32
N_VAL = 16
BASE_LR = 1e-3
FINE_TUNE_AT = 130  # layers before this index stay frozen during fine-tuning

tf.random.set_seed(42)
np.random.seed(42)


def make_fake_split(n, seed):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, IMG_SIZE, IMG_SIZE, 3)).astype("float32")
    labels = rng.integers(0, NUM_CLASSES, size=(n,))
    return images, labels


def to_dataset(images, labels, training):
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    if training:
        ds = ds.shuffle(len(images), seed=0)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


data_augmentation = keras.Sequential(
    [
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
        layers.RandomZoom(0.1),
    ],
    name="data_augmentation",
)


def build_model():
    base_model = keras.applications.MobileNetV2(
        input_shape=(IMG_SIZE, IMG_SIZE, 3),
        include_top=False,
        weights=None,
        alpha=0.35,
    )
    base_model.trainable = False

    inputs = keras.Input(shape=(IMG_SIZE, IMG_SIZE, 3))
    x = data_augmentation(inputs)
    # MobileNetV2 expects pixels in [-1, 1]
    x = keras.applications.mobilenet_v2.preprocess_input(x)
    # training=False keeps the BatchNorm layers in inference mode, which
    # matters once we unfreeze the base for fine-tuning.
    x = base_model(x, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    model = keras.Model(inputs, outputs, name="mobilenet_transfer")
    return model, base_model


def count_trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def main():
    x_train, y_train = make_fake_split(N_TRAIN, seed=1)
    x_val, y_val = make_fake_split(N_VAL, seed=2)
    train_ds = to_dataset(x_train, y_train, training=True)
    val_ds = to_dataset(x_val, y_val, training=False)

    model, base_model = build_model()
    print("backbone layers:", len(base_model.layers))
    print("trainable params (frozen base):", count_trainable(model))

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=BASE_LR),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
        jit_compile=False,  # XLA compile time dominates on CPU for tiny runs
    )

    loss0, acc0 = model.evaluate(val_ds, verbose=0)
    print(f"initial loss: {loss0:.3f}  initial acc: {acc0:.3f}")

    initial_epochs = 1
    history = model.fit(train_ds, validation_data=val_ds, epochs=initial_epochs, verbose=2)

    # ---- fine-tuning ------------------------------------------------------
    base_model.trainable = True
    for layer in base_model.layers[:FINE_TUNE_AT]:
        layer.trainable = False
    # keep BN frozen, as recommended
    for layer in base_model.layers[FINE_TUNE_AT:]:
        if isinstance(layer, layers.BatchNormalization):
            layer.trainable = False

    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=BASE_LR / 10),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
        jit_compile=False,  # XLA compile time dominates on CPU for tiny runs
    )
    print("trainable params (fine-tune):", count_trainable(model))

    fine_tune_epochs = 1
    total_epochs = initial_epochs + fine_tune_epochs
    history_fine = model.fit(
        train_ds,
        epochs=total_epochs,
        initial_epoch=history.epoch[-1] + 1,
        validation_data=val_ds,
        verbose=2,
    )

    acc = history.history["accuracy"] + history_fine.history["accuracy"]
    val_acc = history.history["val_accuracy"] + history_fine.history["val_accuracy"]
    for epoch, (a, va) in enumerate(zip(acc, val_acc)):
        print(f"epoch {epoch}: acc={a:.3f} val_acc={va:.3f}")

    # predict on a single batch and show the argmax classes
    image_batch, label_batch = next(iter(val_ds))
    probs = model(image_batch, training=False)
    preds = np.argmax(probs.numpy(), axis=-1)
    print("predictions:", preds[:8])
    print("labels:     ", label_batch.numpy()[:8])


if __name__ == "__main__":
    main()
