"""Tiny FPN-style segmentation head on top of a MobileNetV2 backbone.

The backbone is created with weights=None (no download) and we tap a few
intermediate activations by name to build a multi-scale feature extractor.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG_SIZE = 64
NUM_CLASSES = 3
BATCH_SIZE = 16
N_SAMPLES = 128
SEED = 7

# name -> stride relative to the input
TAP_LAYERS = {
    "block_1_expand_relu": 2,
    "block_3_expand_relu": 4,
    "block_6_expand_relu": 8,
    "block_13_expand_relu": 16,
}

rng = np.random.default_rng(SEED)


def make_blob_dataset(n, size, num_classes):
    """Images with a random square (class 1) or disc (class 2) on noise."""
    images = rng.normal(0.0, 0.15, size=(n, size, size, 3)).astype("float32")
    masks = np.zeros((n, size, size), dtype="int32")
    yy, xx = np.mgrid[0:size, 0:size]
    for i in range(n):
        cls = rng.integers(1, num_classes)
        cy, cx = rng.integers(12, size - 12, size=2)
        r = rng.integers(5, 11)
        if cls == 1:
            region = (np.abs(yy - cy) < r) & (np.abs(xx - cx) < r)
        else:
            region = (yy - cy) ** 2 + (xx - cx) ** 2 < r**2
        masks[i][region] = cls
        images[i][region] += np.array([0.8, -0.3, 0.4]) * (1 if cls == 1 else -1)
    return images, masks


def build_feature_extractor():
    backbone = keras.applications.MobileNetV2(
        input_shape=(IMG_SIZE, IMG_SIZE, 3),
        alpha=0.35,
        include_top=False,
        weights=None,
    )
    outputs = [backbone.get_layer(name).output for name in TAP_LAYERS]
    extractor = keras.Model(backbone.input, outputs, name="mnv2_pyramid")
    # decoder-only training: the backbone stays frozen
    extractor.trainable = False
    return extractor


def fpn_decoder(features, width=32):
    """Top-down pathway: 1x1 laterals, upsample, add, smooth."""
    laterals = [
        layers.Conv2D(width, 1, padding="same", name=f"lateral_{i}")(f)
        for i, f in enumerate(features)
    ]
    x = laterals[-1]
    for i in range(len(laterals) - 2, -1, -1):
        x = layers.UpSampling2D(2, interpolation="bilinear", name=f"up_{i}")(x)
        x = layers.Add(name=f"merge_{i}")([x, laterals[i]])
        x = layers.Conv2D(width, 3, padding="same", activation="relu", name=f"smooth_{i}")(x)
    return x


def build_segmenter(extractor):
    inputs = keras.Input((IMG_SIZE, IMG_SIZE, 3), name="image")
    pyramid = extractor(inputs, training=False)
    x = fpn_decoder(pyramid)
    stride = min(TAP_LAYERS.values())
    x = layers.UpSampling2D(stride, interpolation="bilinear", name="to_full_res")(x)
    logits = layers.Conv2D(NUM_CLASSES, 1, name="seg_logits")(x)
    return keras.Model(inputs, logits, name="mnv2_fpn")


def augment(image, mask):
    flip = tf.random.uniform(()) > 0.5
    image = tf.where(flip, tf.image.flip_left_right(image), image)
    mask = tf.where(flip, tf.image.flip_left_right(mask[..., None])[..., 0], mask)
    return image, mask


def main():
    x, y = make_blob_dataset(N_SAMPLES, IMG_SIZE, NUM_CLASSES)
    split = int(0.8 * N_SAMPLES)
    train_ds = (
        tf.data.Dataset.from_tensor_slices((x[:split], y[:split]))
        .shuffle(split, seed=SEED)
        .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(BATCH_SIZE)
        .prefetch(tf.data.AUTOTUNE)
    )
    val_ds = tf.data.Dataset.from_tensor_slices((x[split:], y[split:])).batch(BATCH_SIZE)

    extractor = build_feature_extractor()
    for name, t in zip(TAP_LAYERS, extractor.outputs):
        print(f"{name:<24s} -> {tuple(t.shape)}")

    model = build_segmenter(extractor)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="pix_acc")],
        jit_compile=False,
    )
    model.summary(line_length=90)
    history = model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

    preds = model.predict(x[split : split + 4], verbose=0)
    pred_mask = preds.argmax(-1)
    fg_frac = (pred_mask > 0).mean()
    print(f"final val pix_acc={history.history['val_pix_acc'][-1]:.3f}  predicted fg fraction={fg_frac:.3f}")


if __name__ == "__main__":
    main()
