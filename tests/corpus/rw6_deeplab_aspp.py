"""DeepLabV3+ style semantic segmentation (tiny version).

Small conv backbone -> ASPP (atrous spatial pyramid pooling with
dilation rates 1/6/12/18 + image pooling) -> decoder that upsamples and
concatenates low level features. Trained for one epoch on random masks.
"""
import tensorflow as tf

L = tf.keras.layers

CFG = {
    "image_size": 64,
    "num_classes": 5,
    "aspp_filters": 64,
    "aspp_rates": (6, 12, 18),
    "low_level_filters": 24,
    "batch_size": 4,
    "steps": 3,
}


def conv_block(x, filters, kernel_size=3, dilation_rate=1, strides=1, name=None):
    x = L.Conv2D(filters, kernel_size, strides=strides, dilation_rate=dilation_rate,
                 padding="same", use_bias=False,
                 kernel_initializer=tf.keras.initializers.HeNormal(),
                 name=None if name is None else name + "_conv")(x)
    x = L.BatchNormalization(name=None if name is None else name + "_bn")(x)
    return L.ReLU(name=None if name is None else name + "_relu")(x)


def ASPP(feature_map, filters, rates):
    h, w = feature_map.shape[1], feature_map.shape[2]

    # image-level pooling branch
    pool = L.AveragePooling2D(pool_size=(h, w), name="aspp_imgpool")(feature_map)
    pool = conv_block(pool, filters, kernel_size=1, name="aspp_pool")
    pool = L.UpSampling2D(size=(h, w), interpolation="bilinear", name="aspp_pool_up")(pool)

    branches = [pool, conv_block(feature_map, filters, kernel_size=1, name="aspp_1x1")]
    for r in rates:
        branches.append(conv_block(feature_map, filters, kernel_size=3,
                                   dilation_rate=r, name=f"aspp_rate{r}"))

    x = L.Concatenate(axis=-1, name="aspp_concat")(branches)
    x = conv_block(x, filters, kernel_size=1, name="aspp_proj")
    return L.Dropout(0.1)(x)


def small_backbone(inputs):
    """Returns (low_level_features @ 1/4, high_level_features @ 1/8)."""
    x = conv_block(inputs, 32, strides=2, name="bb_stem")     # 1/2
    x = conv_block(x, 32, name="bb_c1")
    x = conv_block(x, 48, strides=2, name="bb_down2")          # 1/4
    low = conv_block(x, 48, name="bb_low")
    x = conv_block(low, 96, strides=2, name="bb_down3")        # 1/8
    # a couple of dilated convs instead of striding further, like output_stride=8
    for i, d in enumerate([2, 2, 4]):
        x = conv_block(x, 96, dilation_rate=d, name=f"bb_dil{i}")
    return low, x


def DeeplabV3Plus(image_size, num_classes):
    model_input = tf.keras.Input(shape=(image_size, image_size, 3))
    low_level, high_level = small_backbone(model_input)

    x = ASPP(high_level, CFG["aspp_filters"], CFG["aspp_rates"])
    up_factor = low_level.shape[1] // x.shape[1]
    input_a = L.UpSampling2D(size=(up_factor, up_factor), interpolation="bilinear")(x)

    input_b = conv_block(low_level, CFG["low_level_filters"], kernel_size=1, name="dec_low")

    x = L.Concatenate(axis=-1)([input_a, input_b])
    x = conv_block(x, 64, name="dec_c1")
    x = conv_block(x, 64, name="dec_c2")
    x = L.UpSampling2D(size=(image_size // x.shape[1], image_size // x.shape[2]),
                       interpolation="bilinear")(x)
    model_output = L.Conv2D(num_classes, kernel_size=(1, 1), padding="same", name="logits")(x)
    return tf.keras.Model(inputs=model_input, outputs=model_output, name="deeplabv3plus_tiny")


def make_dataset(n, image_size, num_classes):
    images = tf.random.uniform((n, image_size, image_size, 3), 0, 1)
    masks = tf.random.uniform((n, image_size, image_size, 1), 0, num_classes, dtype=tf.int32)

    def augment(img, mask):
        # flip both image and mask together
        flip = tf.random.uniform(()) > 0.5
        img = tf.cond(flip, lambda: tf.image.flip_left_right(img), lambda: img)
        mask = tf.cond(flip, lambda: tf.image.flip_left_right(mask), lambda: mask)
        img = tf.image.random_brightness(img, 0.1)
        return img, mask

    ds = tf.data.Dataset.from_tensor_slices((images, masks))
    ds = ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(CFG["batch_size"], drop_remainder=True).prefetch(tf.data.AUTOTUNE)


if __name__ == "__main__":
    model = DeeplabV3Plus(image_size=CFG["image_size"], num_classes=CFG["num_classes"])
    model.summary(line_length=110)

    loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=1e-3),
                  loss=loss, metrics=["accuracy"])

    n = CFG["batch_size"] * CFG["steps"]
    train_ds = make_dataset(n, CFG["image_size"], CFG["num_classes"])
    val_ds = make_dataset(CFG["batch_size"], CFG["image_size"], CFG["num_classes"])

    history = model.fit(train_ds, validation_data=val_ds, epochs=1)

    for imgs, masks in val_ds.take(1):
        logits = model.predict(imgs, verbose=0)
        pred_mask = tf.argmax(logits, axis=-1)
        print("pred mask shape:", pred_mask.shape, "gt:", masks.shape)
        iou = tf.keras.metrics.MeanIoU(num_classes=CFG["num_classes"])
        iou.update_state(tf.squeeze(masks, -1), pred_mask)
        print("mean IoU on random data:", float(iou.result()))
