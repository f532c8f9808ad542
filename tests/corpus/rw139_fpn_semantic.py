"""Feature Pyramid Network (FPN) for semantic segmentation, subclassed-model style.

Backbone: a few strided conv stages producing C2..C5.
Neck: lateral 1x1 convs -> top-down path with UpSampling2D(nearest) + Add,
      then a 3x3 conv on each merged map to reduce aliasing (P2..P5).
Head: "panoptic FPN" style -- each P level is upsampled to 1/4 resolution,
      summed, and turned into per-pixel logits, which are resized to the input.

Trained with a hand-written tf.function train step.
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG = 64
NUM_CLASSES = 4            # background + 3 shape types
PYRAMID_CH = 32
STAGE_CH = (16, 24, 32, 48)  # C2, C3, C4, C5
BATCH = 16
STEPS = 12
LR = 3e-3

tf.random.set_seed(11)
rng = np.random.default_rng(11)


def synth_scene(n):
    """Stripes (class 1), discs (class 2) and rings (class 3) of varying scale."""
    yy, xx = np.mgrid[:IMG, :IMG]
    x = np.zeros((n, IMG, IMG, 3), np.float32)
    y = np.zeros((n, IMG, IMG), np.int32)
    for i in range(n):
        for cls in rng.permutation([1, 2, 3])[: rng.integers(1, 4)]:
            cy, cx = rng.integers(8, IMG - 8, size=2)
            r = rng.integers(4, 16)
            d = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
            if cls == 1:
                region = (np.abs(yy - cy) < r // 3 + 1) & (np.abs(xx - cx) < r * 2)
            elif cls == 2:
                region = d < r
            else:
                region = (d < r) & (d > r * 0.6)
            x[i][region] = rng.uniform(0.3, 1.0, 3)
            y[i][region] = cls
    x += rng.normal(0, 0.1, x.shape).astype(np.float32)
    return x, y


class ConvBNReLU(layers.Layer):
    def __init__(self, filters, kernel_size=3, strides=1, **kwargs):
        super().__init__(**kwargs)
        self.conv = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False)
        self.bn = layers.BatchNormalization()

    def call(self, x, training=False):
        return tf.nn.relu(self.bn(self.conv(x), training=training))


class TinyBackbone(keras.layers.Layer):
    """Returns [C2, C3, C4, C5] at strides 4, 8, 16, 32."""

    def __init__(self, channels=STAGE_CH, **kwargs):
        super().__init__(**kwargs)
        self.stem = ConvBNReLU(channels[0], strides=2, name="stem")
        self.stages = [
            [ConvBNReLU(c, strides=2, name=f"c{i + 2}_down"), ConvBNReLU(c, name=f"c{i + 2}_conv")]
            for i, c in enumerate(channels)
        ]

    def call(self, x, training=False):
        x = self.stem(x, training=training)
        feats = []
        for down, conv in self.stages:
            x = conv(down(x, training=training), training=training)
            feats.append(x)
        return feats


class FPNNeck(keras.layers.Layer):
    def __init__(self, channels=PYRAMID_CH, num_levels=4, **kwargs):
        super().__init__(**kwargs)
        self.lateral = [layers.Conv2D(channels, 1, name=f"lateral_{i}") for i in range(num_levels)]
        self.smooth = [layers.Conv2D(channels, 3, padding="same", name=f"smooth_{i}") for i in range(num_levels)]
        self.upsample = layers.UpSampling2D(size=2, interpolation="nearest")
        self.add = layers.Add()

    def call(self, feats):
        laterals = [conv(f) for conv, f in zip(self.lateral, feats)]
        merged = [laterals[-1]]
        # walk top-down: P5 -> P4 -> P3 -> P2
        for lat in reversed(laterals[:-1]):
            merged.insert(0, self.add([lat, self.upsample(merged[0])]))
        return [conv(p) for conv, p in zip(self.smooth, merged)]


class SemanticFPN(keras.Model):
    def __init__(self, num_classes=NUM_CLASSES, **kwargs):
        super().__init__(**kwargs)
        self.backbone = TinyBackbone()
        self.neck = FPNNeck()
        # level k (stride 4 * 2**k) needs k doublings to get back to stride 4
        self.level_heads = []
        for k in range(4):
            blocks = [ConvBNReLU(PYRAMID_CH // 2, name=f"seg_l{k}_b0")]
            blocks += [layers.UpSampling2D(2, interpolation="bilinear", name=f"seg_l{k}_up{j}") for j in range(k)]
            self.level_heads.append(blocks)
        self.classifier = layers.Conv2D(num_classes, 1, name="classifier")

    def call(self, images, training=False):
        pyramid = self.neck(self.backbone(images, training=training))
        summed = None
        for p, blocks in zip(pyramid, self.level_heads):
            h = p
            for b in blocks:
                h = b(h, training=training) if isinstance(b, ConvBNReLU) else b(h)
            summed = h if summed is None else summed + h
        logits = self.classifier(summed)
        return keras.ops.image.resize(logits, (IMG, IMG), interpolation="bilinear")

    def pyramid_shapes(self, images):
        return [tuple(p.shape) for p in self.neck(self.backbone(images))]


model = SemanticFPN()
optimizer = keras.optimizers.AdamW(LR, weight_decay=1e-4)
loss_obj = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
train_loss = keras.metrics.Mean(name="loss")
train_acc = keras.metrics.SparseCategoricalAccuracy(name="pix_acc")


@tf.function
def train_step(images, labels):
    with tf.GradientTape() as tape:
        logits = model(images, training=True)
        # down-weight background pixels, which dominate
        weights = tf.where(labels == 0, 0.3, 1.0)
        loss = loss_obj(labels, logits, sample_weight=weights)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 5.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    train_loss.update_state(loss)
    train_acc.update_state(labels, logits)
    return loss


x_np, y_np = synth_scene(BATCH * STEPS)
ds = (tf.data.Dataset.from_tensor_slices((x_np, y_np))
      .shuffle(len(x_np))
      .batch(BATCH, drop_remainder=True)
      .prefetch(2))

# build all weights eagerly once, so variable creation doesn't happen inside tf.function
dummy = tf.zeros((1, IMG, IMG, 3))
print("logits:", model(dummy).shape, "| pyramid:", model.pyramid_shapes(dummy))
print(f"trainable params: {sum(int(tf.size(v)) for v in model.trainable_variables):,}")

for epoch in range(2):
    t0 = time.time()
    train_loss.reset_state()
    train_acc.reset_state()
    for step, (xb, yb) in enumerate(ds):
        loss = train_step(xb, yb)
        if step % 4 == 0:
            print(f"  epoch {epoch} step {step:02d} loss={float(loss):.4f}")
    print(f"epoch {epoch}: loss={train_loss.result():.4f} acc={train_acc.result():.4f} ({time.time() - t0:.1f}s)")

test_x, test_y = synth_scene(8)
pred = np.argmax(model.predict(test_x, verbose=0), axis=-1)
ious = []
for c in range(1, NUM_CLASSES):
    inter = np.logical_and(pred == c, test_y == c).sum()
    union = np.logical_or(pred == c, test_y == c).sum()
    ious.append(inter / union if union else float("nan"))
print("per-class IoU:", {c: round(float(v), 3) for c, v in enumerate(ious, start=1)})
