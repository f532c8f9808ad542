"""
A small Swin Transformer for image classification.

Implements the core pieces of "Swin Transformer: Hierarchical Vision
Transformer using Shifted Windows": window partitioning / reversal via
reshape + transpose, window multi-head self-attention with a learned
relative position bias, cyclic shift with an attention mask for the
shifted-window variant, and patch merging between stages.
Trained for one epoch on random 32x32 images.
"""

import numpy as np
import keras
from keras import layers, ops

CFG = dict(
    image_size=32, patch_size=2, num_classes=10, embed_dim=32,
    depths=(2, 2), num_heads=(2, 4), window_size=4, mlp_ratio=2.0,
    dropout=0.05, batch_size=32, epochs=1, lr=1e-3,
)


def window_partition(x, window_size):
    """(B, H, W, C) -> (B * nW, ws * ws, C)."""
    _, height, width, channels = x.shape
    x = ops.reshape(
        x, (-1, height // window_size, window_size,
            width // window_size, window_size, channels)
    )
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, window_size * window_size, channels))


def window_reverse(windows, window_size, height, width):
    """(B * nW, ws * ws, C) -> (B, H, W, C)."""
    channels = windows.shape[-1]
    x = ops.reshape(
        windows, (-1, height // window_size, width // window_size,
                  window_size, window_size, channels)
    )
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, height, width, channels))


def relative_position_index(window_size):
    coords = np.stack(np.meshgrid(np.arange(window_size), np.arange(window_size),
                                  indexing="ij")).reshape(2, -1)
    rel = (coords[:, :, None] - coords[:, None, :]).transpose(1, 2, 0)
    rel += window_size - 1
    rel[:, :, 0] *= 2 * window_size - 1
    return rel.sum(-1).astype("int32")


def shifted_window_mask(height, width, window_size, shift):
    img_mask = np.zeros((1, height, width, 1), dtype="float32")
    slices = (slice(0, -window_size), slice(-window_size, -shift), slice(-shift, None))
    cnt = 0
    for h in slices:
        for w in slices:
            img_mask[:, h, w, :] = cnt
            cnt += 1
    mask_windows = window_partition(ops.convert_to_tensor(img_mask), window_size)
    mask_windows = ops.squeeze(mask_windows, axis=-1)
    diff = ops.expand_dims(mask_windows, 1) - ops.expand_dims(mask_windows, 2)
    return ops.where(ops.not_equal(diff, 0.0), -100.0, 0.0)  # (nW, N, N)


class WindowAttention(layers.Layer):
    def __init__(self, dim, window_size, num_heads, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.window_size = window_size
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = layers.Dense(dim * 3)
        self.proj = layers.Dense(dim)
        self.drop = layers.Dropout(dropout)
        self.rel_index = relative_position_index(window_size).reshape(-1)

    def build(self, input_shape):
        self.bias_table = self.add_weight(
            name="relative_position_bias_table",
            shape=((2 * self.window_size - 1) ** 2, self.num_heads),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
        )

    def call(self, x, mask=None, training=None):
        n, c = x.shape[1], x.shape[2]
        qkv = ops.reshape(self.qkv(x), (-1, n, 3, self.num_heads, c // self.num_heads))
        qkv = ops.transpose(qkv, (2, 0, 3, 1, 4))
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2)))

        bias = ops.take(self.bias_table, self.rel_index, axis=0)
        bias = ops.transpose(ops.reshape(bias, (n, n, self.num_heads)), (2, 0, 1))
        attn = attn + bias[None]
        if mask is not None:
            num_windows = mask.shape[0]
            attn = ops.reshape(attn, (-1, num_windows, self.num_heads, n, n))
            attn = attn + mask[None, :, None, :, :]
            attn = ops.reshape(attn, (-1, self.num_heads, n, n))
        attn = self.drop(ops.softmax(attn, axis=-1), training=training)

        out = ops.transpose(ops.matmul(attn, v), (0, 2, 1, 3))
        return self.drop(self.proj(ops.reshape(out, (-1, n, c))), training=training)


class SwinBlock(layers.Layer):
    def __init__(self, dim, resolution, num_heads, window_size, shift,
                 mlp_ratio=2.0, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.resolution = resolution
        self.window_size = min(window_size, resolution)
        self.shift = 0 if resolution <= window_size else shift
        self.norm1 = layers.LayerNormalization(epsilon=1e-5)
        self.attn = WindowAttention(dim, self.window_size, num_heads, dropout)
        self.norm2 = layers.LayerNormalization(epsilon=1e-5)
        self.mlp = keras.Sequential([
            layers.Dense(int(dim * mlp_ratio), activation="gelu"),
            layers.Dropout(dropout),
            layers.Dense(dim),
        ])
        self.attn_mask = None
        if self.shift > 0:
            self.attn_mask = shifted_window_mask(
                resolution, resolution, self.window_size, self.shift)

    def call(self, x, training=None):
        h = w = self.resolution
        shortcut = x
        x = self.norm1(x)
        if self.shift > 0:
            x = ops.roll(x, shift=(-self.shift, -self.shift), axis=(1, 2))
        windows = window_partition(x, self.window_size)
        windows = self.attn(windows, mask=self.attn_mask, training=training)
        x = window_reverse(windows, self.window_size, h, w)
        if self.shift > 0:
            x = ops.roll(x, shift=(self.shift, self.shift), axis=(1, 2))
        x = shortcut + x
        return x + self.mlp(self.norm2(x), training=training)


class PatchMerging(layers.Layer):
    """Concatenate each 2x2 neighbourhood and project 4C -> 2C."""

    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.norm = layers.LayerNormalization(epsilon=1e-5)
        self.reduction = layers.Dense(2 * dim, use_bias=False)

    def call(self, x):
        x0, x1 = x[:, 0::2, 0::2, :], x[:, 1::2, 0::2, :]
        x2, x3 = x[:, 0::2, 1::2, :], x[:, 1::2, 1::2, :]
        return self.reduction(self.norm(ops.concatenate([x0, x1, x2, x3], axis=-1)))


def build_swin(cfg):
    inputs = keras.Input((cfg["image_size"], cfg["image_size"], 3))
    x = layers.RandomFlip("horizontal")(inputs)
    x = layers.Conv2D(cfg["embed_dim"], cfg["patch_size"], strides=cfg["patch_size"],
                      name="patch_embed")(x)
    x = layers.LayerNormalization(epsilon=1e-5)(x)

    dim = cfg["embed_dim"]
    resolution = cfg["image_size"] // cfg["patch_size"]
    for stage, (depth, heads) in enumerate(zip(cfg["depths"], cfg["num_heads"])):
        for i in range(depth):
            x = SwinBlock(
                dim, resolution, heads, cfg["window_size"],
                shift=0 if i % 2 == 0 else cfg["window_size"] // 2,
                mlp_ratio=cfg["mlp_ratio"], dropout=cfg["dropout"],
                name=f"stage{stage}_block{i}",
            )(x)
        if stage < len(cfg["depths"]) - 1:
            x = PatchMerging(dim, name=f"merge{stage}")(x)
            dim, resolution = dim * 2, resolution // 2

    x = layers.LayerNormalization(epsilon=1e-5)(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(cfg["num_classes"], activation="softmax")(x)
    return keras.Model(inputs, outputs, name="swin_tiny_tiny")


if __name__ == "__main__":
    x_train = np.random.rand(160, 32, 32, 3).astype("float32")
    y_train = keras.utils.to_categorical(np.random.randint(0, 10, 160), 10)
    x_test = np.random.rand(32, 32, 32, 3).astype("float32")

    # Sanity check: partition followed by reverse is the identity.
    probe = ops.convert_to_tensor(x_test[:2])
    restored = window_reverse(window_partition(probe, 4), 4, 32, 32)
    print("partition/reverse max err:", float(ops.max(ops.abs(restored - probe))))

    model = build_swin(CFG)
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=CFG["lr"], weight_decay=1e-4),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
        metrics=["accuracy", keras.metrics.TopKCategoricalAccuracy(5, name="top5")],
    )
    model.summary()
    model.fit(x_train, y_train, batch_size=CFG["batch_size"], epochs=CFG["epochs"],
              validation_split=0.2, verbose=2)
    probs = model.predict(x_test, batch_size=16, verbose=0)
    print("predictions:", probs.shape, probs.argmax(-1)[:10])
