"""Image segmentation with a U-Net-like architecture (Oxford-IIIT Pets style).

Follows the keras.io "oxford_pets_image_segmentation" example: an
Xception-style downsampling path followed by an upsampling path with
Conv2DTranspose + UpSampling2D residuals. Instead of reading the JPEG/PNG
files from disk we generate toy images with elliptical "pets" and trimap masks
(1 = pet, 2 = background, 3 = border), then shift them to 0..2 like the original.
"""
import random

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

img_size = (64, 64)
num_classes = 3
batch_size = 8
num_images = 32
val_samples = 8


def draw_fake_pet(rng, size):
    """Return an RGB uint8 image and a trimap mask with values in {1, 2, 3}."""
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    cy, cx = rng.uniform(0.3, 0.7) * h, rng.uniform(0.3, 0.7) * w
    ry, rx = rng.uniform(0.15, 0.35) * h, rng.uniform(0.15, 0.35) * w
    dist = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2

    trimap = np.full((h, w), 2, dtype=np.uint8)  # background
    trimap[dist <= 1.15] = 3  # border / not classified
    trimap[dist <= 0.85] = 1  # pet

    image = rng.integers(0, 80, size=(h, w, 3)).astype(np.uint8)
    color = rng.integers(120, 255, size=(3,))
    image[dist <= 1.0] = color
    return image, trimap[..., None]


def make_fake_pets(n, size, seed=1337):
    rng = np.random.default_rng(seed)
    pairs = [draw_fake_pet(rng, size) for _ in range(n)]
    images = np.stack([p[0] for p in pairs])
    masks = np.stack([p[1] for p in pairs])
    return images, masks


def get_dataset(batch_size, img_size, images, masks, shuffle=True):
    """Returns a TF Dataset, mirroring the file-path based loader of the original."""

    def load_img_masks(input_img, target_img):
        input_img = tf.image.resize(input_img, img_size)
        input_img = tf.image.convert_image_dtype(input_img, "float32")

        target_img = tf.image.resize(target_img, img_size, method="nearest")
        target_img = tf.image.convert_image_dtype(target_img, "uint8")

        # Ground truth labels are 1, 2, 3. Subtract one to make them 0, 1, 2:
        target_img -= 1
        return input_img, target_img

    dataset = tf.data.Dataset.from_tensor_slices((images, masks))
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=1337)
    dataset = dataset.map(load_img_masks, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size)


def get_model(img_size, num_classes):
    inputs = keras.Input(shape=img_size + (3,))

    ### [First half of the network: downsampling inputs] ###

    # Entry block
    x = layers.Conv2D(8, 3, strides=2, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    previous_block_activation = x  # Set aside residual

    # Blocks 1, 2, 3 are identical apart from the feature depth.
    for filters in [16, 32, 64]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        # Project residual
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(
            previous_block_activation
        )
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    ### [Second half of the network: upsampling inputs] ###

    for filters in [64, 32, 16, 8]:
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.UpSampling2D(2)(x)

        # Project residual
        residual = layers.UpSampling2D(2)(previous_block_activation)
        residual = layers.Conv2D(filters, 1, padding="same")(residual)
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    # Add a per-pixel classification layer
    outputs = layers.Conv2D(num_classes, 3, activation="softmax", padding="same")(x)

    # Define the model
    model = keras.Model(inputs, outputs)
    return model


def display_mask(pred):
    """Quick ASCII rendering of a predicted mask (instead of PIL ImageOps)."""
    mask = np.argmax(pred, axis=-1)
    chars = np.array(list("#.+"))
    step = max(1, mask.shape[0] // 16)
    for row in mask[::step, ::step]:
        print("".join(chars[row]))


if __name__ == "__main__":
    keras.utils.set_random_seed(1337)
    random.seed(1337)

    images, masks = make_fake_pets(num_images, (80, 80))
    print("raw images:", images.shape, "raw masks:", masks.shape, np.unique(masks))

    # Split our img paths into a training and a validation set
    idx = list(range(num_images))
    random.Random(1337).shuffle(idx)
    train_idx, val_idx = idx[:-val_samples], idx[-val_samples:]

    train_dataset = get_dataset(batch_size, img_size, images[train_idx], masks[train_idx])
    valid_dataset = get_dataset(
        batch_size, img_size, images[val_idx], masks[val_idx], shuffle=False
    )

    model = get_model(img_size, num_classes)
    print("model output:", model.output_shape)

    # We use the "sparse" version of categorical_crossentropy
    # because our target data is integers.
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy"
    )

    callbacks = [keras.callbacks.TerminateOnNaN()]
    model.fit(
        train_dataset,
        epochs=1,
        validation_data=valid_dataset,
        callbacks=callbacks,
        verbose=2,
    )

    val_preds = model.predict(valid_dataset, verbose=0)
    print("predictions:", val_preds.shape)
    display_mask(val_preds[0])
