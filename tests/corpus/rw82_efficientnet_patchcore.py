"""PatchCore-style anomaly detection on top of EfficientNetV2B0 features.

Mid-level feature maps (block3b + block4c) are pulled out of a frozen
EfficientNetV2B0, locally averaged, upsampled to a common grid and
concatenated into per-patch descriptors. A greedy k-center coreset of the
normal patches forms the memory bank; test patches are scored by their
nearest-neighbour distance (tf ops, chunked), image score = max patch score.

weights=None keeps this offline - use weights="imagenet" in practice.
"""
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers

SETTINGS = dict(
    image_size=96,
    feature_layers=("block3b_add", "block4c_add"),
    n_train=40,
    n_test=24,
    coreset_ratio=0.1,
    projection_dim=64,
    knn_k=3,
    query_chunk=512,
    seed=11,
)

keras.utils.set_random_seed(SETTINGS["seed"])
rng = np.random.default_rng(SETTINGS["seed"])


def build_feature_extractor(image_size, layer_names):
    backbone = keras.applications.EfficientNetV2B0(
        include_top=False, weights=None, input_shape=(image_size, image_size, 3),
        include_preprocessing=True)
    backbone.trainable = False
    outputs = [backbone.get_layer(n).output for n in layer_names]
    extractor = keras.Model(backbone.input, outputs, name="effnetv2b0_multiscale")
    for name, t in zip(layer_names, outputs):
        print(f"  tap {name:<14} -> {tuple(t.shape)}")
    return extractor


class PatchCore:
    def __init__(self, extractor, coreset_ratio=0.1, projection_dim=64, k=1, query_chunk=512):
        self.extractor = extractor
        self.coreset_ratio = coreset_ratio
        self.projection_dim = projection_dim
        self.k = k
        self.query_chunk = query_chunk
        self.memory_bank = None
        self.grid = None
        self.local_pool = layers.AveragePooling2D(pool_size=3, strides=1, padding="same")

    # ---- features -----------------------------------------------------------
    def patch_features(self, images):
        fmaps = self.extractor(images, training=False)
        target_hw = tf.shape(fmaps[0])[1:3]
        aligned = []
        for f in fmaps:
            f = self.local_pool(f)  # neighbourhood aggregation
            f = tf.image.resize(f, target_hw, method="bilinear")
            aligned.append(f)
        feats = tf.concat(aligned, axis=-1)                 # (B, H, W, C1+C2)
        b, h, w, c = (tf.shape(feats)[i] for i in range(4))
        self.grid = (int(feats.shape[1]), int(feats.shape[2]))
        return tf.reshape(feats, [b * h * w, c])

    # ---- coreset ------------------------------------------------------------
    def _greedy_coreset(self, feats):
        n = feats.shape[0]
        n_select = max(1, int(n * self.coreset_ratio))
        # Johnson-Lindenstrauss projection just for the selection step
        proj = rng.normal(size=(feats.shape[1], self.projection_dim)).astype("float32")
        proj /= np.sqrt(self.projection_dim)
        z = feats @ proj
        selected = [int(rng.integers(n))]
        min_dist = np.linalg.norm(z - z[selected[0]], axis=1)
        for _ in range(n_select - 1):
            nxt = int(np.argmax(min_dist))
            selected.append(nxt)
            min_dist = np.minimum(min_dist, np.linalg.norm(z - z[nxt], axis=1))
        return np.asarray(selected)

    def fit(self, images, batch_size=8):
        chunks = [self.patch_features(images[i:i + batch_size]).numpy()
                  for i in range(0, len(images), batch_size)]
        feats = np.concatenate(chunks, axis=0)
        t0 = time.time()
        keep = self._greedy_coreset(feats)
        self.memory_bank = tf.constant(feats[keep])
        print(f"memory bank: {feats.shape[0]} patches -> {len(keep)} coreset "
              f"({time.time() - t0:.2f}s), dim={feats.shape[1]}")
        return self

    # ---- scoring ------------------------------------------------------------
    @staticmethod
    @tf.function(reduce_retracing=True)
    def _knn_dist(queries, bank, k):
        q2 = tf.reduce_sum(tf.square(queries), axis=1, keepdims=True)    # (Q, 1)
        b2 = tf.reduce_sum(tf.square(bank), axis=1)[tf.newaxis, :]        # (1, M)
        d2 = q2 - 2.0 * tf.matmul(queries, bank, transpose_b=True) + b2   # (Q, M)
        neg_topk, _ = tf.math.top_k(-d2, k=k)
        return tf.sqrt(tf.maximum(-neg_topk, 0.0))                         # (Q, k)

    def score(self, images):
        feats = self.patch_features(images)
        dists = []
        for start in range(0, int(feats.shape[0]), self.query_chunk):
            d = self._knn_dist(feats[start:start + self.query_chunk], self.memory_bank, self.k)
            dists.append(d[:, 0])  # nearest neighbour distance is the patch score
        patch_scores = tf.concat(dists, axis=0)
        h, w = self.grid
        maps = tf.reshape(patch_scores, [-1, h, w])
        image_scores = tf.reduce_max(maps, axis=[1, 2])
        # upsample the score map to input resolution for visualisation
        full = tf.image.resize(maps[..., None], images.shape[1:3], method="bilinear")
        return image_scores.numpy(), tf.squeeze(full, -1).numpy()


def checkerboard(n, size, rng, defect=False):
    tile = 8
    yy, xx = np.mgrid[0:size, 0:size]
    base = (((yy // tile) + (xx // tile)) % 2).astype("float32")
    imgs = np.repeat(base[None, ..., None], 3, axis=-1)
    imgs = np.repeat(imgs, n, axis=0) * 180 + 40
    imgs += rng.normal(0, 6, size=imgs.shape)
    if defect:
        for img in imgs:
            y0, x0 = rng.integers(10, size - 22, size=2)
            img[y0:y0 + 12, x0:x0 + 12] = rng.uniform(0, 255, size=3)
    return np.clip(imgs, 0, 255).astype("float32")


S = SETTINGS
print("building extractor")
extractor = build_feature_extractor(S["image_size"], S["feature_layers"])
train = checkerboard(S["n_train"], S["image_size"], rng)
test_good = checkerboard(S["n_test"] // 2, S["image_size"], rng)
test_bad = checkerboard(S["n_test"] // 2, S["image_size"], rng, defect=True)
x_test = np.concatenate([test_good, test_bad])
y_test = np.concatenate([np.zeros(len(test_good)), np.ones(len(test_bad))])

model = PatchCore(extractor, coreset_ratio=S["coreset_ratio"], projection_dim=S["projection_dim"],
                  k=S["knn_k"], query_chunk=S["query_chunk"]).fit(train)

scores, maps = model.score(x_test)
print("anomaly maps:", maps.shape, "score range: %.3f..%.3f" % (scores.min(), scores.max()))

auc = keras.metrics.AUC(num_thresholds=500)
auc.update_state(y_test, (scores - scores.min()) / (np.ptp(scores) + 1e-8))
print(f"image AUROC: {float(auc.result()):.3f}")

# threshold from leave-one-out-ish scores on training data
train_scores, _ = model.score(train[:16])
thr = np.quantile(train_scores, 0.95)
pred = scores > thr
print(f"thr={thr:.3f}  flagged {pred.sum()}/{len(pred)}, "
      f"correct on defects: {int((pred & (y_test == 1)).sum())}/{int(y_test.sum())}")
