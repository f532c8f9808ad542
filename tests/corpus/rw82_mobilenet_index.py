"""Fine-tune a MobileNetV3Small embedding with batch-hard triplet loss and
serve it from a small numpy vector index.

- subclassed keras.Model wrapping MobileNetV3Small (weights=None) + projection head
- PK-sampled batches (P classes x K images) from a tf.data pipeline
- custom GradientTape loop with batch-hard triplet mining
- EmbeddingIndex: brute-force inner-product search over a float32 matrix,
  persisted to .npz, argpartition for top-k
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
import keras
from keras import layers

IMG = 48
EMB_DIM = 64
N_IDS = 10
IMGS_PER_ID = 6
P, K = 4, 4
MARGIN = 0.3
STEPS = 4
LR = 1e-3

keras.utils.set_random_seed(123)


# --------------------------------------------------------------------------
# data: each identity = a fixed random texture + per-image colour jitter
# --------------------------------------------------------------------------
def synth_identities(n_ids, per_id, size):
    base = np.random.rand(n_ids, size // 6, size // 6, 3).astype("float32")
    base = tf.image.resize(base, (size, size), method="nearest").numpy()
    imgs = np.repeat(base, per_id, axis=0)
    imgs = imgs + np.random.normal(0, 0.08, size=imgs.shape).astype("float32")
    labels = np.repeat(np.arange(n_ids), per_id)
    return (np.clip(imgs, 0, 1) * 255.0).astype("float32"), labels.astype("int32")


images, labels = synth_identities(N_IDS, IMGS_PER_ID, IMG)
print("dataset:", images.shape, "ids:", len(np.unique(labels)))


def pk_batches(images, labels, p, k, seed=0):
    """Yield P*K batches: p identities, k images each (standard re-ID sampling)."""
    rs = np.random.RandomState(seed)
    by_id = {c: np.where(labels == c)[0] for c in np.unique(labels)}
    while True:
        ids = rs.choice(list(by_id), p, replace=False)
        idx = np.concatenate([rs.choice(by_id[c], k, replace=False) for c in ids])
        yield images[idx], labels[idx]


def train_augment(x, y):
    x = tf.image.random_flip_left_right(x)
    x = tf.image.random_crop(tf.pad(x, [[0, 0], [4, 4], [4, 4], [0, 0]], mode="REFLECT"),
                             size=tf.shape(x))
    return x, y


train_ds = (
    tf.data.Dataset.from_generator(
        lambda: pk_batches(images, labels, P, K),
        output_signature=(
            tf.TensorSpec((P * K, IMG, IMG, 3), tf.float32),
            tf.TensorSpec((P * K,), tf.int32),
        ),
    )
    .map(train_augment, num_parallel_calls=2)
    .prefetch(2)
)


# --------------------------------------------------------------------------
# model
# --------------------------------------------------------------------------
class EmbeddingNet(keras.Model):
    def __init__(self, emb_dim=EMB_DIM, img_size=IMG, **kwargs):
        super().__init__(**kwargs)
        # include_preprocessing=True -> expects raw [0, 255] pixels
        self.backbone = keras.applications.MobileNetV3Small(
            input_shape=(img_size, img_size, 3), include_top=False, weights=None,
            pooling="avg", minimalistic=True, include_preprocessing=True)
        self.drop = layers.Dropout(0.2)
        self.proj = layers.Dense(emb_dim, use_bias=False)
        self.bn = layers.BatchNormalization(center=False)  # "BNNeck"

    def call(self, x, training=False):
        feats = self.backbone(x, training=training)
        z = self.proj(self.drop(feats, training=training))
        z = self.bn(z, training=training)
        return tf.math.l2_normalize(z, axis=-1)


def pairwise_distances(emb):
    """Euclidean distance matrix from ||a||^2 - 2ab + ||b||^2, numerically clamped."""
    dot = tf.matmul(emb, emb, transpose_b=True)
    sq = tf.linalg.diag_part(dot)
    d2 = sq[:, None] - 2.0 * dot + sq[None, :]
    d2 = tf.maximum(d2, 0.0)
    zero_mask = tf.cast(tf.equal(d2, 0.0), tf.float32)
    d = tf.sqrt(d2 + zero_mask * 1e-16)
    return d * (1.0 - zero_mask)


def batch_hard_triplet_loss(labels, emb, margin):
    d = pairwise_distances(emb)
    same = tf.equal(labels[:, None], labels[None, :])
    eye = tf.eye(tf.shape(labels)[0], dtype=tf.bool)
    pos_mask = tf.cast(tf.logical_and(same, tf.logical_not(eye)), tf.float32)
    neg_mask = tf.cast(tf.logical_not(same), tf.float32)
    hardest_pos = tf.reduce_max(d * pos_mask, axis=1)
    # push positives out of the min by adding the row max where mask==0
    max_d = tf.reduce_max(d, axis=1, keepdims=True)
    hardest_neg = tf.reduce_min(d + max_d * (1.0 - neg_mask), axis=1)
    loss = tf.maximum(hardest_pos - hardest_neg + margin, 0.0)
    frac_active = tf.reduce_mean(tf.cast(loss > 0, tf.float32))
    return tf.reduce_mean(loss), frac_active


model = EmbeddingNet(name="mnv3_embedder")
_ = model(tf.zeros((1, IMG, IMG, 3)))
print(f"{model.name}: {model.count_params():,} params")

optimizer = keras.optimizers.AdamW(learning_rate=LR, weight_decay=1e-4)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        emb = model(x, training=True)
        loss, active = batch_hard_triplet_loss(y, emb, MARGIN)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 5.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss, active


for step, (xb, yb) in enumerate(train_ds.take(STEPS)):
    loss, active = train_step(xb, yb)
    if step % 2 == 0 or step == STEPS - 1:
        print(f"step {step:02d}  triplet={float(loss):.4f}  active={float(active):.2f}")


# --------------------------------------------------------------------------
# numpy index
# --------------------------------------------------------------------------
class EmbeddingIndex:
    def __init__(self, dim):
        self.dim = dim
        self.vectors = np.zeros((0, dim), dtype=np.float32)
        self.ids = np.zeros((0,), dtype=np.int64)
        self.meta = []

    def __len__(self):
        return len(self.ids)

    def add(self, vectors, ids, meta=None):
        vectors = np.asarray(vectors, dtype=np.float32)
        assert vectors.ndim == 2 and vectors.shape[1] == self.dim, vectors.shape
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
        self.vectors = np.vstack([self.vectors, vectors])
        self.ids = np.concatenate([self.ids, np.asarray(ids, dtype=np.int64)])
        self.meta.extend(meta if meta is not None else [None] * len(vectors))

    def search(self, queries, k=5):
        queries = np.atleast_2d(queries).astype(np.float32)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True) + 1e-12
        scores = queries @ self.vectors.T                       # (Q, N)
        k = min(k, len(self))
        part = np.argpartition(-scores, kth=k - 1, axis=1)[:, :k]
        part_scores = np.take_along_axis(scores, part, axis=1)
        order = np.argsort(-part_scores, axis=1)
        top = np.take_along_axis(part, order, axis=1)
        return np.take_along_axis(scores, top, axis=1), self.ids[top]

    def save(self, path):
        np.savez_compressed(path, vectors=self.vectors, ids=self.ids, dim=self.dim)

    @classmethod
    def load(cls, path):
        data = np.load(path)
        idx = cls(int(data["dim"]))
        idx.vectors, idx.ids = data["vectors"], data["ids"]
        idx.meta = [None] * len(idx.ids)
        return idx


def embed_all(model, imgs, bs=32):
    out = [model(imgs[i:i + bs], training=False).numpy() for i in range(0, len(imgs), bs)]
    return np.concatenate(out)


# hold out the last image of every identity as a query
is_query = np.zeros(len(labels), dtype=bool)
is_query[IMGS_PER_ID - 1::IMGS_PER_ID] = True
gallery_emb = embed_all(model, images[~is_query])
query_emb = embed_all(model, images[is_query])

index = EmbeddingIndex(EMB_DIM)
index.add(gallery_emb, ids=labels[~is_query], meta=[f"img_{i}" for i in np.where(~is_query)[0]])
print("index size:", len(index), "matrix:", index.vectors.shape)

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "gallery_index.npz")
    index.save(path)
    print("saved index: %.1f KB" % (os.path.getsize(path) / 1024))
    index = EmbeddingIndex.load(path)

scores, hit_ids = index.search(query_emb, k=5)
q_labels = labels[is_query]
rank1 = np.mean(hit_ids[:, 0] == q_labels)
rank5 = np.mean((hit_ids == q_labels[:, None]).any(axis=1))
print(f"rank-1={rank1:.2f}  rank-5={rank5:.2f}  (random weights, {STEPS} steps)")
print("query 0 ->", hit_ids[0], np.round(scores[0], 3))
