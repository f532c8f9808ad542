"""Content-based image retrieval with a ResNet50V2 backbone.

Pipeline:
  1. ResNet50V2 (include_top=False) -> GeM pooling -> L2-normalised descriptor
  2. gallery descriptors stacked into a matrix
  3. cosine similarity via a single matmul, top-k with tf.math.top_k
  4. optional alpha-query-expansion (alpha-QE) re-ranking
  5. recall@k / mAP on a toy labelled gallery

Weights are random here (weights=None) so the numbers are meaningless; swap
in weights="imagenet" for the real thing.
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.applications import ResNet50V2
from tensorflow.keras.applications.resnet_v2 import preprocess_input

IMG_SIZE = 96
N_CLASSES = 6
PER_CLASS = 8
N_QUERIES = 12
TOP_K = 5
QE_TOP = 3
QE_ALPHA = 3.0

tf.random.set_seed(1)
rng = np.random.default_rng(1)


class GeMPooling(layers.Layer):
    """Generalized-mean pooling (Radenovic et al.) with a learnable p."""

    def __init__(self, init_p=3.0, eps=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.init_p = init_p
        self.eps = eps

    def build(self, input_shape):
        self.p = self.add_weight(name="p", shape=(), initializer=keras.initializers.Constant(self.init_p),
                                 trainable=True)

    def call(self, x):
        x = tf.maximum(x, self.eps)
        x = tf.pow(x, self.p)
        x = tf.reduce_mean(x, axis=[1, 2])
        return tf.pow(x, 1.0 / self.p)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"init_p": self.init_p, "eps": self.eps})
        return cfg


class L2Normalize(layers.Layer):
    def call(self, x):
        return tf.math.l2_normalize(x, axis=-1)


def build_descriptor_model(img_size=IMG_SIZE, dim=256):
    backbone = ResNet50V2(include_top=False, weights=None, input_shape=(img_size, img_size, 3))
    backbone.trainable = False
    inp = keras.Input((img_size, img_size, 3), name="image_uint8")
    x = layers.Lambda(preprocess_input, name="preprocess")(inp)
    fmap = backbone(x, training=False)                     # (B, 3, 3, 2048)
    desc = GeMPooling(name="gem")(fmap)
    desc = layers.Dense(dim, use_bias=False, name="whitening")(desc)  # PCA-whitening stand-in
    desc = L2Normalize(name="l2norm")(desc)
    return keras.Model(inp, desc, name="resnet50v2_retrieval")


def make_gallery(n_classes, per_class, size, rng):
    """Each 'class' is a colour + blob position; instances are jittered copies."""
    images, labels = [], []
    yy, xx = np.mgrid[0:size, 0:size]
    for c in range(n_classes):
        colour = rng.uniform(40, 255, size=3)
        cy, cx = rng.uniform(0.25, 0.75, size=2) * size
        for _ in range(per_class):
            jy, jx = rng.normal(0, 4, size=2)
            r = size * rng.uniform(0.15, 0.25)
            mask = ((yy - cy - jy) ** 2 + (xx - cx - jx) ** 2) < r * r
            img = rng.uniform(0, 40, size=(size, size, 3))
            img[mask] = colour + rng.normal(0, 10, size=3)
            images.append(img)
            labels.append(c)
    return np.clip(np.stack(images), 0, 255).astype("float32"), np.array(labels)


def embed(model, images, batch_size=16):
    ds = tf.data.Dataset.from_tensor_slices(images).batch(batch_size)
    return np.concatenate([model(b, training=False).numpy() for b in ds], axis=0)


@tf.function
def cosine_topk(queries, gallery, k):
    # descriptors are already unit-norm so the dot product == cosine
    sims = tf.linalg.matmul(queries, gallery, transpose_b=True)   # (Q, G)
    return tf.math.top_k(sims, k=k)


def alpha_query_expansion(q, gallery, top_idx, top_sims, alpha=3.0):
    """alpha-QE: new query = weighted sum of the query and its top neighbours."""
    neigh = tf.gather(gallery, top_idx)                     # (Q, n, D)
    w = tf.pow(tf.maximum(top_sims, 0.0), alpha)[..., None]  # (Q, n, 1)
    expanded = q + tf.reduce_sum(w * neigh, axis=1)
    return tf.math.l2_normalize(expanded, axis=-1)


def average_precision(ranked_labels, query_label):
    hits = (ranked_labels == query_label).astype("float32")
    if hits.sum() == 0:
        return 0.0
    precision_at_i = np.cumsum(hits) / (np.arange(len(hits)) + 1)
    return float((precision_at_i * hits).sum() / hits.sum())


t0 = time.time()
model = build_descriptor_model()
print(f"built {model.name} with {model.count_params():,} params in {time.time() - t0:.1f}s")
print("descriptor:", model.output_shape)

gallery_imgs, gallery_labels = make_gallery(N_CLASSES, PER_CLASS, IMG_SIZE, rng)
q_pick = rng.choice(len(gallery_imgs), N_QUERIES, replace=False)
# queries are flipped + brightened versions of gallery items (near-duplicates)
query_imgs = tf.clip_by_value(tf.image.flip_left_right(gallery_imgs[q_pick]) * 1.1, 0, 255).numpy()
query_labels = gallery_labels[q_pick]

gallery_desc = embed(model, gallery_imgs)
query_desc = embed(model, query_imgs)
print("gallery index:", gallery_desc.shape, gallery_desc.dtype,
      "norms ~", np.round(np.linalg.norm(gallery_desc, axis=1)[:3], 3))

G = tf.constant(gallery_desc)
Q = tf.constant(query_desc)
full_k = len(gallery_desc)
sims, idx = cosine_topk(Q, G, tf.constant(full_k))

qe_sims, qe_idx = cosine_topk(Q, G, tf.constant(QE_TOP))
Q_exp = alpha_query_expansion(Q, G, qe_idx, qe_sims, alpha=QE_ALPHA)
sims_qe, idx_qe = cosine_topk(Q_exp, G, tf.constant(full_k))

for name, ranking in [("baseline", idx.numpy()), ("alpha-QE", idx_qe.numpy())]:
    ranked_labels = gallery_labels[ranking]
    recall_at_k = np.mean([(ranked_labels[i, :TOP_K] == query_labels[i]).any() for i in range(N_QUERIES)])
    mAP = np.mean([average_precision(ranked_labels[i], query_labels[i]) for i in range(N_QUERIES)])
    print(f"{name:>9}: recall@{TOP_K}={recall_at_k:.3f}  mAP={mAP:.3f}")

print("query 0 top-5:", idx.numpy()[0, :TOP_K], "sims:", np.round(sims.numpy()[0, :TOP_K], 3))
