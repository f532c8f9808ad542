#!/usr/bin/env python
# Image retrieval / landmark-style embedding model.
# Subclassed backbone + projection, L2-normalised output, ArcFace-ish margin head for training,
# then cosine-similarity retrieval in numpy.

import argparse

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


def get_args():
    ap = argparse.ArgumentParser(description="embedding retrieval toy")
    ap.add_argument("--img-size", type=int, default=40)
    ap.add_argument("--emb-dim", type=int, default=32)
    ap.add_argument("--n-ids", type=int, default=6)
    ap.add_argument("--per-id", type=int, default=6)
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--topk", type=int, default=3)
    return ap.parse_known_args()[0]


def make_identity_images(n_ids, per_id, size, seed=11):
    """Each identity = a fixed random 'template' + per-image noise/jitter."""
    rng = np.random.RandomState(seed)
    templates = rng.rand(n_ids, size // 4, size // 4, 3).astype("float32")
    images, ids = [], []
    for pid in range(n_ids):
        base = np.kron(templates[pid], np.ones((4, 4, 1), dtype="float32"))
        for _ in range(per_id):
            im = base + rng.normal(0, 0.08, base.shape).astype("float32")
            im = np.roll(im, rng.randint(-2, 3), axis=1)
            images.append(np.clip(im, 0, 1))
            ids.append(pid)
    return np.asarray(images), np.asarray(ids, dtype="int32")


def to_jpeg_bytes(images):
    u8 = tf.image.convert_image_dtype(images, tf.uint8, saturate=True)
    return [tf.io.encode_jpeg(im).numpy() for im in u8]


class L2Normalize(layers.Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, x):
        return tf.math.l2_normalize(x, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class GeM(layers.Layer):
    """Generalized mean pooling, common in retrieval comps."""

    def __init__(self, p=3.0, eps=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.init_p = p
        self.eps = eps

    def build(self, input_shape):
        self.p = self.add_weight(name="p", shape=(), initializer=keras.initializers.Constant(self.init_p))

    def call(self, x):
        x = tf.pow(tf.maximum(x, self.eps), self.p)
        x = tf.reduce_mean(x, axis=[1, 2])
        return tf.pow(x, 1.0 / self.p)


class EmbeddingNet(keras.Model):
    def __init__(self, emb_dim=32, widths=(16, 32, 64), **kwargs):
        super().__init__(**kwargs)
        self.blocks = []
        for w in widths:
            self.blocks.append(keras.Sequential([
                layers.Conv2D(w, 3, padding="same", use_bias=False),
                layers.BatchNormalization(),
                layers.Activation("relu"),
                layers.Conv2D(w, 3, padding="same", activation="relu"),
                layers.MaxPooling2D(),
            ]))
        self.pool = GeM()
        self.proj = layers.Dense(emb_dim)
        self.norm = L2Normalize()

    def call(self, x, training=False):
        for blk in self.blocks:
            x = blk(x, training=training)
        return self.norm(self.proj(self.pool(x)))


class ArcMarginHead(layers.Layer):
    def __init__(self, n_classes, scale=16.0, margin=0.2, **kwargs):
        super().__init__(**kwargs)
        self.n_classes, self.s, self.m = n_classes, scale, margin

    def build(self, input_shape):
        self.W = self.add_weight(shape=(input_shape[-1], self.n_classes), initializer="glorot_uniform", name="W")

    def call(self, emb, labels):
        w = tf.math.l2_normalize(self.W, axis=0)
        cos = tf.clip_by_value(tf.matmul(emb, w), -1.0 + 1e-6, 1.0 - 1e-6)
        theta = tf.acos(cos)
        target = tf.cos(theta + self.m)
        onehot = tf.one_hot(labels, self.n_classes)
        return self.s * (onehot * target + (1.0 - onehot) * cos)


def main():
    args = get_args()
    imgs, ids = make_identity_images(args.n_ids, args.per_id, args.img_size)
    blobs = to_jpeg_bytes(imgs)
    print(f"{len(blobs)} images, {args.n_ids} identities, avg jpeg size {np.mean([len(b) for b in blobs]):.0f}B")

    def load(b, y):
        x = tf.io.decode_jpeg(b, channels=3)
        x = tf.image.convert_image_dtype(x, tf.float32)
        return x, y

    def aug(x, y):
        x = tf.image.random_flip_left_right(x)
        x = tf.image.resize_with_crop_or_pad(x, args.img_size + 6, args.img_size + 6)
        x = tf.image.random_crop(x, [args.img_size, args.img_size, 3])
        return x, y

    train_ds = (tf.data.Dataset.from_tensor_slices((blobs, ids))
                .map(load).cache().shuffle(64).map(aug).batch(args.batch))
    gallery_ds = tf.data.Dataset.from_tensor_slices((blobs, ids)).map(load).batch(args.batch)

    net = EmbeddingNet(emb_dim=args.emb_dim)
    arc = ArcMarginHead(args.n_ids)
    opt = keras.optimizers.Adam(1e-3)
    ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            emb = net(x, training=True)
            logits = arc(emb, y)
            loss = ce(y, logits)
        variables = net.trainable_variables + arc.trainable_variables
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    losses = [float(step(x, y)) for x, y in train_ds]
    print("arcface losses:", np.round(losses, 3))

    # embed the whole gallery
    embs = np.concatenate([net(x, training=False).numpy() for x, _ in gallery_ds])
    norms = np.linalg.norm(embs, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4), norms[:5]

    sim = embs @ embs.T  # cosine because unit-norm
    np.fill_diagonal(sim, -np.inf)
    topk = np.argsort(-sim, axis=1)[:, :args.topk]
    hits = (ids[topk] == ids[:, None])
    print(f"precision@{args.topk}: {hits.mean():.3f}   recall@1: {hits[:, 0].mean():.3f}")

    # mean same-id vs different-id similarity
    same = ids[:, None] == ids[None, :]
    finite = np.isfinite(sim)
    print(f"mean cos same-id={sim[same & finite].mean():.3f}  diff-id={sim[~same].mean():.3f}")

    q = 0
    print(f"query {q} (id {ids[q]}) -> neighbours {topk[q].tolist()} ids {ids[topk[q]].tolist()}")


if __name__ == "__main__":
    main()
