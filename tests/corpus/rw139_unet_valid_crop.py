"""Original-style U-Net with unpadded ("valid") convolutions.

Because every 3x3 conv shaves 2 pixels off, the encoder feature maps are
larger than the decoder maps they get concatenated with. The classic fix is
to center-crop the skip connection with Cropping2D before concatenation.
Output mask is therefore smaller than the input, so the targets are cropped too.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
INPUT_SIZE = 92          # chosen so that valid convs + pooling divide cleanly
BASE_FILTERS = 8
DEPTH = 2
N_SAMPLES = 160
BATCH = 16
EPOCHS = 2

rng = np.random.default_rng(SEED)
tf.random.set_seed(SEED)


def make_blobs(n, size):
    """Random ellipses on a noisy background; mask = inside any ellipse."""
    yy, xx = np.mgrid[0:size, 0:size].astype("float32")
    images = np.zeros((n, size, size, 1), dtype="float32")
    masks = np.zeros((n, size, size, 1), dtype="float32")
    for i in range(n):
        m = np.zeros((size, size), dtype=bool)
        for _ in range(rng.integers(1, 4)):
            cy, cx = rng.uniform(10, size - 10, 2)
            ry, rx = rng.uniform(5, 18, 2)
            m |= ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0
        img = m.astype("float32") * rng.uniform(0.5, 1.0) + rng.normal(0, 0.25, (size, size))
        images[i, ..., 0] = img
        masks[i, ..., 0] = m
    return images, masks


def double_conv(x, filters, name):
    x = layers.Conv2D(filters, 3, padding="valid", activation="relu", name=f"{name}_c1")(x)
    x = layers.Conv2D(filters, 3, padding="valid", activation="relu", name=f"{name}_c2")(x)
    return x


def crop_amounts(big_shape, small_shape):
    """Return ((top, bottom), (left, right)) to center-crop big to small."""
    dh = big_shape[1] - small_shape[1]
    dw = big_shape[2] - small_shape[2]
    assert dh >= 0 and dw >= 0, (big_shape, small_shape)
    return ((dh // 2, dh - dh // 2), (dw // 2, dw - dw // 2))


def build_unet(input_size=INPUT_SIZE, base=BASE_FILTERS, depth=DEPTH):
    inputs = keras.Input((input_size, input_size, 1), name="image")
    x = inputs
    skips = []
    for level in range(depth):
        x = double_conv(x, base * 2 ** level, name=f"enc{level}")
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"pool{level}")(x)

    x = double_conv(x, base * 2 ** depth, name="bottleneck")

    for level in reversed(range(depth)):
        x = layers.Conv2DTranspose(base * 2 ** level, 2, strides=2, name=f"up{level}")(x)
        skip = skips[level]
        crop = crop_amounts(skip.shape, x.shape)
        print(f"level {level}: skip {skip.shape[1:3]} -> decoder {x.shape[1:3]}, crop={crop}")
        skip = layers.Cropping2D(cropping=crop, name=f"crop{level}")(skip)
        x = layers.Concatenate(name=f"cat{level}")([skip, x])
        x = double_conv(x, base * 2 ** level, name=f"dec{level}")

    outputs = layers.Conv2D(1, 1, activation="sigmoid", name="mask")(x)
    return keras.Model(inputs, outputs, name="unet_valid")


model = build_unet()
model.summary(line_length=100)

out_size = model.output_shape[1]
border = (INPUT_SIZE - out_size) // 2
print(f"input {INPUT_SIZE} -> output {out_size}, border {border}")

images, masks = make_blobs(N_SAMPLES, INPUT_SIZE)
# targets only cover the valid region the network actually sees
masks_cropped = masks[:, border:border + out_size, border:border + out_size, :]

split = int(0.8 * N_SAMPLES)
train_ds = (tf.data.Dataset.from_tensor_slices((images[:split], masks_cropped[:split]))
            .shuffle(256, seed=SEED)
            .batch(BATCH)
            .prefetch(tf.data.AUTOTUNE))
val_ds = tf.data.Dataset.from_tensor_slices((images[split:], masks_cropped[split:])).batch(BATCH)

model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss="binary_crossentropy",
              metrics=[keras.metrics.BinaryIoU(target_class_ids=[1], threshold=0.5, name="iou")])
history = model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)

pred = model.predict(images[split:split + 4], verbose=0)
print("pred shape:", pred.shape, "foreground fraction:", float((pred > 0.5).mean()))
print({k: [round(v, 4) for v in vals] for k, vals in history.history.items()})
