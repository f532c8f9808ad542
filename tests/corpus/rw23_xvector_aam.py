"""x-vector style speaker embedding with additive angular margin (AAM) head.

TDNN frame layers (dilated Conv1D) over MFCC-like features, statistics
pooling (mean + standard deviation over time, mask-aware), a segment-level
embedding layer, and an ArcFace / AAM-softmax classification head used only
during training. After training, embeddings are L2-normalised and scored
with cosine similarity for a toy verification trial list.
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

N_SPEAKERS = 12
FEAT_DIM = 30
MIN_FRAMES, MAX_FRAMES = 80, 160
EMBED_DIM = 64
TDNN_SPEC = [  # (filters, kernel, dilation)
    (128, 5, 1),
    (128, 3, 2),
    (128, 3, 3),
    (128, 1, 1),
    (256, 1, 1),
]


class StatisticsPooling(layers.Layer):
    """Concatenate masked mean and std over the time axis."""

    def __init__(self, eps=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.eps = eps
        self.supports_masking = True

    def call(self, x, mask=None):
        if mask is None:
            mean = ops.mean(x, axis=1)
            var = ops.var(x, axis=1)
        else:
            w = ops.expand_dims(ops.cast(mask, x.dtype), -1)
            denom = ops.maximum(ops.sum(w, axis=1), 1.0)
            mean = ops.sum(x * w, axis=1) / denom
            var = ops.sum(w * ops.square(x - ops.expand_dims(mean, 1)), axis=1) / denom
        std = ops.sqrt(ops.maximum(var, self.eps))
        return ops.concatenate([mean, std], axis=-1)

    def compute_mask(self, inputs, mask=None):
        return None


class AAMSoftmax(layers.Layer):
    """ArcFace logits: s * cos(theta + m) for the target class, s * cos(theta) otherwise."""

    def __init__(self, n_classes, margin=0.2, scale=30.0, **kwargs):
        super().__init__(**kwargs)
        self.n_classes = n_classes
        self.margin = margin
        self.scale = scale

    def build(self, input_shape):
        emb_shape = input_shape[0]
        self.W = self.add_weight(shape=(emb_shape[-1], self.n_classes),
                                 initializer="glorot_uniform", name="class_centers")

    def call(self, inputs):
        emb, labels = inputs
        emb = tf.math.l2_normalize(emb, axis=-1)
        w = tf.math.l2_normalize(self.W, axis=0)
        cos_t = tf.clip_by_value(tf.matmul(emb, w), -1.0 + 1e-7, 1.0 - 1e-7)
        sin_t = tf.sqrt(1.0 - tf.square(cos_t))
        cos_tm = cos_t * math.cos(self.margin) - sin_t * math.sin(self.margin)
        # only apply the margin where it keeps the function monotonic
        th = math.cos(math.pi - self.margin)
        mm = math.sin(math.pi - self.margin) * self.margin
        cos_tm = tf.where(cos_t > th, cos_tm, cos_t - mm)
        one_hot = tf.one_hot(tf.cast(tf.reshape(labels, [-1]), tf.int32), self.n_classes)
        return self.scale * (one_hot * cos_tm + (1.0 - one_hot) * cos_t)


def build_embedding_extractor():
    feats = keras.Input(shape=(None, FEAT_DIM), name="mfcc")
    # zero-padded frames are excluded from the pooled statistics
    frame_mask = ops.any(ops.not_equal(feats, 0.0), axis=-1)
    x = feats
    for i, (filters, k, d) in enumerate(TDNN_SPEC):
        x = layers.Conv1D(filters, k, dilation_rate=d, padding="same", name=f"tdnn{i}")(x)
        x = layers.ReLU(name=f"tdnn{i}_relu")(x)
        x = layers.BatchNormalization(name=f"tdnn{i}_bn")(x)
    stats = StatisticsPooling(name="stats_pool")(x, mask=frame_mask)
    emb = layers.Dense(EMBED_DIM, name="embedding")(stats)
    return keras.Model(feats, emb, name="xvector")


def build_training_model(extractor):
    feats = keras.Input(shape=(None, FEAT_DIM), name="mfcc")
    label = keras.Input(shape=(1,), dtype="int32", name="speaker")
    emb = extractor(feats)
    h = layers.BatchNormalization()(layers.ReLU()(emb))
    logits = AAMSoftmax(N_SPEAKERS, name="aam")([h, label])
    return keras.Model([feats, label], logits, name="xvector_aam")


def synth_utterances(n, seed, speakers=None):
    rng = np.random.default_rng(seed)
    centers = np.random.default_rng(123).normal(size=(N_SPEAKERS, FEAT_DIM)).astype(np.float32)
    spk = rng.integers(0, N_SPEAKERS, size=n) if speakers is None else np.asarray(speakers)
    lens = rng.integers(MIN_FRAMES, MAX_FRAMES + 1, size=n)
    x = np.zeros((n, MAX_FRAMES, FEAT_DIM), dtype=np.float32)
    for i in range(n):
        x[i, : lens[i]] = centers[spk[i]] + rng.normal(scale=1.5, size=(lens[i], FEAT_DIM))
    return x, spk.astype(np.int32), lens


def cosine_scores(extractor, x_a, x_b):
    ea = tf.math.l2_normalize(extractor.predict(x_a, verbose=0), axis=-1)
    eb = tf.math.l2_normalize(extractor.predict(x_b, verbose=0), axis=-1)
    return tf.reduce_sum(ea * eb, axis=-1).numpy()


def equal_error_rate(scores, is_target):
    thresholds = np.sort(scores)
    best = (1.0, None)
    for t in thresholds:
        far = np.mean(scores[~is_target] >= t) if np.any(~is_target) else 0.0
        frr = np.mean(scores[is_target] < t) if np.any(is_target) else 0.0
        if abs(far - frr) < best[0]:
            best = (abs(far - frr), (far + frr) / 2)
    return best[1]


def main():
    keras.utils.set_random_seed(21)
    x, y, _ = synth_utterances(96, seed=0)
    extractor = build_embedding_extractor()
    trainer = build_training_model(extractor)
    trainer.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    trainer.fit([x, y[:, None]], y, batch_size=16, epochs=1, verbose=2)

    xa, ya, _ = synth_utterances(20, seed=1)
    # half target trials (same speaker), half random impostor trials
    spk_b = np.where(np.arange(20) % 2 == 0, ya, (ya + 1 + np.arange(20) % 5) % N_SPEAKERS)
    xb, yb, _ = synth_utterances(20, seed=2, speakers=spk_b)
    scores = cosine_scores(extractor, xa, xb)
    target = ya == yb
    print("trials:", len(scores), "targets:", int(target.sum()))
    print("EER: %s" % equal_error_rate(scores, target))


if __name__ == "__main__":
    main()
