"""Image classification from scratch (Cats vs Dogs style).

Adapted from the keras.io example: small Xception-like network with separable
convs and residual connections, trained on synthetic JPEG-like images so it
runs offline. Swap `make_synthetic_dataset` for
`keras.utils.image_dataset_from_directory("PetImages", ...)` on real data.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

IMAGE_SIZE = (64, 64)
BATCH_SIZE = 16
NUM_SAMPLES = 64
NUM_CLASSES = 2
EPOCHS = 1
SEED = 1337

keras.utils.set_random_seed(SEED)


def make_synthetic_dataset(num_samples, image_size, num_classes):
    """Fake 'cats vs dogs': class 1 images are brighter in the red channel."""
    h, w = image_size
    rng = np.random.default_rng(SEED)
    images = rng.integers(0, 256, size=(num_samples, h + 16, w + 16, 3)).astype("uint8")
    labels = rng.integers(0, num_classes, size=(num_samples,)).astype("int32")
    images[labels == 1, ..., 0] = np.clip(images[labels == 1, ..., 0] + 60, 0, 255)
    return images, labels


def build_datasets(images, labels, validation_split=0.2):
    n_val = int(len(images) * validation_split)
    ds = tf.data.Dataset.from_tensor_slices((images, labels))

    def _resize(img, label):
        # image_dataset_from_directory gives float32 images at the target size
        img = tf.image.resize(tf.cast(img, tf.float32), IMAGE_SIZE)
        return img, label

    ds = ds.map(_resize, num_parallel_calls=tf.data.AUTOTUNE)
    val_ds = ds.take(n_val).batch(BATCH_SIZE)
    train_ds = ds.skip(n_val).shuffle(256, seed=SEED).batch(BATCH_SIZE)
    return train_ds, val_ds


data_augmentation_layers = [
    layers.RandomFlip("horizontal"),
    layers.RandomRotation(0.1),
]


def data_augmentation(images):
    for layer in data_augmentation_layers:
        images = layer(images)
    return images


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)

    # Entry block
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(32, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    previous_block_activation = x  # Set aside residual

    for size in [32, 64, 128]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        # Project residual
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(
            previous_block_activation
        )
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    x = layers.SeparableConv2D(192, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    x = layers.GlobalAveragePooling2D()(x)
    if num_classes == 2:
        units = 1
    else:
        units = num_classes

    x = layers.Dropout(0.25)(x)
    # We specify activation=None so as to return logits
    outputs = layers.Dense(units, activation=None)(x)
    return keras.Model(inputs, outputs)


def main():
    images, labels = make_synthetic_dataset(NUM_SAMPLES, IMAGE_SIZE, NUM_CLASSES)
    train_ds, val_ds = build_datasets(images, labels)

    # Apply augmentation in the input pipeline so it runs async on CPU
    train_ds = train_ds.map(
        lambda img, label: (data_augmentation(img), label),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    train_ds = train_ds.prefetch(tf.data.AUTOTUNE)
    val_ds = val_ds.prefetch(tf.data.AUTOTUNE)

    for images_batch, labels_batch in train_ds.take(1):
        print("batch:", images_batch.shape, labels_batch.shape)

    model = make_model(input_shape=IMAGE_SIZE + (3,), num_classes=NUM_CLASSES)
    model.summary(line_length=100)

    model.compile(
        optimizer=keras.optimizers.Adam(3e-4),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(name="acc")],
    )
    model.fit(train_ds, epochs=EPOCHS, validation_data=val_ds, verbose=2)

    # Run inference on a single "new" image
    img = keras.utils.img_to_array(images[0]).astype("float32")
    img = tf.image.resize(img, IMAGE_SIZE)
    img_array = keras.ops.expand_dims(img, 0)  # Create batch axis
    predictions = model.predict(img_array, verbose=0)
    score = float(keras.ops.sigmoid(predictions[0][0]))
    print(f"This image is {100 * (1 - score):.2f}% cat and {100 * score:.2f}% dog.")


if __name__ == "__main__":
    main()
