"""seg_zoo/unet.py -- configurable U-Net family (UNet, Attention-UNet, ResUNet).

A ``UNetBuilder`` takes a ``UNetConfig`` and produces a functional model.  Variants
are just configs in ``VARIANTS``; ``build_unet("attention_unet")`` is what the
training scripts call.
"""
from dataclasses import dataclass, replace
from typing import Tuple

import numpy as np
import tensorflow as tf
import keras
from keras import layers


@dataclass(frozen=True)
class UNetConfig:
    input_shape: Tuple[int, int, int] = (48, 48, 3)
    num_classes: int = 3
    base_filters: int = 8
    depth: int = 3
    block: str = "double_conv"      # or "residual"
    attention_gates: bool = False
    upsample: str = "transpose"     # or "bilinear"
    dropout: float = 0.0


VARIANTS = {
    "unet": UNetConfig(),
    "attention_unet": UNetConfig(attention_gates=True, upsample="bilinear"),
    "res_unet": UNetConfig(block="residual", depth=2, base_filters=12, dropout=0.1),
}


class UNetBuilder:
    def __init__(self, config: UNetConfig):
        self.cfg = config
        self._skips = []

    # ---- blocks -----------------------------------------------------------
    def _double_conv(self, x, filters, prefix):
        for i in range(2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{prefix}_conv{i}")(x)
            x = layers.BatchNormalization(name=f"{prefix}_bn{i}")(x)
            x = layers.Activation("relu", name=f"{prefix}_relu{i}")(x)
        return x

    def _residual(self, x, filters, prefix):
        shortcut = x
        if x.shape[-1] != filters:
            shortcut = layers.Conv2D(filters, 1, name=f"{prefix}_skipproj")(x)
        y = self._double_conv(x, filters, prefix)
        return layers.Add(name=f"{prefix}_add")([shortcut, y])

    def _block(self, x, filters, prefix):
        if self.cfg.block == "residual":
            return self._residual(x, filters, prefix)
        return self._double_conv(x, filters, prefix)

    def _attention_gate(self, skip, gating, filters, prefix):
        """Additive attention gate from Oktay et al. (2018)."""
        theta = layers.Conv2D(filters, 1, name=f"{prefix}_theta")(skip)
        phi = layers.Conv2D(filters, 1, name=f"{prefix}_phi")(gating)
        f = layers.Activation("relu")(layers.Add()([theta, phi]))
        psi = layers.Conv2D(1, 1, activation="sigmoid", name=f"{prefix}_psi")(f)
        return layers.Multiply(name=f"{prefix}_gated")([skip, psi])  # broadcasts over channels

    def _upsample(self, x, filters, prefix):
        if self.cfg.upsample == "transpose":
            return layers.Conv2DTranspose(filters, 2, strides=2, padding="same", name=f"{prefix}_up")(x)
        x = layers.UpSampling2D(2, interpolation="bilinear", name=f"{prefix}_up")(x)
        return layers.Conv2D(filters, 1, name=f"{prefix}_upproj")(x)

    # ---- assembly ---------------------------------------------------------
    def encoder(self, x):
        self._skips = []
        for level in range(self.cfg.depth):
            filters = self.cfg.base_filters * 2 ** level
            x = self._block(x, filters, f"enc{level}")
            self._skips.append(x)
            x = layers.MaxPooling2D(2, name=f"enc{level}_pool")(x)
        return x

    def decoder(self, x):
        for level in reversed(range(self.cfg.depth)):
            filters = self.cfg.base_filters * 2 ** level
            x = self._upsample(x, filters, f"dec{level}")
            skip = self._skips[level]
            if self.cfg.attention_gates:
                skip = self._attention_gate(skip, x, filters // 2, f"att{level}")
            x = layers.Concatenate(name=f"dec{level}_cat")([x, skip])
            x = self._block(x, filters, f"dec{level}")
        return x

    def build(self):
        h, w, _ = self.cfg.input_shape
        stride = 2 ** self.cfg.depth
        if h % stride or w % stride:
            raise ValueError(f"input {h}x{w} must be divisible by {stride}")
        inputs = keras.Input(self.cfg.input_shape, name="image")
        x = self.encoder(inputs)
        x = self._block(x, self.cfg.base_filters * 2 ** self.cfg.depth, "bottleneck")
        if self.cfg.dropout:
            x = layers.SpatialDropout2D(self.cfg.dropout)(x)
        x = self.decoder(x)
        logits = layers.Conv2D(self.cfg.num_classes, 1, name="logits")(x)
        return keras.Model(inputs, logits, name=self._model_name())

    def _model_name(self):
        parts = ["unet", self.cfg.block]
        if self.cfg.attention_gates:
            parts.append("att")
        return "_".join(parts)


def build_unet(variant: str, **overrides) -> keras.Model:
    cfg = replace(VARIANTS[variant], **overrides)
    return UNetBuilder(cfg).build()


# ---- data -----------------------------------------------------------------
def synthetic_shapes(n, size, num_classes, seed=0):
    """Images with a bright square (class 1) and a dark disk (class 2)."""
    rng = np.random.default_rng(seed)
    imgs = rng.normal(0.5, 0.1, (n, size, size, 3)).astype("float32")
    masks = np.zeros((n, size, size), dtype="int32")
    yy, xx = np.mgrid[:size, :size]
    for i in range(n):
        x0, y0 = rng.integers(0, size - 16, 2)
        imgs[i, y0:y0 + 16, x0:x0 + 16] += 0.4
        masks[i, y0:y0 + 16, x0:x0 + 16] = 1
        cx, cy = rng.integers(8, size - 8, 2)
        disk = (yy - cy) ** 2 + (xx - cx) ** 2 < 36
        imgs[i][disk] -= 0.4
        masks[i][disk] = 2
    return imgs, masks[..., None] % num_classes


def augment(image, mask):
    # flip both image & mask together by stacking on channel axis
    stacked = tf.concat([image, tf.cast(mask, image.dtype)], axis=-1)
    stacked = tf.image.random_flip_left_right(stacked)
    stacked = tf.image.random_flip_up_down(stacked)
    image, mask = stacked[..., :3], tf.cast(stacked[..., 3:], tf.int32)
    image = tf.image.random_brightness(image, 0.1)
    return tf.clip_by_value(image, 0.0, 1.0), mask


def mean_iou(y_true, logits, num_classes):
    pred = tf.argmax(logits, axis=-1)
    m = keras.metrics.MeanIoU(num_classes=num_classes)
    m.update_state(tf.squeeze(y_true, -1), pred)
    return float(m.result())


if __name__ == "__main__":
    keras.utils.set_random_seed(3)
    imgs, masks = synthetic_shapes(40, 48, 3)
    train_ds = (tf.data.Dataset.from_tensor_slices((imgs[:32], masks[:32]))
                .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
                .batch(8)
                .prefetch(2))

    for variant in VARIANTS:
        model = build_unet(variant)
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(train_ds, epochs=1, verbose=0)
        logits = model.predict(imgs[32:], verbose=0)
        print(f"{variant:<16} {model.name:<26} params={model.count_params():>7,} "
              f"out={logits.shape} mIoU={mean_iou(masks[32:], logits, 3):.3f}")

    try:
        build_unet("unet", input_shape=(60, 60, 3))
    except ValueError as e:
        print("expected config error:", e)
