"""DeepLabV3+ semantic segmentation with an Atrous Spatial Pyramid Pooling head.

Backbone: a small dilated ResNet (output_stride=16: the last stage trades its
stride for atrous rate 2). Encoder output at stride 16 feeds ASPP; low-level
features at stride 4 are fused in the decoder, as in Chen et al. 2018.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

IMAGE_SIZE = 128
NUM_CLASSES = 6
BATCH_SIZE = 4
ASPP_RATES = (6, 12, 18)
AUTOTUNE = tf.data.AUTOTUNE


# ---------------------------------------------------------------------------
# Synthetic "scene" dataset: coloured rectangles / discs on a noisy background
# ---------------------------------------------------------------------------
def make_scene(rng, size=IMAGE_SIZE, max_objects=4):
    image = rng.normal(0.45, 0.1, (size, size, 3)).astype(np.float32)
    mask = np.zeros((size, size), dtype=np.int32)
    yy, xx = np.mgrid[:size, :size]
    for _ in range(rng.integers(1, max_objects + 1)):
        cls = rng.integers(1, NUM_CLASSES)
        cy, cx = rng.integers(8, size - 8, size=2)
        r = rng.integers(6, size // 4)
        if cls % 2:
            region = (yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2
        else:
            region = (np.abs(yy - cy) < r) & (np.abs(xx - cx) < r // 2 + 2)
        image[region] = np.array([cls / NUM_CLASSES, 1 - cls / NUM_CLASSES, 0.5])
        mask[region] = cls
    return np.clip(image, 0, 1) * 255.0, mask


def build_dataset(num_samples, training, seed=0):
    rng = np.random.default_rng(seed)
    images, masks = zip(*(make_scene(rng) for _ in range(num_samples)))
    ds = tf.data.Dataset.from_tensor_slices((np.stack(images), np.stack(masks)[..., None]))

    def preprocess(image, mask):
        image = image / 127.5 - 1.0
        return image, mask

    def augment(image, mask):
        flip = tf.random.uniform(()) > 0.5
        image = tf.cond(flip, lambda: tf.image.flip_left_right(image), lambda: image)
        mask = tf.cond(flip, lambda: tf.image.flip_left_right(mask), lambda: mask)
        image = tf.image.random_brightness(image, max_delta=20.0)
        return image, mask

    if training:
        ds = ds.shuffle(num_samples, seed=seed).map(augment, num_parallel_calls=AUTOTUNE)
    ds = ds.map(preprocess, num_parallel_calls=AUTOTUNE)
    return ds.batch(BATCH_SIZE, drop_remainder=training).prefetch(AUTOTUNE)


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
def convolution_block(block_input, num_filters=256, kernel_size=3, dilation_rate=1,
                      use_bias=False, name=None):
    x = layers.Conv2D(
        num_filters,
        kernel_size=kernel_size,
        dilation_rate=dilation_rate,
        padding="same",
        use_bias=use_bias,
        kernel_initializer=keras.initializers.HeNormal(),
        name=None if name is None else name + "_conv",
    )(block_input)
    x = layers.BatchNormalization(name=None if name is None else name + "_bn")(x)
    return layers.ReLU()(x)


class ASPP(layers.Layer):
    """Parallel atrous convolutions + image-level pooling, concatenated and fused."""

    def __init__(self, filters=256, rates=ASPP_RATES, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.rates = tuple(rates)
        conv = lambda k, d: layers.Conv2D(filters, k, padding="same", dilation_rate=d, use_bias=False)
        self.branches = [conv(1, 1)] + [conv(3, r) for r in self.rates]
        self.branch_bns = [layers.BatchNormalization() for _ in self.branches]
        self.pool_conv = layers.Conv2D(filters, 1, use_bias=False)
        self.pool_bn = layers.BatchNormalization()
        self.project = layers.Conv2D(filters, 1, use_bias=False)
        self.project_bn = layers.BatchNormalization()
        self.dropout = layers.Dropout(dropout)

    def call(self, x, training=None):
        size = tf.shape(x)[1:3]
        pooled = tf.reduce_mean(x, axis=[1, 2], keepdims=True)
        pooled = tf.nn.relu(self.pool_bn(self.pool_conv(pooled), training=training))
        pooled = tf.image.resize(pooled, size, method="bilinear")

        outs = [tf.nn.relu(bn(conv(x), training=training))
                for conv, bn in zip(self.branches, self.branch_bns)]
        y = tf.concat([pooled] + outs, axis=-1)
        y = tf.nn.relu(self.project_bn(self.project(y), training=training))
        return self.dropout(y, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape[:-1] + (self.filters,)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "rates": self.rates}


def residual_unit(x, filters, stride=1, dilation=1, name="res"):
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=name + "_sc")(x)
        shortcut = layers.BatchNormalization(name=name + "_sc_bn")(shortcut)
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=name + "_c1")(x)
    y = layers.ReLU()(layers.BatchNormalization(name=name + "_bn1")(y))
    y = layers.Conv2D(filters, 3, padding="same", dilation_rate=dilation, use_bias=False,
                      name=name + "_c2")(y)
    y = layers.BatchNormalization(name=name + "_bn2")(y)
    return layers.ReLU()(layers.Add()([shortcut, y]))


def dilated_resnet(model_input, widths=(32, 64, 96, 128)):
    """Returns (stride-4, stride-16) feature maps."""
    x = convolution_block(model_input, 32, kernel_size=3, name="stem")
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)  # stride 2 -> pool
    x = layers.Conv2D(widths[0], 3, strides=2, padding="same", use_bias=False)(x)
    low_level = residual_unit(x, widths[0], name="stage1")                   # stride 4
    x = residual_unit(low_level, widths[1], stride=2, name="stage2")          # stride 8
    x = residual_unit(x, widths[2], stride=2, name="stage3")                  # stride 16
    x = residual_unit(x, widths[3], dilation=2, name="stage4a")               # atrous
    x = residual_unit(x, widths[3], dilation=4, name="stage4b")
    return low_level, x


def DeeplabV3Plus(image_size, num_classes):
    model_input = keras.Input(shape=(image_size, image_size, 3))
    low_level, high_level = dilated_resnet(model_input)

    x = ASPP(filters=128, name="aspp")(high_level)
    up = low_level.shape[1] // x.shape[1]
    input_a = layers.UpSampling2D(size=(up, up), interpolation="bilinear")(x)
    input_b = convolution_block(low_level, num_filters=48, kernel_size=1, name="low_proj")

    x = layers.Concatenate(axis=-1)([input_a, input_b])
    x = convolution_block(x, num_filters=128, name="dec1")
    x = convolution_block(x, num_filters=128, name="dec2")
    x = layers.Resizing(image_size, image_size, interpolation="bilinear")(x)
    model_output = layers.Conv2D(num_classes, kernel_size=(1, 1), padding="same", name="logits")(x)
    return keras.Model(inputs=model_input, outputs=model_output, name="deeplabv3plus")


def decode_segmentation_masks(mask, n_classes):
    """Map a (H, W) label mask to an RGB image for visual inspection."""
    colormap = (np.arange(n_classes)[:, None] * np.array([[47, 91, 139]])) % 255
    return colormap[mask].astype(np.uint8)


if __name__ == "__main__":
    keras.utils.set_random_seed(1234)
    train_ds = build_dataset(32, training=True)
    val_ds = build_dataset(8, training=False, seed=7)
    print("Train Dataset:", train_ds.element_spec)

    model = DeeplabV3Plus(image_size=IMAGE_SIZE, num_classes=NUM_CLASSES)
    print(f"{model.name}: {model.count_params():,} params, output {model.output_shape}")

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy", keras.metrics.MeanIoU(num_classes=NUM_CLASSES, sparse_y_pred=False)],
    )
    history = model.fit(train_ds, epochs=1, verbose=2)

    for images, masks in val_ds.take(1):
        logits = model.predict(images, verbose=0)
        pred = np.argmax(logits, axis=-1)
        rgb = decode_segmentation_masks(pred[0], NUM_CLASSES)
        per_class = [(pred == c).mean() for c in range(NUM_CLASSES)]
        print("pred mask:", pred.shape, "rgb:", rgb.shape)
        print("predicted class frequencies:", np.round(per_class, 3))
