"""Joint semantic segmentation + monocular depth (NYUv2-style) with a custom train_step.

A light U-Net encoder/decoder is shared by two dense heads plus a low-resolution
auxiliary segmentation head on the bottleneck (deep supervision). The depth target
has invalid pixels (zeros from the sensor), so the depth loss is masked, which is
awkward to express with plain compile(loss=...). Instead we subclass keras.Model,
override train_step/test_step, and track every task loss with its own Mean metric.

Depth loss = scale-invariant log loss (Eigen et al. 2014).
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

H, W = 64, 64
NUM_CLASSES = 7
BASE_FILTERS = 16
TASK_WEIGHTS = {"seg": 1.0, "depth": 0.5, "aux_seg": 0.2}
SI_LAMBDA = 0.5


# ---------------------------------------------------------------- architecture
def double_conv(x, filters, prefix):
    for i in range(2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{prefix}_conv{i}")(x)
        x = layers.BatchNormalization(name=f"{prefix}_bn{i}")(x)
        x = layers.ReLU(name=f"{prefix}_relu{i}")(x)
    return x


def build_backbone(input_shape=(H, W, 3), depth=3):
    """Returns a functional model: image -> (decoder_features, bottleneck)."""
    inp = keras.Input(shape=input_shape, name="rgb")
    skips, x = [], inp
    for d in range(depth):
        x = double_conv(x, BASE_FILTERS * 2**d, prefix=f"enc{d}")
        skips.append(x)
        x = layers.MaxPooling2D(name=f"down{d}")(x)
    bottleneck = double_conv(x, BASE_FILTERS * 2**depth, prefix="mid")

    x = bottleneck
    for d in reversed(range(depth)):
        x = layers.Conv2DTranspose(BASE_FILTERS * 2**d, 2, strides=2, name=f"up{d}")(x)
        x = layers.Concatenate(name=f"skip{d}")([x, skips[d]])
        x = double_conv(x, BASE_FILTERS * 2**d, prefix=f"dec{d}")
    return keras.Model(inp, [x, bottleneck], name="unet_backbone")


class SegDepthNet(keras.Model):
    def __init__(self, num_classes=NUM_CLASSES, task_weights=None, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.task_weights = dict(task_weights or TASK_WEIGHTS)
        self.backbone = build_backbone()
        self.seg_head = layers.Conv2D(num_classes, 1, name="seg_logits")
        self.depth_head = keras.Sequential(
            [layers.Conv2D(BASE_FILTERS, 3, padding="same", activation="relu"),
             layers.Conv2D(1, 1, activation="softplus")],
            name="depth_head",
        )
        self.aux_head = layers.Conv2D(num_classes, 1, name="aux_seg_logits")

        self.trackers = {"loss": keras.metrics.Mean(name="loss")}
        self.trackers.update(
            {name: keras.metrics.Mean(name=f"{name}_loss") for name in ["seg", "depth", "aux_seg"]}
        )
        self.miou = keras.metrics.MeanIoU(num_classes=num_classes, name="miou")

    def call(self, images, training=False):
        feats, bottleneck = self.backbone(images, training=training)
        return {
            "seg": self.seg_head(feats),
            "depth": self.depth_head(feats, training=training),
            "aux_seg": self.aux_head(bottleneck),
        }

    @property
    def metrics(self):
        return list(self.trackers.values()) + [self.miou]

    # -------------------------------------------------------------- losses
    def _seg_loss(self, labels, logits):
        return ops.mean(
            keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        )

    def _aux_seg_loss(self, labels, logits):
        # nearest-neighbour downsample the labels to the bottleneck resolution
        h, w = logits.shape[1], logits.shape[2]
        small = tf.image.resize(labels[..., None], (h, w), method="nearest")[..., 0]
        return self._seg_loss(small, logits)

    def _depth_loss(self, depth_true, depth_pred):
        valid = ops.cast(depth_true > 0.0, "float32")
        n_valid = ops.maximum(ops.sum(valid, axis=[1, 2, 3]), 1.0)
        # keep log() away from invalid (zero) pixels, otherwise nan * 0 = nan
        safe_true = ops.where(valid > 0, depth_true, ops.ones_like(depth_true))
        d = (ops.log(depth_pred + 1e-6) - ops.log(safe_true)) * valid
        term1 = ops.sum(ops.square(d), axis=[1, 2, 3]) / n_valid
        term2 = ops.square(ops.sum(d, axis=[1, 2, 3])) / ops.square(n_valid)
        return ops.mean(term1 - SI_LAMBDA * term2)

    def _all_losses(self, y, y_pred):
        losses = {
            "seg": self._seg_loss(y["seg"], y_pred["seg"]),
            "depth": self._depth_loss(y["depth"], y_pred["depth"]),
            "aux_seg": self._aux_seg_loss(y["seg"], y_pred["aux_seg"]),
        }
        total = sum(self.task_weights[k] * v for k, v in losses.items())
        return total, losses

    def _update_metrics(self, total, losses, y, y_pred):
        self.trackers["loss"].update_state(total)
        for k, v in losses.items():
            self.trackers[k].update_state(v)
        self.miou.update_state(y["seg"], ops.argmax(y_pred["seg"], axis=-1))
        return {m.name: m.result() for m in self.metrics}

    # -------------------------------------------------------------- steps
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            total, losses = self._all_losses(y, y_pred)
            total = total + ops.sum(self.losses) if self.losses else total
        grads = tape.gradient(total, self.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return self._update_metrics(total, losses, y, y_pred)

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        total, losses = self._all_losses(y, y_pred)
        return self._update_metrics(total, losses, y, y_pred)


# ---------------------------------------------------------------- data
def synthetic_scene(seed):
    """Blobs of random class on a gradient 'floor'; depth increases towards the top."""
    rng = np.random.default_rng(seed)
    seg = np.zeros((H, W), np.int32)
    for _ in range(4):
        cy, cx = rng.integers(0, H), rng.integers(0, W)
        r = rng.integers(6, 18)
        yy, xx = np.ogrid[:H, :W]
        seg[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = rng.integers(1, NUM_CLASSES)
    depth = np.linspace(10.0, 1.0, H, dtype=np.float32)[:, None].repeat(W, axis=1)
    depth = np.maximum(depth - 0.3 * seg, 0.5)  # objects sit in front of the background
    depth[rng.random((H, W)) < 0.05] = 0.0  # sensor dropouts
    rgb = np.stack([seg / NUM_CLASSES, depth / 10.0, rng.random((H, W))], axis=-1)
    return rgb.astype(np.float32), seg, depth[..., None].astype(np.float32)


def make_dataset(n, batch_size, seed0=0):
    samples = [synthetic_scene(seed0 + i) for i in range(n)]
    rgb = np.stack([s[0] for s in samples])
    seg = np.stack([s[1] for s in samples])
    depth = np.stack([s[2] for s in samples])
    ds = tf.data.Dataset.from_tensor_slices((rgb, {"seg": seg, "depth": depth}))
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def main():
    train_ds = make_dataset(48, batch_size=8)
    val_ds = make_dataset(16, batch_size=8, seed0=1000)

    model = SegDepthNet(name="seg_depth_net")
    sample = next(iter(train_ds))[0]
    outs = model(sample)
    for k, v in outs.items():
        print(f"{k:>8s} -> {tuple(v.shape)}")

    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)
    print({k: round(float(v[-1]), 4) for k, v in history.history.items()})


if __name__ == "__main__":
    main()
