"""Attention U-Net for binary segmentation of synthetic blobs.

Skip connections pass through additive attention gates (Oktay et al.):
the decoder's gating signal and the encoder feature map are projected with
1x1 convs, summed, squashed to a single-channel sigmoid map that is then
upsampled and multiplied into the skip features.  Masks are produced with
tf.image ops inside a tf.data pipeline, along with joint flips.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

IMG = 32
BASE = 8
DEPTH = 3


def double_conv(x, filters, name):
    for i in range(2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_c{i}")(x)
        x = layers.BatchNormalization(name=f"{name}_bn{i}")(x)
        x = layers.Activation("relu")(x)
    return x


def attention_gate(skip, gating, inter_channels, name):
    """Additive attention; skip is 2x the spatial size of gating."""
    theta = layers.Conv2D(inter_channels, 2, strides=2, padding="same",
                          use_bias=False, name=f"{name}_theta")(skip)
    phi = layers.Conv2D(inter_channels, 1, padding="same", name=f"{name}_phi")(gating)
    f = layers.Activation("relu")(layers.Add()([theta, phi]))
    psi = layers.Conv2D(1, 1, padding="same", name=f"{name}_psi")(f)
    alpha = layers.Activation("sigmoid", name=f"{name}_alpha")(psi)
    alpha = layers.UpSampling2D(2, interpolation="bilinear")(alpha)
    attended = layers.Multiply(name=f"{name}_mul")([skip, alpha])
    out = layers.Conv2D(skip.shape[-1], 1, name=f"{name}_out")(attended)
    return layers.BatchNormalization(name=f"{name}_outbn")(out)


def build_attention_unet():
    inputs = keras.Input((IMG, IMG, 3))
    skips = []
    x = inputs
    for d in range(DEPTH):
        x = double_conv(x, BASE * 2 ** d, name=f"enc{d}")
        skips.append(x)
        x = layers.MaxPooling2D(2)(x)
    x = double_conv(x, BASE * 2 ** DEPTH, name="bottleneck")
    for d in reversed(range(DEPTH)):
        filters = BASE * 2 ** d
        gated_skip = attention_gate(skips[d], x, max(filters // 2, 4), name=f"ag{d}")
        x = layers.Conv2DTranspose(filters, 2, strides=2, padding="same", name=f"up{d}")(x)
        x = layers.Concatenate(name=f"cat{d}")([x, gated_skip])
        x = double_conv(x, filters, name=f"dec{d}")
    outputs = layers.Conv2D(1, 1, activation="sigmoid", name="mask")(x)
    return keras.Model(inputs, outputs, name="attention_unet")


def synth_sample(seed):
    """Draw an ellipse-ish blob on noise using pure tensor ops."""
    rng = tf.random.Generator.from_seed(seed)
    center = rng.uniform([2], 0.25, 0.75)
    radius = rng.uniform([2], 0.1, 0.25)
    coords = tf.linspace(0.0, 1.0, IMG)
    yy, xx = tf.meshgrid(coords, coords, indexing="ij")
    dist = ((xx - center[0]) / radius[0]) ** 2 + ((yy - center[1]) / radius[1]) ** 2
    mask = tf.cast(dist < 1.0, tf.float32)[..., None]
    noise = rng.uniform([IMG, IMG, 3], 0.0, 0.4)
    image = noise + mask * tf.constant([0.5, 0.3, 0.1])
    return image, mask


def augment(image, mask):
    stacked = tf.concat([image, mask], axis=-1)
    stacked = tf.image.random_flip_left_right(stacked)
    stacked = tf.image.random_flip_up_down(stacked)
    stacked = tf.image.resize_with_crop_or_pad(stacked, IMG + 4, IMG + 4)
    stacked = tf.image.random_crop(stacked, [IMG, IMG, 4])
    image, mask = stacked[..., :3], stacked[..., 3:]
    image = tf.image.random_contrast(image, 0.8, 1.2)
    image = tf.image.per_image_standardization(image)
    return image, mask


def dice_loss(y_true, y_pred, smooth=1.0):
    inter = tf.reduce_sum(y_true * y_pred, axis=[1, 2, 3])
    union = tf.reduce_sum(y_true, axis=[1, 2, 3]) + tf.reduce_sum(y_pred, axis=[1, 2, 3])
    return 1.0 - (2.0 * inter + smooth) / (union + smooth)


def bce_dice(y_true, y_pred):
    bce = tf.reduce_mean(keras.losses.binary_crossentropy(y_true, y_pred), axis=[1, 2])
    return bce + dice_loss(y_true, y_pred)


def main():
    images, masks = [], []
    for s in range(48):
        im, m = synth_sample(s)
        images.append(im.numpy())
        masks.append(m.numpy())
    images = np.stack(images)
    masks = np.stack(masks)

    train = (tf.data.Dataset.from_tensor_slices((images[:40], masks[:40]))
             .shuffle(40, seed=1)
             .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
             .batch(8)
             .prefetch(2))
    val = (tf.data.Dataset.from_tensor_slices((images[40:], masks[40:]))
           .map(lambda i, m: (tf.image.per_image_standardization(i), m))
           .batch(8))

    model = build_attention_unet()
    model.compile(optimizer=keras.optimizers.Adam(2e-3),
                  loss=bce_dice,
                  metrics=[keras.metrics.BinaryIoU(target_class_ids=[1], name="iou"),
                           "binary_accuracy"])
    print("params:", model.count_params())
    model.fit(train, validation_data=val, epochs=1, verbose=2)

    # inspect one attention map to check it is a proper [0, 1] gate
    probe = keras.Model(model.input, model.get_layer("ag0_alpha").output)
    alpha = probe.predict(images[40:42], verbose=0)
    print("attention map shape:", alpha.shape,
          "range: [%.3f, %.3f]" % (alpha.min(), alpha.max()))


if __name__ == "__main__":
    main()
