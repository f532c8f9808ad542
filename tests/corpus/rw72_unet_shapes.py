"""U-Net for multi-class segmentation of synthetic shapes (circles / squares).

Classic encoder-decoder with skip connections, joint image/mask augmentation
in tf.data, combined CE + soft Dice loss, and MeanIoU from sparse predictions.
"""
import numpy as np
import tensorflow as tf

IMG = 64
N_CLASSES = 3  # background, circle, square
BATCH = 8
N_TRAIN = 48
N_VAL = 16
FILTERS = (16, 32, 64)
AUTOTUNE = tf.data.AUTOTUNE


def draw_sample(rng):
    yy, xx = np.mgrid[:IMG, :IMG]
    image = rng.normal(0.0, 0.05, (IMG, IMG, 3)).astype(np.float32)
    mask = np.zeros((IMG, IMG), np.int32)
    for _ in range(rng.integers(1, 4)):
        cls = rng.integers(1, N_CLASSES)
        cx, cy = rng.integers(10, IMG - 10, size=2)
        r = rng.integers(4, 12)
        if cls == 1:
            region = (xx - cx) ** 2 + (yy - cy) ** 2 <= r ** 2
        else:
            region = (np.abs(xx - cx) <= r) & (np.abs(yy - cy) <= r)
        mask[region] = cls
        image[region] += rng.uniform(0.4, 1.0, size=3)
    return image, mask


def make_arrays(n, seed):
    rng = np.random.default_rng(seed)
    pairs = [draw_sample(rng) for _ in range(n)]
    x = np.stack([p[0] for p in pairs])
    y = np.stack([p[1] for p in pairs])[..., None]
    return x, y


def augment(image, mask):
    # Concatenate so that the *same* random flip/crop is applied to both.
    mask_f = tf.cast(mask, tf.float32)
    stacked = tf.concat([image, mask_f], axis=-1)
    stacked = tf.image.random_flip_left_right(stacked)
    stacked = tf.image.random_flip_up_down(stacked)
    stacked = tf.image.resize_with_crop_or_pad(stacked, IMG + 8, IMG + 8)
    stacked = tf.image.random_crop(stacked, size=(IMG, IMG, 4))
    image, mask_f = stacked[..., :3], stacked[..., 3:]
    image = tf.image.random_brightness(image, 0.1)
    return image, tf.cast(tf.round(mask_f), tf.int32)


def build_datasets():
    x_tr, y_tr = make_arrays(N_TRAIN, seed=0)
    x_va, y_va = make_arrays(N_VAL, seed=1)
    train = (tf.data.Dataset.from_tensor_slices((x_tr, y_tr))
             .shuffle(N_TRAIN)
             .map(augment, num_parallel_calls=AUTOTUNE)
             .batch(BATCH)
             .prefetch(AUTOTUNE))
    val = tf.data.Dataset.from_tensor_slices((x_va, y_va)).batch(BATCH)
    return train, val


def double_conv(x, filters, dropout=0.0):
    for _ in range(2):
        x = tf.keras.layers.Conv2D(filters, 3, padding="same",
                                   kernel_initializer="he_normal", use_bias=False)(x)
        x = tf.keras.layers.BatchNormalization()(x)
        x = tf.keras.layers.Activation("relu")(x)
    if dropout:
        x = tf.keras.layers.SpatialDropout2D(dropout)(x)
    return x


def unet(input_shape=(IMG, IMG, 3), n_classes=N_CLASSES, filters=FILTERS):
    inputs = tf.keras.Input(input_shape)
    skips = []
    x = inputs
    for f in filters:
        x = double_conv(x, f)
        skips.append(x)
        x = tf.keras.layers.MaxPooling2D()(x)

    x = double_conv(x, filters[-1] * 2, dropout=0.2)  # bottleneck

    for f, skip in zip(reversed(filters), reversed(skips)):
        x = tf.keras.layers.Conv2DTranspose(f, 2, strides=2, padding="same")(x)
        x = tf.keras.layers.concatenate([x, skip])
        x = double_conv(x, f)

    outputs = tf.keras.layers.Conv2D(n_classes, 1, name="logits")(x)
    return tf.keras.Model(inputs, outputs, name="unet")


def soft_dice_loss(y_true, logits, smooth=1.0):
    y_true = tf.one_hot(tf.squeeze(tf.cast(y_true, tf.int32), -1), N_CLASSES)
    probs = tf.nn.softmax(logits, axis=-1)
    axes = (1, 2)
    inter = tf.reduce_sum(y_true * probs, axis=axes)
    denom = tf.reduce_sum(y_true, axis=axes) + tf.reduce_sum(probs, axis=axes)
    dice = (2.0 * inter + smooth) / (denom + smooth)
    return 1.0 - tf.reduce_mean(dice, axis=-1)  # mean over classes -> (B,)


def ce_dice_loss(y_true, logits):
    ce = tf.keras.losses.sparse_categorical_crossentropy(y_true, logits, from_logits=True)
    return tf.reduce_mean(ce, axis=(1, 2)) + soft_dice_loss(y_true, logits)


class SparseMeanIoU(tf.keras.metrics.MeanIoU):
    """MeanIoU that accepts logits instead of class ids."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = tf.argmax(y_pred, axis=-1)
        return super().update_state(y_true, y_pred, sample_weight)


def main():
    tf.random.set_seed(42)
    train_ds, val_ds = build_datasets()
    for img, msk in train_ds.take(1):
        print("image batch", img.shape, img.dtype, "| mask batch", msk.shape, msk.dtype)
        print("labels present:", np.unique(msk.numpy()))

    model = unet()
    print("params:", model.count_params())
    model.compile(
        optimizer=tf.keras.optimizers.Adam(2e-3),
        loss=ce_dice_loss,
        metrics=[SparseMeanIoU(num_classes=N_CLASSES, name="miou")],
    )
    history = model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)
    print({k: round(v[-1], 4) for k, v in history.history.items()})

    # predict one val batch and report per-class pixel counts
    x_val, y_val = next(iter(val_ds))
    pred = tf.argmax(model(x_val, training=False), axis=-1)
    counts = tf.math.bincount(tf.cast(tf.reshape(pred, [-1]), tf.int32), minlength=N_CLASSES)
    true_counts = tf.math.bincount(tf.reshape(y_val, [-1]), minlength=N_CLASSES)
    print("pred pixels/class:", counts.numpy(), "true:", true_counts.numpy())


if __name__ == "__main__":
    main()
