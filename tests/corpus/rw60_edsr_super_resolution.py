"""Enhanced Deep Residual Networks for single-image super-resolution (EDSR, x4).

Follows keras.io's EDSR example: DIV2K-style (lr, hr) pairs, random crops that
keep the LR/HR patches aligned, flip/rot90 augmentation with tf.cond, a
subclassed keras.Model with a custom train_step, and a PSNR metric. Here the
HR images are synthetic and the LR versions are made with bicubic downscaling.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

AUTOTUNE = tf.data.AUTOTUNE
SCALE = 4
HR_CROP = 48
NUM_HR_IMAGES = 16
HR_SIDE = 96
BATCH = 4
STEPS_PER_EPOCH = 4


def fake_div2k(n, side, seed=3):
    """Random blobs blurred together, values in [0, 255] like decoded PNGs."""
    g = tf.random.Generator.from_seed(seed)
    noise = g.uniform((n, side // 8, side // 8, 3), 0, 255)
    hr = tf.image.resize(noise, (side, side), method="bicubic")
    hr = tf.clip_by_value(hr, 0.0, 255.0)
    lr = tf.image.resize(hr, (side // SCALE, side // SCALE), method="bicubic")
    lr = tf.clip_by_value(lr, 0.0, 255.0)
    return tf.cast(tf.round(lr), tf.uint8), tf.cast(tf.round(hr), tf.uint8)


def flip_left_right(lowres_img, highres_img):
    """Flips Images to left and right."""
    # Outputs random values from a uniform distribution in between 0 to 1
    rn = tf.random.uniform(shape=(), maxval=1)
    # If rn is less than 0.5 it returns original lowres_img and highres_img
    # If rn is greater than 0.5 it returns flipped image
    return tf.cond(
        rn < 0.5,
        lambda: (lowres_img, highres_img),
        lambda: (
            tf.image.flip_left_right(lowres_img),
            tf.image.flip_left_right(highres_img),
        ),
    )


def random_rotate(lowres_img, highres_img):
    """Rotates Images by 90 degrees."""
    # Outputs random values from uniform distribution in between 0 to 4
    rn = tf.random.uniform(shape=(), maxval=4, dtype=tf.int32)
    # Here rn signifies number of times the image(s) are rotated by 90 degrees
    return tf.image.rot90(lowres_img, rn), tf.image.rot90(highres_img, rn)


def random_crop(lowres_img, highres_img, hr_crop_size=HR_CROP, scale=SCALE):
    """Crop images: low resolution images: 12x12, high resolution images: 48x48."""
    lowres_crop_size = hr_crop_size // scale  # 48 // 4 = 12
    lowres_img_shape = tf.shape(lowres_img)[:2]  # (height, width)

    lowres_width = tf.random.uniform(
        shape=(), maxval=lowres_img_shape[1] - lowres_crop_size + 1, dtype=tf.int32
    )
    lowres_height = tf.random.uniform(
        shape=(), maxval=lowres_img_shape[0] - lowres_crop_size + 1, dtype=tf.int32
    )

    highres_width = lowres_width * scale
    highres_height = lowres_height * scale

    lowres_img_cropped = lowres_img[
        lowres_height : lowres_height + lowres_crop_size,
        lowres_width : lowres_width + lowres_crop_size,
    ]  # 12x12
    highres_img_cropped = highres_img[
        highres_height : highres_height + hr_crop_size,
        highres_width : highres_width + hr_crop_size,
    ]  # 48x48

    return lowres_img_cropped, highres_img_cropped


def dataset_object(dataset_cache, training=True):
    ds = dataset_cache
    ds = ds.map(
        lambda lowres, highres: random_crop(lowres, highres, scale=SCALE),
        num_parallel_calls=AUTOTUNE,
    )

    if training:
        ds = ds.map(random_rotate, num_parallel_calls=AUTOTUNE)
        ds = ds.map(flip_left_right, num_parallel_calls=AUTOTUNE)
    # Batching Data
    ds = ds.batch(BATCH)

    if training:
        # Repeating Data, so that cardinality if dataset becomes infinte
        ds = ds.repeat()
    # prefetching allows later images to be prepared while the current image is being processed
    ds = ds.prefetch(buffer_size=AUTOTUNE)
    return ds


def PSNR(super_resolution, high_resolution):
    """Compute the peak signal-to-noise ratio, measures quality of image."""
    # Max value of pixel is 255
    psnr_value = tf.image.psnr(high_resolution, super_resolution, max_val=255)[0]
    return psnr_value


class EDSRModel(keras.Model):
    def train_step(self, data):
        # Unpack the data. Its structure depends on your model and
        # on what you pass to `fit()`.
        x, y = data

        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)  # Forward pass
            # Compute the loss value
            loss = self.compute_loss(y=y, y_pred=y_pred)

        # Compute gradients
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        # Update weights
        self.optimizer.apply_gradients(zip(gradients, trainable_vars))
        # Update metrics (includes the metric that tracks the loss)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        # Return a dict mapping metric names to current value
        return {m.name: m.result() for m in self.metrics}

    def predict_step(self, x):
        # Adding dummy dimension using tf.expand_dims and converting to float32 using tf.cast
        x = tf.cast(tf.expand_dims(x, axis=0), tf.float32)
        # Passing low resolution image to model
        super_resolution_img = self(x, training=False)
        # Clips the tensor from min(0) to max(255)
        super_resolution_img = tf.clip_by_value(super_resolution_img, 0, 255)
        # Rounds the values of a tensor to the nearest integer
        super_resolution_img = tf.round(super_resolution_img)
        # Removes dimensions of size 1 from the shape of a tensor and converting to uint8
        super_resolution_img = tf.squeeze(tf.cast(super_resolution_img, tf.uint8), axis=0)
        return super_resolution_img


# Residual Block
def ResBlock(inputs, filters=64):
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(inputs)
    x = layers.Conv2D(filters, 3, padding="same")(x)
    x = layers.Add()([inputs, x])
    return x


# Upsampling Block
def Upsampling(inputs, factor=2, **kwargs):
    x = layers.Conv2D(64 * (factor**2), 3, padding="same", **kwargs)(inputs)
    x = layers.Lambda(lambda t: tf.nn.depth_to_space(t, block_size=factor))(x)
    x = layers.Conv2D(64 * (factor**2), 3, padding="same", **kwargs)(x)
    x = layers.Lambda(lambda t: tf.nn.depth_to_space(t, block_size=factor))(x)
    return x


def make_model(num_filters, num_of_residual_blocks):
    # Flexible Inputs to input_layer
    input_layer = layers.Input(shape=(None, None, 3))
    # Scaling Pixel Values
    x = layers.Rescaling(scale=1.0 / 255)(input_layer)
    x = x_new = layers.Conv2D(num_filters, 3, padding="same")(x)

    # 16 residual blocks in the paper; far fewer here
    for _ in range(num_of_residual_blocks):
        x_new = ResBlock(x_new, filters=num_filters)

    x_new = layers.Conv2D(num_filters, 3, padding="same")(x_new)
    x = layers.Add()([x, x_new])

    x = Upsampling(x)
    x = layers.Conv2D(3, 3, padding="same")(x)

    output_layer = layers.Rescaling(scale=255)(x)
    return EDSRModel(input_layer, output_layer)


if __name__ == "__main__":
    tf.random.set_seed(3)
    lr_images, hr_images = fake_div2k(NUM_HR_IMAGES, HR_SIDE)
    print("LR:", lr_images.shape, "HR:", hr_images.shape)

    # The original pipeline used tfds; we build the cache from tensors instead
    train_cache = tf.data.Dataset.from_tensor_slices(
        (lr_images[:12], hr_images[:12])
    ).cache()
    val_cache = tf.data.Dataset.from_tensor_slices((lr_images[12:], hr_images[12:])).cache()

    train_ds = dataset_object(train_cache, training=True)
    val_ds = dataset_object(val_cache, training=False)

    for lowres, highres in train_ds.take(1):
        print("train batch lowres:", lowres.shape, "highres:", highres.shape)

    # Cast to float inside the pipeline; the model expects float inputs
    to_float = lambda lo, hi: (tf.cast(lo, tf.float32), tf.cast(hi, tf.float32))
    train_ds = train_ds.map(to_float)
    val_ds = val_ds.map(to_float)

    model = make_model(num_filters=64, num_of_residual_blocks=2)

    # Using adam optimizer with initial learning rate as 1e-4, changing learning rate after 5000 steps to 5e-5
    optim_edsr = keras.optimizers.Adam(
        learning_rate=keras.optimizers.schedules.PiecewiseConstantDecay(
            boundaries=[5000], values=[1e-4, 5e-5]
        )
    )
    # Compiling model with loss as mean absolute error(L1 Loss) and metric as psnr
    model.compile(optimizer=optim_edsr, loss="mae", metrics=[PSNR])
    model.fit(
        train_ds, epochs=1, steps_per_epoch=STEPS_PER_EPOCH, validation_data=val_ds, verbose=2
    )

    # predict_step is overridden to take a single HWC uint8 image
    lowres_sample = lr_images[12]
    preds = model.predict_step(lowres_sample)
    print("super-resolved:", preds.shape, preds.dtype)
    bicubic = tf.image.resize(tf.cast(lowres_sample, tf.float32), preds.shape[:2], method="bicubic")
    print("PSNR sr=%.2f bicubic=%.2f" % (
        tf.image.psnr(tf.cast(preds, tf.float32), tf.cast(hr_images[12], tf.float32), 255).numpy(),
        tf.image.psnr(tf.clip_by_value(bicubic, 0, 255), tf.cast(hr_images[12], tf.float32), 255).numpy(),
    ))
