"""Image segmentation with a small U-Net and a tf.data augmentation pipeline.

Mirrors the TensorFlow image-segmentation tutorial: images and masks are
normalized in a ``load_image`` map function, an ``Augment`` layer applies the
same random flip to inputs and labels, and the model is a U-Net made from a
downsampling encoder (a frozen functional sub-model) and upsample blocks
joined with skip connections. Synthetic shapes stand in for the pets data.
"""
import numpy as np
import tensorflow as tf

IMG_SIZE = 64
OUTPUT_CLASSES = 3
BATCH_SIZE = 8
BUFFER_SIZE = 64
NUM_TRAIN = 32
NUM_TEST = 8
ENCODER_FILTERS = [16, 32, 64, 128]


def synthetic_sample(rng):
    """Return an RGB image (uint8) with a disc and a square, plus a 3-class mask."""
    image = rng.integers(0, 60, size=(IMG_SIZE, IMG_SIZE, 3)).astype("uint8")
    mask = np.zeros((IMG_SIZE, IMG_SIZE, 1), dtype="uint8")
    yy, xx = np.mgrid[0:IMG_SIZE, 0:IMG_SIZE]
    cy, cx, r = rng.integers(16, 48), rng.integers(16, 48), rng.integers(6, 14)
    disc = (yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2
    image[disc] = [200, 80, 80]
    mask[disc] = 1
    sy, sx = rng.integers(0, IMG_SIZE - 12, size=2)
    image[sy:sy + 10, sx:sx + 10] = [60, 200, 90]
    mask[sy:sy + 10, sx:sx + 10] = 2
    return image, mask


def make_split(n, seed):
    rng = np.random.default_rng(seed)
    images, masks = zip(*(synthetic_sample(rng) for _ in range(n)))
    return tf.data.Dataset.from_tensor_slices({"image": np.stack(images),
                                               "segmentation_mask": np.stack(masks)})


def normalize(input_image, input_mask):
    input_image = tf.cast(input_image, tf.float32) / 255.0
    return input_image, input_mask


def load_image(datapoint):
    input_image = tf.image.resize(datapoint["image"], (IMG_SIZE, IMG_SIZE))
    input_mask = tf.image.resize(datapoint["segmentation_mask"], (IMG_SIZE, IMG_SIZE),
                                 method="nearest")
    input_image, input_mask = normalize(input_image, input_mask)
    return input_image, input_mask


class Augment(tf.keras.layers.Layer):
    def __init__(self, seed=42):
        super().__init__()
        # Both use the same seed, so they'll make the same random changes.
        self.augment_inputs = tf.keras.layers.RandomFlip(mode="horizontal", seed=seed)
        self.augment_labels = tf.keras.layers.RandomFlip(mode="horizontal", seed=seed)

    def call(self, inputs, labels):
        inputs = self.augment_inputs(inputs)
        labels = self.augment_labels(labels)
        return inputs, labels


def upsample(filters, size, apply_dropout=False):
    initializer = tf.random_normal_initializer(0.0, 0.02)
    result = tf.keras.Sequential()
    result.add(tf.keras.layers.Conv2DTranspose(filters, size, strides=2, padding="same",
                                               kernel_initializer=initializer, use_bias=False))
    result.add(tf.keras.layers.BatchNormalization())
    if apply_dropout:
        result.add(tf.keras.layers.Dropout(0.5))
    result.add(tf.keras.layers.ReLU())
    return result


def build_encoder():
    """A small convolutional backbone that exposes multi-scale activations."""
    inputs = tf.keras.Input(shape=[IMG_SIZE, IMG_SIZE, 3])
    x = inputs
    skips = []
    for filters in ENCODER_FILTERS:
        x = tf.keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = tf.keras.layers.Conv2D(filters, 3, strides=2, padding="same")(x)
        x = tf.keras.layers.BatchNormalization()(x)
        x = tf.keras.layers.Activation("relu")(x)
        skips.append(x)
    return tf.keras.Model(inputs=inputs, outputs=skips, name="down_stack")


def unet_model(output_channels):
    down_stack = build_encoder()
    down_stack.trainable = False

    up_stack = [upsample(f, 3) for f in reversed(ENCODER_FILTERS[:-1])]

    inputs = tf.keras.layers.Input(shape=[IMG_SIZE, IMG_SIZE, 3])
    skips = down_stack(inputs)
    x = skips[-1]
    skips = reversed(skips[:-1])

    for up, skip in zip(up_stack, skips):
        x = up(x)
        concat = tf.keras.layers.Concatenate()
        x = concat([x, skip])

    # This is the last layer of the model
    last = tf.keras.layers.Conv2DTranspose(filters=output_channels, kernel_size=3,
                                           strides=2, padding="same")
    x = last(x)
    return tf.keras.Model(inputs=inputs, outputs=x)


def create_mask(pred_mask):
    pred_mask = tf.math.argmax(pred_mask, axis=-1)
    pred_mask = pred_mask[..., tf.newaxis]
    return pred_mask


if __name__ == "__main__":
    train_raw = make_split(NUM_TRAIN, seed=0)
    test_raw = make_split(NUM_TEST, seed=1)

    train_images = train_raw.map(load_image, num_parallel_calls=tf.data.AUTOTUNE)
    test_images = test_raw.map(load_image, num_parallel_calls=tf.data.AUTOTUNE)

    train_batches = (
        train_images
        .cache()
        .shuffle(BUFFER_SIZE)
        .batch(BATCH_SIZE)
        .repeat()
        .map(Augment())
        .prefetch(buffer_size=tf.data.AUTOTUNE))
    test_batches = test_images.batch(BATCH_SIZE)

    model = unet_model(output_channels=OUTPUT_CLASSES)
    model.compile(optimizer="adam",
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.summary(line_length=100)

    steps_per_epoch = NUM_TRAIN // BATCH_SIZE
    history = model.fit(train_batches, epochs=1,
                        steps_per_epoch=steps_per_epoch,
                        validation_steps=NUM_TEST // BATCH_SIZE,
                        validation_data=test_batches,
                        verbose=2)
    print("final loss:", history.history["loss"][-1])

    for image, mask in test_batches.take(1):
        pred_mask = model.predict(image, verbose=0)
        predicted = create_mask(pred_mask)
        agreement = tf.reduce_mean(tf.cast(tf.equal(tf.cast(predicted, mask.dtype), mask),
                                           tf.float32))
        print("predicted mask shape:", predicted.shape, "pixel agreement:", float(agreement))
