"""Reuse an autoencoder's encoder as an embedding model + IVF index in numpy.

1. train a small conv autoencoder (custom GradientTape loop, denoising objective)
2. encoder -> attention-pooled, L2-normalised codes
3. build an inverted-file (IVF) index: k-means coarse quantizer written with
   tf ops, posting lists in numpy
4. approximate cosine search (probe nprobe lists) vs exact brute force
5. latent k-NN distance doubles as an out-of-distribution score
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras

IMG_SHAPE = (32, 32, 3)
CODE_DIM = 32
N_DB = 600
N_QUERY = 40
BATCH = 64
TRAIN_STEPS = 20
NOISE_STD = 0.1
N_LISTS = 8
NPROBE = 2
TOPK = 10

tf.random.set_seed(5)
np.random.seed(5)


# ---------------------------------------------------------------- data
SCENE_PROTOS = np.random.rand(12, 4, 4, 3).astype("float32")


def make_db(n, protos=SCENE_PROTOS):
    """Blurry 'photos' generated from a handful of scene prototypes."""
    which = np.random.randint(0, len(protos), size=n)
    small = protos[which] + 0.1 * np.random.randn(n, 4, 4, 3).astype("float32")
    imgs = tf.image.resize(small, IMG_SHAPE[:2], method="bicubic")
    return tf.clip_by_value(imgs, 0.0, 1.0).numpy(), which


db_images, db_scene = make_db(N_DB)
print("database:", db_images.shape)


# ---------------------------------------------------------------- model
class AttentionPool2D(keras.layers.Layer):
    """Single-query attention pooling over spatial positions."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        c = input_shape[-1]
        self.query = self.add_weight(shape=(1, 1, self.units), initializer="glorot_uniform", name="query")
        self.key_proj = self.add_weight(shape=(c, self.units), initializer="glorot_uniform", name="wk")
        self.val_proj = self.add_weight(shape=(c, self.units), initializer="glorot_uniform", name="wv")

    def call(self, x):
        b = tf.shape(x)[0]
        h, w, c = x.shape[1], x.shape[2], x.shape[3]
        tokens = tf.reshape(x, [b, h * w, c])                        # (B, N, C)
        k = tf.einsum("bnc,cu->bnu", tokens, self.key_proj)
        v = tf.einsum("bnc,cu->bnu", tokens, self.val_proj)
        q = tf.tile(self.query, [b, 1, 1])                           # (B, 1, U)
        attn = tf.nn.softmax(tf.matmul(q, k, transpose_b=True) / tf.sqrt(float(self.units)), axis=-1)
        return tf.squeeze(tf.matmul(attn, v), axis=1)                 # (B, U)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def build_models():
    inp = keras.Input(IMG_SHAPE)
    x = keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(inp)   # 16
    x = keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(x)     # 8
    fmap = keras.layers.Conv2D(64, 3, padding="same", activation="relu", name="enc_out")(x)
    code = AttentionPool2D(CODE_DIM, name="attn_pool")(fmap)

    y = keras.layers.Dense(8 * 8 * 16, activation="relu")(code)
    y = keras.layers.Reshape((8, 8, 16))(y)
    # skip-free decoder, so the code has to carry the information
    y = keras.layers.UpSampling2D()(y)
    y = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(y)
    y = keras.layers.UpSampling2D()(y)
    out = keras.layers.Conv2D(3, 3, padding="same", activation="sigmoid")(y)

    ae = keras.Model(inp, out, name="denoising_ae")
    enc = keras.Model(inp, code, name="encoder")
    return ae, enc


autoencoder, encoder = build_models()
autoencoder.summary(line_length=80)
opt = keras.optimizers.Adam(2e-3)
loss_fn = keras.losses.MeanSquaredError()


@tf.function
def train_step(clean):
    noisy = clean + tf.random.normal(tf.shape(clean), stddev=NOISE_STD)
    noisy = tf.clip_by_value(noisy, 0.0, 1.0)
    with tf.GradientTape() as tape:
        recon = autoencoder(noisy, training=True)
        loss = loss_fn(clean, recon)
    grads = tape.gradient(loss, autoencoder.trainable_variables)
    opt.apply_gradients(zip(grads, autoencoder.trainable_variables))
    return loss


ds = tf.data.Dataset.from_tensor_slices(db_images).shuffle(N_DB).repeat().batch(BATCH)
running = keras.metrics.Mean()
for step, batch in enumerate(ds.take(TRAIN_STEPS), start=1):
    running.update_state(train_step(batch))
    if step % 5 == 0:
        print(f"step {step:3d}  mse={running.result():.5f}")
        running.reset_state()


def encode(images, bs=128):
    codes = np.concatenate([encoder(images[i:i + bs], training=False).numpy()
                            for i in range(0, len(images), bs)])
    return codes / (np.linalg.norm(codes, axis=1, keepdims=True) + 1e-9)


db_codes = encode(db_images)


# ---------------------------------------------------------------- IVF index
def tf_kmeans(x, k, iters=10, seed=0):
    """Spherical k-means with tf ops (cosine assignment, renormalised centroids)."""
    x = tf.convert_to_tensor(x)
    idx = tf.random.shuffle(tf.range(tf.shape(x)[0]), seed=seed)[:k]
    centroids = tf.gather(x, idx)
    for _ in range(iters):
        assign = tf.argmax(tf.matmul(x, centroids, transpose_b=True), axis=1, output_type=tf.int32)
        sums = tf.math.unsorted_segment_sum(x, assign, num_segments=k)
        counts = tf.math.unsorted_segment_sum(tf.ones_like(assign, tf.float32), assign, num_segments=k)
        new_c = sums / tf.maximum(counts[:, None], 1.0)
        # keep the old centroid for empty clusters instead of collapsing to 0
        centroids = tf.where(counts[:, None] > 0, tf.math.l2_normalize(new_c, axis=1), centroids)
    return centroids.numpy(), assign.numpy()


class IVFIndex:
    def __init__(self, n_lists):
        self.n_lists = n_lists

    def train(self, vectors):
        self.centroids, assign = tf_kmeans(vectors, self.n_lists)
        self.lists = {c: np.where(assign == c)[0] for c in range(self.n_lists)}
        self.vectors = vectors.astype(np.float32)
        sizes = [len(v) for v in self.lists.values()]
        print(f"IVF: {self.n_lists} lists, sizes min={min(sizes)} max={max(sizes)}")
        return self

    def search(self, q, k=10, nprobe=1):
        coarse = q @ self.centroids.T                               # (Q, L)
        probe = np.argsort(-coarse, axis=1)[:, :nprobe]
        all_ids, all_scores = [], []
        for qi, lists in enumerate(probe):
            cand = np.concatenate([self.lists[l] for l in lists])
            s = self.vectors[cand] @ q[qi]
            top = np.argsort(-s)[:k]
            pad = k - len(top)
            all_ids.append(np.pad(cand[top], (0, pad), constant_values=-1))
            all_scores.append(np.pad(s[top], (0, pad), constant_values=-np.inf))
        return np.stack(all_scores), np.stack(all_ids)


def exact_search(q, db, k):
    sims = tf.matmul(tf.constant(q), tf.constant(db), transpose_b=True)
    vals, ids = tf.math.top_k(sims, k=k)
    return vals.numpy(), ids.numpy()


index = IVFIndex(N_LISTS).train(db_codes)

q_images, q_scene = make_db(N_QUERY)
q_codes = encode(q_images)

t0 = time.perf_counter()
_, exact_ids = exact_search(q_codes, db_codes, TOPK)
t_exact = time.perf_counter() - t0
for nprobe in (1, NPROBE, N_LISTS):
    t0 = time.perf_counter()
    _, ivf_ids = index.search(q_codes, k=TOPK, nprobe=nprobe)
    dt = time.perf_counter() - t0
    recall = np.mean([len(np.intersect1d(a, b)) / TOPK for a, b in zip(ivf_ids, exact_ids)])
    print(f"nprobe={nprobe}: recall@{TOPK} vs exact = {recall:.3f}  ({dt * 1e3:.1f} ms)")
print(f"exact search: {t_exact * 1e3:.1f} ms")

# ---------------------------------------------------------------- OOD score
ood = np.random.rand(N_QUERY, *IMG_SHAPE).astype("float32")   # white noise, nothing like the db
ood_codes = encode(ood)
knn_in, _ = exact_search(q_codes, db_codes, 5)
knn_out, _ = exact_search(ood_codes, db_codes, 5)
score_in = 1.0 - knn_in.mean(axis=1)      # cosine distance to 5-NN
score_out = 1.0 - knn_out.mean(axis=1)
print(f"5-NN cosine distance  in-dist: {score_in.mean():.4f}   noise: {score_out.mean():.4f}")

recon_err = lambda x: np.mean((autoencoder.predict(x, verbose=0) - x) ** 2, axis=(1, 2, 3))
print(f"reconstruction MSE    in-dist: {recon_err(q_images).mean():.4f}   noise: {recon_err(ood).mean():.4f}")
