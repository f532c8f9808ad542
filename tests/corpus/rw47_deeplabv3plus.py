"""DeepLabV3+ for semantic segmentation (Keras 3, tiny config for CPU).

Follows the structure of the keras.io DeepLabV3+ example: a ResNet-style
encoder, Atrous Spatial Pyramid Pooling (parallel dilated convs + image
pooling) on the low-resolution features, then bilinear upsampling and fusion
with low-level skip features before the final per-pixel classifier.
Trains one epoch on random blobs and reports mean IoU.
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


@dataclass
class SegConfig:
    image_size: int = 48
    num_classes: int = 4
    batch_size: int = 4
    num_samples: int = 24
    aspp_filters: int = 48
    atrous_rates: tuple = (2, 4, 6)     # (6, 12, 18) at output stride 16 on 512px
    low_level_filters: int = 24
    encoder_widths: list = field(default_factory=lambda: [24, 48, 96])
    learning_rate: float = 1e-3


def convolution_block(block_input, num_filters=64, kernel_size=3, dilation_rate=1,
                      use_bias=False):
    x = layers.Conv2D(
        num_filters,
        kernel_size=kernel_size,
        dilation_rate=dilation_rate,
        padding="same",
        use_bias=use_bias,
        kernel_initializer=keras.initializers.HeNormal(),
    )(block_input)
    x = layers.BatchNormalization()(x)
    return ops.nn.relu(x)


def bottleneck(x, filters, stride=1, dilation=1):
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(shortcut)
        shortcut = layers.BatchNormalization()(shortcut)
    y = layers.Conv2D(filters // 2, 1, use_bias=False)(x)
    y = layers.BatchNormalization()(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(filters // 2, 3, strides=stride, padding="same",
                      dilation_rate=dilation, use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(filters, 1, use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    return layers.Activation("relu")(layers.add([shortcut, y]))


def tiny_resnet_encoder(inputs, widths):
    """Returns (low_level_features @ stride 4, high_level_features @ stride 8)."""
    x = convolution_block(inputs, 16, kernel_size=3)
    x = layers.Conv2D(widths[0], 3, strides=2, padding="same", use_bias=False)(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)         # stride 4
    low = bottleneck(x, widths[0])
    x = bottleneck(low, widths[1], stride=2)                           # stride 8
    # last stage keeps resolution and uses dilation instead of stride (output_stride=8)
    high = bottleneck(x, widths[2], dilation=2)
    return low, high


def DilatedSpatialPyramidPooling(dspp_input, filters, rates):
    dims = dspp_input.shape
    # image-level pooling branch
    x = layers.AveragePooling2D(pool_size=(dims[-3], dims[-2]))(dspp_input)
    x = convolution_block(x, filters, kernel_size=1, use_bias=True)
    out_pool = layers.UpSampling2D(
        size=(dims[-3] // x.shape[1], dims[-2] // x.shape[2]),
        interpolation="bilinear",
    )(x)

    branches = [out_pool, convolution_block(dspp_input, filters, kernel_size=1, dilation_rate=1)]
    for rate in rates:
        branches.append(convolution_block(dspp_input, filters, kernel_size=3, dilation_rate=rate))

    x = layers.Concatenate(axis=-1)(branches)
    x = convolution_block(x, filters, kernel_size=1)
    return layers.Dropout(0.1)(x)


def DeeplabV3Plus(cfg: SegConfig):
    model_input = keras.Input(shape=(cfg.image_size, cfg.image_size, 3))
    low_level, high_level = tiny_resnet_encoder(model_input, cfg.encoder_widths)

    x = DilatedSpatialPyramidPooling(high_level, cfg.aspp_filters, cfg.atrous_rates)

    input_a = layers.UpSampling2D(
        size=(low_level.shape[1] // x.shape[1], low_level.shape[2] // x.shape[2]),
        interpolation="bilinear",
    )(x)
    input_b = convolution_block(low_level, num_filters=cfg.low_level_filters, kernel_size=1)

    x = layers.Concatenate(axis=-1)([input_a, input_b])
    x = convolution_block(x, cfg.aspp_filters)
    x = convolution_block(x, cfg.aspp_filters)
    x = layers.UpSampling2D(
        size=(cfg.image_size // x.shape[1], cfg.image_size // x.shape[2]),
        interpolation="bilinear",
    )(x)
    model_output = layers.Conv2D(cfg.num_classes, kernel_size=(1, 1), padding="same")(x)
    return keras.Model(inputs=model_input, outputs=model_output, name="deeplabv3plus")


def make_blob_masks(cfg: SegConfig, seed=42):
    """Random ellipses of different classes on a noisy background."""
    rng = np.random.default_rng(seed)
    n, s = cfg.num_samples, cfg.image_size
    yy, xx = np.mgrid[0:s, 0:s]
    images = rng.normal(0.0, 0.1, (n, s, s, 3)).astype("float32")
    masks = np.zeros((n, s, s), dtype="int32")
    palette = rng.uniform(-1, 1, (cfg.num_classes, 3)).astype("float32")
    for i in range(n):
        for _ in range(3):
            c = rng.integers(1, cfg.num_classes)
            cy, cx = rng.uniform(0.2, 0.8, 2) * s
            ry, rx = rng.uniform(0.08, 0.25, 2) * s
            inside = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0
            masks[i][inside] = c
            images[i][inside] += palette[c]
    return images, masks


def augment(image, mask):
    # joint horizontal flip: stack so image and mask get the same random decision
    mask = tf.cast(mask[..., None], tf.float32)
    both = tf.concat([image, mask], axis=-1)
    both = tf.image.random_flip_left_right(both)
    image, mask = both[..., :3], both[..., 3]
    return image, tf.cast(mask, tf.int32)


def main():
    cfg = SegConfig()
    keras.utils.set_random_seed(7)

    model = DeeplabV3Plus(cfg)
    print(f"input {model.input_shape} -> output {model.output_shape}, "
          f"{model.count_params():,} params")

    images, masks = make_blob_masks(cfg)
    split = int(0.75 * cfg.num_samples)
    train_ds = (
        tf.data.Dataset.from_tensor_slices((images[:split], masks[:split]))
        .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(cfg.batch_size, drop_remainder=True)
    )
    val_ds = tf.data.Dataset.from_tensor_slices((images[split:], masks[split:])).batch(cfg.batch_size)

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=cfg.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[
            "accuracy",
            keras.metrics.MeanIoU(num_classes=cfg.num_classes, sparse_y_pred=False, name="miou"),
        ],
    )
    history = model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)
    print({k: round(v[-1], 4) for k, v in history.history.items()})

    # inference on one image: argmax over the class axis
    logits = model.predict(images[:1], verbose=0)
    pred_mask = np.argmax(np.squeeze(logits), axis=-1)
    print("pred mask", pred_mask.shape, "classes present:", np.unique(pred_mask).tolist())


if __name__ == "__main__":
    main()
