"""DeepLabV3+ on a MobileNetV2 backbone (random init, no download).

- ASPP with atrous rates + image-level pooling branch
- decoder fuses low-level (stride 4) features
- ignore_index=255 handling in the loss, poly LR decay
- manual training loop with tf.function, confusion-matrix mIoU
"""
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers

IMAGE_SIZE = 96
NUM_CLASSES = 5
IGNORE_INDEX = 255
ASPP_RATES = (2, 4, 6)   # output stride 16 on a tiny input -> small rates
ASPP_FILTERS = 64
BATCH_SIZE = 4
TRAIN_STEPS = 6


class ConvBNReLU(layers.Layer):
    def __init__(self, filters, kernel_size=3, dilation_rate=1, separable=False, **kw):
        super().__init__(**kw)
        conv_cls = layers.SeparableConv2D if separable else layers.Conv2D
        self.conv = conv_cls(filters, kernel_size, padding="same",
                             dilation_rate=dilation_rate, use_bias=False)
        self.bn = layers.BatchNormalization()

    def call(self, x, training=None):
        return tf.nn.relu(self.bn(self.conv(x), training=training))


class ASPP(layers.Layer):
    def __init__(self, filters=256, rates=(6, 12, 18), dropout=0.1, **kw):
        super().__init__(**kw)
        self.branch_1x1 = ConvBNReLU(filters, 1, name="aspp_1x1")
        self.atrous = [ConvBNReLU(filters, 3, dilation_rate=r, separable=True,
                                  name=f"aspp_r{r}") for r in rates]
        self.pool_conv = ConvBNReLU(filters, 1, name="aspp_pool")
        self.project = ConvBNReLU(filters, 1, name="aspp_project")
        self.dropout = layers.Dropout(dropout)

    def call(self, x, training=None):
        size = tf.shape(x)[1:3]
        pooled = tf.reduce_mean(x, axis=[1, 2], keepdims=True)
        pooled = self.pool_conv(pooled, training=training)
        pooled = tf.image.resize(pooled, size, method="bilinear")

        branches = [self.branch_1x1(x, training=training)]
        branches += [conv(x, training=training) for conv in self.atrous]
        branches.append(pooled)
        y = tf.concat(branches, axis=-1)
        return self.dropout(self.project(y, training=training), training=training)


def build_deeplabv3plus(image_size=IMAGE_SIZE, num_classes=NUM_CLASSES):
    backbone = keras.applications.MobileNetV2(
        input_shape=(image_size, image_size, 3), alpha=0.35,
        include_top=False, weights=None)
    # stride-4 and stride-16 taps, standard choice for MobileNetV2 DeepLab
    low_level = backbone.get_layer("block_3_expand_relu").output
    high_level = backbone.get_layer("block_13_expand_relu").output

    x = ASPP(ASPP_FILTERS, ASPP_RATES, name="aspp")(high_level)
    x = layers.UpSampling2D(size=4, interpolation="bilinear", name="up_x4")(x)

    low = ConvBNReLU(24, 1, name="low_level_proj")(low_level)
    x = layers.Concatenate(name="decoder_concat")([x, low])
    x = ConvBNReLU(ASPP_FILTERS, 3, separable=True, name="dec_conv1")(x)
    x = ConvBNReLU(ASPP_FILTERS, 3, separable=True, name="dec_conv2")(x)
    x = layers.Conv2D(num_classes, 1, name="classifier")(x)
    x = layers.Resizing(image_size, image_size, interpolation="bilinear", name="logits")(x)
    return keras.Model(backbone.input, x, name="deeplabv3plus_mnv2")


def random_segmentation_batch(batch_size, rng):
    """Images with horizontal class bands plus a random 'void' border region."""
    images = rng.uniform(-1, 1, (batch_size, IMAGE_SIZE, IMAGE_SIZE, 3)).astype("float32")
    labels = np.zeros((batch_size, IMAGE_SIZE, IMAGE_SIZE), np.int32)
    for b in range(batch_size):
        edges = np.sort(rng.choice(np.arange(8, IMAGE_SIZE - 8), NUM_CLASSES - 1, replace=False))
        bands = np.split(np.arange(IMAGE_SIZE), edges)
        for cls, rows in enumerate(bands):
            labels[b, rows] = cls
            images[b, rows, :, cls % 3] += 0.5 * cls
        # annotate a few pixels as void, as in VOC boundaries
        void = rng.integers(0, 4)
        if void:
            labels[b, :void, :] = IGNORE_INDEX
            labels[b, -void:, :] = IGNORE_INDEX
    return images, labels


def masked_ce(labels, logits):
    valid = tf.not_equal(labels, IGNORE_INDEX)
    safe_labels = tf.where(valid, labels, tf.zeros_like(labels))
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=safe_labels, logits=logits)
    valid_f = tf.cast(valid, ce.dtype)
    return tf.reduce_sum(ce * valid_f) / tf.maximum(tf.reduce_sum(valid_f), 1.0)


def confusion(labels, logits):
    preds = tf.argmax(logits, axis=-1, output_type=tf.int32)
    valid = tf.not_equal(labels, IGNORE_INDEX)
    return tf.math.confusion_matrix(
        tf.boolean_mask(labels, valid), tf.boolean_mask(preds, valid),
        num_classes=NUM_CLASSES, dtype=tf.float64)


def miou_from_confusion(cm):
    inter = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - inter
    iou = np.where(union > 0, inter / np.maximum(union, 1), np.nan)
    return np.nanmean(iou), iou


def main():
    rng = np.random.default_rng(7)
    model = build_deeplabv3plus()
    print(f"{model.name}: {model.count_params():,} params, output {model.output_shape}")

    schedule = keras.optimizers.schedules.PolynomialDecay(
        initial_learning_rate=5e-3, decay_steps=TRAIN_STEPS, end_learning_rate=1e-4, power=0.9)
    optimizer = keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True)
    weight_decay = 4e-5

    @tf.function(reduce_retracing=True)
    def train_step(images, labels):
        with tf.GradientTape() as tape:
            logits = model(images, training=True)
            ce = masked_ce(labels, logits)
            l2 = tf.add_n([tf.nn.l2_loss(v) for v in model.trainable_variables
                           if "kernel" in v.name])
            loss = ce + weight_decay * l2
        grads = tape.gradient(loss, model.trainable_variables)
        grads, gnorm = tf.clip_by_global_norm(grads, 5.0)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return ce, gnorm

    @tf.function
    def eval_step(images, labels):
        return confusion(labels, model(images, training=False))

    t0 = time.time()
    for step in range(TRAIN_STEPS):
        x, y = random_segmentation_batch(BATCH_SIZE, rng)
        ce, gnorm = train_step(tf.constant(x), tf.constant(y))
        lr = float(schedule(step))
        print(f"step {step + 1}/{TRAIN_STEPS} ce={ce.numpy():.3f} "
              f"|g|={gnorm.numpy():.2f} lr={lr:.5f}")
    print(f"train time {time.time() - t0:.1f}s")

    cm = np.zeros((NUM_CLASSES, NUM_CLASSES))
    for _ in range(2):
        x, y = random_segmentation_batch(BATCH_SIZE, rng)
        cm += eval_step(tf.constant(x), tf.constant(y)).numpy()
    miou, per_class = miou_from_confusion(cm)
    print(f"val mIoU={miou:.3f}", np.round(per_class, 3))


if __name__ == "__main__":
    main()
