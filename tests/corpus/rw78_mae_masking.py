"""Masked Autoencoder (MAE, He et al. 2021) - tiny Keras 3 version.

Per-sample random masking is done the "official" way: sample uniform noise,
argsort it to get a random permutation, keep the first (1 - mask_ratio) patches,
and argsort again to get the indices needed to restore the original order in
the decoder. Loss is MSE on (per-patch normalised) pixels of masked patches only.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


@dataclass
class MAEConfig:
    image_size: int = 32
    patch_size: int = 4
    channels: int = 3
    mask_ratio: float = 0.75
    enc_dim: int = 64
    enc_depth: int = 2
    enc_heads: int = 4
    dec_dim: int = 48
    dec_depth: int = 1
    dec_heads: int = 4
    mlp_ratio: int = 2
    norm_pix_loss: bool = True
    batch_size: int = 32
    num_train: int = 256
    lr: float = 1.5e-4
    epochs: int = 1

    @property
    def num_patches(self):
        return (self.image_size // self.patch_size) ** 2

    @property
    def patch_dim(self):
        return self.patch_size * self.patch_size * self.channels


def sincos_pos_embed(dim, grid_size):
    """2D sin-cos positional embedding, returns (grid_size**2, dim) numpy array."""
    gh, gw = np.meshgrid(np.arange(grid_size, dtype=np.float32),
                         np.arange(grid_size, dtype=np.float32), indexing="ij")

    def one_d(d, pos):
        omega = 1.0 / 10000 ** (np.arange(d // 2, dtype=np.float32) / (d / 2.0))
        out = np.einsum("m,d->md", pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)

    emb = np.concatenate([one_d(dim // 2, gh), one_d(dim // 2, gw)], axis=1)
    return emb.astype("float32")


# --------------------------------------------------------------------------- #
# layers
# --------------------------------------------------------------------------- #
class Patchify(layers.Layer):
    """(B, H, W, C) -> (B, N, p*p*C) using reshape/transpose."""

    def __init__(self, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.p = patch_size

    def call(self, images):
        b = ops.shape(images)[0]
        h, w, c = images.shape[1], images.shape[2], images.shape[3]
        gh, gw = h // self.p, w // self.p
        x = ops.reshape(images, (b, gh, self.p, gw, self.p, c))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (b, gh * gw, self.p * self.p * c))


def unpatchify(patches, cfg):
    """(B, N, p*p*C) -> (B, H, W, C); used only for visualisation."""
    g = cfg.image_size // cfg.patch_size
    p, c = cfg.patch_size, cfg.channels
    x = ops.reshape(patches, (-1, g, g, p, p, c))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, g * p, g * p, c))


class RandomMasking(layers.Layer):
    """Per-sample random masking by argsort of uniform noise."""

    def __init__(self, mask_ratio, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.mask_ratio = mask_ratio
        self.seed_gen = keras.random.SeedGenerator(seed)

    def call(self, x):
        batch = ops.shape(x)[0]
        num_patches = x.shape[1]
        len_keep = int(num_patches * (1 - self.mask_ratio))

        noise = keras.random.uniform((batch, num_patches), seed=self.seed_gen)
        ids_shuffle = ops.argsort(noise, axis=1)          # ascend: small is keep
        ids_restore = ops.argsort(ids_shuffle, axis=1)
        ids_keep = ids_shuffle[:, :len_keep]

        x_visible = tf.gather(x, ids_keep, batch_dims=1)  # (B, len_keep, D)

        # binary mask: 0 is keep, 1 is remove (in original patch order)
        mask = ops.concatenate(
            [ops.zeros((batch, len_keep)), ops.ones((batch, num_patches - len_keep))],
            axis=1,
        )
        mask = ops.take_along_axis(mask, ids_restore, axis=1)
        return x_visible, mask, ids_restore


class TransformerBlock(layers.Layer):
    def __init__(self, dim, heads, mlp_ratio=4, **kwargs):
        super().__init__(**kwargs)
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.attn = layers.MultiHeadAttention(num_heads=heads, key_dim=dim // heads)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.mlp = keras.Sequential(
            [layers.Dense(dim * mlp_ratio, activation="gelu"), layers.Dense(dim)]
        )

    def call(self, x, training=False):
        h = self.norm1(x)
        x = x + self.attn(h, h, training=training)
        x = x + self.mlp(self.norm2(x), training=training)
        return x


class MAEEncoder(layers.Layer):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.patch_embed = layers.Dense(cfg.enc_dim, name="patch_embed")
        self.masking = RandomMasking(cfg.mask_ratio, seed=1337)
        self.blocks = [
            TransformerBlock(cfg.enc_dim, cfg.enc_heads, cfg.mlp_ratio, name=f"enc_block_{i}")
            for i in range(cfg.enc_depth)
        ]
        self.norm = layers.LayerNormalization(epsilon=1e-6)

    def build(self, input_shape):
        grid = self.cfg.image_size // self.cfg.patch_size
        self.pos_embed = self.add_weight(
            name="pos_embed",
            shape=(1, self.cfg.num_patches, self.cfg.enc_dim),
            initializer=keras.initializers.Constant(sincos_pos_embed(self.cfg.enc_dim, grid)[None]),
            trainable=False,
        )
        self.cls_token = self.add_weight(
            name="cls_token", shape=(1, 1, self.cfg.enc_dim),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
        )

    def call(self, patches, training=False):
        x = self.patch_embed(patches) + self.pos_embed
        x, mask, ids_restore = self.masking(x)

        cls = ops.broadcast_to(self.cls_token, (ops.shape(x)[0], 1, self.cfg.enc_dim))
        x = ops.concatenate([cls, x], axis=1)
        for blk in self.blocks:
            x = blk(x, training=training)
        return self.norm(x), mask, ids_restore


class MAEDecoder(layers.Layer):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.embed = layers.Dense(cfg.dec_dim)
        self.blocks = [
            TransformerBlock(cfg.dec_dim, cfg.dec_heads, cfg.mlp_ratio, name=f"dec_block_{i}")
            for i in range(cfg.dec_depth)
        ]
        self.norm = layers.LayerNormalization(epsilon=1e-6)
        self.pred = layers.Dense(cfg.patch_dim)

    def build(self, input_shape):
        grid = self.cfg.image_size // self.cfg.patch_size
        self.mask_token = self.add_weight(
            name="mask_token", shape=(1, 1, self.cfg.dec_dim), initializer="zeros"
        )
        self.pos_embed = self.add_weight(
            name="dec_pos_embed",
            shape=(1, self.cfg.num_patches + 1, self.cfg.dec_dim),
            initializer=keras.initializers.Constant(
                np.concatenate(
                    [np.zeros((1, self.cfg.dec_dim), "float32"),
                     sincos_pos_embed(self.cfg.dec_dim, grid)], axis=0)[None]
            ),
            trainable=False,
        )

    def call(self, latent, ids_restore, training=False):
        x = self.embed(latent)                         # (B, 1 + L_keep, Dd)
        batch = ops.shape(x)[0]
        n_mask = self.cfg.num_patches + 1 - x.shape[1]
        mask_tokens = ops.tile(self.mask_token, (batch, n_mask, 1))

        x_ = ops.concatenate([x[:, 1:, :], mask_tokens], axis=1)     # drop cls
        x_ = ops.take_along_axis(x_, ops.expand_dims(ids_restore, -1), axis=1)  # unshuffle
        x = ops.concatenate([x[:, :1, :], x_], axis=1)                # re-append cls

        x = x + self.pos_embed
        for blk in self.blocks:
            x = blk(x, training=training)
        x = self.norm(x)
        return self.pred(x)[:, 1:, :]                  # drop cls token prediction


class MaskedAutoencoder(keras.Model):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.patchify = Patchify(cfg.patch_size)
        self.encoder = MAEEncoder(cfg, name="mae_encoder")
        self.decoder = MAEDecoder(cfg, name="mae_decoder")
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def call(self, images, training=False):
        patches = self.patchify(images)
        latent, mask, ids_restore = self.encoder(patches, training=training)
        pred = self.decoder(latent, ids_restore, training=training)
        return pred, mask, patches

    def reconstruction_loss(self, patches, pred, mask):
        target = patches
        if self.cfg.norm_pix_loss:
            mean = ops.mean(target, axis=-1, keepdims=True)
            var = ops.var(target, axis=-1, keepdims=True)
            target = (target - mean) / ops.sqrt(var + 1e-6)
        per_patch = ops.mean(ops.square(pred - target), axis=-1)   # (B, N)
        return ops.sum(per_patch * mask) / ops.sum(mask)           # masked patches only

    def train_step(self, images):
        with tf.GradientTape() as tape:
            pred, mask, patches = self(images, training=True)
            loss = self.reconstruction_loss(patches, pred, mask)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def test_step(self, images):
        pred, mask, patches = self(images, training=False)
        self.loss_tracker.update_state(self.reconstruction_loss(patches, pred, mask))
        return {"loss": self.loss_tracker.result()}

    @property
    def metrics(self):
        return [self.loss_tracker]


def make_dataset(cfg, n, training=True):
    # checkerboard-ish synthetic images with random phase/frequency
    coords = np.linspace(0, 2 * np.pi, cfg.image_size, dtype="float32")
    xx, yy = np.meshgrid(coords, coords)
    freqs = np.random.uniform(1, 4, size=(n, 1, 1, cfg.channels)).astype("float32")
    phase = np.random.uniform(0, np.pi, size=(n, 1, 1, cfg.channels)).astype("float32")
    imgs = 0.5 + 0.5 * np.sin(freqs * xx[None, ..., None] + phase) * np.cos(freqs * yy[None, ..., None])
    ds = tf.data.Dataset.from_tensor_slices(imgs.astype("float32"))
    if training:
        ds = ds.shuffle(n).map(tf.image.random_flip_left_right, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(cfg.batch_size).prefetch(tf.data.AUTOTUNE)


def main():
    cfg = MAEConfig()
    print(f"patches per image: {cfg.num_patches}, visible: "
          f"{int(cfg.num_patches * (1 - cfg.mask_ratio))}, patch dim: {cfg.patch_dim}")

    train_ds = make_dataset(cfg, cfg.num_train)
    val_ds = make_dataset(cfg, 64, training=False)

    model = MaskedAutoencoder(cfg)
    sample = next(iter(val_ds))
    pred, mask, patches = model(sample[:2])
    print("pred:", pred.shape, "mask:", mask.shape, "patches:", patches.shape)
    print("masked fraction:", float(ops.mean(mask)))

    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=cfg.lr, weight_decay=0.05))
    model.fit(train_ds, validation_data=val_ds, epochs=cfg.epochs, verbose=2)

    # reconstruct: paste visible patches back over prediction (as in the demo notebook)
    pred, mask, patches = model(sample[:4], training=False)
    m = ops.expand_dims(mask, -1)
    if cfg.norm_pix_loss:
        mu = ops.mean(patches, axis=-1, keepdims=True)
        sd = ops.sqrt(ops.var(patches, axis=-1, keepdims=True) + 1e-6)
        pred = pred * sd + mu
    pasted = unpatchify(patches * (1 - m) + pred * m, cfg)
    print("reconstruction:", pasted.shape, "range: [%.2f, %.2f]"
          % (float(ops.min(pasted)), float(ops.max(pasted))))


if __name__ == "__main__":
    main()
