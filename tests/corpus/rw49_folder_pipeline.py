"""Load images from a folder tree with image_dataset_from_directory.

Writes a tiny synthetic "flowers"-style dataset of PNGs into a temp dir
(one subfolder per class), then builds the usual tf.data input pipeline:
cache -> shuffle -> augment in map() -> prefetch, and trains a small CNN.
"""
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CLASS_NAMES = ["daisy", "roses", "tulips"]
IMAGES_PER_CLASS = 12
RAW_SIZE = 48
IMG_HEIGHT = 32
IMG_WIDTH = 32
BATCH_SIZE = 8
AUTOTUNE = tf.data.AUTOTUNE


def write_synthetic_pngs(root):
    """Each class gets a distinct dominant colour channel plus noise."""
    rng = np.random.default_rng(0)
    for class_idx, name in enumerate(CLASS_NAMES):
        class_dir = os.path.join(root, name)
        os.makedirs(class_dir, exist_ok=True)
        for i in range(IMAGES_PER_CLASS):
            img = rng.integers(0, 80, size=(RAW_SIZE, RAW_SIZE, 3), dtype=np.uint8)
            img[..., class_idx] = np.clip(img[..., class_idx].astype(int) + 150, 0, 255)
            png = tf.io.encode_png(tf.constant(img))
            tf.io.write_file(os.path.join(class_dir, f"{name}_{i:03d}.png"), png)
    return root


def random_brightness_contrast(image, label):
    image = tf.image.random_brightness(image, max_delta=0.1)
    image = tf.image.random_contrast(image, 0.8, 1.2)
    image = tf.image.random_flip_left_right(image)
    image = tf.clip_by_value(image, 0.0, 1.0)
    return image, label


def build_cnn(num_classes):
    model = keras.Sequential(
        [
            keras.Input(shape=(IMG_HEIGHT, IMG_WIDTH, 3)),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Dropout(0.2),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(num_classes),
        ]
    )
    return model


def main():
    data_dir = tempfile.mkdtemp(prefix="flowers_")
    try:
        write_synthetic_pngs(data_dir)
        n_files = sum(len(files) for _, _, files in os.walk(data_dir))
        print("wrote", n_files, "images to", data_dir)

        train_ds = keras.utils.image_dataset_from_directory(
            data_dir,
            validation_split=0.25,
            subset="training",
            seed=123,
            image_size=(IMG_HEIGHT, IMG_WIDTH),
            batch_size=BATCH_SIZE,
        )
        val_ds = keras.utils.image_dataset_from_directory(
            data_dir,
            validation_split=0.25,
            subset="validation",
            seed=123,
            image_size=(IMG_HEIGHT, IMG_WIDTH),
            batch_size=BATCH_SIZE,
        )
        class_names = train_ds.class_names
        print("classes:", class_names)

        for image_batch, labels_batch in train_ds.take(1):
            print("image batch:", image_batch.shape, "labels:", labels_batch.shape)

        normalization_layer = layers.Rescaling(1.0 / 255)
        train_ds = train_ds.map(lambda x, y: (normalization_layer(x), y), num_parallel_calls=AUTOTUNE)
        val_ds = val_ds.map(lambda x, y: (normalization_layer(x), y), num_parallel_calls=AUTOTUNE)

        first_image = next(iter(train_ds))[0][0]
        print("pixel range after rescale:", float(np.min(first_image)), float(np.max(first_image)))

        train_ds = (
            train_ds.cache()
            .shuffle(100)
            .map(random_brightness_contrast, num_parallel_calls=AUTOTUNE)
            .prefetch(buffer_size=AUTOTUNE)
        )
        val_ds = val_ds.cache().prefetch(buffer_size=AUTOTUNE)

        model = build_cnn(len(class_names))
        model.compile(
            optimizer="adam",
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        model.summary()
        model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

        # classify one "new" image read straight from disk
        sample_path = os.path.join(data_dir, "roses", "roses_000.png")
        raw = tf.io.read_file(sample_path)
        img = tf.io.decode_png(raw, channels=3)
        img = tf.image.resize(img, (IMG_HEIGHT, IMG_WIDTH))
        img_array = tf.expand_dims(img / 255.0, 0)  # create a batch

        predictions = model.predict(img_array, verbose=0)
        score = tf.nn.softmax(predictions[0])
        print(
            "This image most likely belongs to {} with a {:.2f} percent confidence.".format(
                class_names[int(np.argmax(score))], 100 * float(np.max(score))
            )
        )
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
