"""Tiny ViT with three interchangeable patch-embedding front ends.

- ConvPatchEmbed:     Conv2D with kernel == stride == patch size (timm style)
- ReshapePatchEmbed:  explicit reshape/transpose "patchify" + Dense
- ShiftedPatchTokenization: SPT from "ViT for Small-Size Datasets" (Lee et al.)

Plus a [CLS] token, learned positional embeddings (with 2D interpolation when
the input resolution changes) and a tf.data input pipeline on random images.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

IMG_SIZE = 32
PATCH = 4
CHANNELS = 3
EMBED_DIM = 64
DEPTH = 2
HEADS = 4
NUM_CLASSES = 10
BATCH = 32


class ConvPatchEmbed(layers.Layer):
    def __init__(self, patch_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size
        self.proj = layers.Conv2D(embed_dim, patch_size, strides=patch_size, padding="valid")

    def call(self, images):
        x = self.proj(images)                               # (B, H/p, W/p, D)
        b, gh, gw, d = ops.shape(x)
        return ops.reshape(x, (-1, gh * gw, d))


class ReshapePatchEmbed(layers.Layer):
    def __init__(self, patch_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.p = patch_size
        self.proj = layers.Dense(embed_dim)

    def call(self, images):
        _, h, w, c = ops.shape(images)
        p = self.p
        x = ops.reshape(images, (-1, h // p, p, w // p, p, c))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))            # (B, gh, gw, p, p, C)
        x = ops.reshape(x, (-1, (h // p) * (w // p), p * p * c))
        return self.proj(x)


class ShiftedPatchTokenization(layers.Layer):
    """Concatenate the image with 4 diagonally shifted copies before patchifying."""

    def __init__(self, patch_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.p = patch_size
        self.half = patch_size // 2
        self.norm = layers.LayerNormalization(epsilon=1e-6)
        self.proj = layers.Dense(embed_dim)

    def _shift(self, images, dy, dx):
        s = self.half
        padded = ops.pad(images, ((0, 0), (s, s), (s, s), (0, 0)))
        h, w = ops.shape(images)[1], ops.shape(images)[2]
        return padded[:, s + dy: s + dy + h, s + dx: s + dx + w, :]

    def call(self, images):
        s = self.half
        shifts = [(-s, -s), (-s, s), (s, -s), (s, s)]
        x = ops.concatenate([images] + [self._shift(images, dy, dx) for dy, dx in shifts], axis=-1)
        patches = keras.ops.image.extract_patches(x, size=(self.p, self.p), strides=(self.p, self.p))
        b_gh_gw_k = ops.shape(patches)
        patches = ops.reshape(patches, (-1, b_gh_gw_k[1] * b_gh_gw_k[2], b_gh_gw_k[3]))
        return self.proj(self.norm(patches))


class ClsTokenAndPosition(layers.Layer):
    def __init__(self, num_patches, **kwargs):
        super().__init__(**kwargs)
        self.num_patches = num_patches

    def build(self, input_shape):
        d = input_shape[-1]
        self.cls = self.add_weight(name="cls", shape=(1, 1, d), initializer="zeros")
        self.pos = self.add_weight(name="pos", shape=(1, self.num_patches + 1, d),
                                   initializer=keras.initializers.TruncatedNormal(stddev=0.02))

    def call(self, x):
        batch = ops.shape(x)[0]
        cls = ops.broadcast_to(self.cls, (batch, 1, ops.shape(x)[-1]))
        x = ops.concatenate([cls, x], axis=1)
        return x + self.pos


def interpolate_pos_embed(pos, new_grid):
    """Bilinearly resize a (1, 1+N, D) pos table to a new grid (DeiT fine-tuning trick)."""
    cls_pos, patch_pos = pos[:, :1], pos[:, 1:]
    old = int(np.sqrt(patch_pos.shape[1]))
    d = patch_pos.shape[-1]
    grid = ops.reshape(patch_pos, (1, old, old, d))
    grid = ops.image.resize(grid, (new_grid, new_grid), interpolation="bicubic")
    grid = ops.reshape(grid, (1, new_grid * new_grid, d))
    return ops.concatenate([cls_pos, grid], axis=1)


def encoder_block(x, idx, drop_path=0.0):
    h = layers.LayerNormalization(epsilon=1e-6, name=f"enc{idx}_ln1")(x)
    h = layers.MultiHeadAttention(HEADS, EMBED_DIM // HEADS, dropout=0.0, name=f"enc{idx}_mha")(h, h)
    if drop_path:
        # stochastic depth: drop whole residual branch per sample
        h = layers.Dropout(drop_path, noise_shape=(None, 1, 1), name=f"enc{idx}_dp1")(h)
    x = layers.Add(name=f"enc{idx}_add1")([x, h])
    h = layers.LayerNormalization(epsilon=1e-6, name=f"enc{idx}_ln2")(x)
    h = layers.Dense(EMBED_DIM * 2, activation="gelu", name=f"enc{idx}_fc1")(h)
    h = layers.Dense(EMBED_DIM, name=f"enc{idx}_fc2")(h)
    return layers.Add(name=f"enc{idx}_add2")([x, h])


def build_vit(embed="conv", img_size=IMG_SIZE):
    num_patches = (img_size // PATCH) ** 2
    embedders = {
        "conv": ConvPatchEmbed,
        "reshape": ReshapePatchEmbed,
        "spt": ShiftedPatchTokenization,
    }
    inputs = keras.Input((img_size, img_size, CHANNELS))
    x = layers.Rescaling(1 / 127.5, offset=-1.0)(inputs)
    x = embedders[embed](PATCH, EMBED_DIM, name="patch_embed")(x)
    x = ClsTokenAndPosition(num_patches, name="cls_pos")(x)
    dpr = np.linspace(0.0, 0.1, DEPTH)
    for i in range(DEPTH):
        x = encoder_block(x, i, drop_path=float(dpr[i]))
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    cls_out = x[:, 0]
    logits = layers.Dense(NUM_CLASSES, name="head")(cls_out)
    return keras.Model(inputs, logits, name=f"vit_{embed}")


def make_pipeline(n=320, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, IMG_SIZE, IMG_SIZE, CHANNELS)).astype("uint8")
    labels = rng.integers(0, NUM_CLASSES, size=(n,)).astype("int32")

    def augment(img, label):
        img = tf.image.convert_image_dtype(img, tf.float32) * 255.0
        img = tf.image.random_flip_left_right(img)
        img = tf.image.resize_with_crop_or_pad(img, IMG_SIZE + 4, IMG_SIZE + 4)
        img = tf.image.random_crop(img, (IMG_SIZE, IMG_SIZE, CHANNELS))
        return img, label

    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    ds = ds.shuffle(n).map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(BATCH, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


if __name__ == "__main__":
    # the conv and reshape embeddings are the same op: copy kernels and compare
    img = keras.random.uniform((2, IMG_SIZE, IMG_SIZE, CHANNELS))
    conv_emb, lin_emb = ConvPatchEmbed(PATCH, EMBED_DIM), ReshapePatchEmbed(PATCH, EMBED_DIM)
    a = conv_emb(img)
    _ = lin_emb(img)
    k, b = conv_emb.proj.get_weights()                      # (p, p, C, D)
    lin_emb.proj.set_weights([k.reshape(-1, EMBED_DIM), b])
    print("patch tokens:", tuple(a.shape),
          "conv == reshape:", np.allclose(ops.convert_to_numpy(a), ops.convert_to_numpy(lin_emb(img)), atol=1e-5))
    print("spt tokens:", tuple(ShiftedPatchTokenization(PATCH, EMBED_DIM)(img).shape))

    ds = make_pipeline()
    model = build_vit("spt")
    model.compile(
        optimizer=keras.optimizers.AdamW(1e-3, weight_decay=0.05),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    model.summary(line_length=100)
    model.fit(ds, epochs=1, verbose=2)

    # resolution change: resize the learned table for 48x48 inputs
    pos = model.get_layer("cls_pos").pos
    new_pos = interpolate_pos_embed(pos, (48 // PATCH))
    print("pos embed", tuple(pos.shape), "->", tuple(new_pos.shape))
