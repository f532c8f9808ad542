"""Speaker embeddings (d-vector style) with an additive-margin softmax head.

A small 1D-conv / TDNN-ish encoder over log-mel frames, global average pooling
to get an utterance-level vector, L2 normalisation, then AM-Softmax (CosFace)
for training. At test time we only keep the encoder and score trials with
cosine similarity, reporting a quick EER. Synthetic "speakers" = random
spectral envelopes so it runs anywhere.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

cfg = dict(
    n_speakers=12,
    utts_per_speaker=8,
    n_frames=100,
    n_mels=40,
    emb_dim=64,
    margin=0.2,
    scale=30.0,
    batch_size=16,
    epochs=2,
)

rng = np.random.default_rng(1234)


def fake_speaker_corpus(n_speakers, utts_per_speaker, n_frames, n_mels):
    """Each speaker has a fixed 'vocal tract' envelope; utterances add random excitation."""
    envelopes = rng.normal(0, 1.0, size=(n_speakers, n_mels)).cumsum(axis=1) * 0.3
    feats, spk = [], []
    for s in range(n_speakers):
        for _ in range(utts_per_speaker):
            excitation = rng.normal(0, 1.0, size=(n_frames, n_mels))
            energy = rng.uniform(0.5, 1.5, size=(n_frames, 1))
            feats.append(envelopes[s][None, :] + energy * excitation)
            spk.append(s)
    return np.asarray(feats, "float32"), np.asarray(spk, "int32")


class StatsFreeCMVN(layers.Layer):
    """Per-utterance cepstral mean/variance normalisation over time."""

    def call(self, x):
        mean = ops.mean(x, axis=1, keepdims=True)
        var = ops.var(x, axis=1, keepdims=True)
        return (x - mean) * ops.rsqrt(var + 1e-5)


class TDNNBlock(layers.Layer):
    def __init__(self, filters, kernel_size, dilation, **kw):
        super().__init__(**kw)
        self.conv = layers.Conv1D(filters, kernel_size, dilation_rate=dilation, padding="same")
        self.bn = layers.BatchNormalization()

    def call(self, x, training=None):
        return ops.relu(self.bn(self.conv(x), training=training))


class SpeakerEncoder(keras.Model):
    def __init__(self, emb_dim=64, **kw):
        super().__init__(**kw)
        self.cmvn = StatsFreeCMVN()
        self.frames = [
            TDNNBlock(64, 5, 1, name="tdnn1"),
            TDNNBlock(64, 3, 2, name="tdnn2"),
            TDNNBlock(64, 3, 3, name="tdnn3"),
            TDNNBlock(128, 1, 1, name="tdnn4"),
        ]
        self.pool = layers.GlobalAveragePooling1D()
        self.embed = layers.Dense(emb_dim, name="embedding")

    def call(self, x, training=None):
        x = self.cmvn(x)
        for block in self.frames:
            x = block(x, training=training)
        x = self.pool(x)                 # (B, 128) utterance-level
        x = self.embed(x)
        return ops.normalize(x, axis=-1)  # unit-norm d-vector


class AMSoftmaxHead(layers.Layer):
    """Cosine classifier; margin is subtracted from the target-class cosine."""

    def __init__(self, n_classes, margin=0.2, scale=30.0, **kw):
        super().__init__(**kw)
        self.n_classes = n_classes
        self.margin = margin
        self.scale = scale

    def build(self, input_shape):
        self.W = self.add_weight(
            shape=(input_shape[0][-1], self.n_classes),
            initializer="glorot_uniform",
            name="class_centers",
        )

    def call(self, inputs):
        emb, labels = inputs
        w = ops.normalize(self.W, axis=0)
        cos = ops.matmul(emb, w)                              # (B, C)
        onehot = ops.one_hot(ops.cast(labels, "int32"), self.n_classes)
        logits = self.scale * (cos - self.margin * onehot)
        return logits


class SpeakerTrainer(keras.Model):
    def __init__(self, encoder, n_speakers, margin, scale, **kw):
        super().__init__(**kw)
        self.encoder = encoder
        self.head = AMSoftmaxHead(n_speakers, margin=margin, scale=scale)

    def call(self, inputs, training=None):
        feats, labels = inputs
        emb = self.encoder(feats, training=training)
        return self.head([emb, labels])


def cosine_score_matrix(emb_a, emb_b):
    a = tf.math.l2_normalize(emb_a, axis=-1)
    b = tf.math.l2_normalize(emb_b, axis=-1)
    return tf.matmul(a, b, transpose_b=True)


def equal_error_rate(scores, labels):
    order = np.argsort(-scores)
    labels = labels[order]
    tp = np.cumsum(labels)
    fp = np.cumsum(1 - labels)
    fnr = 1 - tp / max(labels.sum(), 1)
    fpr = fp / max((1 - labels).sum(), 1)
    idx = np.nanargmin(np.abs(fnr - fpr))
    return 0.5 * (fnr[idx] + fpr[idx])


def main():
    x, y = fake_speaker_corpus(cfg["n_speakers"], cfg["utts_per_speaker"], cfg["n_frames"], cfg["n_mels"])
    print("features:", x.shape, "speakers:", np.unique(y).size)

    encoder = SpeakerEncoder(cfg["emb_dim"], name="speaker_encoder")
    trainer = SpeakerTrainer(encoder, cfg["n_speakers"], cfg["margin"], cfg["scale"])
    trainer.compile(
        optimizer=keras.optimizers.AdamW(1e-3, weight_decay=1e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )

    ds = (
        tf.data.Dataset.from_tensor_slices(((x, y), y))
        .shuffle(len(x), seed=3)
        .batch(cfg["batch_size"])
    )
    trainer.fit(ds, epochs=cfg["epochs"], verbose=2)
    encoder.summary()

    # --- verification: enroll with first half of utterances, test with second half
    emb = encoder.predict(x, batch_size=32, verbose=0)
    per = cfg["utts_per_speaker"]
    emb = emb.reshape(cfg["n_speakers"], per, -1)
    enroll = emb[:, : per // 2].mean(axis=1)          # speaker model = centroid
    test = emb[:, per // 2:].reshape(-1, emb.shape[-1])
    test_spk = np.repeat(np.arange(cfg["n_speakers"]), per - per // 2)

    scores = cosine_score_matrix(test, enroll).numpy()   # (n_test, n_speakers)
    target = (test_spk[:, None] == np.arange(cfg["n_speakers"])[None, :]).astype("int32")
    eer = equal_error_rate(scores.ravel(), target.ravel())
    ident_acc = (scores.argmax(axis=1) == test_spk).mean()
    print(f"score matrix {scores.shape}, EER={eer * 100:.1f}%  closed-set id acc={ident_acc:.2f}")


if __name__ == "__main__":
    main()
