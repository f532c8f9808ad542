"""x-vector speaker embeddings with TDNN layers and AAM-softmax (ArcFace) loss.

Pipeline: fbank features -> 5 TDNN (dilated Conv1D) layers -> statistics
pooling (mean || std) -> 512-d embedding -> additive angular margin head.
After training, the embedding sub-model is used for cosine-scoring verification
trials and we compute a (meaningless on fake data) EER.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

N_SPEAKERS = 12
UTTS_PER_SPK = 8
N_MELS = 30
SEGMENT_FRAMES = 100        # 1 s of 10 ms frames used for training crops
EMB_DIM = 128
MARGIN, SCALE = 0.2, 30.0

# (filters, kernel, dilation) - the classic Snyder et al. 2018 topology, narrowed
TDNN_SPEC = [
    (128, 5, 1),
    (128, 3, 2),
    (128, 3, 3),
    (128, 1, 1),
    (384, 1, 1),
]


def fake_fbank_corpus(rng):
    """Each speaker is a random 'spectral envelope' plus per-utterance noise."""
    envelopes = rng.normal(0, 1.0, size=(N_SPEAKERS, N_MELS)).astype(np.float32)
    feats, spk = [], []
    for s in range(N_SPEAKERS):
        for _ in range(UTTS_PER_SPK):
            n_frames = rng.integers(150, 300)
            f = envelopes[s] + 0.8 * rng.standard_normal((n_frames, N_MELS))
            feats.append(f.astype(np.float32))
            spk.append(s)
    return feats, np.array(spk, dtype=np.int32)


def cmvn(x):
    """sliding-window-free CMN: subtract per-utterance mean over time."""
    return x - tf.reduce_mean(x, axis=0, keepdims=True)


def random_crop(feats, label):
    n = tf.shape(feats)[0]
    start = tf.random.uniform([], 0, n - SEGMENT_FRAMES + 1, dtype=tf.int32)
    return cmvn(feats[start:start + SEGMENT_FRAMES]), label


class StatsPooling(layers.Layer):
    """Concatenate mean and standard deviation over the time axis."""

    def __init__(self, eps=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.eps = eps

    def call(self, x):
        mean = ops.mean(x, axis=1)
        var = ops.mean(ops.square(x - ops.expand_dims(mean, 1)), axis=1)
        std = ops.sqrt(ops.maximum(var, self.eps))
        return ops.concatenate([mean, std], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2 * input_shape[-1])


class AAMSoftmax(layers.Layer):
    """ArcFace head: returns scaled logits with an additive angular margin on the target."""

    def __init__(self, n_classes, margin=0.2, scale=30.0, **kwargs):
        super().__init__(**kwargs)
        self.n_classes = n_classes
        self.margin = margin
        self.scale = scale

    def build(self, input_shape):
        emb_shape, _ = input_shape
        self.W = self.add_weight(name="class_centers", shape=(emb_shape[-1], self.n_classes),
                                 initializer="glorot_uniform")

    def call(self, inputs):
        emb, labels = inputs
        emb = emb / (ops.norm(emb, axis=-1, keepdims=True) + 1e-8)
        w = self.W / (ops.norm(self.W, axis=0, keepdims=True) + 1e-8)
        cos = ops.clip(ops.matmul(emb, w), -1.0 + 1e-7, 1.0 - 1e-7)
        theta = ops.arccos(cos)
        target = ops.one_hot(ops.cast(labels, "int32"), self.n_classes)
        # cos(theta + m) only for the true class
        logits = ops.where(target > 0, ops.cos(theta + self.margin), cos)
        return self.scale * logits


def tdnn_block(x, filters, kernel, dilation, name):
    x = layers.Conv1D(filters, kernel, dilation_rate=dilation, padding="valid", name=f"{name}_conv")(x)
    x = layers.ReLU(name=f"{name}_relu")(x)
    return layers.BatchNormalization(name=f"{name}_bn")(x)


def build_xvector(n_mels=N_MELS, emb_dim=EMB_DIM):
    feats = keras.Input(shape=(None, n_mels), name="fbank")
    x = feats
    for i, (f, k, d) in enumerate(TDNN_SPEC, start=1):
        x = tdnn_block(x, f, k, d, name=f"frame{i}")
    x = StatsPooling(name="stats_pool")(x)
    emb = layers.Dense(emb_dim, name="segment6")(x)   # x-vector is taken pre-activation
    return keras.Model(feats, emb, name="xvector_extractor")


def build_training_model(extractor, n_speakers):
    feats = keras.Input(shape=(SEGMENT_FRAMES, N_MELS), name="fbank")
    label = keras.Input(shape=(), dtype="int32", name="speaker")
    emb = extractor(feats)
    h = layers.BatchNormalization()(layers.ReLU()(emb))
    logits = AAMSoftmax(n_speakers, MARGIN, SCALE, name="aam")([h, label])
    return keras.Model([feats, label], logits, name="xvector_trainer")


def compute_eer(scores, labels):
    order = np.argsort(-scores)
    labels = labels[order]
    tp = np.cumsum(labels)
    fp = np.cumsum(1 - labels)
    fnr = 1 - tp / labels.sum()
    fpr = fp / (1 - labels).sum()
    idx = np.nanargmin(np.abs(fnr - fpr))
    return 0.5 * (fnr[idx] + fpr[idx])


def main():
    rng = np.random.default_rng(3)
    keras.utils.set_random_seed(3)
    feats, spk = fake_fbank_corpus(rng)

    ds = tf.data.Dataset.from_generator(
        lambda: zip(feats, spk),
        output_signature=(tf.TensorSpec((None, N_MELS), tf.float32), tf.TensorSpec((), tf.int32)),
    ).cache().shuffle(len(feats)).map(random_crop, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.map(lambda x, y: ((x, y), y)).batch(16).prefetch(tf.data.AUTOTUNE)

    extractor = build_xvector()
    trainer = build_training_model(extractor, N_SPEAKERS)
    extractor.summary()

    trainer.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    trainer.fit(ds, epochs=2, verbose=2)

    # full-length embeddings (variable length works since the extractor is fully conv + pooling)
    embs = np.stack([extractor(cmvn(f)[None], training=False)[0].numpy() for f in feats])
    embs /= np.linalg.norm(embs, axis=1, keepdims=True)

    # build trials: all pairs, target if same speaker
    iu = np.triu_indices(len(embs), k=1)
    scores = (embs @ embs.T)[iu]
    is_target = (spk[:, None] == spk[None, :])[iu].astype(np.int32)
    print(f"{len(scores)} trials, {is_target.sum()} target, EER = {100 * compute_eer(scores, is_target):.2f}%")


if __name__ == "__main__":
    main()
